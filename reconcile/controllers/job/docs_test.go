package job

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsExamples checks that every ```go block of docs/controllers-2.md is
// part of an Example of one of its packages, so the guide's code compiles
// and its output is checked.
func TestDocsExamples(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/controllers-2.md")
	if err != nil {
		t.Skip("docs/controllers-2.md not found")
	}
	var src strings.Builder
	for _, pat := range []string{"../*/example_test.go", "../cronjob/schedule_test.go"} {
		files, _ := filepath.Glob(pat)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
		}
	}
	norm := func(s string) string {
		var out []string
		for l := range strings.SplitSeq(s, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	all := norm(src.String())
	parts := strings.Split(string(doc), "```go\n")
	if len(parts) < 2 {
		t.Fatal("no go blocks in docs/controllers-2.md")
	}
	for _, p := range parts[1:] {
		block, _, _ := strings.Cut(p, "```")
		if !strings.Contains(all, norm(block)) {
			t.Errorf("docs/controllers-2.md block is not in an example:\n%s", block)
		}
	}
}
