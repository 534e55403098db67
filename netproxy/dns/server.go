package dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/coxswain/coxswain/netproxy"
)

// Config configures a Server. The zero value means the defaults given on
// each field.
type Config struct {
	// Domain is the cluster domain. Default "cluster.local".
	Domain string
	// Addr is where Run listens, on UDP and TCP. Default "127.0.0.1:53".
	Addr string
	// Upstreams are the resolvers ("host:port") names outside the cluster
	// domain are forwarded to, tried in order. Default: the nameservers
	// of /etc/resolv.conf. Set it to a non-nil empty slice to answer
	// REFUSED instead of forwarding.
	Upstreams []string
	// TTL of cluster answers. Default 5 s.
	TTL time.Duration
	// ForwardTimeout bounds one upstream exchange. Default 2 s.
	ForwardTimeout time.Duration
	// Logger receives serving errors. Default slog.Default().
	Logger *slog.Logger
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.Domain != "" {
		if _, ok := mdns.IsDomainName(c.Domain); !ok {
			return fmt.Errorf("dns: Config.Domain: %q is not a domain name", c.Domain)
		}
	}
	for i, u := range c.Upstreams {
		if _, _, err := net.SplitHostPort(u); err != nil {
			return fmt.Errorf("dns: Config.Upstreams[%d]: %q is not host:port", i, u)
		}
	}
	if c.TTL < 0 || c.ForwardTimeout < 0 {
		return fmt.Errorf("dns: Config.TTL/ForwardTimeout: negative")
	}
	return nil
}

// Server answers cluster names and forwards the rest. Build it with New.
type Server struct {
	cfg    Config
	domain string // lower case, with the trailing dot
	ttl    uint32
	tab    atomic.Pointer[table]
}

// New returns a Server with no records until the first Sync.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Domain == "" {
		cfg.Domain = "cluster.local"
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:53"
	}
	if cfg.Upstreams == nil {
		if rc, err := mdns.ClientConfigFromFile("/etc/resolv.conf"); err == nil {
			for _, s := range rc.Servers {
				cfg.Upstreams = append(cfg.Upstreams, net.JoinHostPort(s, rc.Port))
			}
		}
	}
	if cfg.TTL == 0 {
		cfg.TTL = 5 * time.Second
	}
	if cfg.ForwardTimeout == 0 {
		cfg.ForwardTimeout = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, domain: mdns.Fqdn(strings.ToLower(cfg.Domain)), ttl: uint32(cfg.TTL / time.Second)}
	s.tab.Store(build(s.domain, nil, nil))
	return s, nil
}

// Sync replaces the records with those of services and endpoints. It
// makes Server a syncer.Target.
func (s *Server) Sync(_ context.Context, services []netproxy.Service, endpoints []netproxy.Endpoints) error {
	s.tab.Store(build(s.domain, services, endpoints))
	return nil
}

// Run listens on Config.Addr (UDP and TCP) and serves until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	pc, err := net.ListenPacket("udp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("dns: listen udp %s: %w", s.cfg.Addr, err)
	}
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		return fmt.Errorf("dns: listen tcp %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, pc, ln)
}

// Serve serves on the given sockets (either may be nil) until ctx ends,
// then closes them.
func (s *Server) Serve(ctx context.Context, pc net.PacketConn, ln net.Listener) error {
	var servers []*mdns.Server
	if pc != nil {
		servers = append(servers, &mdns.Server{PacketConn: pc, Handler: mdns.HandlerFunc(s.handle)})
	}
	if ln != nil {
		servers = append(servers, &mdns.Server{Listener: ln, Handler: mdns.HandlerFunc(s.handle)})
	}
	var wg sync.WaitGroup
	errs := make([]error, len(servers))
	for i, srv := range servers {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		wg.Go(func() { errs[i] = srv.ActivateAndServe() })
		select {
		case <-started:
		case <-time.After(5 * time.Second):
		}
	}
	<-ctx.Done()
	for _, srv := range servers {
		srv.Shutdown()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
	}
	return nil
}

func (s *Server) handle(w mdns.ResponseWriter, req *mdns.Msg) {
	if len(req.Question) != 1 {
		m := new(mdns.Msg)
		m.SetRcode(req, mdns.RcodeFormatError)
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	if !mdns.IsSubDomain(s.domain, name) {
		s.forward(w, req)
		return
	}
	m := s.answer(req, name, q.Qtype)
	if _, tcp := w.RemoteAddr().(*net.TCPAddr); !tcp {
		m.Truncate(udpSize(req))
	}
	w.WriteMsg(m)
}

func udpSize(req *mdns.Msg) int {
	if o := req.IsEdns0(); o != nil {
		return int(o.UDPSize())
	}
	return mdns.MinMsgSize
}

// answer builds the reply for a cluster name.
func (s *Server) answer(req *mdns.Msg, name string, qtype uint16) *mdns.Msg {
	t := s.tab.Load()
	m := new(mdns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	hdr := func(rr uint16) mdns.RR_Header {
		return mdns.RR_Header{Name: req.Question[0].Name, Rrtype: rr, Class: mdns.ClassINET, Ttl: s.ttl}
	}
	exists := t.names[name] || name == s.domain
	addrs := t.addrs[name]
	if a, ok := podAddr(name, s.domain); ok {
		exists, addrs = true, append(addrs, a)
	}
	switch qtype {
	case mdns.TypeA, mdns.TypeAAAA, mdns.TypeANY:
		for _, a := range addrs {
			if a.Is4() && qtype != mdns.TypeAAAA {
				m.Answer = append(m.Answer, &mdns.A{Hdr: hdr(mdns.TypeA), A: a.AsSlice()})
			} else if a.Is6() && qtype != mdns.TypeA {
				m.Answer = append(m.Answer, &mdns.AAAA{Hdr: hdr(mdns.TypeAAAA), AAAA: a.AsSlice()})
			}
		}
	case mdns.TypeSRV:
		for _, r := range t.srvs[name] {
			m.Answer = append(m.Answer, &mdns.SRV{Hdr: hdr(mdns.TypeSRV), Priority: 0, Weight: 100, Port: r.port, Target: r.target})
			for _, a := range t.addrs[r.target] {
				if a.Is4() {
					m.Extra = append(m.Extra, &mdns.A{Hdr: mdns.RR_Header{Name: r.target, Rrtype: mdns.TypeA, Class: mdns.ClassINET, Ttl: s.ttl}, A: a.AsSlice()})
				} else {
					m.Extra = append(m.Extra, &mdns.AAAA{Hdr: mdns.RR_Header{Name: r.target, Rrtype: mdns.TypeAAAA, Class: mdns.ClassINET, Ttl: s.ttl}, AAAA: a.AsSlice()})
				}
			}
		}
	}
	if len(m.Answer) == 0 {
		if !exists {
			m.Rcode = mdns.RcodeNameError
		}
		m.Ns = []mdns.RR{s.soa()}
	}
	return m
}

func (s *Server) soa() mdns.RR {
	return &mdns.SOA{
		Hdr: mdns.RR_Header{Name: s.domain, Rrtype: mdns.TypeSOA, Class: mdns.ClassINET, Ttl: s.ttl},
		Ns:  "ns.dns." + s.domain, Mbox: "hostmaster." + s.domain,
		Serial: 1, Refresh: 7200, Retry: 1800, Expire: 86400, Minttl: s.ttl,
	}
}

// forward passes a question outside the cluster domain to the upstreams.
func (s *Server) forward(w mdns.ResponseWriter, req *mdns.Msg) {
	netw := "udp"
	if _, tcp := w.RemoteAddr().(*net.TCPAddr); tcp {
		netw = "tcp"
	}
	c := &mdns.Client{Net: netw, Timeout: s.cfg.ForwardTimeout}
	for _, u := range s.cfg.Upstreams {
		resp, _, err := c.Exchange(req, u)
		if err == nil && resp.Truncated && netw == "udp" {
			// Answer truncated: let the client retry over TCP itself.
			w.WriteMsg(resp)
			return
		}
		if err == nil {
			resp.Id = req.Id
			w.WriteMsg(resp)
			return
		}
		s.cfg.Logger.Debug("dns: upstream failed", "upstream", u, "err", err)
	}
	m := new(mdns.Msg)
	if len(s.cfg.Upstreams) == 0 {
		m.SetRcode(req, mdns.RcodeRefused)
	} else {
		m.SetRcode(req, mdns.RcodeServerFailure)
	}
	w.WriteMsg(m)
}
