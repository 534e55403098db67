package dns

import (
	"context"
	"net"
	"net/netip"
	"sort"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
	"go.uber.org/goleak"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/types"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve runs s on loopback UDP and TCP and returns its address.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Serve(ctx, pc, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return pc.LocalAddr().String()
}

// upstream is a fake resolver answering example.com with 192.0.2.1.
func upstream(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	h := mdns.HandlerFunc(func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := new(mdns.Msg)
		m.SetReply(r)
		if strings.EqualFold(r.Question[0].Name, "example.com.") {
			rr, _ := mdns.NewRR("example.com. 60 IN A 192.0.2.1")
			m.Answer = append(m.Answer, rr)
		} else {
			m.Rcode = mdns.RcodeNameError
		}
		w.WriteMsg(m)
	})
	var servers []*mdns.Server
	for _, srv := range []*mdns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		servers = append(servers, srv)
	}
	t.Cleanup(func() {
		for _, s := range servers {
			s.Shutdown()
		}
	})
	return pc.LocalAddr().String()
}

func model() ([]netproxy.Service, []netproxy.Endpoints) {
	ip := netip.MustParseAddr
	svcs := []netproxy.Service{
		{Key: netproxy.Key{Namespace: "default", Name: "web"}, Type: types.ServiceTypeClusterIP,
			ClusterIPs: []netip.Addr{ip("10.96.0.10")},
			Ports:      []netproxy.Port{{Name: "http", Protocol: netproxy.TCP, Port: 80}}},
		{Key: netproxy.Key{Namespace: "db", Name: "pg"}, Headless: true,
			Ports: []netproxy.Port{{Name: "sql", Protocol: netproxy.TCP, Port: 5432}}},
	}
	eps := []netproxy.Endpoints{
		{Key: netproxy.Key{Namespace: "db", Name: "pg"}, Endpoints: []netproxy.Endpoint{
			{IP: ip("10.1.0.1"), Ready: true, Hostname: "pg-0", Ports: []netproxy.EndpointPort{{Name: "sql", Protocol: netproxy.TCP, Port: 5432}}},
			{IP: ip("10.1.0.2"), Ready: true, Hostname: "pg-1", Ports: []netproxy.EndpointPort{{Name: "sql", Protocol: netproxy.TCP, Port: 5432}}},
			{IP: ip("10.1.0.3"), Ready: false, Hostname: "pg-2", Ports: []netproxy.EndpointPort{{Name: "sql", Protocol: netproxy.TCP, Port: 5432}}},
		}},
	}
	return svcs, eps
}

func query(t *testing.T, addr, netw, name string, qtype uint16) *mdns.Msg {
	t.Helper()
	m := new(mdns.Msg)
	m.SetQuestion(name, qtype)
	c := &mdns.Client{Net: netw}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", name, mdns.TypeToString[qtype], netw, err)
	}
	return r
}

// values renders the answers' data, sorted.
func values(m *mdns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		switch rr := rr.(type) {
		case *mdns.A:
			out = append(out, rr.A.String())
		case *mdns.AAAA:
			out = append(out, rr.AAAA.String())
		case *mdns.SRV:
			out = append(out, rr.Target+":"+itoa(rr.Port))
		}
	}
	sort.Strings(out)
	return out
}

func itoa(p uint16) string {
	return netip.AddrPortFrom(netip.IPv4Unspecified(), p).String()[len("0.0.0.0:"):]
}

func TestNames(t *testing.T) {
	s, err := New(Config{Upstreams: []string{upstream(t)}})
	if err != nil {
		t.Fatal(err)
	}
	svcs, eps := model()
	if err := s.Sync(context.Background(), svcs, eps); err != nil {
		t.Fatal(err)
	}
	addr := serve(t, s)
	for _, c := range []struct {
		name  string
		qtype uint16
		rcode int
		want  string
	}{
		{"web.default.svc.cluster.local.", mdns.TypeA, mdns.RcodeSuccess, "10.96.0.10"},
		{"WEB.Default.svc.cluster.local.", mdns.TypeA, mdns.RcodeSuccess, "10.96.0.10"},
		{"web.default.svc.cluster.local.", mdns.TypeAAAA, mdns.RcodeSuccess, ""},
		{"pg.db.svc.cluster.local.", mdns.TypeA, mdns.RcodeSuccess, "10.1.0.1,10.1.0.2"},
		{"pg-1.pg.db.svc.cluster.local.", mdns.TypeA, mdns.RcodeSuccess, "10.1.0.2"},
		{"_http._tcp.web.default.svc.cluster.local.", mdns.TypeSRV, mdns.RcodeSuccess, "web.default.svc.cluster.local.:80"},
		{"_sql._tcp.pg.db.svc.cluster.local.", mdns.TypeSRV, mdns.RcodeSuccess, "pg-0.pg.db.svc.cluster.local.:5432,pg-1.pg.db.svc.cluster.local.:5432"},
		{"10-1-2-3.default.pod.cluster.local.", mdns.TypeA, mdns.RcodeSuccess, "10.1.2.3"},
		{"nope.default.svc.cluster.local.", mdns.TypeA, mdns.RcodeNameError, ""},
		{"pg-2.pg.db.svc.cluster.local.", mdns.TypeA, mdns.RcodeNameError, ""},
		{"default.svc.cluster.local.", mdns.TypeA, mdns.RcodeSuccess, ""},
		{"example.com.", mdns.TypeA, mdns.RcodeSuccess, "192.0.2.1"},
		{"missing.example.", mdns.TypeA, mdns.RcodeNameError, ""},
	} {
		for _, netw := range []string{"udp", "tcp"} {
			t.Run(netw+"/"+c.name+"/"+mdns.TypeToString[c.qtype], func(t *testing.T) {
				r := query(t, addr, netw, c.name, c.qtype)
				if r.Rcode != c.rcode {
					t.Fatalf("rcode %s, want %s", mdns.RcodeToString[r.Rcode], mdns.RcodeToString[c.rcode])
				}
				if got := strings.Join(values(r), ","); got != c.want {
					t.Errorf("answer %q, want %q", got, c.want)
				}
			})
		}
	}
}

func TestSyncReplaces(t *testing.T) {
	s, err := New(Config{Upstreams: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, s)
	svcs, eps := model()
	s.Sync(context.Background(), svcs, eps)
	if r := query(t, addr, "udp", "web.default.svc.cluster.local.", mdns.TypeA); len(r.Answer) != 1 {
		t.Fatalf("before: %v", r)
	}
	s.Sync(context.Background(), svcs[1:], eps)
	if r := query(t, addr, "udp", "web.default.svc.cluster.local.", mdns.TypeA); r.Rcode != mdns.RcodeNameError {
		t.Errorf("deleted service still answers: %v", r)
	}
	if r := query(t, addr, "udp", "example.com.", mdns.TypeA); r.Rcode != mdns.RcodeRefused {
		t.Errorf("with no upstreams: rcode %s, want REFUSED", mdns.RcodeToString[r.Rcode])
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"domain", Config{Domain: "bad domain..x"}, false},
		{"upstream", Config{Upstreams: []string{"1.2.3.4"}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.cfg.Validate(); (err == nil) != c.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, c.ok)
			}
		})
	}
}

func FuzzPodAddr(f *testing.F) {
	for _, s := range []string{"10-1-2-3.default.pod.cluster.local.", "a-b-c-d.x.pod.cluster.local.", "0-0-0-0-0-0-0-1.ns.pod.cluster.local.", "x.pod.cluster.local."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		a, ok := podAddr(name, "cluster.local.")
		if ok && !a.IsValid() {
			t.Fatalf("ok with an invalid address for %q", name)
		}
	})
}

// FuzzAnswer feeds arbitrary DNS messages to the cluster-name answerer.
func FuzzAnswer(f *testing.F) {
	for _, q := range []string{"web.default.svc.cluster.local.", "_sql._tcp.pg.db.svc.cluster.local.", "1-2-3-4.a.pod.cluster.local."} {
		m := new(mdns.Msg)
		m.SetQuestion(q, mdns.TypeA)
		b, _ := m.Pack()
		f.Add(b)
	}
	s, err := New(Config{Upstreams: []string{}})
	if err != nil {
		f.Fatal(err)
	}
	svcs, eps := model()
	s.Sync(context.Background(), svcs, eps)
	f.Fuzz(func(t *testing.T, b []byte) {
		m := new(mdns.Msg)
		if m.Unpack(b) != nil || len(m.Question) != 1 {
			return
		}
		q := m.Question[0]
		r := s.answer(m, strings.ToLower(q.Name), q.Qtype)
		if _, err := r.Pack(); err != nil {
			t.Fatalf("answer does not pack: %v", err)
		}
	})
}
