package alloc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/netproxy/alloc"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open("", store.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newAlloc(t *testing.T, st store.Store, cfg alloc.Config) *alloc.Allocator {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quiet()
	}
	a, err := alloc.New(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func service(name string, typ types.ServiceType, nodePorts ...int32) *types.Service {
	s := &types.Service{Spec: types.ServiceSpec{Type: typ}}
	s.Namespace, s.Name = "default", name
	if len(nodePorts) == 0 {
		nodePorts = []int32{0}
	}
	for i, np := range nodePorts {
		s.Spec.Ports = append(s.Spec.Ports, types.ServicePort{Name: fmt.Sprintf("p%d", i), Port: int32(80 + i), Protocol: types.ProtocolTCP, NodePort: np})
	}
	return s
}

func TestCreateAllocates(t *testing.T) {
	ctx := context.Background()
	a := newAlloc(t, openStore(t), alloc.Config{})
	s := service("web", types.ServiceTypeNodePort, 0, 0)
	if err := a.Admit(ctx, alloc.Create, s, nil); err != nil {
		t.Fatal(err)
	}
	ip := netip.MustParseAddr(s.Spec.ClusterIP)
	if !netip.MustParsePrefix("10.96.0.0/12").Contains(ip) || ip == a.KubernetesIP() || s.Spec.ClusterIPs[0] != s.Spec.ClusterIP {
		t.Errorf("cluster IP %v (ips %v) not a usable address of 10.96.0.0/12", ip, s.Spec.ClusterIPs)
	}
	for i, p := range s.Spec.Ports {
		if p.NodePort < 30000 || p.NodePort > 32767 {
			t.Errorf("ports[%d].nodePort = %d, not in 30000-32767", i, p.NodePort)
		}
	}
	if s.Spec.Ports[0].NodePort == s.Spec.Ports[1].NodePort {
		t.Errorf("two ports got the same node port %d", s.Spec.Ports[0].NodePort)
	}
}

func TestKubernetesIPReserved(t *testing.T) {
	ctx := context.Background()
	a := newAlloc(t, openStore(t), alloc.Config{})
	s := service("other", types.ServiceTypeClusterIP)
	s.Spec.ClusterIP = "10.96.0.1"
	if err := a.Admit(ctx, alloc.Create, s, nil); !errors.Is(err, alloc.ErrAllocated) {
		t.Errorf("another service asking for 10.96.0.1: %v, want ErrAllocated", err)
	}
	k := service("kubernetes", types.ServiceTypeClusterIP)
	k.Spec.ClusterIP = "10.96.0.1"
	if err := a.Admit(ctx, alloc.Create, k, nil); err != nil {
		t.Errorf("default/kubernetes asking for 10.96.0.1: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	a := newAlloc(t, openStore(t), alloc.Config{})
	first := service("first", types.ServiceTypeNodePort, 30080)
	first.Spec.ClusterIP = "10.96.5.5"
	if err := a.Admit(ctx, alloc.Create, first, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		svc  func() *types.Service
		is   error
		msg  string
	}{
		{"node port out of range", func() *types.Service { return service("a", types.ServiceTypeNodePort, 8888) }, alloc.ErrOutOfRange,
			"spec.ports[0].nodePort: Invalid value: 8888: provided port is not in the valid range. The range of valid ports is 30000-32767"},
		{"node port taken", func() *types.Service { return service("b", types.ServiceTypeNodePort, 30080) }, alloc.ErrAllocated,
			"spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"},
		{"cluster IP taken", func() *types.Service {
			s := service("c", types.ServiceTypeClusterIP)
			s.Spec.ClusterIP = "10.96.5.5"
			return s
		}, alloc.ErrAllocated, `spec.clusterIPs[0]: Invalid value: "10.96.5.5": failed to allocate IP 10.96.5.5: provided IP is already allocated`},
		{"cluster IP out of range", func() *types.Service {
			s := service("d", types.ServiceTypeClusterIP)
			s.Spec.ClusterIP = "192.168.0.1"
			return s
		}, alloc.ErrOutOfRange, `spec.clusterIPs[0]: Invalid value: "192.168.0.1": failed to allocate IP 192.168.0.1: the provided IP (192.168.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := a.Admit(ctx, alloc.Create, c.svc(), nil)
			if !errors.Is(err, c.is) {
				t.Fatalf("err = %v, want %v", err, c.is)
			}
			if err.Error() != c.msg {
				t.Errorf("message\n got %s\nwant %s", err, c.msg)
			}
		})
	}
}

func TestRefusalReleasesPartial(t *testing.T) {
	ctx := context.Background()
	a := newAlloc(t, openStore(t), alloc.Config{})
	// Port 0 is allocated, then port 1 is refused: the cluster IP and the
	// first node port must be free again.
	s := service("web", types.ServiceTypeNodePort, 30001, 99)
	s.Spec.ClusterIP = "10.96.7.7"
	if err := a.Admit(ctx, alloc.Create, s, nil); !errors.Is(err, alloc.ErrOutOfRange) {
		t.Fatalf("err = %v", err)
	}
	o := service("other", types.ServiceTypeNodePort, 30001)
	o.Spec.ClusterIP = "10.96.7.7"
	if err := a.Admit(ctx, alloc.Create, o, nil); err != nil {
		t.Errorf("the refused create kept its reservations: %v", err)
	}
}

func TestDeleteFrees(t *testing.T) {
	ctx := context.Background()
	a := newAlloc(t, openStore(t), alloc.Config{})
	s := service("web", types.ServiceTypeNodePort, 30500)
	s.Spec.ClusterIP = "10.96.9.9"
	if err := a.Admit(ctx, alloc.Create, s, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Admit(ctx, alloc.Delete, nil, s); err != nil {
		t.Fatal(err)
	}
	o := service("other", types.ServiceTypeNodePort, 30500)
	o.Spec.ClusterIP = "10.96.9.9"
	if err := a.Admit(ctx, alloc.Create, o, nil); err != nil {
		t.Errorf("after delete the address and port are still held: %v", err)
	}
}

func TestUpdateKeepsAndFrees(t *testing.T) {
	ctx := context.Background()
	a := newAlloc(t, openStore(t), alloc.Config{})
	old := service("web", types.ServiceTypeNodePort, 0)
	if err := a.Admit(ctx, alloc.Create, old, nil); err != nil {
		t.Fatal(err)
	}
	// An update that omits the cluster IP and node port keeps them.
	upd := service("web", types.ServiceTypeNodePort, 0)
	if err := a.Admit(ctx, alloc.Update, upd, old); err != nil {
		t.Fatal(err)
	}
	if upd.Spec.ClusterIP != old.Spec.ClusterIP || upd.Spec.Ports[0].NodePort != old.Spec.Ports[0].NodePort {
		t.Errorf("update changed allocation: %s/%d -> %s/%d", old.Spec.ClusterIP, old.Spec.Ports[0].NodePort, upd.Spec.ClusterIP, upd.Spec.Ports[0].NodePort)
	}
	// Changing the cluster IP is refused.
	bad := upd.DeepCopyObject().(*types.Service)
	bad.Spec.ClusterIP, bad.Spec.ClusterIPs = "10.96.0.77", nil
	if err := a.Admit(ctx, alloc.Update, bad, upd); !errors.Is(err, alloc.ErrImmutable) {
		t.Errorf("changing the cluster IP: %v, want ErrImmutable", err)
	}
	// Turning it into a ClusterIP service frees the node port.
	cip := upd.DeepCopyObject().(*types.Service)
	cip.Spec.Type = types.ServiceTypeClusterIP
	cip.Spec.Ports[0].NodePort = 0
	if err := a.Admit(ctx, alloc.Update, cip, upd); err != nil {
		t.Fatal(err)
	}
	o := service("other", types.ServiceTypeNodePort, upd.Spec.Ports[0].NodePort)
	if err := a.Admit(ctx, alloc.Create, o, nil); err != nil {
		t.Errorf("node port not freed by the type change: %v", err)
	}
}

func TestLoadBalancerPool(t *testing.T) {
	ctx := context.Background()
	a := newAlloc(t, openStore(t), alloc.Config{LoadBalancerPool: netip.MustParsePrefix("192.0.2.0/30")})
	var got []string
	for i := range 2 {
		s := service(fmt.Sprintf("lb%d", i), types.ServiceTypeLoadBalancer)
		if err := a.Admit(ctx, alloc.Create, s, nil); err != nil {
			t.Fatal(err)
		}
		if len(s.Status.LoadBalancer.Ingress) != 1 || s.Spec.Ports[0].NodePort == 0 {
			t.Fatalf("load balancer %d: ingress %v nodePort %d", i, s.Status.LoadBalancer.Ingress, s.Spec.Ports[0].NodePort)
		}
		got = append(got, s.Status.LoadBalancer.Ingress[0].IP)
	}
	if got[0] == got[1] {
		t.Errorf("two load balancers share %s", got[0])
	}
	s := service("lb3", types.ServiceTypeLoadBalancer)
	if err := a.Admit(ctx, alloc.Create, s, nil); !errors.Is(err, alloc.ErrFull) {
		t.Errorf("third load balancer in a /30: %v, want ErrFull", err)
	}
}

func TestRangeFull(t *testing.T) {
	ctx := context.Background()
	a := newAlloc(t, openStore(t), alloc.Config{ServiceCIDR: netip.MustParsePrefix("10.0.0.0/29"), NodePortMin: 30000, NodePortMax: 30003})
	// A /29 has 6 usable addresses, one of them the kubernetes service's.
	seen := map[string]bool{}
	for i := range 5 {
		s := service(fmt.Sprintf("s%d", i), types.ServiceTypeClusterIP)
		if err := a.Admit(ctx, alloc.Create, s, nil); err != nil {
			t.Fatalf("service %d: %v", i, err)
		}
		if seen[s.Spec.ClusterIP] {
			t.Fatalf("%s handed out twice", s.Spec.ClusterIP)
		}
		seen[s.Spec.ClusterIP] = true
	}
	if err := a.Admit(ctx, alloc.Create, service("s5", types.ServiceTypeClusterIP), nil); !errors.Is(err, alloc.ErrFull) {
		t.Errorf("sixth service: %v, want ErrFull", err)
	}
}

func TestRepair(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	clk := clock.NewFake(time.Now())
	a := newAlloc(t, db, alloc.Config{Clock: clk, LeakGrace: time.Minute})
	// A service written to the store directly, without an IP.
	s := service("direct", types.ServiceTypeNodePort)
	if _, err := db.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	// A leaked reservation: admitted, then the create never happened.
	leak := service("leak", types.ServiceTypeClusterIP)
	leak.Spec.ClusterIP = "10.96.3.3"
	if err := a.Admit(ctx, alloc.Create, leak, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Repair(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := db.Get(ctx, "Service", "default", "direct")
	if err != nil {
		t.Fatal(err)
	}
	gs := got.(*types.Service)
	if gs.Spec.ClusterIP == "" || gs.Spec.Ports[0].NodePort == 0 {
		t.Errorf("repair did not allocate for a stored service: %+v", gs.Spec)
	}
	// Young leaks are kept; old ones freed.
	other := service("other", types.ServiceTypeClusterIP)
	other.Spec.ClusterIP = "10.96.3.3"
	if err := a.Admit(ctx, alloc.Create, other, nil); !errors.Is(err, alloc.ErrAllocated) {
		t.Fatalf("young reservation already freed: %v", err)
	}
	clk.Advance(2 * time.Minute)
	if err := a.Repair(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Admit(ctx, alloc.Create, other, nil); err != nil {
		t.Errorf("leaked reservation not freed after the grace period: %v", err)
	}
	// The stored service's allocations survived the leak collection.
	dup := service("dup", types.ServiceTypeClusterIP)
	dup.Spec.ClusterIP = gs.Spec.ClusterIP
	if err := a.Admit(ctx, alloc.Create, dup, nil); !errors.Is(err, alloc.ErrAllocated) {
		t.Errorf("repair freed a live service's address: %v", err)
	}
}

// Three API servers, each with its own Allocator on its own member of a
// three-member store, create services at once: no address or port is
// handed out twice.
func TestConcurrentAcrossMembers(t *testing.T) {
	if testing.Short() {
		t.Skip("three-member store")
	}
	ctx := context.Background()
	dbs := threeMembers(t)
	cfg := alloc.Config{ServiceCIDR: netip.MustParsePrefix("10.0.0.0/26"), NodePortMin: 30000, NodePortMax: 30039}
	var mu sync.Mutex
	ips := map[string]string{}
	ports := map[int32]string{}
	var full, unknown int
	var wg sync.WaitGroup
	for m, db := range dbs {
		a := newAlloc(t, db, cfg)
		for w := range 3 {
			wg.Go(func() {
				for i := range 8 {
					name := fmt.Sprintf("m%d-w%d-%d", m, w, i)
					s := service(name, types.ServiceTypeNodePort)
					err := a.Admit(ctx, alloc.Create, s, nil)
					mu.Lock()
					switch {
					case errors.Is(err, alloc.ErrFull):
						full++
					case store.IsTimeout(err) || store.IsNotLeader(err):
						unknown++ // a leader change under load: allowed, not a duplicate
					case err != nil:
						t.Errorf("%s: %v", name, err)
					default:
						if o, ok := ips[s.Spec.ClusterIP]; ok {
							t.Errorf("%s handed to %s and %s", s.Spec.ClusterIP, o, name)
						}
						ips[s.Spec.ClusterIP] = name
						np := s.Spec.Ports[0].NodePort
						if o, ok := ports[np]; ok {
							t.Errorf("node port %d handed to %s and %s", np, o, name)
						}
						ports[np] = name
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	// 72 creates for 40 node ports: at most 40 succeed, the rest are
	// refused as full (or, rarely, hit a leader change).
	if len(ports) > 40 || len(ports)+full+unknown != 72 || unknown > 20 {
		t.Errorf("%d services got node ports, %d were refused as full, %d hit leader changes; want 40 + 32 + 0", len(ports), full, unknown)
	}
}

func threeMembers(t *testing.T) []*store.DB {
	t.Helper()
	var lns []net.Listener
	var members []store.Member
	for i := range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		members = append(members, store.Member{ID: fmt.Sprintf("m%d", i), Addr: ln.Addr().String()})
	}
	dbs := make([]*store.DB, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			dbs[i], errs[i] = store.Open(t.TempDir(), store.Config{
				ID: members[i].ID, Addr: members[i].Addr, Members: members, Listener: lns[i], NoSync: true,
				// Generous timeouts: the test is about uniqueness, not elections.
				HeartbeatTimeout: 3 * time.Second, ElectionTimeout: 3 * time.Second,
				LeaderLeaseTimeout: 2 * time.Second, ForwardTimeout: 10 * time.Second,
				Logger: quiet(),
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
	}
	t.Cleanup(func() {
		for _, db := range dbs {
			db.Close()
		}
	})
	// Wait for a leader: a write succeeds.
	deadline := time.Now().Add(15 * time.Second)
	for {
		cm := &types.ConfigMap{}
		cm.Namespace, cm.Name = "default", "probe"
		_, err := dbs[0].Create(context.Background(), cm)
		if err == nil || store.IsAlreadyExists(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no leader: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return dbs
}
