package runtime_test

import (
	"testing"

	"github.com/coxswain/coxswain/internal/doctest"
)

// TestDocsExamplesCompile checks that every Go block of runtime.md is compiled and
// run as an Example.
func TestDocsExamplesCompile(t *testing.T) {
	doctest.Check(t, "../docs/runtime.md", 3, "example_test.go", "fake/example_test.go", "exec/example_test.go")
}
