package nodeipam_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/coxswain/coxswain/reconcile/controllers/nodeipam"
)

func newSet(t testing.TB, cluster string, mask int) *nodeipam.CIDRSet {
	t.Helper()
	s, err := nodeipam.NewCIDRSet(netip.MustParsePrefix(cluster), mask)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCIDRSetAllocatesEveryBlockOnceThenReportsExhaustion(t *testing.T) {
	s := newSet(t, "10.244.0.0/22", 24)
	var got []string
	for {
		p, err := s.Allocate()
		if errors.Is(err, nodeipam.ErrExhausted) {
			if want := "10.244.0.0/22"; !contains(err.Error(), want) {
				t.Errorf("exhaustion error %q does not name the range %s", err, want)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.String())
	}
	want := []string{"10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24", "10.244.3.0/24"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("allocated %v, want %v", got, want)
	}
	if s.Used() != s.Size() {
		t.Errorf("Used %d, Size %d after exhausting", s.Used(), s.Size())
	}
}

func TestCIDRSetReleaseMakesTheLowestBlockFreeAgain(t *testing.T) {
	s := newSet(t, "10.244.0.0/16", 24)
	for range 5 {
		if _, err := s.Allocate(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Release(netip.MustParsePrefix("10.244.1.0/24")); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(netip.MustParsePrefix("10.244.1.0/24")); err != nil {
		t.Fatalf("releasing a free block again: %v", err)
	}
	p, err := s.Allocate()
	if err != nil || p.String() != "10.244.1.0/24" {
		t.Fatalf("after release, Allocate = %v, %v; want 10.244.1.0/24", p, err)
	}
	p, _ = s.Allocate()
	if p.String() != "10.244.5.0/24" {
		t.Fatalf("next Allocate = %v, want 10.244.5.0/24", p)
	}
}

func TestCIDRSetOccupy(t *testing.T) {
	s := newSet(t, "10.244.0.0/16", 24)
	tests := []struct {
		name, cidr string
		want       error
	}{
		{"a block", "10.244.0.0/24", nil},
		{"the same block again", "10.244.0.0/24", nodeipam.ErrInUse},
		{"outside the range", "10.245.0.0/24", nodeipam.ErrNotInRange},
		{"another size", "10.244.8.0/25", nodeipam.ErrNotInRange},
		{"host bits set", "10.244.9.1/24", nodeipam.ErrNotInRange},
		{"IPv6", "fd00::/24", nodeipam.ErrNotInRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Occupy(netip.MustParsePrefix(tt.cidr))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Occupy(%s) = %v, want %v", tt.cidr, err, tt.want)
			}
			if err != nil && !contains(err.Error(), netip.MustParsePrefix(tt.cidr).String()) {
				t.Errorf("error %q does not name %s", err, tt.cidr)
			}
		})
	}
	p, _ := s.Allocate()
	if p.String() != "10.244.1.0/24" {
		t.Errorf("Allocate after occupying the first block = %v, want 10.244.1.0/24", p)
	}
}

func TestNewCIDRSetRejectsBadSizes(t *testing.T) {
	for _, tt := range []struct {
		cluster string
		mask    int
	}{
		{"10.244.0.0/16", 15}, {"10.244.0.0/16", 31}, {"0.0.0.0/4", 30}, {"fd00::/64", 80},
	} {
		if _, err := nodeipam.NewCIDRSet(netip.MustParsePrefix(tt.cluster), tt.mask); !errors.Is(err, nodeipam.ErrInvalidConfig) {
			t.Errorf("NewCIDRSet(%s, %d) = %v, want ErrInvalidConfig", tt.cluster, tt.mask, err)
		}
	}
	if _, err := nodeipam.NewCIDRSet(netip.MustParsePrefix("10.244.0.1/16"), 24); err == nil {
		t.Error("a cluster CIDR with host bits set should be rejected")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  nodeipam.Config
		want string
	}{
		{"zero", nodeipam.Config{}, ""},
		{"small nodes", nodeipam.Config{ClusterCIDR: "10.0.0.0/8", NodeMaskSize: 26}, ""},
		{"not a CIDR", nodeipam.Config{ClusterCIDR: "10.0.0.0"}, `ClusterCIDR "10.0.0.0"`},
		{"IPv6", nodeipam.Config{ClusterCIDR: "fd00::/48"}, `ClusterCIDR "fd00::/48"`},
		{"host bits", nodeipam.Config{ClusterCIDR: "10.244.1.0/16"}, "10.244.0.0/16"},
		{"mask too short", nodeipam.Config{NodeMaskSize: 8}, "NodeMaskSize 8"},
		{"mask too long", nodeipam.Config{NodeMaskSize: 31}, "NodeMaskSize 31"},
		{"too many blocks", nodeipam.Config{ClusterCIDR: "0.0.0.0/4", NodeMaskSize: 30}, "2^24"},
		{"negative workers", nodeipam.Config{Workers: -1}, "Workers -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, nodeipam.ErrInvalidConfig) || !contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want an ErrInvalidConfig naming %q", err, tt.want)
			}
		})
	}
}

func BenchmarkCIDRSetAllocate(b *testing.B) {
	// A /8 split into /24s: 65536 node CIDRs, the largest realistic cluster.
	s := newSet(b, "10.0.0.0/8", 24)
	b.ReportAllocs()
	for b.Loop() {
		p, err := s.Allocate()
		if errors.Is(err, nodeipam.ErrExhausted) {
			s = newSet(b, "10.0.0.0/8", 24)
			continue
		}
		_ = p
	}
}

func FuzzCIDRSetOccupyRelease(f *testing.F) {
	for _, s := range []string{"10.244.3.0/24", "10.244.0.0/16", "10.245.0.0/24", "10.244.1.128/25", "::/0", "0.0.0.0/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cidr string) {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return
		}
		s := newSet(t, "10.244.0.0/16", 24)
		if err := s.Occupy(p); err != nil {
			if !errors.Is(err, nodeipam.ErrNotInRange) {
				t.Fatalf("Occupy(%s) on an empty set: %v", p, err)
			}
			return
		}
		if s.Used() != 1 {
			t.Fatalf("Used %d after one Occupy", s.Used())
		}
		if err := s.Occupy(p); !errors.Is(err, nodeipam.ErrInUse) {
			t.Fatalf("second Occupy(%s) = %v, want ErrInUse", p, err)
		}
		if err := s.Release(p); err != nil || s.Used() != 0 {
			t.Fatalf("Release(%s) = %v, Used %d", p, err, s.Used())
		}
	})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
