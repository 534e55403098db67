package remote

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Quota is the ResourceQuota admission plugin and its small controller.
//
// On a create in a namespace with ResourceQuotas, it computes what the new
// object uses (count/<resource>[.<group>] for every kind; pods, services,
// configmaps, secrets, persistentvolumeclaims, replicationcontrollers,
// resourcequotas; for pods requests.cpu, requests.memory, limits.cpu,
// limits.memory, cpu and memory), rejects it with 403 Forbidden when
// status.used plus that would exceed spec.hard —
//
//	exceeded quota: q, requested: pods=1, used: pods=3, limited: pods=3
//
// — and otherwise charges it to status.used with a compare-and-swap on the
// quota's status (retried on conflict), as Kubernetes does, so concurrent
// creates can never exceed the quota together. Run recalculates status.used
// from the objects that exist, so deletions (and creates that failed after
// admission) are released.
type Quota struct {
	st     store.Store
	scheme *types.Scheme
	clk    clock.Clock
	// Interval is how often Run recalculates. Default 10s.
	Interval time.Duration
}

var _ Admission = (*Quota)(nil)

// NewQuota returns the quota plugin over st; scheme nil means
// types.NewScheme().
func NewQuota(st store.Store, scheme *types.Scheme, clk clock.Clock) *Quota {
	if scheme == nil {
		scheme = types.NewScheme()
	}
	return &Quota{st: st, scheme: scheme, clk: clock.Or(clk), Interval: 10 * time.Second}
}

// countName is the count/<resource>[.<group>] name of a kind.
func countName(k types.KindInfo) types.ResourceName {
	if k.Group == "" {
		return types.ResourceName("count/" + k.Resource)
	}
	return types.ResourceName("count/" + k.Resource + "." + k.Group)
}

var legacyCounts = map[string]types.ResourceName{
	"Pod": "pods", "Service": "services", "ConfigMap": "configmaps", "Secret": "secrets",
	"PersistentVolumeClaim": "persistentvolumeclaims", "ReplicationController": "replicationcontrollers",
	"ResourceQuota": "resourcequotas",
}

// Usage returns what one object counts against a quota.
func Usage(k types.KindInfo, obj types.Object) types.ResourceList {
	one := types.MustParseQuantity("1")
	u := types.ResourceList{countName(k): one}
	if n, ok := legacyCounts[k.Kind]; ok {
		u[n] = one
	}
	if p, ok := obj.(*types.Pod); ok {
		if p.Status.Phase == types.PodSucceeded || p.Status.Phase == types.PodFailed {
			return types.ResourceList{}
		}
		req, lim := podResources(p)
		for _, r := range []string{"cpu", "memory"} {
			if q, ok := req[types.ResourceName(r)]; ok {
				u[types.ResourceName("requests."+r)] = q
				u[types.ResourceName(r)] = q
			}
			if q, ok := lim[types.ResourceName(r)]; ok {
				u[types.ResourceName("limits."+r)] = q
			}
		}
	}
	return u
}

// podResources sums the containers' requests and limits, taking the larger
// of that and each init container, as Kubernetes does.
func podResources(p *types.Pod) (req, lim types.ResourceList) {
	req, lim = types.ResourceList{}, types.ResourceList{}
	for _, c := range p.Spec.Containers {
		addList(req, c.Resources.Requests)
		addList(lim, c.Resources.Limits)
	}
	for _, c := range p.Spec.InitContainers {
		maxList(req, c.Resources.Requests)
		maxList(lim, c.Resources.Limits)
	}
	return req, lim
}

func addList(dst, src types.ResourceList) {
	for k, v := range src {
		if cur, ok := dst[k]; ok {
			dst[k] = cur.Add(v)
		} else {
			dst[k] = v
		}
	}
}

func maxList(dst, src types.ResourceList) {
	for k, v := range src {
		if cur, ok := dst[k]; !ok || v.Cmp(cur) > 0 {
			dst[k] = v
		}
	}
}

// Admit implements Admission: it checks and charges creates.
func (q *Quota) Admit(ctx context.Context, r *AdmissionRequest) error {
	if r.Verb != "create" || r.Object == nil || r.Subresource != "" {
		return nil
	}
	ns := r.Object.GetObjectMeta().Namespace
	if ns == "" {
		return nil
	}
	k, ok := q.scheme.Lookup(r.Object.GetKind())
	if !ok {
		return nil
	}
	delta := Usage(k, r.Object)
	for attempt := 0; ; attempt++ {
		res, err := q.st.List(ctx, "ResourceQuota", store.ListOptions{Namespace: ns})
		if err != nil {
			return err
		}
		if len(res.Items) == 0 {
			return nil
		}
		conflict := false
		// Check every quota first, then charge each.
		var charged []*types.ResourceQuota
		for _, o := range res.Items {
			rq := o.(*types.ResourceQuota)
			used, err := q.used(ctx, rq, delta)
			if err != nil {
				return err
			}
			if err := exceeds(rq, used, delta); err != nil {
				return err
			}
			next := rq.DeepCopyObject().(*types.ResourceQuota)
			next.Status.Hard = rq.Spec.Hard
			if next.Status.Used == nil {
				next.Status.Used = types.ResourceList{}
			}
			for name := range rq.Spec.Hard {
				if d, ok := delta[name]; ok {
					next.Status.Used[name] = used[name].Add(d)
				} else if _, ok := next.Status.Used[name]; !ok {
					next.Status.Used[name] = used[name]
				}
			}
			charged = append(charged, next)
		}
		if r.DryRun {
			return nil
		}
		for _, next := range charged {
			if _, err := q.st.UpdateStatus(ctx, next); err != nil {
				if store.IsConflict(err) {
					conflict = true
					break
				}
				return err
			}
		}
		if !conflict {
			return nil
		}
		if attempt >= 20 {
			return &StatusError{Status: *newStatus(http.StatusConflict, ReasonConflict, "resource quota status kept changing; try again")}
		}
	}
}

// used returns the quota's recorded usage for the resources delta touches,
// computing (from the objects that exist) any the status does not have yet.
func (q *Quota) used(ctx context.Context, rq *types.ResourceQuota, delta types.ResourceList) (types.ResourceList, error) {
	used := types.ResourceList{}
	var missing bool
	for name := range rq.Spec.Hard {
		if v, ok := rq.Status.Used[name]; ok {
			used[name] = v
		} else {
			missing = true
		}
	}
	if !missing {
		return used, nil
	}
	actual, err := q.actual(ctx, rq.Namespace, rq.Spec.Hard)
	if err != nil {
		return nil, err
	}
	for name := range rq.Spec.Hard {
		if _, ok := used[name]; !ok {
			used[name] = actual[name]
		}
	}
	return used, nil
}

// actual computes the usage of the hard resources from the objects in ns.
func (q *Quota) actual(ctx context.Context, ns string, hard types.ResourceList) (types.ResourceList, error) {
	kinds := map[string]bool{}
	for name := range hard {
		for _, k := range q.scheme.Kinds() {
			if !k.Namespaced {
				continue
			}
			if countName(k) == name || legacyCounts[k.Kind] == name || (k.Kind == "Pod" && !strings.HasPrefix(string(name), "count/") && legacyCounts["Pod"] != name && isPodResource(name)) {
				kinds[k.Kind] = true
			}
		}
	}
	out := types.ResourceList{}
	for name := range hard {
		out[name] = types.MustParseQuantity("0")
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, kind := range names {
		k, _ := q.scheme.Lookup(kind)
		res, err := q.st.List(ctx, kind, store.ListOptions{Namespace: ns})
		if err != nil {
			return nil, err
		}
		for _, o := range res.Items {
			for name, v := range Usage(k, o) {
				if cur, ok := out[name]; ok {
					out[name] = cur.Add(v)
				}
			}
		}
	}
	return out, nil
}

func isPodResource(n types.ResourceName) bool {
	return slices.Contains([]types.ResourceName{"requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "cpu", "memory"}, n)
}

// exceeds returns the Forbidden error when used+delta passes a hard limit.
func exceeds(rq *types.ResourceQuota, used, delta types.ResourceList) error {
	var over []types.ResourceName
	for name, hard := range rq.Spec.Hard {
		d, ok := delta[name]
		if !ok || d.IsZero() {
			continue
		}
		if used[name].Add(d).Cmp(hard) > 0 {
			over = append(over, name)
		}
	}
	if len(over) == 0 {
		return nil
	}
	slices.Sort(over)
	list := func(m types.ResourceList) string {
		parts := make([]string, len(over))
		for i, n := range over {
			v := m[n]
			parts[i] = fmt.Sprintf("%s=%s", n, v.String())
		}
		return strings.Join(parts, ",")
	}
	msg := fmt.Sprintf("exceeded quota: %s, requested: %s, used: %s, limited: %s", rq.Name, list(delta), list(used), list(rq.Spec.Hard))
	st := newStatus(http.StatusForbidden, ReasonForbidden, msg)
	return &StatusError{Status: *st}
}

// Recalculate sets status.used of every quota in ns (all namespaces when
// ns is "") to the usage of the objects that exist.
func (q *Quota) Recalculate(ctx context.Context, ns string) error {
	res, err := q.st.List(ctx, "ResourceQuota", store.ListOptions{Namespace: ns})
	if err != nil {
		return err
	}
	for _, o := range res.Items {
		rq := o.(*types.ResourceQuota)
		for attempt := 0; attempt < 5; attempt++ {
			actual, err := q.actual(ctx, rq.Namespace, rq.Spec.Hard)
			if err != nil {
				return err
			}
			next := rq.DeepCopyObject().(*types.ResourceQuota)
			next.Status.Hard, next.Status.Used = rq.Spec.Hard, actual
			if _, err := q.st.UpdateStatus(ctx, next); err == nil {
				break
			} else if !store.IsConflict(err) {
				if store.IsNotFound(err) {
					break
				}
				return err
			}
			cur, err := q.st.Get(ctx, "ResourceQuota", rq.Namespace, rq.Name)
			if err != nil {
				break
			}
			rq = cur.(*types.ResourceQuota)
		}
	}
	return nil
}

// Run recalculates every Interval until ctx ends.
func (q *Quota) Run(ctx context.Context) error {
	iv := q.Interval
	if iv <= 0 {
		iv = 10 * time.Second
	}
	t := q.clk.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
			_ = q.Recalculate(ctx, "")
		}
	}
}
