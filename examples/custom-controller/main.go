// Command custom-controller is a complete controller built on Coxswain's
// reconcile, informer and leader packages: it stamps every ConfigMap with
// the number of keys it holds (annotation "keys"), and keeps the stamp right
// as ConfigMaps change.
//
// It runs against an in-memory store by default, or an on-disk one with
// -dir. With -leader it campaigns for the Lease kube-system/custom-controller
// first, so several copies can run with one active. With -demo it creates a
// few ConfigMaps, waits until they are stamped, prints them and exits.
//
//	go run ./examples/custom-controller -demo
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/reconcile/leader"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func main() {
	dir := flag.String("dir", "", "store data directory (empty: in memory)")
	lead := flag.Bool("leader", false, "run only while holding the lease kube-system/custom-controller")
	id := flag.String("id", hostname(), "identity for leader election")
	demo := flag.Bool("demo", false, "create a few ConfigMaps, wait until they are stamped, and exit")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *dir, *lead, *id, *demo); err != nil {
		fmt.Fprintln(os.Stderr, "custom-controller:", err)
		os.Exit(1)
	}
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "custom-controller"
	}
	return h
}

func run(ctx context.Context, dir string, lead bool, id string, demo bool) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := store.Open(dir, store.Config{Logger: log})
	if err != nil {
		return err
	}
	defer db.Close()

	mgrCfg := reconcile.ManagerConfig{Logger: log}
	if lead {
		e, err := leader.New(db, leader.Config{Name: "custom-controller", Identity: id, ReleaseOnCancel: true, Logger: log})
		if err != nil {
			return err
		}
		mgrCfg.Elector = e
	}
	mgr, err := newManager(db, mgrCfg, log)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Run(ctx) }()

	if demo {
		if err := runDemo(ctx, db); err != nil {
			cancel()
			<-stopped
			return err
		}
		cancel()
	}
	return <-stopped
}

// newManager wires the informer factory and the controller into a Manager.
func newManager(db store.Store, cfg reconcile.ManagerConfig, log *slog.Logger) (*reconcile.Manager, error) {
	configMaps := store.For[*types.ConfigMap](db)
	factory, err := informer.NewFactory(db, informer.Config{Logger: log})
	if err != nil {
		return nil, err
	}
	cache := informer.For[*types.ConfigMap](factory)
	stamp := func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		cm, ok := cache.Get(req.Namespace, req.Name)
		if !ok {
			return reconcile.Result{}, nil // deleted
		}
		want := strconv.Itoa(len(cm.Data))
		if cm.Annotations["keys"] == want {
			return reconcile.Result{}, nil
		}
		cm = cm.DeepCopyObject().(*types.ConfigMap)
		if cm.Annotations == nil {
			cm.Annotations = map[string]string{}
		}
		cm.Annotations["keys"] = want
		_, err := configMaps.Update(ctx, cm)
		if store.IsNotFound(err) {
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}
	ctl, err := reconcile.New(reconcile.ReconcilerFunc[reconcile.Request](stamp),
		reconcile.Config{Name: "configmap-keys", Workers: 2, Logger: log})
	if err != nil {
		return nil, err
	}
	cache.AddEventHandler(informer.EnqueueObject[*types.ConfigMap](ctl))
	mgr := reconcile.NewManager(cfg)
	if err := errors.Join(mgr.Add(factory), mgr.Add(ctl)); err != nil {
		return nil, err
	}
	return mgr, nil
}

func runDemo(ctx context.Context, db store.Store) error {
	configMaps := store.For[*types.ConfigMap](db)
	for i := 1; i <= 3; i++ {
		data := map[string]string{}
		for j := range i {
			data["key"+strconv.Itoa(j)] = "value"
		}
		cm := &types.ConfigMap{ObjectMeta: types.ObjectMeta{Namespace: "default", Name: "demo-" + strconv.Itoa(i)}, Data: data}
		if _, err := configMaps.Create(ctx, cm); err != nil && !store.IsAlreadyExists(err) {
			return err
		}
	}
	for {
		items, _, _, err := configMaps.List(ctx, store.ListOptions{Namespace: "default"})
		if err != nil {
			return err
		}
		done := 0
		for _, cm := range items {
			if cm.Annotations["keys"] == strconv.Itoa(len(cm.Data)) {
				done++
			}
		}
		if done == len(items) {
			for _, cm := range items {
				fmt.Printf("%s/%s keys=%s\n", cm.Namespace, cm.Name, cm.Annotations["keys"])
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
