package namespace

import (
	"context"
	"testing"

	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, testkit.LeakOptions()...) }

func TestDeletionEmptiesNamespace(t *testing.T) {
	st := testkit.Store(t, nil)
	f := testkit.Factory(t, st, nil)
	c, err := New(st, f, Config{Logger: testkit.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, f, c)
	ctx := context.Background()
	if _, err := st.Create(ctx, &types.Namespace{ObjectMeta: types.ObjectMeta{Name: "team"}}); err != nil {
		t.Fatal(err)
	}
	for _, o := range []types.Object{
		&types.ConfigMap{ObjectMeta: types.ObjectMeta{Name: "a", Namespace: "team"}},
		&types.Secret{ObjectMeta: types.ObjectMeta{Name: "b", Namespace: "team"}},
		// One with a finalizer: the namespace waits for it.
		&types.ConfigMap{ObjectMeta: types.ObjectMeta{Name: "held", Namespace: "team", Finalizers: []string{"example.com/hold"}}},
		&types.ConfigMap{ObjectMeta: types.ObjectMeta{Name: "elsewhere", Namespace: "default"}},
	} {
		if _, err := st.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Delete(ctx, "Namespace", "", "team"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "held config map being deleted", func() bool {
		o, err := st.Get(ctx, "ConfigMap", "team", "held")
		return err == nil && o.GetObjectMeta().DeletionTimestamp != nil
	})
	ns, err := st.Get(ctx, "Namespace", "", "team")
	if err != nil {
		t.Fatalf("namespace gone while an object in it remains: %v", err)
	}
	if ph := ns.(*types.Namespace).Status.Phase; ph != "Terminating" {
		t.Errorf("phase %q, want Terminating", ph)
	}
	o, _ := st.Get(ctx, "ConfigMap", "team", "held")
	o.GetObjectMeta().Finalizers = nil
	if _, err := st.Update(ctx, o); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "namespace removed", func() bool {
		_, err := st.Get(ctx, "Namespace", "", "team")
		return store.IsNotFound(err)
	})
	if _, err := st.Get(ctx, "ConfigMap", "default", "elsewhere"); err != nil {
		t.Errorf("object of another namespace: %v", err)
	}
}
