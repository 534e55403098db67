package netproxy_test

import (
	"testing"

	"github.com/coxswain/coxswain/internal/doctest"
)

// TestDocsExamples checks that every Go block of netproxy.md is compiled and
// run as an Example.
func TestDocsExamples(t *testing.T) {
	doctest.Check(t, "../docs/netproxy.md", 1, "example_test.go", "userspace/example_test.go", "alloc/example_test.go", "dns/example_test.go", "syncer/example_test.go")
}
