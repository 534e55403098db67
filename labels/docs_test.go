package labels

import (
	"os"
	"strings"
	"testing"
)

// TestDocsExamplesCompile checks that every Go block of docs/labels.md is
// the body of an Example in example_test.go, so the guide's code compiles
// and its output is verified.
func TestDocsExamplesCompile(t *testing.T) {
	doc, err := os.ReadFile("../docs/labels.md")
	if err != nil {
		t.Skipf("docs not found: %v", err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	examples := flat(string(src))
	blocks := strings.Split(string(doc), "```go\n")
	if len(blocks) < 4 {
		t.Fatalf("docs/labels.md has %d Go blocks, want at least 3", len(blocks)-1)
	}
	for _, b := range blocks[1:] {
		code, _, _ := strings.Cut(b, "```")
		if !strings.Contains(examples, flat(code)) {
			t.Errorf("docs/labels.md block is not an Example body:\n%s", code)
		}
	}
}
