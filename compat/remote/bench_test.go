package remote

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/types"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

func freePort(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// etcdCluster starts three embedded etcd members and returns their client
// URLs.
func etcdCluster(b *testing.B) []string {
	const n = 3
	var peers, clients []string
	for range n {
		peers = append(peers, "http://"+freePort(b))
		clients = append(clients, "http://"+freePort(b))
	}
	var initial []string
	for i := range n {
		initial = append(initial, fmt.Sprintf("e%d=%s", i, peers[i]))
	}
	etcds := make([]*embed.Etcd, n)
	var wg sync.WaitGroup
	for i := range n {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("e%d", i)
		cfg.Dir = b.TempDir()
		pu, _ := url.Parse(peers[i])
		cu, _ := url.Parse(clients[i])
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
		cfg.InitialCluster = strings.Join(initial, ",")
		cfg.InitialClusterToken = "bench"
		cfg.LogLevel = "error"
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := embed.StartEtcd(cfg)
			if err != nil {
				b.Error(err)
				return
			}
			<-e.Server.ReadyNotify()
			etcds[i] = e
		}()
	}
	wg.Wait()
	b.Cleanup(func() {
		for _, e := range etcds {
			if e != nil {
				e.Close()
			}
		}
	})
	if b.Failed() {
		b.FailNow()
	}
	return clients
}

// coxswainCluster starts three store members, each with an API server.
func coxswainCluster(b *testing.B) []string {
	const n = 3
	var lns []net.Listener
	var members []store.Member
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		lns = append(lns, ln)
		members = append(members, store.Member{ID: fmt.Sprintf("m%d", i), Addr: ln.Addr().String()})
	}
	dbs := make([]*store.DB, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := store.Open(b.TempDir(), store.Config{ID: members[i].ID, Addr: members[i].Addr, Listener: lns[i], Members: members, Logger: quiet()})
			if err != nil {
				b.Error(err)
				return
			}
			dbs[i] = db
		}()
	}
	wg.Wait()
	b.Cleanup(func() {
		for _, db := range dbs {
			if db != nil {
				db.Close()
			}
		}
	})
	if b.Failed() {
		b.FailNow()
	}
	var urls []string
	for _, db := range dbs {
		srv, err := remote.NewServer(db, remote.Config{Logger: quiet(), MaxInflight: -1})
		if err != nil {
			b.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		b.Cleanup(hs.Close)
		urls = append(urls, hs.URL)
	}
	// Wait for a leader.
	c, _ := remote.Dial(remote.ClientConfig{Server: urls[0], Logger: quiet()})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		if _, err := c.Get(ctx, "Namespace", "", "default"); err == nil {
			break
		} else if ctx.Err() != nil {
			b.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return urls
}

type lat struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *lat) add(ds []time.Duration) { l.mu.Lock(); l.d = append(l.d, ds...); l.mu.Unlock() }
func (l *lat) report(b *testing.B) {
	slices.Sort(l.d)
	if len(l.d) == 0 {
		return
	}
	p := func(q float64) float64 { return float64(l.d[int(q*float64(len(l.d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.5), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
}

// run drives op from 64 goroutines and reports p50/p99.
func run(b *testing.B, op func(g int64, i int64) error) {
	var l lat
	var gid, seq atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := gid.Add(1)
		ds := make([]time.Duration, 0, 1024)
		for pb.Next() {
			start := time.Now()
			if err := op(g, seq.Add(1)); err != nil {
				b.Error(err)
				return
			}
			ds = append(ds, time.Since(start))
		}
		l.add(ds)
	})
	b.StopTimer()
	l.report(b)
}

// BenchmarkSideBySide: get, list (10 items) and create of a small object,
// 64 concurrent clients spread over three members, through Coxswain's HTTP
// API (JSON) and through etcd's gRPC client against embedded etcd.
func BenchmarkSideBySide(b *testing.B) {
	ctx := context.Background()
	b.Run("coxswain", func(b *testing.B) {
		urls := coxswainCluster(b)
		clients := make([]*remote.Client, len(urls))
		for i := range urls {
			c, err := remote.Dial(remote.ClientConfig{Server: urls[i], Logger: quiet()})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			clients[i] = c
		}
		for i := range 100 {
			cm := &types.ConfigMap{Data: map[string]string{"k": "v"}}
			cm.Namespace, cm.Name = "default", fmt.Sprintf("seed-%03d", i)
			if _, err := clients[0].Create(ctx, cm); err != nil {
				b.Fatal(err)
			}
		}
		b.Run("get", func(b *testing.B) {
			run(b, func(g, i int64) error {
				_, err := clients[g%3].Get(ctx, "ConfigMap", "default", fmt.Sprintf("seed-%03d", i%100))
				return err
			})
		})
		b.Run("list", func(b *testing.B) {
			run(b, func(g, i int64) error {
				_, err := clients[g%3].List(ctx, "ConfigMap", store.ListOptions{Namespace: "default", Limit: 10})
				return err
			})
		})
		b.Run("create", func(b *testing.B) {
			run(b, func(g, i int64) error {
				cm := &types.ConfigMap{Data: map[string]string{"k": "v"}}
				cm.Namespace, cm.Name = "default", fmt.Sprintf("b-%d-%d", b.N, i)
				_, err := clients[g%3].Create(ctx, cm)
				return err
			})
		})
	})
	b.Run("etcd", func(b *testing.B) {
		eps := etcdCluster(b)
		clients := make([]*clientv3.Client, len(eps))
		for i, ep := range eps {
			c, err := clientv3.New(clientv3.Config{Endpoints: []string{ep}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			clients[i] = c
		}
		val := `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x","namespace":"default"},"data":{"k":"v"}}`
		for i := range 100 {
			if _, err := clients[0].Put(ctx, fmt.Sprintf("/registry/configmaps/default/seed-%03d", i), val); err != nil {
				b.Fatal(err)
			}
		}
		b.Run("get", func(b *testing.B) {
			run(b, func(g, i int64) error {
				_, err := clients[g%3].Get(ctx, fmt.Sprintf("/registry/configmaps/default/seed-%03d", i%100))
				return err
			})
		})
		b.Run("list", func(b *testing.B) {
			run(b, func(g, i int64) error {
				_, err := clients[g%3].Get(ctx, "/registry/configmaps/default/", clientv3.WithPrefix(), clientv3.WithLimit(10))
				return err
			})
		})
		b.Run("create", func(b *testing.B) {
			run(b, func(g, i int64) error {
				key := fmt.Sprintf("/registry/configmaps/default/b-%d-%d", b.N, i)
				// Create = put if absent, as Kubernetes does on etcd.
				_, err := clients[g%3].Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", 0)).Then(clientv3.OpPut(key, val)).Commit()
				return err
			})
		})
	})
}
