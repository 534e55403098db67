package doctest

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder captures failures instead of failing the real test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; panic(r) }
func (r *recorder) Helper()               {}

func run(t *testing.T, doc string, min int, srcs ...string) (failed bool) {
	r := &recorder{TB: t}
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
		failed = r.failed
	}()
	Check(r, doc, min, srcs...)
	return r.failed
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	src := write("example_test.go", "func Example() {\n\tfmt.Println(1)\n\t// Output: 1\n}\n")
	good := write("good.md", "Intro.\n\n```go\nfmt.Println(1)\n  // Output: 1\n```\n")
	bad := write("bad.md", "```go\nfmt.Println(2)\n```\n")
	cases := []struct {
		name string
		doc  string
		min  int
		want bool // failed
	}{
		{"a block that is an Example body passes, white space folded", good, 1, false},
		{"a block found in no example fails", bad, 1, true},
		{"too few blocks fails", good, 2, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := run(t, c.doc, c.min, src); got != c.want {
				t.Errorf("failed = %v, want %v", got, c.want)
			}
		})
	}
}
