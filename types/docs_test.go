package types_test

import (
	"os"
	"strings"
	"testing"
)

// TestDocsExamples checks that every ```go block of docs/types.md is the
// body of an Example in example_test.go, so the guide's code compiles and
// its output is checked.
func TestDocsExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/types.md")
	if err != nil {
		t.Skip("docs/types.md not found")
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	examples := normalize(string(src))
	blocks := 0
	for _, part := range strings.Split(string(doc), "```go\n")[1:] {
		block, _, ok := strings.Cut(part, "```")
		if !ok {
			t.Fatal("unterminated code block")
		}
		blocks++
		if !strings.Contains(examples, normalize(block)) {
			t.Errorf("docs/types.md block is not in example_test.go:\n%s", block)
		}
	}
	if blocks == 0 {
		t.Error("no go blocks found")
	}
}

func normalize(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return "\n" + strings.Join(out, "\n") + "\n"
}
