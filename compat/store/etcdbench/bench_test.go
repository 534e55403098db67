package etcdbench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
)

var payload = strings.Repeat("x", 1000)

func obj(name string) *types.ConfigMap {
	c := &types.ConfigMap{Data: map[string]string{"v": payload}}
	c.Namespace, c.Name = "default", name
	return c
}

func freeURL(t testing.TB) url.URL {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	u, _ := url.Parse("http://" + ln.Addr().String())
	return *u
}

// startEtcd starts etcd with n members on loopback, each in a temporary
// directory with etcd's default fsync, and returns an in-process clientv3
// client of the leader (so neither side pays gRPC over TCP on the client
// side; replication between members goes over loopback TCP). A start that
// fails (another process took a port between freeURL and etcd's listen) is
// retried on new ports.
func startEtcd(t testing.TB, n int) *clientv3.Client {
	var err error
	for range 3 {
		var c *clientv3.Client
		if c, err = tryStartEtcd(t, n); err == nil {
			return c
		}
		t.Logf("starting etcd: %v; retrying", err)
	}
	t.Fatal(err)
	return nil
}

func tryStartEtcd(t testing.TB, n int) (*clientv3.Client, error) {
	cfgs := make([]*embed.Config, n)
	var initial []string
	for i := range cfgs {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = t.TempDir()
		cu, pu := freeURL(t), freeURL(t)
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
		cfg.LogLevel = "error"
		cfg.QuotaBackendBytes = 8 << 30
		initial = append(initial, cfg.Name+"="+pu.String())
		cfgs[i] = cfg
	}
	var servers []*embed.Etcd
	// Close every member at once, and give up waiting after a minute: a
	// member whose peers are gone can wait a long time to stop, and the
	// benchmark must not hang on it.
	closeAll := func() {
		done := make(chan struct{})
		go func() {
			var wg sync.WaitGroup
			for _, e := range servers {
				wg.Add(1)
				go func() { defer wg.Done(); e.Close() }()
			}
			wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Log("etcd did not stop within a minute; leaving it")
		}
	}
	for _, cfg := range cfgs {
		cfg.InitialCluster = strings.Join(initial, ",")
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			closeAll()
			return nil, err
		}
		servers = append(servers, e)
	}
	t.Cleanup(closeAll)
	for _, e := range servers {
		select {
		case <-e.Server.ReadyNotify():
		case <-time.After(60 * time.Second):
			return nil, fmt.Errorf("etcd not ready within 60s")
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		for _, e := range servers {
			if e.Server.Leader() == e.Server.MemberID() {
				c := v3client.New(e.Server)
				t.Cleanup(func() { c.Close() })
				return c, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("etcd elected no leader within 60s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openStore starts coxswain with n members (n > 1: over loopback TCP), each
// on disk with fsync on, and returns the leader.
func openStore(t testing.TB, n int) *store.DB {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if n == 1 {
		db, err := store.Open(t.TempDir(), store.Config{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	var members []store.Member
	var lns []net.Listener
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		members = append(members, store.Member{ID: fmt.Sprintf("m%d", i), Addr: ln.Addr().String()})
	}
	dbs := make([]*store.DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = store.Open(t.TempDir(), store.Config{
				ID: members[i].ID, Addr: members[i].Addr, Listener: lns[i], Members: members, Logger: quiet,
			})
		}()
	}
	wg.Wait()
	for i, db := range dbs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		t.Cleanup(func() { db.Close() })
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		for _, db := range dbs {
			if db.IsLeader() {
				// Wait until the leader has written the system namespaces.
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				_, err := db.Get(ctx, "Namespace", "", "default")
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				return db
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("coxswain elected no leader")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func run(b *testing.B, w int, op func(worker, i int) error) {
	var next atomic.Int64
	lat := make([][]time.Duration, w)
	var wg sync.WaitGroup
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for g := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := op(g, i); err != nil {
					b.Error(err)
					return
				}
				lat[g] = append(lat[g], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	el, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/el.Seconds(), "ops/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
}

// cpuTime is the CPU time (user and system) the process has used. Both
// systems run in this process, so CPU per operation compares their work
// independently of how long the shared machine made them wait for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func key(name string) string { return "/registry/configmaps/default/" + name }

// members is the cluster sizes the write benchmarks compare.
var members = []int{1, 3}

// BenchmarkCreate: creates of 1 KiB objects (etcd: a transaction that puts
// only if the key does not exist) by 1, 16 and 256 concurrent writers.
func BenchmarkCreate(b *testing.B) {
	for _, n := range members {
		for _, w := range []int{1, 16, 256} {
			benchCreate(b, n, w)
		}
	}
}

func benchCreate(b *testing.B, n, w int) {
	b.Run(fmt.Sprintf("etcd/members=%d/writers=%d", n, w), func(b *testing.B) {
		c := startEtcd(b, n)
		ctx := context.Background()
		run(b, w, func(_, i int) error {
			o := obj(fmt.Sprint("o-", i))
			val, _ := json.Marshal(o)
			k := key(o.Name)
			resp, err := c.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
				Then(clientv3.OpPut(k, string(val))).Commit()
			if err == nil && !resp.Succeeded {
				err = fmt.Errorf("exists")
			}
			return err
		})
	})
	b.Run(fmt.Sprintf("coxswain/members=%d/writers=%d", n, w), func(b *testing.B) {
		db := openStore(b, n)
		ctx := context.Background()
		run(b, w, func(_, i int) error {
			_, err := db.Create(ctx, obj(fmt.Sprint("o-", i)))
			return err
		})
	})
}

// BenchmarkUpdate: compare-and-swap updates of 1 KiB objects (etcd: a
// transaction that puts only if the key's mod revision is the one last
// written), each writer updating its own object.
func BenchmarkUpdate(b *testing.B) {
	for _, n := range members {
		for _, w := range []int{1, 16, 256} {
			benchUpdate(b, n, w)
		}
	}
}

func benchUpdate(b *testing.B, n, w int) {
	b.Run(fmt.Sprintf("etcd/members=%d/writers=%d", n, w), func(b *testing.B) {
		c := startEtcd(b, n)
		ctx := context.Background()
		revs := make([]int64, w)
		objs := make([]*types.ConfigMap, w)
		for g := range w {
			objs[g] = obj(fmt.Sprint("o-", g))
			val, _ := json.Marshal(objs[g])
			r, err := c.Put(ctx, key(objs[g].Name), string(val))
			if err != nil {
				b.Fatal(err)
			}
			revs[g] = r.Header.Revision
		}
		run(b, w, func(g, i int) error {
			o := objs[g]
			o.Data["i"] = fmt.Sprint(i)
			val, _ := json.Marshal(o)
			k := key(o.Name)
			resp, err := c.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(k), "=", revs[g])).
				Then(clientv3.OpPut(k, string(val))).Commit()
			if err != nil {
				return err
			}
			if !resp.Succeeded {
				return fmt.Errorf("conflict")
			}
			revs[g] = resp.Header.Revision
			return nil
		})
	})
	b.Run(fmt.Sprintf("coxswain/members=%d/writers=%d", n, w), func(b *testing.B) {
		db := openStore(b, n)
		ctx := context.Background()
		cur := make([]types.Object, w)
		for g := range w {
			o, err := db.Create(ctx, obj(fmt.Sprint("o-", g)))
			if err != nil {
				b.Fatal(err)
			}
			cur[g] = o
		}
		run(b, w, func(g, i int) error {
			c := cur[g].(*types.ConfigMap)
			c.Data["i"] = fmt.Sprint(i)
			out, err := db.Update(ctx, c)
			if err != nil {
				return err
			}
			cur[g] = out
			return nil
		})
	})
}

const watchers = 100

// BenchmarkWatchFanout: events per second delivered to 100 watchers while 16
// writers create objects.
func BenchmarkWatchFanout(b *testing.B) {
	b.Run("etcd", func(b *testing.B) {
		c := startEtcd(b, 1)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		chans := make([]clientv3.WatchChan, watchers)
		for i := range chans {
			chans[i] = c.Watch(ctx, "/registry/configmaps/", clientv3.WithPrefix())
		}
		fanout(b, func(i int) error {
			val, _ := json.Marshal(obj(fmt.Sprint("o-", i)))
			_, err := c.Put(ctx, key(fmt.Sprint("o-", i)), string(val))
			return err
		}, func(w int, n int) {
			got := 0
			for resp := range chans[w] {
				for _, ev := range resp.Events {
					var o types.ConfigMap
					json.Unmarshal(ev.Kv.Value, &o) // a watcher decodes, as the store's does
					got++
				}
				if got >= n {
					return
				}
			}
		})
	})
	b.Run("coxswain", func(b *testing.B) {
		db := openStore(b, 1)
		ctx := context.Background()
		ws := make([]store.Watcher, watchers)
		for i := range ws {
			w, err := db.Watch(ctx, "ConfigMap", store.WatchOptions{})
			if err != nil {
				b.Fatal(err)
			}
			ws[i] = w
			defer w.Stop()
		}
		fanout(b, func(i int) error {
			_, err := db.Create(ctx, obj(fmt.Sprint("o-", i)))
			return err
		}, func(w int, n int) {
			for range n {
				<-ws[w].Events()
			}
		})
	})
}

func fanout(b *testing.B, write func(i int) error, consume func(w, n int)) {
	var wg sync.WaitGroup
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for w := range watchers {
		wg.Add(1)
		go func() { defer wg.Done(); consume(w, b.N) }()
	}
	var next atomic.Int64
	var wwg sync.WaitGroup
	for range 16 {
		wwg.Add(1)
		go func() {
			defer wwg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if err := write(i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wwg.Wait()
	wg.Wait()
	b.ReportMetric(float64(b.N*watchers)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*watchers), "cpu-ns/event")
}

const listTotal = 100_000

func labelled(i int) *types.ConfigMap {
	o := obj(fmt.Sprintf("o-%06d", i))
	o.Labels = map[string]string{"group": fmt.Sprint(i % 100), "app": "bench"}
	return o
}

// BenchmarkListSelected: the 1% of 100,000 objects a label selector picks.
// etcd: range over the prefix, decode every object, filter.
func BenchmarkListSelected(b *testing.B) {
	sel := labels.MustParse("group=7")
	b.Run("etcd", func(b *testing.B) {
		c := startEtcd(b, 1)
		ctx := context.Background()
		for i := 0; i < listTotal; i += 100 {
			var ops []clientv3.Op
			for j := i; j < i+100; j++ {
				o := labelled(j)
				val, _ := json.Marshal(o)
				ops = append(ops, clientv3.OpPut(key(o.Name), string(val)))
			}
			if _, err := c.Txn(ctx).Then(ops...).Commit(); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for b.Loop() {
			resp, err := c.Get(ctx, "/registry/configmaps/", clientv3.WithPrefix())
			if err != nil {
				b.Fatal(err)
			}
			var items []*types.ConfigMap
			for _, kv := range resp.Kvs {
				o := &types.ConfigMap{}
				if err := json.Unmarshal(kv.Value, o); err != nil {
					b.Fatal(err)
				}
				if sel.Matches(labels.Set(o.Labels)) {
					items = append(items, o)
				}
			}
			if len(items) != listTotal/100 {
				b.Fatalf("%d items", len(items))
			}
		}
	})
	b.Run("coxswain", func(b *testing.B) {
		db := openStore(b, 1)
		ctx := context.Background()
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 256 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= listTotal {
						return
					}
					if _, err := db.Create(ctx, labelled(i)); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		b.ResetTimer()
		for b.Loop() {
			res, err := db.List(ctx, "ConfigMap", store.ListOptions{Selector: sel})
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Items) != listTotal/100 {
				b.Fatalf("%d items", len(res.Items))
			}
		}
	})
}
