package controllers_test

import (
	"testing"

	"github.com/coxswain/coxswain/internal/doctest"
)

// TestDocsExamples checks that every Go block of docs/controllers.md is
// compiled and run as an Example of one of the controllers' packages.
func TestDocsExamples(t *testing.T) {
	doctest.Check(t, "../../docs/controllers.md", 2, "example_test.go", "*/example_test.go", "cronjob/schedule_test.go")
}
