package sim_test

import (
	"testing"

	"github.com/coxswain/coxswain/internal/doctest"
)

// TestDocsExamplesCompile checks that the Go block of sim.md is the body of
// an Example, compiled and run.
func TestDocsExamplesCompile(t *testing.T) {
	doctest.Check(t, "../docs/sim.md", 1, "example_test.go")
}
