package netproxy_test

import (
	"os"
	"strings"
	"testing"
)

// TestDocsExamples checks that every ```go block of docs/netproxy.md is
// the body of an Example of the netproxy packages, so the guide's code
// compiles and its output is checked.
func TestDocsExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/netproxy.md")
	if err != nil {
		t.Skip("docs/netproxy.md not found")
	}
	var src strings.Builder
	for _, f := range []string{"example_test.go", "userspace/example_test.go", "alloc/example_test.go", "dns/example_test.go", "syncer/example_test.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	examples := normalize(src.String())
	blocks := 0
	for _, part := range strings.Split(string(doc), "```go\n")[1:] {
		block, _, ok := strings.Cut(part, "```")
		if !ok {
			t.Fatal("unterminated code block")
		}
		blocks++
		if !strings.Contains(examples, normalize(block)) {
			t.Errorf("docs/netproxy.md block is not in an example_test.go:\n%s", block)
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
