package runtime_test

import (
	"os"
	"strings"
	"testing"
)

// TestDocsExamplesCompile checks that every Go block of docs/runtime.md is
// part of an Example of runtime, runtime/fake or runtime/exec, so the
// guide's code compiles and its output is verified.
func TestDocsExamplesCompile(t *testing.T) {
	doc, err := os.ReadFile("../docs/runtime.md")
	if err != nil {
		t.Skipf("docs not found: %v", err)
	}
	var src strings.Builder
	for _, f := range []string{"example_test.go", "fake/example_test.go", "exec/example_test.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	examples := flat(src.String())
	blocks := strings.Split(string(doc), "```go\n")
	if len(blocks) < 4 {
		t.Fatalf("docs/runtime.md has %d Go blocks, want at least 3", len(blocks)-1)
	}
	for _, b := range blocks[1:] {
		code, _, _ := strings.Cut(b, "```")
		if !strings.Contains(examples, flat(code)) {
			t.Errorf("docs/runtime.md block is not part of an Example:\n%s", code)
		}
	}
}
