package informer

import (
	"os"
	"strings"
	"testing"
)

// TestDocsExamplesCompile checks that every Go block of docs/reconcile.md is
// the body of an Example in the reconcile, informer or leader packages, so
// the guide's code compiles and its output is verified.
func TestDocsExamplesCompile(t *testing.T) {
	doc, err := os.ReadFile("../../docs/reconcile.md")
	if err != nil {
		t.Skipf("docs not found: %v", err)
	}
	var src strings.Builder
	for _, f := range []string{"../example_test.go", "example_test.go", "../leader/example_test.go"} {
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
		t.Fatalf("docs/reconcile.md has %d Go blocks, want at least 3", len(blocks)-1)
	}
	for _, b := range blocks[1:] {
		code, _, _ := strings.Cut(b, "```")
		if !strings.Contains(examples, flat(code)) {
			t.Errorf("docs/reconcile.md block is not an Example body:\n%s", code)
		}
	}
}
