package types_test

import (
	"testing"

	"github.com/coxswain/coxswain/internal/doctest"
)

// TestDocsExamples checks that every Go block of types.md is compiled and
// run as an Example.
func TestDocsExamples(t *testing.T) {
	doctest.Check(t, "../docs/types.md", 1, "example_test.go")
}
