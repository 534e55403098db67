package podautoscaler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers/record"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Controller runs HorizontalPodAutoscalers. Build it with New and run it
// (or add it to a reconcile.Manager). Safe for concurrent use.
type Controller struct {
	st      store.Store
	cfg     Config
	clk     clock.Clock
	log     *slog.Logger
	metrics MetricsSource
	hpas    *informer.Informer[*types.HorizontalPodAutoscaler]
	pods    *informer.Informer[*types.Pod]
	ctrl    *reconcile.Controller[reconcile.Request]

	mu   sync.Mutex // guards hist
	hist map[string]*history

	synced atomic.Int64 // completed syncs (tests wait on it)
}

var _ reconcile.Runnable = (*Controller)(nil)

// New returns the HPA controller reading metrics from ms (for example
// &AgentMetrics{...}), with handlers on the HPA and Pod informers of f.
func New(st store.Store, f *informer.Factory, ms MetricsSource, cfg Config) (*Controller, error) {
	if st == nil || f == nil || ms == nil {
		return nil, ErrNilDependency
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Controller{st: st, cfg: cfg, clk: cfg.Clock, log: cfg.Logger.With("controller", "horizontalpodautoscaler"), metrics: ms,
		hpas: informer.For[*types.HorizontalPodAutoscaler](f), pods: informer.For[*types.Pod](f), hist: map[string]*history{}}
	ctrl, err := reconcile.New[reconcile.Request](c, reconcile.Config{
		Name: "horizontalpodautoscaler", Workers: cfg.Workers, Clock: cfg.Clock, Logger: cfg.Logger, Registerer: cfg.Registerer,
	})
	if err != nil {
		return nil, err
	}
	c.ctrl = ctrl
	c.hpas.AddEventHandler(informer.HandlerFuncs[*types.HorizontalPodAutoscaler]{
		Add: func(h *types.HorizontalPodAutoscaler) { ctrl.Enqueue(informer.RequestFor(h)) },
		Update: func(o, h *types.HorizontalPodAutoscaler) {
			if o.Generation != h.Generation {
				ctrl.Enqueue(informer.RequestFor(h))
			}
		},
		Delete: func(h *types.HorizontalPodAutoscaler, _ bool) {
			c.mu.Lock()
			delete(c.hist, informer.Key(h))
			c.mu.Unlock()
		},
	})
	return c, nil
}

// Run syncs until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.ctrl.Run(ctx) }

// Name returns "horizontalpodautoscaler".
func (c *Controller) Name() string { return "horizontalpodautoscaler" }

// scale is the scale subresource of a target.
type scale struct {
	obj      types.Object
	replicas int32
	sel      labels.Selector
	set      func(int32)
}

func scaleOf(obj types.Object) (scale, error) {
	one := func(p *int32) int32 {
		if p == nil {
			return 1
		}
		return *p
	}
	sel := func(ls *types.LabelSelector) (labels.Selector, error) {
		if ls == nil {
			return labels.Nothing(), nil
		}
		return ls.AsSelector()
	}
	switch o := obj.(type) {
	case *types.Deployment:
		s, err := sel(o.Spec.Selector)
		return scale{o, one(o.Spec.Replicas), s, func(n int32) { o.Spec.Replicas = &n }}, err
	case *types.ReplicaSet:
		s, err := sel(o.Spec.Selector)
		return scale{o, one(o.Spec.Replicas), s, func(n int32) { o.Spec.Replicas = &n }}, err
	case *types.StatefulSet:
		s, err := sel(o.Spec.Selector)
		return scale{o, one(o.Spec.Replicas), s, func(n int32) { o.Spec.Replicas = &n }}, err
	case *types.ReplicationController:
		s := labels.Nothing()
		if len(o.Spec.Selector) > 0 {
			s = labels.SelectorFromSet(o.Spec.Selector)
		}
		return scale{o, one(o.Spec.Replicas), s, func(n int32) { o.Spec.Replicas = &n }}, nil
	}
	return scale{}, fmt.Errorf("kind %s has no scale subresource", obj.GetKind())
}

// Reconcile evaluates one autoscaler and runs it again after SyncPeriod.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	defer c.synced.Add(1)
	h, ok := c.hpas.Get(req.Namespace, req.Name)
	if !ok || h.DeletionTimestamp != nil {
		return reconcile.Result{}, nil
	}
	next := reconcile.Result{RequeueAfter: c.cfg.SyncPeriod}
	now := c.clk.Now()
	st := h.Status.DeepCopy()
	gen := h.Generation
	st.ObservedGeneration = &gen
	ref := h.Spec.ScaleTargetRef
	obj, err := c.st.Get(ctx, ref.Kind, h.Namespace, ref.Name)
	var sc scale
	if err == nil {
		sc, err = scaleOf(obj)
	}
	if err != nil {
		setCond(st, types.AbleToScale, types.ConditionFalse, "FailedGetScale", fmt.Sprintf("the HPA controller was unable to get the target's current scale: %v", err), now)
		record.Emit(ctx, c.cfg.Recorder, h, types.EventTypeWarning, "FailedGetScale", err.Error())
		return next, c.writeStatus(ctx, h, st)
	}
	st.CurrentReplicas = sc.replicas
	minR := int32(1)
	if h.Spec.MinReplicas != nil {
		minR = *h.Spec.MinReplicas
	}
	if sc.replicas == 0 && minR != 0 {
		st.DesiredReplicas = 0
		setCond(st, types.ScalingActive, types.ConditionFalse, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero", now)
		return next, c.writeStatus(ctx, h, st)
	}
	pods := c.pods.ListIn(h.Namespace, sc.sel)
	proposal, metrics, mErr := c.compute(ctx, h, sc, pods, now)
	st.CurrentMetrics = metrics
	if mErr != nil && proposal == 0 {
		setCond(st, types.ScalingActive, types.ConditionFalse, "FailedGetResourceMetric", "the HPA was unable to compute the replica count: "+mErr.Error(), now)
		record.Emit(ctx, c.cfg.Recorder, h, types.EventTypeWarning, "FailedComputeMetricsReplicas", mErr.Error())
		st.DesiredReplicas = sc.replicas
		return next, c.writeStatus(ctx, h, st)
	}
	setCond(st, types.ScalingActive, types.ConditionTrue, "ValidMetricFound", "the HPA was able to successfully calculate a replica count", now)

	b := withDefaults(h.Spec.Behavior)
	key := req.String()
	c.mu.Lock()
	hi := c.hist[key]
	if hi == nil {
		hi = &history{}
		c.hist[key] = hi
	}
	stable := hi.stabilize(b, sc.replicas, proposal, now)
	desired, why, msg := hi.limit(b, sc.replicas, stable, minR, h.Spec.MaxReplicas, now)
	c.mu.Unlock()
	if why != "" {
		setCond(st, types.ScalingLimited, types.ConditionTrue, why, msg, now)
	} else {
		setCond(st, types.ScalingLimited, types.ConditionFalse, "DesiredWithinRange", "the desired count is within the acceptable range", now)
	}
	st.DesiredReplicas = desired
	if desired != sc.replicas {
		sc.set(desired)
		if _, err := c.st.Update(ctx, sc.obj); err != nil {
			setCond(st, types.AbleToScale, types.ConditionFalse, "FailedUpdateScale", "the HPA controller was unable to update the target scale: "+err.Error(), now)
			record.Emit(ctx, c.cfg.Recorder, h, types.EventTypeWarning, "FailedRescale", err.Error())
			_ = c.writeStatus(ctx, h, st)
			return reconcile.Result{}, fmt.Errorf("hpa %s: scale %s %s to %d: %w", key, ref.Kind, ref.Name, desired, err)
		}
		c.mu.Lock()
		longest := time.Duration(max(*b.ScaleUp.StabilizationWindowSeconds, *b.ScaleDown.StabilizationWindowSeconds)) * time.Second
		for _, p := range append(b.ScaleUp.Policies, b.ScaleDown.Policies...) {
			longest = max(longest, time.Duration(p.PeriodSeconds)*time.Second)
		}
		hi.record(now, desired-sc.replicas, longest)
		c.mu.Unlock()
		t := types.NewTime(now)
		st.LastScaleTime = &t
		setCond(st, types.AbleToScale, types.ConditionTrue, "SucceededRescale", fmt.Sprintf("the HPA controller was able to update the target scale to %d", desired), now)
		record.Emit(ctx, c.cfg.Recorder, h, types.EventTypeNormal, "SuccessfulRescale", fmt.Sprintf("New size: %d; reason: metrics above or below target", desired))
	} else {
		setCond(st, types.AbleToScale, types.ConditionTrue, "ReadyForNewScale", "recommended size matches current size", now)
	}
	return next, errors.Join(mErr, c.writeStatus(ctx, h, st))
}

// compute returns the largest proposal over the metrics, and their
// current values. A metric that fails is skipped if another works.
func (c *Controller) compute(ctx context.Context, h *types.HorizontalPodAutoscaler, sc scale, pods []*types.Pod, now time.Time) (int32, []types.MetricStatus, error) {
	var best int32
	var statuses []types.MetricStatus
	var errs []error
	ready := 0
	for _, p := range pods {
		if types.IsPodReady(p) {
			ready++
		}
	}
	for i, m := range h.Spec.Metrics {
		var n int32
		var err error
		var ms types.MetricStatus
		switch {
		case m.Type == types.ResourceMetricSourceType && m.Resource != nil:
			usage, e := c.metrics.ResourceUsage(ctx, h.Namespace, sc.sel, m.Resource.Name)
			if e != nil {
				err = e
				break
			}
			ms = types.MetricStatus{Type: m.Type, Resource: &types.ResourceMetricStatus{Name: m.Resource.Name}}
			t := m.Resource.Target
			switch {
			case t.Type == types.UtilizationMetricType && t.AverageUtilization != nil:
				var util int32
				var raw int64
				n, util, raw, err = utilizationReplicas(sc.replicas, *t.AverageUtilization, pods, usage, m.Resource.Name, c.cfg.Tolerance, c.cfg.CPUInitializationPeriod, now)
				q := types.NewMilliQuantity(raw, types.DecimalSI)
				ms.Resource.Current = types.MetricValueStatus{AverageUtilization: &util, AverageValue: &q}
			case t.Type == types.AverageValueMetricType && t.AverageValue != nil:
				var avg int64
				n, avg, err = averageReplicas(sc.replicas, t.AverageValue.MilliValue(), pods, usage, c.cfg.Tolerance, now)
				q := types.NewMilliQuantity(avg, types.DecimalSI)
				ms.Resource.Current = types.MetricValueStatus{AverageValue: &q}
			default:
				err = fmt.Errorf("spec.metrics[%d].resource.target: type %q needs averageUtilization or averageValue", i, t.Type)
			}
		case m.Type == types.PodsMetricSourceType && m.Pods != nil:
			cm, ok := c.metrics.(CustomMetricsSource)
			if !ok {
				err = fmt.Errorf("spec.metrics[%d]: the metrics source serves no custom metrics", i)
				break
			}
			vals, e := cm.PodsMetric(ctx, h.Namespace, sc.sel, m.Pods.Metric)
			if e != nil || m.Pods.Target.AverageValue == nil {
				err = errors.Join(e, fmt.Errorf("spec.metrics[%d].pods: no value or no averageValue target", i))
				break
			}
			var avg int64
			n, avg, err = averageReplicas(sc.replicas, m.Pods.Target.AverageValue.MilliValue(), pods, vals, c.cfg.Tolerance, now)
			q := types.NewMilliQuantity(avg, types.DecimalSI)
			ms = types.MetricStatus{Type: m.Type, Pods: &types.PodsMetricStatus{Metric: m.Pods.Metric, Current: types.MetricValueStatus{AverageValue: &q}}}
		case m.Type == types.ObjectMetricSourceType && m.Object != nil:
			cm, ok := c.metrics.(CustomMetricsSource)
			if !ok {
				err = fmt.Errorf("spec.metrics[%d]: the metrics source serves no custom metrics", i)
				break
			}
			v, e := cm.ObjectMetric(ctx, h.Namespace, m.Object.DescribedObject, m.Object.Metric)
			if e != nil {
				err = e
				break
			}
			n, err = objectReplicas(sc.replicas, ready, v, m.Object.Target, c.cfg.Tolerance)
			q := types.NewMilliQuantity(v, types.DecimalSI)
			ms = types.MetricStatus{Type: m.Type, Object: &types.ObjectMetricStatus{Metric: m.Object.Metric, DescribedObject: m.Object.DescribedObject, Current: types.MetricValueStatus{Value: &q}}}
		default:
			err = fmt.Errorf("spec.metrics[%d]: type %q is not supported", i, m.Type)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("spec.metrics[%d]: %w", i, err))
			continue
		}
		statuses = append(statuses, ms)
		best = max(best, n)
	}
	return best, statuses, errors.Join(errs...)
}

func setCond(st *types.HorizontalPodAutoscalerStatus, t types.HorizontalPodAutoscalerConditionType, s types.ConditionStatus, reason, msg string, now time.Time) {
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if c.Type == t {
			if c.Status != s {
				c.LastTransitionTime = types.NewTime(now)
			}
			c.Status, c.Reason, c.Message = s, reason, msg
			return
		}
	}
	st.Conditions = append(st.Conditions, types.HorizontalPodAutoscalerCondition{Type: t, Status: s, Reason: reason, Message: msg, LastTransitionTime: types.NewTime(now)})
}

func (c *Controller) writeStatus(ctx context.Context, h *types.HorizontalPodAutoscaler, st *types.HorizontalPodAutoscalerStatus) error {
	cp := h.DeepCopyObject().(*types.HorizontalPodAutoscaler)
	cp.Status = *st
	if _, err := c.st.UpdateStatus(ctx, cp); err != nil && !store.IsNotFound(err) {
		return fmt.Errorf("hpa %s/%s: update status: %w", h.Namespace, h.Name, err)
	}
	return nil
}
