package dns

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/coxswain/coxswain/netproxy"
)

// srv is one SRV answer.
type srv struct {
	target string
	port   uint16
}

// table is an immutable snapshot of the cluster's names.
type table struct {
	// addrs maps a lower-case FQDN (with the trailing dot) to addresses.
	addrs map[string][]netip.Addr
	// srvs maps _port._proto.svc.ns.svc.domain. to SRV answers.
	srvs map[string][]srv
	// names holds every name that exists (for NODATA versus NXDOMAIN),
	// including the intermediate ones (ns.svc.domain., svc.domain.).
	names map[string]bool
}

func build(domain string, services []netproxy.Service, endpoints []netproxy.Endpoints) *table {
	t := &table{addrs: map[string][]netip.Addr{}, srvs: map[string][]srv{}, names: map[string]bool{}}
	byKey := make(map[netproxy.Key]*netproxy.Endpoints, len(endpoints))
	for i := range endpoints {
		byKey[endpoints[i].Key] = &endpoints[i]
	}
	add := func(name string) {
		t.names[name] = true
		// Intermediate names exist too (empty non-terminals).
		for {
			i := strings.IndexByte(name, '.')
			if i < 0 || i == len(name)-1 {
				return
			}
			name = name[i+1:]
			if name == domain || len(name) < len(domain) {
				return
			}
			t.names[name] = true
		}
	}
	for _, s := range services {
		base := strings.ToLower(s.Name + "." + s.Namespace + ".svc." + domain)
		add(base)
		eps := byKey[s.Key]
		var members []netproxy.Endpoint
		if eps != nil {
			for _, e := range eps.Endpoints {
				if e.Ready || s.PublishNotReady {
					members = append(members, e)
				}
			}
		}
		if s.Headless {
			for _, e := range members {
				t.addrs[base] = appendUnique(t.addrs[base], e.IP)
				if e.Hostname != "" {
					h := strings.ToLower(e.Hostname) + "." + base
					add(h)
					t.addrs[h] = appendUnique(t.addrs[h], e.IP)
				}
			}
		} else {
			t.addrs[base] = append(t.addrs[base], s.ClusterIPs...)
		}
		for _, p := range s.Ports {
			if p.Name == "" {
				continue
			}
			name := strings.ToLower("_" + p.Name + "._" + string(p.Protocol) + "." + base)
			add(name)
			if !s.Headless {
				if len(s.ClusterIPs) > 0 {
					t.srvs[name] = append(t.srvs[name], srv{target: base, port: p.Port})
				}
				continue
			}
			for _, e := range members {
				port, ok := e.PortFor(p.Name, p.Protocol)
				if !ok {
					continue
				}
				target := dashed(e.IP) + "." + base
				if e.Hostname != "" {
					target = strings.ToLower(e.Hostname) + "." + base
				} else {
					add(target)
					t.addrs[target] = appendUnique(t.addrs[target], e.IP)
				}
				t.srvs[name] = append(t.srvs[name], srv{target: target, port: port})
			}
		}
	}
	return t
}

func appendUnique(s []netip.Addr, a netip.Addr) []netip.Addr {
	for _, x := range s {
		if x == a {
			return s
		}
	}
	return append(s, a)
}

// dashed writes 10.1.2.3 as 10-1-2-3 and IPv6 colons as dashes.
func dashed(a netip.Addr) string {
	if a.Is4() {
		return strings.ReplaceAll(a.String(), ".", "-")
	}
	return strings.ReplaceAll(a.StringExpanded(), ":", "-")
}

// podAddr parses a-b-c-d.ns.pod.domain. into a.b.c.d.
func podAddr(name, domain string) (netip.Addr, bool) {
	suffix := ".pod." + domain
	if !strings.HasSuffix(name, suffix) {
		return netip.Addr{}, false
	}
	rest := strings.TrimSuffix(name, suffix)
	i := strings.IndexByte(rest, '.')
	if i < 0 || strings.Contains(rest[i+1:], ".") {
		return netip.Addr{}, false
	}
	label := rest[:i]
	parts := strings.Split(label, "-")
	if len(parts) == 4 {
		var b [4]byte
		for j, p := range parts {
			n, err := strconv.ParseUint(p, 10, 8)
			if err != nil {
				return netip.Addr{}, false
			}
			b[j] = byte(n)
		}
		return netip.AddrFrom4(b), true
	}
	if len(parts) == 8 {
		a, err := netip.ParseAddr(strings.Join(parts, ":"))
		if err == nil && a.Is6() {
			return a, true
		}
	}
	return netip.Addr{}, false
}
