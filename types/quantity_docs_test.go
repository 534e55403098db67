package types_test

import (
	"testing"

	"github.com/coxswain/coxswain/internal/doctest"
)

// TestQuantityDocsExamples checks that every Go block of quantity.md is compiled and
// run as an Example.
func TestQuantityDocsExamples(t *testing.T) {
	doctest.Check(t, "../docs/quantity.md", 1, "example_quantity_test.go")
}
