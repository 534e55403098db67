package nodeipam_test

import (
	"fmt"
	"net/netip"

	"github.com/coxswain/coxswain/reconcile/controllers/nodeipam"
)

// A /22 cluster CIDR holds four /24 node CIDRs; a released one is handed
// out again first.
func ExampleCIDRSet() {
	s, err := nodeipam.NewCIDRSet(netip.MustParsePrefix("10.244.0.0/22"), 24)
	if err != nil {
		panic(err)
	}
	a, _ := s.Allocate()
	b, _ := s.Allocate()
	fmt.Println(a, b)
	_ = s.Release(a)
	c, _ := s.Allocate()
	fmt.Println(c, s.Used(), "of", s.Size())
	// Output:
	// 10.244.0.0/24 10.244.1.0/24
	// 10.244.0.0/24 2 of 4
}
