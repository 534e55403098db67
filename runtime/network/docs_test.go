package network_test

import (
	"testing"

	"github.com/coxswain/coxswain/internal/doctest"
)

// TestDocsExamplesCompile checks that every Go block of networking.md is
// compiled and run as an Example.
func TestDocsExamplesCompile(t *testing.T) {
	doctest.Check(t, "../../docs/networking.md", 1, "example_test.go")
}
