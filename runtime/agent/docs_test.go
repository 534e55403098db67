package agent

import (
	"testing"

	"github.com/coxswain/coxswain/internal/doctest"
)

// TestDocsExamplesCompile checks that every Go block of agent.md is compiled and
// run as an Example.
func TestDocsExamplesCompile(t *testing.T) {
	doctest.Check(t, "../../docs/agent.md", 1, "example_test.go")
}
