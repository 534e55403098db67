package leader

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/store"
)

// openCluster starts a three-member store on loopback TCP.
func openCluster(t *testing.T) []*store.DB {
	t.Helper()
	const n = 3
	var lns []net.Listener
	var members []store.Member
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		members = append(members, store.Member{ID: fmt.Sprintf("m%d", i), Addr: ln.Addr().String(), Voter: true})
	}
	dbs := make([]*store.DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = store.Open(t.TempDir(), store.Config{
				ID: members[i].ID, Addr: members[i].Addr, Members: members, Listener: lns[i],
				HeartbeatTimeout: 150 * time.Millisecond, ElectionTimeout: 150 * time.Millisecond,
				LeaderLeaseTimeout: 100 * time.Millisecond, Logger: quiet,
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open member %d: %v", i, err)
		}
	}
	t.Cleanup(func() {
		for _, db := range dbs {
			db.Close()
		}
	})
	eventually(t, "a raft leader", func() bool {
		for _, db := range dbs {
			if db.IsLeader() {
				return true
			}
		}
		return false
	})
	return dbs
}

// Three candidates, each talking to its own member of a three-member store:
// exactly one leads; when its member dies, it stops leading and another
// takes over.
func TestThreeMemberStore(t *testing.T) {
	if testing.Short() {
		t.Skip("three-member store cluster")
	}
	dbs := openCluster(t)
	fc := clock.NewFake(epoch)
	var cs []*candidate
	for i, db := range dbs {
		cs = append(cs, campaign(t, db, cfgFor(fmt.Sprint("master-", i), fc)))
	}
	leaders := func() (n, who int) {
		who = -1
		for i, c := range cs {
			if c.leading.Load() {
				n++
				who = i
			}
		}
		return n, who
	}
	eventually(t, "a leader", func() bool { n, _ := leaders(); return n == 1 })
	settle(t, fc, 3)
	for range 5 {
		fc.Advance(2 * time.Second)
		settle(t, fc, 3)
		if n, _ := leaders(); n != 1 {
			t.Fatalf("%d leaders, want exactly one", n)
		}
	}
	_, old := leaders()
	dbs[old].Close() // the leader's master dies with its store member

	// The old leader cannot renew: it stops within RenewDeadline, before
	// anyone else may take over.
	deadline := time.Now().Add(30 * time.Second)
	for lost := false; !lost; {
		select {
		case err := <-cs[old].done:
			cs[old].done <- err
			lost = true
			continue
		default:
		}
		if n, who := leaders(); n > 1 || (n == 1 && who != old) {
			t.Fatalf("%d leaders (last %d) while the old leader %d still leads", n, who, old)
		}
		if time.Now().After(deadline) {
			t.Fatal("the old leader never noticed it lost its store")
		}
		fc.Advance(time.Second)
		time.Sleep(20 * time.Millisecond)
	}
	// A survivor takes over once the lease has expired.
	for {
		n, who := leaders()
		if n > 1 {
			t.Fatalf("%d leaders at once", n)
		}
		if n == 1 && who != old {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no survivor took over")
		}
		fc.Advance(time.Second)
		time.Sleep(20 * time.Millisecond)
	}
	if cs[old].leading.Load() {
		t.Fatal("the old leader still leads")
	}
}
