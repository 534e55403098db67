package nodeipam

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Controller gives every Node a pod CIDR. Build it with New and run it (or
// add it to a reconcile.Manager). It is safe for concurrent use.
type Controller struct {
	st    store.Store
	f     *informer.Factory
	nodes *informer.Informer[*types.Node]
	ctrl  *reconcile.Controller[reconcile.Request]
	rec   record.Recorder
	log   *slog.Logger

	mu sync.Mutex // protects the fields below
	// set is the allocation table; byNode says which block each node holds
	// and owner which node holds each block.
	set    *CIDRSet
	byNode map[string]netip.Prefix
	owner  map[netip.Prefix]string
	// loaded is set once the pod CIDRs already on Nodes are in set.
	loaded bool
}

var _ reconcile.Runnable = (*Controller)(nil)

// New returns the Node IPAM controller, with its handlers registered on the
// Node informer of f.
func New(st store.Store, f *informer.Factory, cfg Config) (*Controller, error) {
	if st == nil || f == nil {
		return nil, ErrNilDependency
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	cluster := netip.MustParsePrefix(cfg.ClusterCIDR)
	set, err := NewCIDRSet(cluster, cfg.NodeMaskSize)
	if err != nil {
		return nil, err
	}
	c := &Controller{
		st: st, f: f, nodes: informer.For[*types.Node](f), rec: cfg.Recorder,
		log: cfg.Logger.With("controller", "nodeipam"),
		set: set, byNode: map[string]netip.Prefix{}, owner: map[netip.Prefix]string{},
	}
	ctrl, err := reconcile.New[reconcile.Request](c, reconcile.Config{
		Name: "nodeipam", Workers: cfg.Workers, Clock: cfg.Clock, Logger: cfg.Logger, Registerer: cfg.Registerer,
	})
	if err != nil {
		return nil, err
	}
	c.ctrl = ctrl
	c.nodes.AddEventHandler(informer.HandlerFuncs[*types.Node]{
		Add: func(n *types.Node) { ctrl.Enqueue(informer.RequestFor(n)) },
		Update: func(old, n *types.Node) {
			if old.Spec.PodCIDR != n.Spec.PodCIDR || n.Spec.PodCIDR == "" {
				ctrl.Enqueue(informer.RequestFor(n))
			}
		},
		Delete: func(n *types.Node, _ bool) { ctrl.Enqueue(informer.RequestFor(n)) },
	})
	return c, nil
}

// Run assigns pod CIDRs until ctx ends and returns once every worker has
// exited.
func (c *Controller) Run(ctx context.Context) error { return c.ctrl.Run(ctx) }

// Name returns "nodeipam".
func (c *Controller) Name() string { return c.ctrl.Name() }

// Allocated returns the pod CIDR this controller holds for each node.
func (c *Controller) Allocated() map[string]netip.Prefix {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]netip.Prefix, len(c.byNode))
	for n, p := range c.byNode {
		out[n] = p
	}
	return out
}

// load marks every pod CIDR already on a Node as used, once, before the
// first allocation. Called with c.mu held, after the informer synced.
func (c *Controller) load() {
	if c.loaded {
		return
	}
	c.loaded = true
	for _, n := range c.nodes.List(nil) {
		if n.Spec.PodCIDR != "" {
			_ = c.hold(n.Name, n.Spec.PodCIDR)
		}
	}
}

// hold records that node holds cidr. Called with c.mu held.
func (c *Controller) hold(node, cidr string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return fmt.Errorf("%w: %q is not a CIDR", ErrNotInRange, cidr)
	}
	if cur, ok := c.byNode[node]; ok {
		if cur == p {
			return nil
		}
		c.releaseLocked(node)
	}
	if o, ok := c.owner[p]; ok && o != node {
		return fmt.Errorf("%w: %s is held by node %s", ErrInUse, p, o)
	}
	if err := c.set.Occupy(p); err != nil {
		return err
	}
	c.byNode[node], c.owner[p] = p, node
	return nil
}

// releaseLocked frees the block node holds, if any. Called with c.mu held.
func (c *Controller) releaseLocked(node string) bool {
	p, ok := c.byNode[node]
	if !ok {
		return false
	}
	delete(c.byNode, node)
	delete(c.owner, p)
	_ = c.set.Release(p)
	return true
}

// Reconcile gives one node a pod CIDR, or releases the one it held.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	select {
	case <-c.f.Synced():
	case <-ctx.Done():
		return reconcile.Result{}, nil
	}
	n, ok := c.nodes.Get("", req.Name)
	c.mu.Lock()
	c.load()
	if !ok {
		freed := c.releaseLocked(req.Name)
		c.mu.Unlock()
		if freed {
			c.retryWaiting()
		}
		return reconcile.Result{}, nil
	}
	if n.Spec.PodCIDR != "" {
		err := c.hold(n.Name, n.Spec.PodCIDR)
		c.mu.Unlock()
		if err != nil {
			msg := fmt.Sprintf("node %s: spec.podCIDR %q is kept but not managed: %v", n.Name, n.Spec.PodCIDR, err)
			c.log.Warn(msg)
			record.Emit(ctx, c.rec, n, types.EventTypeWarning, "CIDRNotAvailable", msg)
		}
		return reconcile.Result{}, nil
	}
	p, held := c.byNode[n.Name]
	if !held {
		var err error
		if p, err = c.set.Allocate(); err != nil {
			c.mu.Unlock()
			err = fmt.Errorf("node %s: no pod CIDR: %w", n.Name, err)
			record.Emit(ctx, c.rec, n, types.EventTypeWarning, "CIDRNotAvailable", err.Error())
			return reconcile.Result{}, err
		}
		c.byNode[n.Name], c.owner[p] = p, n.Name
	}
	c.mu.Unlock()
	if err := c.write(ctx, n.Name, p); err != nil {
		return reconcile.Result{}, err
	}
	c.log.Info("pod CIDR assigned", "node", n.Name, "podCIDR", p.String())
	return reconcile.Result{}, nil
}

// write sets spec.podCIDR(s) of node to p, unless the node got one in the
// meantime (then the next reconcile adopts it and frees p).
func (c *Controller) write(ctx context.Context, node string, p netip.Prefix) error {
	nodes := store.For[*types.Node](c.st)
	for try := 0; try < 5; try++ {
		cur, err := nodes.Get(ctx, "", node)
		if store.IsNotFound(err) {
			c.mu.Lock()
			c.releaseLocked(node)
			c.mu.Unlock()
			return nil
		}
		if err != nil {
			return fmt.Errorf("node %s: %w", node, err)
		}
		if cur.Spec.PodCIDR != "" {
			if cur.Spec.PodCIDR != p.String() {
				c.mu.Lock()
				c.releaseLocked(node)
				c.mu.Unlock()
				c.ctrl.Enqueue(reconcile.Request{Name: node})
			}
			return nil
		}
		cur.Spec.PodCIDR = p.String()
		cur.Spec.PodCIDRs = []string{p.String()}
		_, err = nodes.Update(ctx, cur)
		if store.IsConflict(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("node %s: writing spec.podCIDR %s: %w", node, p, err)
		}
		return nil
	}
	return fmt.Errorf("node %s: writing spec.podCIDR %s: %w", node, p, errConflicts)
}

var errConflicts = errors.New("too many conflicts")

// retryWaiting enqueues every node still without a pod CIDR.
func (c *Controller) retryWaiting() {
	for _, n := range c.nodes.List(nil) {
		if n.Spec.PodCIDR == "" {
			c.ctrl.Enqueue(informer.RequestFor(n))
		}
	}
}
