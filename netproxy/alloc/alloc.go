package alloc

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// LabelAllocation labels every reservation object with what it holds:
// clusterip, nodeport or lbip.
const LabelAllocation = "coxswain.io/allocation"

// Reservation kinds, the values of LabelAllocation.
const (
	KindClusterIP = "clusterip"
	KindNodePort  = "nodeport"
	KindLBIP      = "lbip"
)

// ownerKey is the data key of a reservation naming its Service.
const ownerKey = "service"

// Allocator allocates from the ranges of its Config, keeping reservations
// in a store. Build it with New.
type Allocator struct {
	st  store.Store
	cfg Config

	mu  sync.Mutex // protects rng
	rng *rand.Rand
}

// New returns an Allocator over st.
func New(st store.Store, cfg Config) (*Allocator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Allocator{st: st, cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}, nil
}

// KubernetesIP is the cluster IP only default/kubernetes may have: the
// first usable address of the service range.
func (a *Allocator) KubernetesIP() netip.Addr { return offsetAddr(a.cfg.ServiceCIDR, 1) }

// span is a range of values: an IP prefix or a port range.
type span struct {
	kind  string
	first uint64 // first offset handed out at random
	size  uint64 // number of offsets from first
	value func(off uint64) string
}

func (a *Allocator) ipSpan(kind string, p netip.Prefix, skipFirst bool) span {
	host := p.Addr().BitLen() - p.Bits()
	size := uint64(1) << min(host, 32)
	first := uint64(1) // skip the network address
	if skipFirst {
		first = 2 // and the kubernetes service's
	}
	last := size - 1
	if p.Addr().Is4() {
		last-- // and the broadcast address
	}
	if p.Bits() >= p.Addr().BitLen()-1 {
		first, last = 0, size-1
	}
	return span{kind: kind, first: first, size: last - first + 1, value: func(off uint64) string { return offsetAddr(p, off).String() }}
}

func (a *Allocator) portSpan() span {
	return span{kind: KindNodePort, first: uint64(a.cfg.NodePortMin), size: uint64(a.cfg.NodePortMax-a.cfg.NodePortMin) + 1,
		value: func(off uint64) string { return strconv.FormatUint(off, 10) }}
}

func offsetAddr(p netip.Prefix, off uint64) netip.Addr {
	b := p.Masked().Addr().As16()
	lo := binary.BigEndian.Uint64(b[8:]) + off
	binary.BigEndian.PutUint64(b[8:], lo)
	a := netip.AddrFrom16(b)
	if p.Addr().Is4() {
		return a.Unmap()
	}
	return a
}

// objectName is the reservation's name for kind and value.
func objectName(kind, value string) string {
	return kind + "." + strings.ReplaceAll(value, ":", "-")
}

func owner(s *types.Service) string { return s.Namespace + "/" + s.Name }

// reserve takes value for owner. It succeeds when owner already holds it,
// and fails with ErrAllocated when someone else does.
func (a *Allocator) reserve(ctx context.Context, kind, value, who string) error {
	cm := &types.ConfigMap{Data: map[string]string{ownerKey: who, "value": value}}
	cm.Namespace, cm.Name = a.cfg.Namespace, objectName(kind, value)
	cm.Labels = map[string]string{LabelAllocation: kind}
	_, err := a.st.Create(ctx, cm)
	if err == nil {
		return nil
	}
	if !store.IsAlreadyExists(err) {
		return fmt.Errorf("alloc: reserve %s %s: %w", kind, value, err)
	}
	got, gerr := a.st.Get(ctx, "ConfigMap", a.cfg.Namespace, cm.Name)
	if gerr != nil {
		if store.IsNotFound(gerr) { // freed meanwhile: try once more
			if _, err := a.st.Create(ctx, cm); err == nil {
				return nil
			}
		}
		return ErrAllocated
	}
	if got.(*types.ConfigMap).Data[ownerKey] == who {
		return nil
	}
	return ErrAllocated
}

// release frees value if owner holds it.
func (a *Allocator) release(ctx context.Context, kind, value, who string) error {
	name := objectName(kind, value)
	got, err := a.st.Get(ctx, "ConfigMap", a.cfg.Namespace, name)
	if err != nil {
		if store.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("alloc: release %s %s: %w", kind, value, err)
	}
	if got.(*types.ConfigMap).Data[ownerKey] != who {
		return nil
	}
	m := got.GetObjectMeta()
	err = a.st.Delete(ctx, "ConfigMap", a.cfg.Namespace, name, store.Preconditions(m.UID, m.ResourceVersion))
	if err != nil && !store.IsNotFound(err) && !store.IsConflict(err) {
		return fmt.Errorf("alloc: release %s %s: %w", kind, value, err)
	}
	return nil
}

// allocate takes a free value of sp for owner: random probes first, then
// a scan of the free values when the range is crowded.
func (a *Allocator) allocate(ctx context.Context, sp span, who string) (string, error) {
	for range 8 {
		a.mu.Lock()
		off := sp.first + a.rng.Uint64N(sp.size)
		a.mu.Unlock()
		v := sp.value(off)
		if sp.kind == KindClusterIP && v == a.KubernetesIP().String() && who != "default/kubernetes" {
			continue
		}
		err := a.reserve(ctx, sp.kind, v, who)
		if err == nil {
			return v, nil
		}
		if err != ErrAllocated {
			return "", err
		}
	}
	// Crowded: list what is taken and try the free values in random order.
	res, err := a.st.List(ctx, "ConfigMap", store.ListOptions{Namespace: a.cfg.Namespace,
		Selector: labels.SelectorFromSet(labels.Set{LabelAllocation: sp.kind})})
	if err != nil {
		return "", fmt.Errorf("alloc: list %s reservations: %w", sp.kind, err)
	}
	taken := make(map[string]bool, len(res.Items))
	for _, o := range res.Items {
		taken[o.(*types.ConfigMap).Data["value"]] = true
	}
	if uint64(len(taken)) >= sp.size {
		return "", ErrFull
	}
	a.mu.Lock()
	start := a.rng.Uint64N(sp.size)
	a.mu.Unlock()
	for i := range min(sp.size, 1<<22) {
		v := sp.value(sp.first + (start+i)%sp.size)
		if taken[v] || (sp.kind == KindClusterIP && v == a.KubernetesIP().String() && who != "default/kubernetes") {
			continue
		}
		err := a.reserve(ctx, sp.kind, v, who)
		if err == nil {
			return v, nil
		}
		if err != ErrAllocated {
			return "", err
		}
	}
	return "", ErrFull
}
