package types_test

import (
	"os"
	"strings"
	"testing"
)

// TestQuantityDocsExamples checks that every ```go block of docs/quantity.md
// is the body of an Example in example_quantity_test.go, so the guide's
// code compiles and its output is checked.
func TestQuantityDocsExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/quantity.md")
	if err != nil {
		t.Skip("docs/quantity.md not found")
	}
	src, err := os.ReadFile("example_quantity_test.go")
	if err != nil {
		t.Fatal(err)
	}
	examples := quantityDocLines(string(src))
	blocks := 0
	for _, part := range strings.Split(string(doc), "```go\n")[1:] {
		block, _, ok := strings.Cut(part, "```")
		if !ok {
			t.Fatal("unterminated code block")
		}
		blocks++
		if !strings.Contains(examples, quantityDocLines(block)) {
			t.Errorf("docs/quantity.md block is not in example_quantity_test.go:\n%s", block)
		}
	}
	if blocks == 0 {
		t.Error("no go blocks found")
	}
}

func quantityDocLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return "\n" + strings.Join(out, "\n") + "\n"
}
