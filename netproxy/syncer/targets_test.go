package syncer_test

import (
	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/netproxy/dns"
	"github.com/coxswain/coxswain/netproxy/nftables"
	"github.com/coxswain/coxswain/netproxy/syncer"
	"github.com/coxswain/coxswain/netproxy/userspace"
)

// The proxiers and the DNS server are all targets of one syncer.
var (
	_ syncer.Target = netproxy.Proxier(nil)
	_ syncer.Target = (*userspace.Proxier)(nil)
	_ syncer.Target = (*nftables.Proxier)(nil)
	_ syncer.Target = (*dns.Server)(nil)
)
