package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func cmObj(name string, data map[string]string) *types.ConfigMap {
	c := &types.ConfigMap{Data: data}
	c.Namespace, c.Name = "default", name
	return c
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitRevision waits until every running member has applied at least rev.
func (c *cluster) waitRevision(rev uint64) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for i := range c.dbs {
		for {
			db := c.db(i)
			if db == nil || db.Revision() >= rev {
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("member %d at revision %d, want %d", i, db.Revision(), rev)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func (c *cluster) maxRevision() uint64 {
	var m uint64
	for i := range c.dbs {
		if db := c.db(i); db != nil {
			m = max(m, db.Revision())
		}
	}
	return m
}

func TestThreeMembersReplicateAndForward(t *testing.T) {
	c := newCluster(t, 3, nil)
	f := c.follower(t)
	out, err := f.Create(ctxTimeout(t, 10*time.Second), cmObj("a", map[string]string{"k": "v"}))
	if err != nil {
		t.Fatal(err)
	}
	c.waitRevision(mustRV(t, out))
	for i := range 3 {
		got, err := c.db(i).Get(ctxTimeout(t, 5*time.Second), "ConfigMap", "default", "a", store.Stale())
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
		if got.(*types.ConfigMap).Data["k"] != "v" {
			t.Fatalf("member %d has %v", i, got)
		}
	}
	ms, err := f.Members(ctxTimeout(t, 5*time.Second))
	if err != nil || len(ms) != 3 {
		t.Fatalf("members = %v, %v", ms, err)
	}
	if f.Leader().Addr == "" {
		t.Fatal("follower does not know the leader")
	}
}

func mustRV(t *testing.T, obj types.Object) uint64 {
	t.Helper()
	var v uint64
	if _, err := fmt.Sscan(obj.GetObjectMeta().ResourceVersion, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestKillLeaderDuringWrites: every acknowledged write survives the loss of
// the leader, on every member, exactly once; writes resume under a new leader.
func TestKillLeaderDuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test")
	}
	c := newCluster(t, 3, nil)
	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		seq   atomic.Int64
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				db := c.db((w + i) % 3)
				if db == nil {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				name := fmt.Sprintf("w%d-%d", w, seq.Add(1))
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_, err := db.Create(ctx, cmObj(name, nil))
				cancel()
				if err == nil {
					mu.Lock()
					acked[name] = true
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	leader := c.waitLeader()
	c.stop(leader)
	time.Sleep(700 * time.Millisecond)
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	if len(acked) <= before {
		t.Fatalf("no writes acknowledged after the leader died (%d before, %d after)", before, len(acked))
	}
	c.start(leader)
	c.waitLeader()
	c.waitRevision(c.maxRevision())
	for i := range 3 {
		res, err := c.db(i).List(ctxTimeout(t, 10*time.Second), "ConfigMap", store.ListOptions{Stale: true})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, o := range res.Items {
			seen[o.GetObjectMeta().Name]++
		}
		for name := range acked {
			if seen[name] != 1 {
				t.Fatalf("member %d: acknowledged write %s present %d times", i, name, seen[name])
			}
		}
	}
	t.Logf("%d acknowledged writes, leader %d killed", len(acked), leader)
}

// TestRestartAllMembers: state and the revision counter survive a full stop.
func TestRestartAllMembers(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test")
	}
	c := newCluster(t, 3, nil)
	c.follower(t)
	var last types.Object
	for i := range 30 {
		last = c.createRetry(t, cmObj(fmt.Sprintf("o%d", i), map[string]string{"i": fmt.Sprint(i)}))
	}
	c.waitRevision(mustRV(t, last))
	rev := c.maxRevision()
	c.closeAll()
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); c.start(i) }()
	}
	wg.Wait()
	l := c.waitLeader()
	for i := range 3 {
		if r := c.db(i).Revision(); r < rev {
			t.Fatalf("member %d restarted at revision %d, before %d", i, r, rev)
		}
	}
	res, err := c.db(l).List(ctxTimeout(t, 5*time.Second), "ConfigMap", store.ListOptions{})
	if err != nil || len(res.Items) != 30 {
		t.Fatalf("after restart: %d objects, %v", len(res.Items), err)
	}
	out, err := c.db(l).Create(ctxTimeout(t, 5*time.Second), cmObj("after", nil))
	if err != nil {
		t.Fatal(err)
	}
	if mustRV(t, out) <= rev {
		t.Fatalf("revision went backwards: %d after %d", mustRV(t, out), rev)
	}
}

// TestLaggingMemberCatchesUpBySnapshot: a member that missed more than the
// trailing log gets a snapshot.
func TestLaggingMemberCatchesUpBySnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test")
	}
	c := newCluster(t, 3, func(i int, cfg *store.Config) {
		cfg.SnapshotThreshold = 16
		cfg.TrailingLogs = 4
		cfg.SnapshotInterval = 50 * time.Millisecond
	})
	l := c.waitLeader()
	lag := (l + 1) % 3
	c.stop(lag)
	var last types.Object
	for i := range 100 {
		last = c.createRetry(t, cmObj(fmt.Sprintf("o%d", i), nil))
	}
	for i := range c.dbs {
		if db := c.db(i); db != nil {
			if err := db.Snapshot(ctxTimeout(t, 5*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.start(lag)
	c.waitRevision(mustRV(t, last))
	st := c.db(lag).Stats()
	if st.SnapshotRestores == 0 {
		t.Fatal("lagging member caught up without a snapshot")
	}
	res, err := c.db(lag).List(ctxTimeout(t, 5*time.Second), "ConfigMap", store.ListOptions{Stale: true})
	if err != nil || len(res.Items) != 100 {
		t.Fatalf("lagging member has %d objects, %v", len(res.Items), err)
	}
}

// TestPartitionedMinorityCannotWrite: a member cut off from the others
// refuses writes; the majority goes on.
func TestPartitionedMinorityCannotWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test")
	}
	c := newCluster(t, 3, func(i int, cfg *store.Config) { cfg.ForwardTimeout = time.Second })
	l := c.waitLeader()
	c.nets[l].setCut(true)
	_, err := c.db(l).Create(ctxTimeout(t, 10*time.Second), cmObj("minority", nil))
	if err == nil {
		t.Fatal("a partitioned member accepted a write")
	}
	if !store.IsNotLeader(err) && !store.IsTimeout(err) {
		t.Fatalf("minority write: %v, want ErrNotLeader or ErrTimeout", err)
	}
	nl := c.waitLeader()
	if nl == l {
		t.Fatal("cut-off member still leads")
	}
	if _, err := c.db(nl).Create(ctxTimeout(t, 10*time.Second), cmObj("majority", nil)); err != nil {
		t.Fatalf("majority write: %v", err)
	}
	c.nets[l].setCut(false)
	c.waitRevision(c.maxRevision())
	if _, err := c.db(l).Get(ctxTimeout(t, 10*time.Second), "ConfigMap", "default", "majority"); err != nil {
		t.Fatalf("healed member: %v", err)
	}
	if _, err := c.db(l).Get(ctxTimeout(t, 10*time.Second), "ConfigMap", "default", "minority"); !errors.Is(err, store.ErrNotFound) && err != nil {
		t.Fatalf("minority write: %v", err)
	}
}

// TestJoinAndRemove: a member joins a running cluster and is removed.
func TestJoinAndRemove(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test")
	}
	first := open(t, t.TempDir(), func() store.Config {
		c := store.Config{ID: "a", Addr: "127.0.0.1:0"}
		fastRaft(&c)
		return c
	}())
	if _, err := first.Create(ctxTimeout(t, 5*time.Second), cmObj("before", nil)); err != nil {
		t.Fatal(err)
	}
	cfg := store.Config{ID: "b", Addr: "127.0.0.1:0", Join: []string{first.Addr()}}
	fastRaft(&cfg)
	second := open(t, t.TempDir(), cfg)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ms, _ := first.Members(ctxTimeout(t, 5*time.Second))
		if len(ms) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("members = %v, want 2", ms)
		}
		time.Sleep(20 * time.Millisecond)
	}
	got, err := second.Get(ctxTimeout(t, 10*time.Second), "ConfigMap", "default", "before")
	if err != nil || got.GetObjectMeta().Name != "before" {
		t.Fatalf("joined member: %v, %v", got, err)
	}
	if err := second.RemoveMember(ctxTimeout(t, 10*time.Second), "b"); err != nil {
		t.Fatal(err)
	}
	ms, _ := first.Members(ctxTimeout(t, 5*time.Second))
	if len(ms) != 1 {
		t.Fatalf("after remove: members = %v", ms)
	}
}

// createRetry creates obj through any running member, retrying writes whose
// outcome is unknown (an AlreadyExists on retry means the first try won).
func (c *cluster) createRetry(t *testing.T, obj types.Object) types.Object {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		db := c.db(i % len(c.dbs))
		if db == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, err := db.Create(ctx, obj)
		if store.IsAlreadyExists(err) {
			out, err = db.Get(ctx, obj.GetKind(), obj.GetObjectMeta().Namespace, obj.GetObjectMeta().Name)
		}
		cancel()
		if err == nil {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("could not create %s", obj.GetObjectMeta().Name)
	return nil
}
