package agent

import (
	"os"
	"strings"
	"testing"
)

// TestDocsExamplesCompile checks that every Go block of docs/agent.md is
// part of an Example, so the guide's code compiles and its output is
// verified.
func TestDocsExamplesCompile(t *testing.T) {
	doc, err := os.ReadFile("../../docs/agent.md")
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
	if len(blocks) < 2 {
		t.Fatalf("docs/agent.md has no Go blocks")
	}
	for _, b := range blocks[1:] {
		code, _, _ := strings.Cut(b, "```")
		if !strings.Contains(examples, flat(code)) {
			t.Errorf("docs/agent.md block is not part of an Example:\n%s", code)
		}
	}
}
