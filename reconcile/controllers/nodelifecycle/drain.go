package nodelifecycle

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// MirrorPodAnnotation marks a static pod's mirror; Drain leaves those.
const MirrorPodAnnotation = "kubernetes.io/config.mirror"

// DrainOptions configures Drain. The zero value means the defaults given on
// each field.
type DrainOptions struct {
	// Timeout bounds the whole drain; 0 means until ctx ends.
	Timeout time.Duration
	// PollInterval is how long to wait before asking again when a
	// PodDisruptionBudget refuses an eviction. Default 5s.
	PollInterval time.Duration
	// DeleteDaemonSetPods also deletes pods a DaemonSet controls (they
	// tolerate the cordon and would come back). Default false.
	DeleteDaemonSetPods bool
	// Clock paces the retries. Default clock.Real().
	Clock clock.Clock
}

// SetUnschedulable cordons (true) or uncordons (false) a node: spec.unschedulable,
// which the scheduler honours; the node lifecycle controller adds the
// matching node.kubernetes.io/unschedulable:NoSchedule taint.
func SetUnschedulable(ctx context.Context, st store.Store, node string, on bool) error {
	for {
		n, err := store.For[*types.Node](st).Get(ctx, "", node)
		if err != nil {
			return fmt.Errorf("node %s: %w", node, err)
		}
		if n.Spec.Unschedulable == on {
			return nil
		}
		n.Spec.Unschedulable = on
		if _, err = store.For[*types.Node](st).Update(ctx, n); err == nil {
			return nil
		} else if !store.IsConflict(err) {
			return fmt.Errorf("node %s: set spec.unschedulable=%v: %w", node, on, err)
		}
	}
}

// Drain cordons a node and evicts (deletes) its pods, except mirror pods
// and, unless opts say so, DaemonSet pods, as "kubectl drain" does. An
// eviction that a PodDisruptionBudget forbids (minAvailable or
// maxUnavailable over the budget's pods that are Running and Ready) is
// retried every PollInterval until it is allowed or the drain times out
// with ErrDrainTimeout naming the pods left. It returns the names of the
// pods it evicted.
func Drain(ctx context.Context, st store.Store, node string, opts DrainOptions) ([]string, error) {
	clk := clock.Or(opts.Clock)
	if opts.PollInterval <= 0 {
		opts.PollInterval = 5 * time.Second
	}
	var deadline time.Time
	if opts.Timeout > 0 {
		deadline = clk.Now().Add(opts.Timeout)
	}
	if err := SetUnschedulable(ctx, st, node, true); err != nil {
		return nil, err
	}
	fields, err := store.ParseFields("Pod", "spec.nodeName="+node)
	if err != nil {
		return nil, err
	}
	var evicted []string
	for {
		pods, _, _, err := store.For[*types.Pod](st).List(ctx, store.ListOptions{Fields: fields})
		if err != nil {
			return evicted, fmt.Errorf("drain %s: list pods: %w", node, err)
		}
		var left []string
		for _, p := range pods {
			if p.Annotations[MirrorPodAnnotation] != "" || p.DeletionTimestamp != nil {
				continue
			}
			if ref := types.ControllerOf(p); ref != nil && ref.Kind == "DaemonSet" && !opts.DeleteDaemonSetPods {
				continue
			}
			if !p.IsTerminal() {
				ok, err := disruptionAllowed(ctx, st, p)
				if err != nil {
					return evicted, err
				}
				if !ok {
					left = append(left, p.Namespace+"/"+p.Name)
					continue
				}
			}
			err := st.Delete(ctx, "Pod", p.Namespace, p.Name, store.Preconditions(p.UID, ""))
			if err != nil && !store.IsNotFound(err) && !store.IsConflict(err) {
				return evicted, fmt.Errorf("drain %s: evict %s/%s: %w", node, p.Namespace, p.Name, err)
			}
			evicted = append(evicted, p.Namespace+"/"+p.Name)
		}
		if len(left) == 0 {
			return evicted, nil
		}
		if !deadline.IsZero() && !clk.Now().Before(deadline) {
			return evicted, fmt.Errorf("%w: node %s: disruption budgets keep %s", ErrDrainTimeout, node, strings.Join(left, ", "))
		}
		t := clk.NewTimer(opts.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return evicted, ctx.Err()
		case <-t.C():
		}
	}
}

// disruptionAllowed reports whether every PodDisruptionBudget covering p
// allows one more disruption now.
func disruptionAllowed(ctx context.Context, st store.Store, p *types.Pod) (bool, error) {
	pdbs, _, _, err := store.For[*types.PodDisruptionBudget](st).List(ctx, store.ListOptions{Namespace: p.Namespace})
	if err != nil {
		return false, fmt.Errorf("list disruption budgets in %s: %w", p.Namespace, err)
	}
	for _, b := range pdbs {
		if b.Spec.Selector == nil {
			continue
		}
		sel, err := b.Spec.Selector.AsSelector()
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(p.Labels)) {
			continue
		}
		covered, _, _, err := store.For[*types.Pod](st).List(ctx, store.ListOptions{Namespace: p.Namespace, Selector: sel})
		if err != nil {
			return false, err
		}
		expected, healthy := 0, 0
		for _, q := range covered {
			if q.DeletionTimestamp != nil || q.IsTerminal() {
				continue
			}
			expected++
			if q.Status.Phase == types.PodRunning && types.IsPodReady(q) {
				healthy++
			}
		}
		if AllowedDisruptions(b, expected, healthy) <= 0 {
			return false, nil
		}
	}
	return true, nil
}

// AllowedDisruptions is how many of a budget's pods may go now, with
// expected pods of which healthy are Running and Ready: healthy minus
// minAvailable, or maxUnavailable minus the unhealthy ones. Percentages
// are of expected, rounded up.
func AllowedDisruptions(b *types.PodDisruptionBudget, expected, healthy int) int {
	scaled := func(v *types.IntOrString) int {
		if v.Type == types.String {
			var pct float64
			if _, err := fmt.Sscanf(v.StrVal, "%f%%", &pct); err != nil {
				return 0
			}
			return int(math.Ceil(pct * float64(expected) / 100))
		}
		return int(v.IntVal)
	}
	switch {
	case b.Spec.MinAvailable != nil:
		return healthy - scaled(b.Spec.MinAvailable)
	case b.Spec.MaxUnavailable != nil:
		return healthy - (expected - scaled(b.Spec.MaxUnavailable))
	}
	return healthy
}
