package containerd

import (
	"os"
	"strings"
	"testing"
)

// TestDocsExamplesCompile checks that every Go block of docs/containerd.md
// is part of an Example, so the guide's code compiles.
func TestDocsExamplesCompile(t *testing.T) {
	doc, err := os.ReadFile("../../docs/containerd.md")
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
	if len(blocks) < 3 {
		t.Fatalf("docs/containerd.md has %d Go blocks, want at least 2", len(blocks)-1)
	}
	for _, b := range blocks[1:] {
		code, _, _ := strings.Cut(b, "```")
		if !strings.Contains(examples, flat(code)) {
			t.Errorf("docs/containerd.md block is not part of an Example:\n%s", code)
		}
	}
}
