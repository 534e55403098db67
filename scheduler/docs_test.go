package scheduler_test

import (
	"os"
	"strings"
	"testing"
)

// TestDocsExamplesCompile checks that every Go block of docs/scheduler.md
// is code of an Example in this package's tests, so the guide's code
// compiles and its output is verified.
func TestDocsExamplesCompile(t *testing.T) {
	doc, err := os.ReadFile("../docs/scheduler.md")
	if err != nil {
		t.Skipf("docs not found: %v", err)
	}
	var examples strings.Builder
	for _, f := range []string{"example_test.go", "example_plugin_test.go", "scheduler_test.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		examples.Write(src)
	}
	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	all := flat(examples.String())
	blocks := strings.Split(string(doc), "```go\n")
	if len(blocks) < 4 {
		t.Fatalf("docs/scheduler.md has %d Go blocks, want at least 3", len(blocks)-1)
	}
	for _, b := range blocks[1:] {
		code, _, _ := strings.Cut(b, "```")
		if !strings.Contains(all, flat(code)) {
			t.Errorf("docs/scheduler.md block is not in an Example or test:\n%s", code)
		}
	}
}
