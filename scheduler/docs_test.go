package scheduler_test

import (
	"testing"

	"github.com/coxswain/coxswain/internal/doctest"
)

// TestDocsExamplesCompile checks that every Go block of scheduler.md is compiled and
// run as an Example.
func TestDocsExamplesCompile(t *testing.T) {
	doctest.Check(t, "../docs/scheduler.md", 3, "example_test.go", "example_plugin_test.go", "scheduler_test.go")
}
