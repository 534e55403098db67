package podautoscaler

import (
	"fmt"
	"math"
	"time"

	"github.com/coxswain/coxswain/types"
)

// podGroups sorts a target's pods as Kubernetes' replica calculator does.
type podGroups struct {
	ready            int
	unready, missing []string
	ignored          map[string]bool
}

// groupPods splits pods into ready ones with metrics, unready ones
// (pending; for cpu also not yet Ready within the initialization period),
// ones without metrics, and ignored ones (deleted, failed).
func groupPods(pods []*types.Pod, metrics map[string]int64, resource types.ResourceName, cpuInit time.Duration, now time.Time) podGroups {
	g := podGroups{ignored: map[string]bool{}}
	for _, p := range pods {
		if p.DeletionTimestamp != nil || p.Status.Phase == types.PodFailed || p.Status.Phase == types.PodSucceeded {
			g.ignored[p.Name] = true
			continue
		}
		if p.Status.Phase == types.PodPending || p.Status.Phase == "" {
			g.unready = append(g.unready, p.Name)
			continue
		}
		if _, ok := metrics[p.Name]; !ok {
			g.missing = append(g.missing, p.Name)
			continue
		}
		if resource == types.ResourceCPU && !types.IsPodReady(p) {
			if p.Status.StartTime == nil || p.Status.StartTime.Add(cpuInit).After(now) {
				g.unready = append(g.unready, p.Name)
				continue
			}
		}
		g.ready++
	}
	return g
}

// requests sums each pod's containers' requests of resource; a container
// without one is an error, as in Kubernetes.
func requests(pods []*types.Pod, resource types.ResourceName) (map[string]int64, error) {
	out := make(map[string]int64, len(pods))
	for _, p := range pods {
		var sum int64
		for _, c := range p.Spec.Containers {
			q, ok := c.Resources.Requests[resource]
			if !ok {
				return nil, fmt.Errorf("missing request for %s in container %s of Pod %s", resource, c.Name, p.Name)
			}
			sum += q.MilliValue()
		}
		out[p.Name] = sum
	}
	return out, nil
}

func within(ratio, tolerance float64) bool { return math.Abs(1-ratio) <= tolerance }

// utilizationReplicas is Kubernetes' GetResourceReplicas: the replicas
// that bring the average utilization (usage/request, in percent) of the
// pods to target. It returns the replicas, the current utilization and the
// current average raw usage (milli-units).
func utilizationReplicas(current int32, target int32, pods []*types.Pod, metrics map[string]int64, resource types.ResourceName,
	tolerance float64, cpuInit time.Duration, now time.Time) (int32, int32, int64, error) {
	if len(pods) == 0 {
		return 0, 0, 0, fmt.Errorf("%w: no pods match the target's selector", ErrNoMetrics)
	}
	g := groupPods(pods, metrics, resource, cpuInit, now)
	m := map[string]int64{}
	for k, v := range metrics {
		m[k] = v
	}
	for k := range g.ignored {
		delete(m, k)
	}
	for _, k := range g.unready {
		delete(m, k)
	}
	if len(m) == 0 {
		return 0, 0, 0, fmt.Errorf("%w: no %s metrics for the ready pods", ErrNoMetrics, resource)
	}
	req, err := requests(pods, resource)
	if err != nil {
		return 0, 0, 0, err
	}
	ratioOf := func(m map[string]int64) (float64, int32, int64, error) {
		var use, rq int64
		for k, v := range m {
			r, ok := req[k]
			if !ok {
				continue
			}
			use += v
			rq += r
		}
		if rq == 0 {
			return 0, 0, 0, fmt.Errorf("no %s requests for the pods with metrics", resource)
		}
		util := int32(use * 100 / rq)
		return float64(use*100) / float64(rq) / float64(target), util, use / int64(len(m)), nil
	}
	ratio, util, raw, err := ratioOf(m)
	if err != nil {
		return 0, 0, 0, err
	}
	scaleUpUnready := len(g.unready) > 0 && ratio > 1
	if !scaleUpUnready && len(g.missing) == 0 {
		if within(ratio, tolerance) {
			return current, util, raw, nil
		}
		return int32(math.Ceil(ratio * float64(g.ready))), util, raw, nil
	}
	if len(g.missing) > 0 {
		for _, k := range g.missing {
			switch {
			case ratio < 1:
				m[k] = req[k] * int64(target) / 100 // assume at target: conservative for scaling down
				if req[k] > m[k] {
					m[k] = req[k]
				}
			case ratio > 1:
				m[k] = 0
			}
		}
	}
	if scaleUpUnready {
		for _, k := range g.unready {
			m[k] = 0
		}
	}
	newRatio, _, _, err := ratioOf(m)
	if err != nil {
		return 0, 0, 0, err
	}
	if within(newRatio, tolerance) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1) {
		return current, util, raw, nil
	}
	n := int32(math.Ceil(newRatio * float64(len(m))))
	if (newRatio < 1 && n > current) || (newRatio > 1 && n < current) {
		return current, util, raw, nil
	}
	return n, util, raw, nil
}

// averageReplicas is the replicas that bring the average of a metric over
// the ready pods to target (milli-units), as GetMetricReplicas does.
func averageReplicas(current int32, target int64, pods []*types.Pod, metrics map[string]int64, tolerance float64, now time.Time) (int32, int64, error) {
	g := groupPods(pods, metrics, "", 0, now)
	var sum int64
	n := 0
	for k, v := range metrics {
		if g.ignored[k] {
			continue
		}
		sum += v
		n++
	}
	if n == 0 || target <= 0 {
		return 0, 0, fmt.Errorf("%w: no pod metrics", ErrNoMetrics)
	}
	avg := sum / int64(n)
	ratio := float64(sum) / float64(n) / float64(target)
	if within(ratio, tolerance) {
		return current, avg, nil
	}
	return int32(math.Ceil(float64(sum) / float64(target))), avg, nil
}

// objectReplicas scales on one object's value against a target value
// (ratio times the ready pods) or a target average (value over target).
func objectReplicas(current int32, ready int, value int64, t types.MetricTarget, tolerance float64) (int32, error) {
	switch {
	case t.Type == types.ValueMetricType && t.Value != nil && t.Value.MilliValue() > 0:
		ratio := float64(value) / float64(t.Value.MilliValue())
		if within(ratio, tolerance) {
			return current, nil
		}
		return int32(math.Ceil(ratio * float64(ready))), nil
	case t.Type == types.AverageValueMetricType && t.AverageValue != nil && t.AverageValue.MilliValue() > 0:
		ratio := float64(value) / float64(t.AverageValue.MilliValue()) / float64(max(current, 1))
		if within(ratio, tolerance) {
			return current, nil
		}
		return int32(math.Ceil(float64(value) / float64(t.AverageValue.MilliValue()))), nil
	}
	return 0, fmt.Errorf("object metric: target %s needs a positive value", t.Type)
}
