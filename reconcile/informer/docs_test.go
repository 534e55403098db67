package informer

import (
	"testing"

	"github.com/coxswain/coxswain/internal/doctest"
)

// TestDocsExamplesCompile checks that every Go block of reconcile.md is compiled and
// run as an Example.
func TestDocsExamplesCompile(t *testing.T) {
	doctest.Check(t, "../../docs/reconcile.md", 3, "../example_test.go", "example_test.go", "../leader/example_test.go")
}
