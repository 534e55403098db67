package endpoints

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/coxswain/coxswain/types"
)

// FuzzRepack checks that packing is idempotent and keeps every address
// exactly once (ready winning over not ready).
func FuzzRepack(f *testing.F) {
	f.Add([]byte{1, 0, 1, 2, 0, 0, 3, 1, 1})
	f.Add([]byte{1, 0, 1, 1, 0, 0, 1, 2, 1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var in []types.EndpointSubset
		want := map[string]bool{} // ip -> ready
		for i := 0; i+2 < len(b) && i < 300; i += 3 {
			ip := fmt.Sprintf("10.0.0.%d", b[i])
			a := types.EndpointAddress{IP: ip}
			ss := types.EndpointSubset{Ports: []types.EndpointPort{{Name: "p", Port: 8080 + int32(b[i+1]%3), Protocol: types.ProtocolTCP}}}
			key := fmt.Sprintf("%s@%d", ip, ss.Ports[0].Port)
			if b[i+2]%2 == 1 {
				ss.Addresses = []types.EndpointAddress{a}
				want[key] = true
			} else {
				ss.NotReadyAddresses = []types.EndpointAddress{a}
				if _, ok := want[key]; !ok {
					want[key] = false
				}
			}
			in = append(in, ss)
		}
		out := Repack(in)
		if again := Repack(out); !reflect.DeepEqual(again, out) {
			t.Fatalf("Repack not idempotent:\n%v\n%v", out, again)
		}
		got := map[string]bool{}
		for _, ss := range out {
			for _, a := range ss.Addresses {
				k := fmt.Sprintf("%s@%d", a.IP, ss.Ports[0].Port)
				if _, dup := got[k]; dup {
					t.Fatalf("%s listed twice", k)
				}
				got[k] = true
			}
			for _, a := range ss.NotReadyAddresses {
				k := fmt.Sprintf("%s@%d", a.IP, ss.Ports[0].Port)
				if _, dup := got[k]; dup {
					t.Fatalf("%s listed twice", k)
				}
				got[k] = false
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("addresses %v, want %v", got, want)
		}
	})
}
