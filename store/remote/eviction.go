package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Eviction is policy/v1 Eviction, posted to pods/{name}/eviction (what
// kubectl drain does): delete the pod unless that would break a
// PodDisruptionBudget.
type Eviction struct {
	types.TypeMeta `json:",inline"`
	Metadata       types.ObjectMeta `json:"metadata"`
	DeleteOptions  *DeleteOptions   `json:"deleteOptions,omitempty"`
}

// causeDisruptionBudget is the cause type of a refused eviction.
const causeDisruptionBudget = "DisruptionBudget"

// disruptedPodTTL is how long an eviction holds its pod in a budget's
// status.disruptedPods, so concurrent evictions cannot both spend the last
// disruption.
const disruptedPodTTL = 2 * time.Minute

// serveEviction evicts a pod. The server checks the budgets itself from
// the pods it sees (there is no disruption controller): a pod may go when,
// for the one PodDisruptionBudget selecting it, the healthy pods left
// would still satisfy minAvailable or maxUnavailable. The budget's status
// records the eviction with a compare-and-swap, so two evictions racing
// for the last allowed disruption cannot both win; the loser gets 429.
func (s *Server) serveEviction(ctx context.Context, w http.ResponseWriter, r *http.Request, req Request, ns string) {
	if req.Verb != "create" {
		writeStatus(w, newStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, "only create (POST) is supported on pods/eviction"))
		return
	}
	body, st := s.requestBody(w, r, "policy/v1", "Eviction", &Eviction{})
	if st != nil {
		writeStatus(w, st)
		return
	}
	var ev Eviction
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		writeStatus(w, badRequest("decoding Eviction: %v", err))
		return
	}
	if ev.Kind != "" && ev.Kind != "Eviction" {
		writeStatus(w, badRequest("kind %q: want Eviction", ev.Kind))
		return
	}
	if ev.Metadata.Name != "" && ev.Metadata.Name != req.Name {
		writeStatus(w, badRequest("metadata.name %q does not match the pod %q of the path", ev.Metadata.Name, req.Name))
		return
	}
	var opts store.DeleteOptions
	dry := isDryRun(r)
	if ev.DeleteOptions != nil {
		o, d, st := ev.DeleteOptions.toStore()
		if st != nil {
			writeStatus(w, st)
			return
		}
		opts, dry = o, dry || d
	}
	obj, err := s.st.Get(ctx, "Pod", ns, req.Name)
	if err != nil {
		s.fail(w, err, req)
		return
	}
	pod := obj.(*types.Pod)
	if opts.UID != "" && opts.UID != pod.UID {
		s.fail(w, &store.Error{Err: store.ErrConflict, Kind: "Pod", Namespace: ns, Name: req.Name,
			Msg: fmt.Sprintf("Precondition failed: UID in precondition: %s, UID in object meta: %s", opts.UID, pod.UID)}, req)
		return
	}
	// A pod already gone (or done) frees nothing: evict it straight away.
	done := pod.DeletionTimestamp != nil || pod.Status.Phase == types.PodSucceeded || pod.Status.Phase == types.PodFailed
	if !done {
		if st := s.spendBudget(ctx, pod, dry); st != nil {
			writeStatus(w, st)
			return
		}
	}
	if s.cfg.Admission != nil {
		del := req
		del.Verb, del.Subresource = "delete", ""
		if err := s.admit(ctx, del, nil, pod, dry); err != nil {
			writeStatus(w, admissionStatus(err, del))
			return
		}
	}
	if !dry {
		if opts.UID == "" {
			opts.UID = pod.UID
		}
		if err := s.st.Delete(ctx, "Pod", ns, req.Name, store.WithDeleteOptions(opts)); err != nil {
			s.fail(w, err, req)
			return
		}
	}
	st = newStatus(http.StatusCreated, "", "")
	st.Status = "Success"
	writeStatus(w, st)
}

// spendBudget checks the budget selecting pod and records the disruption;
// a Status when the eviction must wait.
func (s *Server) spendBudget(ctx context.Context, pod *types.Pod, dry bool) *Status {
	res, err := s.st.List(ctx, "PodDisruptionBudget", store.ListOptions{Namespace: pod.Namespace})
	if err != nil {
		return statusFor(err, "policy", "poddisruptionbudgets", "")
	}
	var pdb *types.PodDisruptionBudget
	for _, o := range res.Items {
		b := o.(*types.PodDisruptionBudget)
		if b.Spec.Selector == nil {
			continue
		}
		sel, err := b.Spec.Selector.AsSelector()
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(pod.Labels)) {
			continue
		}
		if pdb != nil {
			return newStatus(http.StatusInternalServerError, ReasonInternalError, "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
		}
		pdb = b
	}
	if pdb == nil {
		return nil
	}
	sel, _ := pdb.Spec.Selector.AsSelector()
	pods, err := s.st.List(ctx, "Pod", store.ListOptions{Namespace: pod.Namespace, Selector: sel})
	if err != nil {
		return statusFor(err, "", "pods", "")
	}
	now := s.cfg.Clock.Now()
	disrupted := map[string]types.Time{}
	for name, t := range pdb.Status.DisruptedPods {
		if now.Sub(t.Time) < disruptedPodTTL {
			disrupted[name] = t
		}
	}
	expected, healthy := 0, 0
	podHealthy := false
	for _, o := range pods.Items {
		p := o.(*types.Pod)
		if p.Status.Phase == types.PodSucceeded || p.Status.Phase == types.PodFailed {
			continue
		}
		expected++
		if _, gone := disrupted[p.Name]; gone || p.DeletionTimestamp != nil || !types.IsPodReady(p) {
			continue
		}
		healthy++
		if p.Name == pod.Name {
			podHealthy = true
		}
	}
	desired := 0
	switch {
	case pdb.Spec.MinAvailable != nil:
		n, err := pdb.Spec.MinAvailable.ScaledValue(expected, true)
		if err != nil {
			return newStatus(http.StatusInternalServerError, ReasonInternalError, fmt.Sprintf("poddisruptionbudget %q: minAvailable: %v", pdb.Name, err))
		}
		desired = n
	case pdb.Spec.MaxUnavailable != nil:
		n, err := pdb.Spec.MaxUnavailable.ScaledValue(expected, true)
		if err != nil {
			return newStatus(http.StatusInternalServerError, ReasonInternalError, fmt.Sprintf("poddisruptionbudget %q: maxUnavailable: %v", pdb.Name, err))
		}
		desired = max(expected-n, 0)
	}
	allowed := healthy - desired
	// An unhealthy pod may go whenever the budget is met; a healthy one
	// only when a disruption is allowed.
	if (podHealthy && allowed <= 0) || (!podHealthy && allowed < 0) {
		st := newStatus(http.StatusTooManyRequests, ReasonTooManyRequests, "Cannot evict pod as it would violate the pod's disruption budget.")
		st.Details = &StatusDetails{Causes: []StatusCause{{Type: causeDisruptionBudget, Message: fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently", pdb.Name, desired, healthy)}}}
		return st
	}
	if dry || !podHealthy {
		return nil
	}
	upd := pdb.DeepCopyObject().(*types.PodDisruptionBudget)
	disrupted[pod.Name] = types.NewTime(now)
	upd.Status.DisruptedPods = disrupted
	upd.Status.CurrentHealthy, upd.Status.DesiredHealthy, upd.Status.ExpectedPods = int32(healthy-1), int32(desired), int32(expected)
	upd.Status.DisruptionsAllowed = int32(allowed - 1)
	if _, err := s.st.UpdateStatus(ctx, upd); err != nil {
		if store.IsConflict(err) {
			st := tooManyRequests(time.Second)
			st.Message = fmt.Sprintf("poddisruptionbudget %q changed while evicting; try again", pdb.Name)
			return st
		}
		return statusFor(err, "policy", "poddisruptionbudgets", pdb.Name)
	}
	return nil
}
