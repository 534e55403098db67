package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Scale is autoscaling/v1 Scale, the /scale subresource.
type Scale struct {
	types.TypeMeta `json:",inline"`
	Metadata       types.ObjectMeta `json:"metadata"`
	Spec           ScaleSpec        `json:"spec"`
	Status         ScaleStatus      `json:"status"`
}

// ScaleSpec is the desired replica count.
type ScaleSpec struct {
	Replicas int32 `json:"replicas,omitempty"`
}

// ScaleStatus is the observed replica count and the label selector of the
// pods, as a string.
type ScaleStatus struct {
	Replicas int32  `json:"replicas"`
	Selector string `json:"selector,omitempty"`
}

// scaleOf reads the Scale of a Deployment, ReplicaSet, StatefulSet or
// ReplicationController.
func scaleOf(obj types.Object) (*Scale, error) {
	sc := &Scale{TypeMeta: types.TypeMeta{APIVersion: "autoscaling/v1", Kind: "Scale"}}
	m := obj.GetObjectMeta()
	sc.Metadata = types.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion, CreationTimestamp: m.CreationTimestamp}
	var spec *int32
	var sel *labels.LabelSelector
	switch o := obj.(type) {
	case *types.Deployment:
		spec, sel, sc.Status.Replicas = o.Spec.Replicas, o.Spec.Selector, o.Status.Replicas
	case *types.ReplicaSet:
		spec, sel, sc.Status.Replicas = o.Spec.Replicas, o.Spec.Selector, o.Status.Replicas
	case *types.StatefulSet:
		spec, sel, sc.Status.Replicas = o.Spec.Replicas, o.Spec.Selector, o.Status.Replicas
	case *types.ReplicationController:
		spec, sc.Status.Replicas = o.Spec.Replicas, o.Status.Replicas
		if len(o.Spec.Selector) > 0 {
			sc.Status.Selector = labels.SelectorFromSet(o.Spec.Selector).String()
		}
	default:
		return nil, fmt.Errorf("%w: %s has no scale subresource", store.ErrInvalid, obj.GetKind())
	}
	sc.Spec.Replicas = 1
	if spec != nil {
		sc.Spec.Replicas = *spec
	}
	if sel != nil {
		s, err := sel.AsSelector()
		if err == nil {
			sc.Status.Selector = s.String()
		}
	}
	return sc, nil
}

// setReplicas sets spec.replicas of a scalable object.
func setReplicas(obj types.Object, n int32) {
	switch o := obj.(type) {
	case *types.Deployment:
		o.Spec.Replicas = &n
	case *types.ReplicaSet:
		o.Spec.Replicas = &n
	case *types.StatefulSet:
		o.Spec.Replicas = &n
	case *types.ReplicationController:
		o.Spec.Replicas = &n
	}
}

func (s *Server) serveScale(ctx context.Context, w http.ResponseWriter, r *http.Request, req Request, k types.KindInfo, ns string) {
	switch req.Verb {
	case "get":
		obj, err := s.st.Get(ctx, k.Kind, ns, req.Name)
		if err != nil {
			s.fail(w, err, req)
			return
		}
		sc, err := scaleOf(obj)
		if err != nil {
			s.fail(w, err, req)
			return
		}
		writeJSON(w, http.StatusOK, sc)
	case "update", "patch":
		body, st := s.readBody(w, r)
		if st != nil {
			writeStatus(w, st)
			return
		}
		for attempt := 0; ; attempt++ {
			obj, err := s.st.Get(ctx, k.Kind, ns, req.Name)
			if err != nil {
				s.fail(w, err, req)
				return
			}
			cur, err := scaleOf(obj)
			if err != nil {
				s.fail(w, err, req)
				return
			}
			var want Scale
			if req.Verb == "update" {
				if err := json.Unmarshal(body, &want); err != nil {
					writeStatus(w, badRequest("decoding Scale: %v", err))
					return
				}
			} else {
				curJSON, _ := json.Marshal(cur)
				patched, st := applyPatch(r.Header.Get("Content-Type"), curJSON, body, nil)
				if st != nil {
					writeStatus(w, st)
					return
				}
				if err := json.Unmarshal(patched, &want); err != nil {
					writeStatus(w, badRequest("decoding the patched Scale: %v", err))
					return
				}
			}
			if want.Spec.Replicas < 0 {
				st := statusFor(&store.Error{Err: store.ErrInvalid, Kind: k.Kind, Name: req.Name, Cause: types.ErrorList{{Type: types.ErrorTypeInvalid, Field: "spec.replicas", BadValue: want.Spec.Replicas, Detail: "must be greater than or equal to 0"}}}, req.Group, req.Resource, req.Name)
				writeStatus(w, st)
				return
			}
			// Compare-and-swap: the Scale's resourceVersion when given, else
			// the one just read (retried on conflict).
			rv := want.Metadata.ResourceVersion
			explicit := rv != ""
			if !explicit {
				rv = obj.GetObjectMeta().ResourceVersion
			}
			obj.GetObjectMeta().ResourceVersion = rv
			setReplicas(obj, want.Spec.Replicas)
			if err := s.admit(ctx, req, obj, nil, isDryRun(r)); err != nil {
				writeStatus(w, admissionStatus(err, req))
				return
			}
			out, err := s.st.Update(ctx, obj)
			if err != nil {
				if store.IsConflict(err) && !explicit && attempt < 5 {
					continue
				}
				s.fail(w, err, req)
				return
			}
			sc, _ := scaleOf(out)
			writeJSON(w, http.StatusOK, sc)
			return
		}
	default:
		writeStatus(w, newStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, fmt.Sprintf("%s is not supported on scale", req.Verb)))
	}
}

// Binding is core/v1 Binding: POST pods/{name}/binding assigns a pod to a
// node, as the scheduler does.
type Binding struct {
	types.TypeMeta `json:",inline"`
	Metadata       types.ObjectMeta      `json:"metadata"`
	Target         types.ObjectReference `json:"target"`
}

// markScheduled records PodScheduled=True and clears the nomination on a
// pod the binding Update returned without them: a store.DB does both in the
// binding write itself (see store.Store.Update), so this writes only for a
// backing Store that does not. Best effort: the binding itself succeeded.
func (s *Server) markScheduled(ctx context.Context, bound types.Object) {
	p, ok := bound.(*types.Pod)
	if !ok || store.Scheduled(p) {
		return
	}
	p = p.DeepCopy()
	store.SetScheduled(p, s.cfg.Clock.Now())
	if _, err := s.st.UpdateStatus(ctx, p); err != nil {
		s.cfg.Logger.Warn("recording PodScheduled after binding", "pod", p.Namespace+"/"+p.Name, "err", err)
	}
}

// serveBinding serves POST pods/{name}/binding: a compare-and-swap Update
// of spec.nodeName on an unbound pod, which the store makes the whole
// binding (PodScheduled=True, no nominated node) in the same write.
func (s *Server) serveBinding(ctx context.Context, w http.ResponseWriter, r *http.Request, req Request, k types.KindInfo, ns string) {
	if req.Verb != "create" || k.Kind != "Pod" {
		writeStatus(w, newStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, "only POST pods/{name}/binding is supported"))
		return
	}
	body, st := s.readBody(w, r)
	if st != nil {
		writeStatus(w, st)
		return
	}
	var b Binding
	if err := json.Unmarshal(body, &b); err != nil {
		writeStatus(w, badRequest("decoding Binding: %v", err))
		return
	}
	if b.Target.Name == "" {
		writeStatus(w, statusFor(&store.Error{Err: store.ErrInvalid, Cause: types.ErrorList{{Type: types.ErrorTypeRequired, Field: "target.name", Detail: "Required value"}}}, "", req.Resource, req.Name))
		return
	}
	for attempt := 0; ; attempt++ {
		obj, err := s.st.Get(ctx, "Pod", ns, req.Name)
		if err != nil {
			s.fail(w, err, req)
			return
		}
		p := obj.(*types.Pod)
		if p.Spec.NodeName != "" {
			writeStatus(w, statusFor(&store.Error{Err: store.ErrConflict, Kind: "Pod", Namespace: ns, Name: req.Name, Msg: fmt.Sprintf("pod %s is already assigned to node %q", req.Name, p.Spec.NodeName)}, "", req.Resource, req.Name))
			return
		}
		p.Spec.NodeName = b.Target.Name
		bound, err := s.st.Update(ctx, p)
		if err != nil {
			if store.IsConflict(err) && attempt < 5 {
				continue
			}
			s.fail(w, err, req)
			return
		}
		s.markScheduled(ctx, bound)
		st := successStatus(req)
		st.Code = http.StatusCreated
		writeStatus(w, st)
		return
	}
}
