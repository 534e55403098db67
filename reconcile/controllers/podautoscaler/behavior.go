package podautoscaler

import (
	"math"
	"time"

	"github.com/coxswain/coxswain/types"
)

// Defaults of spec.behavior, as Kubernetes'.
const (
	DefaultScaleDownStabilization = 300 * time.Second
	DefaultScaleUpStabilization   = 0
)

// DefaultBehavior returns Kubernetes' default behavior: scale up by 100% or
// 4 pods per 15 s, whichever is more, at once; scale down by 100% per 15 s
// after a 300 s stabilization window.
func DefaultBehavior() types.HorizontalPodAutoscalerBehavior {
	maxSel := types.MaxChangePolicySelect
	return types.HorizontalPodAutoscalerBehavior{
		ScaleUp: &types.HPAScalingRules{StabilizationWindowSeconds: ptr(int32(0)), SelectPolicy: &maxSel,
			Policies: []types.HPAScalingPolicy{{Type: types.PodsScalingPolicy, Value: 4, PeriodSeconds: 15}, {Type: types.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}},
		ScaleDown: &types.HPAScalingRules{StabilizationWindowSeconds: ptr(int32(300)), SelectPolicy: &maxSel,
			Policies: []types.HPAScalingPolicy{{Type: types.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}},
	}
}

func ptr[T any](v T) *T { return &v }

// withDefaults fills what b leaves out from DefaultBehavior.
func withDefaults(b *types.HorizontalPodAutoscalerBehavior) types.HorizontalPodAutoscalerBehavior {
	d := DefaultBehavior()
	if b == nil {
		return d
	}
	fill := func(r, def *types.HPAScalingRules) *types.HPAScalingRules {
		if r == nil {
			return def
		}
		out := *r
		if out.StabilizationWindowSeconds == nil {
			out.StabilizationWindowSeconds = def.StabilizationWindowSeconds
		}
		if out.SelectPolicy == nil {
			out.SelectPolicy = def.SelectPolicy
		}
		if out.Policies == nil {
			out.Policies = def.Policies
		}
		return &out
	}
	return types.HorizontalPodAutoscalerBehavior{ScaleUp: fill(b.ScaleUp, d.ScaleUp), ScaleDown: fill(b.ScaleDown, d.ScaleDown)}
}

type recommendation struct {
	at       time.Time
	replicas int32
}

type scaleEvent struct {
	at     time.Time
	change int32 // positive up, negative down
}

// history is what one autoscaler remembers between syncs.
type history struct {
	recs   []recommendation
	events []scaleEvent
}

// stabilize is Kubernetes' stabilizeRecommendationWithBehaviors: the
// highest recommendation of the scale-down window bounds a decrease, the
// lowest of the scale-up window bounds an increase. It records desired.
func (h *history) stabilize(b types.HorizontalPodAutoscalerBehavior, current, desired int32, now time.Time) int32 {
	up, down := desired, desired
	upCut := now.Add(-time.Duration(*b.ScaleUp.StabilizationWindowSeconds) * time.Second)
	downCut := now.Add(-time.Duration(*b.ScaleDown.StabilizationWindowSeconds) * time.Second)
	longest := max(*b.ScaleUp.StabilizationWindowSeconds, *b.ScaleDown.StabilizationWindowSeconds)
	keep := h.recs[:0]
	for _, r := range h.recs {
		if r.at.After(upCut) {
			up = min(up, r.replicas)
		}
		if r.at.After(downCut) {
			down = max(down, r.replicas)
		}
		if !r.at.Before(now.Add(-time.Duration(longest) * time.Second)) {
			keep = append(keep, r)
		}
	}
	h.recs = append(keep, recommendation{at: now, replicas: desired})
	out := current
	if out < up {
		out = up
	}
	if out > down {
		out = down
	}
	return out
}

func (h *history) changeIn(period int32, now time.Time, up bool) int32 {
	cut := now.Add(-time.Duration(period) * time.Second)
	var sum int32
	for _, e := range h.events {
		if e.at.After(cut) && (e.change > 0) == up {
			if up {
				sum += e.change
			} else {
				sum -= e.change
			}
		}
	}
	return sum
}

func (h *history) record(now time.Time, change int32, longest time.Duration) {
	keep := h.events[:0]
	for _, e := range h.events {
		if now.Sub(e.at) <= longest {
			keep = append(keep, e)
		}
	}
	h.events = append(keep, scaleEvent{at: now, change: change})
}

// limit is Kubernetes' convertDesiredReplicasWithBehaviorRate: it bounds a
// change by the policies over their periods and by min/max replicas. It
// returns the replicas, the ScalingLimited reason ("" if not limited) and
// its message.
func (h *history) limit(b types.HorizontalPodAutoscalerBehavior, current, desired, minR, maxR int32, now time.Time) (int32, string, string) {
	switch {
	case desired > current:
		if *b.ScaleUp.SelectPolicy == types.DisabledPolicySelect {
			return current, "ScalingDisabled", "scaling up is disabled by the policy"
		}
		lim := int32(math.MinInt32)
		pick := func(a, b int32) int32 { return max(a, b) }
		if *b.ScaleUp.SelectPolicy == types.MinChangePolicySelect {
			lim, pick = math.MaxInt32, func(a, b int32) int32 { return min(a, b) }
		}
		for _, p := range b.ScaleUp.Policies {
			start := current - h.changeIn(p.PeriodSeconds, now, true)
			var prop int32
			if p.Type == types.PodsScalingPolicy {
				prop = start + p.Value
			} else {
				prop = int32(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
			}
			lim = pick(lim, prop)
		}
		lim = max(lim, current)
		switch {
		case desired > maxR && maxR <= lim:
			return maxR, "TooManyReplicas", "the desired replica count is more than the maximum replica count"
		case desired > lim:
			return lim, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"
		}
	case desired < current:
		if *b.ScaleDown.SelectPolicy == types.DisabledPolicySelect {
			return current, "ScalingDisabled", "scaling down is disabled by the policy"
		}
		lim := int32(math.MaxInt32)
		pick := func(a, b int32) int32 { return min(a, b) }
		if *b.ScaleDown.SelectPolicy == types.MinChangePolicySelect {
			lim, pick = math.MinInt32, func(a, b int32) int32 { return max(a, b) }
		}
		for _, p := range b.ScaleDown.Policies {
			start := current + h.changeIn(p.PeriodSeconds, now, false)
			var prop int32
			if p.Type == types.PodsScalingPolicy {
				prop = start - p.Value
			} else {
				prop = int32(float64(start) * (1 - float64(p.Value)/100))
			}
			lim = pick(lim, prop)
		}
		lim = min(lim, current)
		switch {
		case desired < minR && minR >= lim:
			return minR, "TooFewReplicas", "the desired replica count is less than the minimum replica count"
		case desired < lim:
			return lim, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate"
		}
	}
	switch {
	case desired > maxR:
		return maxR, "TooManyReplicas", "the desired replica count is more than the maximum replica count"
	case desired < minR:
		return minR, "TooFewReplicas", "the desired replica count is less than the minimum replica count"
	}
	return desired, "", ""
}
