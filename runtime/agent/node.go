package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	goruntime "runtime"
	"strconv"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// register creates the node's Node, or takes over an existing one, and
// writes its first status. It retries until it succeeds or ctx ends.
func (a *Agent) register(ctx context.Context) error {
	delay := 100 * time.Millisecond
	for {
		err := a.tryRegister(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		a.log.Warn("registering node", "err", err)
		t := a.clk.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		}
		delay = min(2*delay, 7*time.Second)
	}
}

func (a *Agent) nodeLabels() map[string]string {
	l := map[string]string{
		types.LabelHostname:   a.name,
		types.LabelOSStable:   goruntime.GOOS,
		types.LabelArchStable: goruntime.GOARCH,
	}
	for k, v := range a.cfg.Labels {
		l[k] = v
	}
	return l
}

func (a *Agent) tryRegister(ctx context.Context) error {
	nodes := store.For[*types.Node](a.st)
	n := &types.Node{}
	n.Name = a.name
	n.Labels = a.nodeLabels()
	n.Spec.Taints = append([]types.Taint(nil), a.cfg.Taints...)
	created, err := nodes.Create(ctx, n)
	switch {
	case err == nil:
		n = created
	case store.IsAlreadyExists(err):
		n, err = nodes.Get(ctx, "", a.name)
		if err != nil {
			return err
		}
		changed := false
		for k, v := range a.nodeLabels() {
			if n.Labels[k] != v {
				if n.Labels == nil {
					n.Labels = map[string]string{}
				}
				n.Labels[k] = v
				changed = true
			}
		}
		if changed {
			if n, err = nodes.Update(ctx, n); err != nil {
				return err
			}
		}
	default:
		return err
	}
	a.notePodCIDR(n)
	return a.updateNodeStatus(ctx, true)
}

func (a *Agent) notePodCIDR(n *types.Node) {
	a.mu.Lock()
	cidr := n.Spec.PodCIDR
	changed := cidr != "" && cidr != a.podCIDR
	if changed {
		a.podCIDR = cidr
	}
	a.mu.Unlock()
	if changed && a.cfg.OnPodCIDR != nil {
		a.cfg.OnPodCIDR(cidr)
	}
}

// nodeStatus computes the node's status, keeping the transition times of
// conditions whose status did not change from old.
func (a *Agent) nodeStatus(ctx context.Context, old *types.NodeStatus) types.NodeStatus {
	now := types.NewTime(a.clk.Now())
	v, rtErr := a.runtimeVersion(ctx)
	a.mu.Lock()
	memPressure := a.memPressure
	port := 0
	if a.ln != nil {
		port = portOf(a.ln.Addr().String())
	}
	a.mu.Unlock()
	info := systemInfo()
	if v.RuntimeName != "" {
		info.ContainerRuntimeVersion = v.RuntimeName + "://" + v.RuntimeVersion
	}
	s := types.NodeStatus{
		Capacity:    a.capacity,
		Allocatable: a.allocatable,
		Addresses:   a.addresses,
		NodeInfo:    info,
		Phase:       "",
	}
	s.DaemonEndpoints.KubeletEndpoint.Port = int32(port)

	cond := func(t types.NodeConditionType, st types.ConditionStatus, reason, msg string) types.NodeCondition {
		c := types.NodeCondition{Type: t, Status: st, Reason: reason, Message: msg, LastHeartbeatTime: now, LastTransitionTime: now}
		if old != nil {
			if o := old.Condition(t); o != nil && o.Status == st {
				c.LastTransitionTime = o.LastTransitionTime
			}
		}
		return c
	}
	var netErr error
	if a.cfg.NetworkReady != nil {
		netErr = a.cfg.NetworkReady()
	}
	if netErr == nil && a.cfg.Network != nil {
		netErr = a.cfg.Network.Ready()
	}
	if memPressure {
		s.Conditions = append(s.Conditions, cond(types.NodeMemoryPressure, types.ConditionTrue, "KubeletHasInsufficientMemory", "kubelet has insufficient memory available"))
	} else {
		s.Conditions = append(s.Conditions, cond(types.NodeMemoryPressure, types.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"))
	}
	s.Conditions = append(s.Conditions,
		cond(types.NodeDiskPressure, types.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
		cond(types.NodePIDPressure, types.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"))
	if a.cfg.NetworkReady != nil || a.cfg.Network != nil {
		if netErr != nil {
			s.Conditions = append(s.Conditions, cond(types.NodeNetworkUnavailable, types.ConditionTrue, "NetworkNotReady", netErr.Error()))
		} else {
			s.Conditions = append(s.Conditions, cond(types.NodeNetworkUnavailable, types.ConditionFalse, "NetworkReady", "network is ready"))
		}
	}
	switch {
	case rtErr != nil:
		s.Conditions = append(s.Conditions, cond(types.NodeReady, types.ConditionFalse, "KubeletNotReady", "container runtime is down: "+rtErr.Error()))
	case netErr != nil:
		s.Conditions = append(s.Conditions, cond(types.NodeReady, types.ConditionFalse, "NetworkUnavailable", "network is not ready: "+netErr.Error()))
	default:
		s.Conditions = append(s.Conditions, cond(types.NodeReady, types.ConditionTrue, "KubeletReady", "kubelet is posting ready status"))
	}
	return s
}

func portOf(addr string) int {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			p, _ := strconv.Atoi(addr[i+1:])
			return p
		}
	}
	return 0
}

// sameNodeStatus compares two statuses ignoring heartbeat times.
func sameNodeStatus(a, b types.NodeStatus) bool {
	strip := func(s types.NodeStatus) types.NodeStatus {
		s.Conditions = append([]types.NodeCondition(nil), s.Conditions...)
		for i := range s.Conditions {
			s.Conditions[i].LastHeartbeatTime = types.Time{}
		}
		return s
	}
	ea, _ := json.Marshal(strip(a))
	eb, _ := json.Marshal(strip(b))
	return string(ea) == string(eb)
}

// updateNodeStatus writes the node's status if it changed or force is set,
// retrying on conflict.
func (a *Agent) updateNodeStatus(ctx context.Context, force bool) error {
	nodes := store.For[*types.Node](a.st)
	for try := 0; try < 5; try++ {
		n, err := nodes.Get(ctx, "", a.name)
		if err != nil {
			return err
		}
		a.notePodCIDR(n)
		a.configureNetwork(ctx, n.Spec.PodCIDR)
		s := a.nodeStatus(ctx, &n.Status)
		if !force && sameNodeStatus(s, n.Status) {
			return nil
		}
		n.Status = s
		_, err = nodes.UpdateStatus(ctx, n)
		if store.IsConflict(err) {
			continue
		}
		if err == nil {
			a.metrics.nodeStatusUpdates.Inc()
		}
		return err
	}
	return fmt.Errorf("agent: node %s status: too many conflicts", a.name)
}

func (a *Agent) nodeStatusLoop(ctx context.Context) {
	t := a.clk.NewTicker(a.cfg.StatusUpdateFrequency)
	defer t.Stop()
	last := a.clk.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		force := a.clk.Now().Sub(last) >= a.cfg.StatusReportFrequency
		if err := a.updateNodeStatus(ctx, force); err != nil {
			if store.IsNotFound(err) {
				// The node was deleted: register again, as the kubelet does.
				err = a.tryRegister(ctx)
			}
			if err != nil && ctx.Err() == nil {
				a.log.Warn("updating node status", "err", err)
			}
			continue
		}
		if force {
			last = a.clk.Now()
		}
	}
}

// heartbeatLoop renews the node's Lease in kube-node-lease every
// HeartbeatInterval, starting at once.
func (a *Agent) heartbeatLoop(ctx context.Context) {
	t := a.clk.NewTicker(a.cfg.HeartbeatInterval)
	defer t.Stop()
	var lease *types.Lease
	for {
		l, err := a.renewLease(ctx, lease)
		if err != nil && ctx.Err() == nil {
			a.log.Warn("renewing lease", "err", err)
		}
		lease = l
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

func (a *Agent) renewLease(ctx context.Context, lease *types.Lease) (*types.Lease, error) {
	leases := store.For[*types.Lease](a.st)
	now := types.NewMicroTime(a.clk.Now())
	dur := int32(a.cfg.LeaseDuration / time.Second)
	holder := a.name
	for try := 0; try < 3; try++ {
		if lease == nil {
			l, err := leases.Get(ctx, types.NamespaceNodeLease, a.name)
			if store.IsNotFound(err) {
				l = &types.Lease{}
				l.Name, l.Namespace = a.name, types.NamespaceNodeLease
				l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds, l.Spec.RenewTime = &holder, &dur, &now
				if n, err := store.For[*types.Node](a.st).Get(ctx, "", a.name); err == nil {
					ctrl := false
					l.OwnerReferences = []types.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: a.name, UID: n.UID, Controller: &ctrl}}
				}
				created, err := leases.Create(ctx, l)
				if store.IsAlreadyExists(err) {
					continue
				}
				if err != nil && isNamespaceMissing(err) {
					ns := &types.Namespace{}
					ns.Name = types.NamespaceNodeLease
					if _, err := store.For[*types.Namespace](a.st).Create(ctx, ns); err != nil && !store.IsAlreadyExists(err) {
						return nil, err
					}
					continue
				}
				if err == nil {
					a.metrics.leaseRenewals.Inc()
				}
				return created, err
			}
			if err != nil {
				return nil, err
			}
			lease = l
		}
		l := lease.DeepCopyObject().(*types.Lease)
		l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds, l.Spec.RenewTime = &holder, &dur, &now
		updated, err := leases.Update(ctx, l)
		if store.IsConflict(err) || store.IsNotFound(err) {
			lease = nil
			continue
		}
		if err != nil {
			return lease, err
		}
		a.metrics.leaseRenewals.Inc()
		return updated, nil
	}
	return nil, fmt.Errorf("agent: lease %s/%s: too many conflicts", types.NamespaceNodeLease, a.name)
}

func isNamespaceMissing(err error) bool {
	return err != nil && errors.Is(err, store.ErrNamespaceNotFound)
}
