package runtime_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/coxswain/coxswain/runtime"
)

func TestIPPool(t *testing.T) {
	p, err := runtime.NewIPPool("127.1.0.0/29", netip.MustParseAddr("127.1.0.3"))
	if err != nil {
		t.Fatal(err)
	}
	// A /29 has 6 host addresses (.1-.6); .3 is excluded.
	var got []string
	for range 5 {
		a, err := p.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, a.String())
	}
	want := []string{"127.1.0.1", "127.1.0.2", "127.1.0.4", "127.1.0.5", "127.1.0.6"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("allocated %v, want %v", got, want)
		}
	}
	if _, err := p.Allocate(); !errors.Is(err, runtime.ErrExhausted) {
		t.Fatalf("allocating from a full pool = %v, want ErrExhausted", err)
	}
	p.Release(netip.MustParseAddr("127.1.0.2"))
	p.Release(netip.MustParseAddr("127.1.0.5"))
	// Next-fit: after .6 comes .2 (wrapping), then .5.
	for _, w := range []string{"127.1.0.2", "127.1.0.5"} {
		if a, err := p.Allocate(); err != nil || a.String() != w {
			t.Errorf("Allocate = %v, %v; want %s", a, err, w)
		}
	}
	if err := p.Reserve(netip.MustParseAddr("127.1.0.1")); !errors.Is(err, runtime.ErrAlreadyExists) {
		t.Errorf("Reserve(in use) = %v, want ErrAlreadyExists", err)
	}
	if err := p.Reserve(netip.MustParseAddr("127.1.0.7")); !errors.Is(err, runtime.ErrInvalidConfig) {
		t.Errorf("Reserve(broadcast) = %v, want ErrInvalidConfig", err)
	}
	if p.InUse() != 5 {
		t.Errorf("InUse = %d, want 5", p.InUse())
	}
}

func TestIPPoolNeverHandsOutAnAddressTwice(t *testing.T) {
	p, err := runtime.NewIPPool("10.0.0.0/24")
	if err != nil {
		t.Fatal(err)
	}
	inUse := map[netip.Addr]bool{}
	var order []netip.Addr
	for i := range 5000 {
		if i%3 == 2 && len(order) > 0 { // release the oldest now and then
			p.Release(order[0])
			delete(inUse, order[0])
			order = order[1:]
			continue
		}
		a, err := p.Allocate()
		if errors.Is(err, runtime.ErrExhausted) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if inUse[a] {
			t.Fatalf("step %d: %s handed out twice", i, a)
		}
		inUse[a] = true
		order = append(order, a)
	}
}

func TestNewIPPoolErrors(t *testing.T) {
	for _, s := range []string{"", "127.1.0.0", "300.0.0.0/8"} {
		if _, err := runtime.NewIPPool(s); !errors.Is(err, runtime.ErrInvalidConfig) {
			t.Errorf("NewIPPool(%q) = %v, want ErrInvalidConfig", s, err)
		}
	}
	if _, err := runtime.NewIPPool("10.0.0.1/32", netip.MustParseAddr("10.0.0.1")); !errors.Is(err, runtime.ErrInvalidConfig) {
		t.Errorf("NewIPPool of a /32 whose only address is excluded = %v, want ErrInvalidConfig", err)
	}
	if _, err := runtime.NewIPPool("fd00::/120"); err != nil {
		t.Errorf("NewIPPool(IPv6) = %v", err)
	}
}
