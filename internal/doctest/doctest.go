// Package doctest checks that the Go code in the guides under docs/ is code
// that compiles and runs: every ```go block of a guide must be the body of
// an Example (or other test code) in the package's test files, compared with
// white space folded, so the Example's // Output: verifies what the guide
// shows.
package doctest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Check fails t unless doc (a Markdown file) has at least minBlocks ```go
// blocks and each is found in the files matched by the glob patterns
// sources. A missing doc skips the test (a package vendored without docs/).
func Check(t testing.TB, doc string, minBlocks int, sources ...string) {
	t.Helper()
	text, err := os.ReadFile(doc)
	if err != nil {
		t.Skipf("%s not found: %v", doc, err)
	}
	var src strings.Builder
	for _, pattern := range sources {
		files, err := filepath.Glob(pattern)
		if err != nil || len(files) == 0 {
			t.Fatalf("no test file matches %q", pattern)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
			src.WriteByte('\n')
		}
	}
	code := fold(src.String())
	name := filepath.Base(doc)
	parts := strings.Split(string(text), "```go\n")[1:]
	if len(parts) < minBlocks {
		t.Fatalf("%s has %d Go blocks, want at least %d", name, len(parts), minBlocks)
	}
	for _, p := range parts {
		block, _, ok := strings.Cut(p, "```")
		if !ok {
			t.Fatalf("%s has an unterminated Go block", name)
		}
		if !strings.Contains(code, fold(block)) {
			t.Errorf("%s block is not in the package's examples:\n%s", name, block)
		}
	}
}

// fold collapses every run of white space to one space.
func fold(s string) string { return strings.Join(strings.Fields(s), " ") }
