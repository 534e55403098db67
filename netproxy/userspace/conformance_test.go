package userspace_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/netproxy/proxytest"
	"github.com/coxswain/coxswain/netproxy/userspace"
)

func TestConformance(t *testing.T) {
	proxytest.Run(t, proxytest.Harness{
		ServiceCIDR: netip.MustParsePrefix("127.96.0.0/16"),
		Drains:      true,
		New: func(t *testing.T, env *proxytest.Env) netproxy.Proxier {
			p, err := userspace.New(userspace.Config{
				NodeName:   env.NodeName,
				NodeAddrs:  []netip.Addr{env.NodeAddr},
				DrainGrace: time.Minute,
			})
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
	})
}
