package remote

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// statusCounter is a store.Store that counts status writes; with strip, the
// pod its Update returns has no conditions, as a backing store that does not
// record PodScheduled in the binding write would return it.
type statusCounter struct {
	store.Store
	strip  bool
	status atomic.Int32
}

func (s *statusCounter) Update(ctx context.Context, obj types.Object) (types.Object, error) {
	out, err := s.Store.Update(ctx, obj)
	if p, ok := out.(*types.Pod); ok && s.strip {
		p.Status.Conditions = nil
	}
	return out, err
}

func (s *statusCounter) UpdateStatus(ctx context.Context, obj types.Object) (types.Object, error) {
	s.status.Add(1)
	return s.Store.UpdateStatus(ctx, obj)
}

// TestBindingIsOneWrite checks POST pods/{name}/binding: it sets nodeName,
// PodScheduled=True and clears the nominated node in one store write, the
// same result as the scheduler's binding Update; over a backing store that
// does not record the condition, the server writes it after.
func TestBindingIsOneWrite(t *testing.T) {
	for _, tc := range []struct {
		name       string
		strip      bool
		wantStatus int32
	}{{"store records the condition", false, 0}, {"backing store without the rule", true, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			st := &statusCounter{Store: db, strip: tc.strip}
			_, hs := serve(t, st, Config{})
			c := dial(t, ClientConfig{Server: hs.URL})
			ctx := ctxT(t)
			p := &types.Pod{}
			p.Namespace, p.Name = "default", "p"
			p.Spec.Containers = []types.Container{{Name: "c", Image: "x"}}
			obj, err := c.Create(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			p = obj.(*types.Pod)
			p.Status.NominatedNodeName = "n1"
			p.Status.Conditions = []types.PodCondition{{Type: types.PodScheduled, Status: types.ConditionFalse, Reason: "Unschedulable"}}
			if _, err := c.UpdateStatus(ctx, p); err != nil {
				t.Fatal(err)
			}
			st.status.Store(0)
			rev := db.Revision()
			r := doRaw(t, "POST", hs.URL+"/api/v1/namespaces/default/pods/p/binding", "application/json",
				[]byte(`{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"n1"}}`))
			if r.code != 201 {
				t.Fatalf("binding: %d %s", r.code, r.body)
			}
			if got := st.status.Load(); got != tc.wantStatus {
				t.Fatalf("%d status writes after the binding, want %d", got, tc.wantStatus)
			}
			if got, want := db.Revision(), rev+1+uint64(tc.wantStatus); got != want {
				t.Fatalf("revision %d after binding from %d, want %d", got, rev, want)
			}
			got, err := c.Get(ctx, "Pod", "default", "p")
			if err != nil {
				t.Fatal(err)
			}
			bound := got.(*types.Pod)
			if bound.Spec.NodeName != "n1" || !store.Scheduled(bound) {
				t.Fatalf("bound pod: nodeName %q, status %+v; want n1, PodScheduled=True, no nomination", bound.Spec.NodeName, bound.Status)
			}
			// Binding again is a conflict that writes nothing.
			rev = db.Revision()
			r = doRaw(t, "POST", hs.URL+"/api/v1/namespaces/default/pods/p/binding", "application/json",
				[]byte(`{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"n2"}}`))
			if r.code != 409 || db.Revision() != rev {
				t.Fatalf("second binding: %d %s, revision %d -> %d", r.code, r.body, rev, db.Revision())
			}
		})
	}
}
