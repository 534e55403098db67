package containerd

import (
	"testing"

	"github.com/coxswain/coxswain/internal/doctest"
)

// TestDocsExamplesCompile checks that every Go block of containerd.md is compiled and
// run as an Example.
func TestDocsExamplesCompile(t *testing.T) {
	doctest.Check(t, "../../docs/containerd.md", 2, "example_test.go")
}
