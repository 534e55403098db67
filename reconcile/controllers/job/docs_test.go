package job

import (
	"testing"

	"github.com/coxswain/coxswain/internal/doctest"
)

// TestDocsExamples checks that every Go block of controllers-2.md is compiled and
// run as an Example.
func TestDocsExamples(t *testing.T) {
	doctest.Check(t, "../../../docs/controllers-2.md", 1, "../*/example_test.go", "../cronjob/schedule_test.go")
}
