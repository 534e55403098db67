package nftables_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"os/exec"
	"testing"

	"github.com/coxswain/coxswain/netproxy"
	"github.com/coxswain/coxswain/netproxy/nftables"
	"github.com/coxswain/coxswain/netproxy/proxytest"
)

// tableName is unique per run so parallel or leftover runs never collide.
func tableName() string {
	b := make([]byte, 4)
	rand.Read(b)
	return "coxswain-test-" + hex.EncodeToString(b)
}

func skipWithoutNFT(t *testing.T) {
	t.Helper()
	if ok, why := proxytest.Root(); !ok {
		t.Skip(why)
	}
	if err := exec.Command("nft", "list", "tables").Run(); err != nil {
		t.Skipf("nftables not usable here: %v", err)
	}
}

func TestConformance(t *testing.T) {
	skipWithoutNFT(t)
	proxytest.Run(t, proxytest.Harness{
		ServiceCIDR: netip.MustParsePrefix("10.249.0.0/24"), // apart from every other test's host routes
		New: func(t *testing.T, env *proxytest.Env) netproxy.Proxier {
			p, err := nftables.New(nftables.Config{Table: tableName(), NodeName: env.NodeName})
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
	})
}
