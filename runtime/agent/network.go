package agent

import (
	"context"
	"slices"
	"time"

	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/types"
)

// Network is the node's pod network as the agent drives it (Config.Network);
// *network.Node of runtime/network is one.
type Network interface {
	// SetPodCIDR configures the node's pod network for its pod CIDR; it
	// is cheap when nothing changed.
	SetPodCIDR(ctx context.Context, cidr string) error
	// SyncNodes is given every Node of the cluster (self is this node's
	// name), to route to their pod CIDRs.
	SyncNodes(ctx context.Context, self string, nodes []*types.Node) error
	// Ready returns nil once the pod network is up, else why not.
	Ready() error
}

// networkResync is how often routes are synced again even when no Node
// changed, repairing routes someone else removed.
const networkResync = 30 * time.Second

// configureNetwork hands cidr to Config.Network, logging a failure (the
// node stays NotReady and the next status update tries again).
func (a *Agent) configureNetwork(ctx context.Context, cidr string) {
	if a.cfg.Network == nil || cidr == "" {
		return
	}
	if err := a.cfg.Network.SetPodCIDR(ctx, cidr); err != nil && ctx.Err() == nil {
		a.log.Warn("configuring the pod network", "podCIDR", cidr, "err", err)
	}
}

// watchNodes registers the Node informer that feeds networkLoop.
func (a *Agent) watchNodes() {
	a.nodes = informer.For[*types.Node](a.factory)
	a.nodesChanged = make(chan struct{}, 1)
	poke := func() {
		select {
		case a.nodesChanged <- struct{}{}:
		default:
		}
	}
	a.nodes.AddEventHandler(informer.HandlerFuncs[*types.Node]{
		Add: func(*types.Node) { poke() },
		Update: func(old, n *types.Node) {
			if old.Spec.PodCIDR != n.Spec.PodCIDR || !slices.Equal(old.Status.Addresses, n.Status.Addresses) {
				poke()
			}
		},
		Delete: func(*types.Node, bool) { poke() },
	})
}

// networkLoop syncs Config.Network's routes whenever a Node changes, and
// every networkResync. After the first sync it writes the node status at
// once if the network just became ready, rather than at the next
// StatusUpdateFrequency tick.
func (a *Agent) networkLoop(ctx context.Context) {
	t := a.clk.NewTicker(networkResync)
	defer t.Stop()
	wasReady := a.cfg.Network.Ready() == nil
	for {
		if self, ok := a.nodes.Get("", a.name); ok {
			a.configureNetwork(ctx, self.Spec.PodCIDR)
		}
		if err := a.cfg.Network.SyncNodes(ctx, a.name, a.nodes.List(nil)); err != nil && ctx.Err() == nil {
			a.log.Warn("syncing routes to other nodes", "err", err)
		}
		if !wasReady && a.cfg.Network.Ready() == nil {
			wasReady = true
			if err := a.updateNodeStatus(ctx, false); err != nil && ctx.Err() == nil {
				a.log.Warn("updating node status", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-a.nodesChanged:
		case <-t.C():
		}
	}
}
