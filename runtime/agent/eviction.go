package agent

import (
	"context"
	"fmt"
	"sort"

	"github.com/coxswain/coxswain/types"
)

// evictionLoop checks the node's available memory every EvictionPeriod and,
// below EvictionMemoryAvailable, evicts one pod per period: BestEffort before
// Burstable before Guaranteed, lower priority first, as the kubelet ranks.
func (a *Agent) evictionLoop(ctx context.Context) {
	t := a.clk.NewTicker(a.cfg.EvictionPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		a.checkEviction()
	}
}

func qosRank(q types.PodQOSClass) int {
	switch q {
	case types.PodQOSBestEffort:
		return 0
	case types.PodQOSBurstable:
		return 1
	}
	return 2
}

func priorityOf(p *types.Pod) int32 {
	if p.Spec.Priority != nil {
		return *p.Spec.Priority
	}
	return 0
}

// checkEviction reads memory and evicts at most one pod. It returns the
// evicted pod's namespace/name, or "".
func (a *Agent) checkEviction() string {
	mi, err := a.mem()
	if err != nil {
		a.log.Warn("reading memory", "err", err)
		return ""
	}
	pressure := mi.Available < a.cfg.EvictionMemoryAvailable
	a.mu.Lock()
	changed := pressure != a.memPressure
	a.memPressure = pressure
	var cands []*podWorker
	if pressure {
		for _, w := range a.workers {
			w.mu.Lock()
			ok := !w.removed && w.evict == "" && w.pod.Status.Phase != types.PodSucceeded && w.pod.Status.Phase != types.PodFailed
			w.mu.Unlock()
			if ok && !w.static {
				cands = append(cands, w)
			}
		}
	}
	a.mu.Unlock()
	if changed {
		a.log.Info("memory pressure changed", "pressure", pressure, "available", mi.Available)
	}
	if len(cands) == 0 {
		return ""
	}
	type ranked struct {
		w   *podWorker
		q   int
		pri int32
	}
	rs := make([]ranked, 0, len(cands))
	for _, w := range cands {
		p, _, _ := w.snapshot()
		rs = append(rs, ranked{w, qosRank(types.PodQOS(p)), priorityOf(p)})
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].q != rs[j].q {
			return rs[i].q < rs[j].q
		}
		if rs[i].pri != rs[j].pri {
			return rs[i].pri < rs[j].pri
		}
		return rs[i].w.key < rs[j].w.key
	})
	v := rs[0].w
	thr := types.NewQuantity(a.cfg.EvictionMemoryAvailable, types.BinarySI)
	v.setEvict(fmt.Sprintf("The node was low on resource: memory. Threshold quantity: %s, available: %dKi.", thr.String(), mi.Available/1024))
	a.metrics.evictions.Inc()
	a.log.Info("evicting pod", "pod", v.key, "available", mi.Available)
	return v.key
}
