package garbagecollector

import (
	"context"
	"testing"

	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, testkit.LeakOptions()...) }

// start runs a collector watching ConfigMaps and Secrets only.
func start(t *testing.T) store.Store {
	t.Helper()
	st := testkit.Store(t, nil)
	f := testkit.Factory(t, st, nil)
	g, err := New(st, f, Config{Kinds: []Source{Kind[*types.ConfigMap](), Kind[*types.Secret]()}, Logger: testkit.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Start(t, f, g)
	return st
}

func owner(t *testing.T, st store.Store, name string) types.OwnerReference {
	t.Helper()
	o, err := st.Create(context.Background(), &types.ConfigMap{ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default"}})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	return types.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: name, UID: o.GetObjectMeta().UID, BlockOwnerDeletion: &yes}
}

func dependent(t *testing.T, st store.Store, name string, refs ...types.OwnerReference) {
	t.Helper()
	if _, err := st.Create(context.Background(), &types.Secret{ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default", OwnerReferences: refs}}); err != nil {
		t.Fatal(err)
	}
}

func gone(st store.Store, kind, name string) func() bool {
	return func() bool {
		_, err := st.Get(context.Background(), kind, "default", name)
		return store.IsNotFound(err)
	}
}

func TestPropagation(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		policy   store.Propagation
		orphaned bool
	}{
		{store.PropagationBackground, false},
		{store.PropagationForeground, false},
		{store.PropagationOrphan, true},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			st := start(t)
			ref := owner(t, st, "o")
			dependent(t, st, "d1", ref)
			dependent(t, st, "d2", ref)
			if err := st.Delete(ctx, "ConfigMap", "default", "o", store.WithPropagation(tc.policy)); err != nil {
				t.Fatal(err)
			}
			testkit.Eventually(t, "owner gone", gone(st, "ConfigMap", "o"))
			for _, d := range []string{"d1", "d2"} {
				if tc.orphaned {
					s, err := st.Get(ctx, "Secret", "default", d)
					if err != nil {
						t.Fatalf("orphaned dependent %s: %v", d, err)
					}
					if refs := s.GetObjectMeta().OwnerReferences; len(refs) != 0 {
						t.Errorf("orphaned dependent %s still has owners %v", d, refs)
					}
					continue
				}
				testkit.Eventually(t, "dependent "+d+" collected", gone(st, "Secret", d))
			}
		})
	}
}

func TestForegroundWaitsForBlockingDependents(t *testing.T) {
	ctx := context.Background()
	st := start(t)
	ref := owner(t, st, "o")
	dependent(t, st, "d", ref)
	// A finalizer of the test's own keeps the dependent alive for a while.
	s, _ := st.Get(ctx, "Secret", "default", "d")
	s.GetObjectMeta().Finalizers = []string{"example.com/hold"}
	if _, err := st.Update(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "ConfigMap", "default", "o", store.WithPropagation(store.PropagationForeground)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "dependent being deleted", func() bool {
		s, err := st.Get(ctx, "Secret", "default", "d")
		return err == nil && s.GetObjectMeta().DeletionTimestamp != nil
	})
	if o, err := st.Get(ctx, "ConfigMap", "default", "o"); err != nil || o.GetObjectMeta().DeletionTimestamp == nil {
		t.Fatalf("owner = %v, %v; want it kept, being deleted, while a blocking dependent exists", o, err)
	}
	s, _ = st.Get(ctx, "Secret", "default", "d")
	s.GetObjectMeta().Finalizers = nil
	if _, err := st.Update(ctx, s); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "owner gone after its dependent", gone(st, "ConfigMap", "o"))
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"negative workers", Config{Workers: -1}, false},
		{"zero source", Config{Kinds: []Source{{}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
