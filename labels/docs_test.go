package labels

import (
	"testing"

	"github.com/coxswain/coxswain/internal/doctest"
)

// TestDocsExamplesCompile checks that every Go block of labels.md is compiled and
// run as an Example.
func TestDocsExamplesCompile(t *testing.T) {
	doctest.Check(t, "../docs/labels.md", 3, "example_test.go")
}
