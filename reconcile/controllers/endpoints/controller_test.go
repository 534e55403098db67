package endpoints

import (
	"context"
	"testing"

	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/coxswain/coxswain/reconcile/informer"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func TestFollowsReadinessAndService(t *testing.T) {
	t.Run("local", func(t *testing.T) { testFollows(t, testkit.Store(t, nil)) })
	t.Run("remote", func(t *testing.T) { testFollows(t, testkit.Remote(t, testkit.Store(t, nil))) })
}

func testFollows(t *testing.T, st store.Store) {
	f := testkit.Factory(t, st, nil)
	c, err := New(st, f, Config{Logger: testkit.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	k := testkit.NewKubelet(st, f, nil, 2, 2)
	testkit.Start(t, f, c, k)
	ctx := context.Background()
	lbl := map[string]string{"app": "web"}
	for _, name := range []string{"a", "b"} {
		tmpl := testkit.Template("web", lbl)
		if _, err := st.Create(ctx, &types.Pod{ObjectMeta: types.ObjectMeta{Name: name, Namespace: "default", Labels: lbl}, Spec: tmpl.Spec}); err != nil {
			t.Fatal(err)
		}
	}
	svc := &types.Service{ObjectMeta: types.ObjectMeta{Name: "web", Namespace: "default", Labels: map[string]string{"tier": "fe"}},
		Spec: types.ServiceSpec{Selector: lbl, Ports: []types.ServicePort{{Name: "http", Port: 80, TargetPort: types.FromString("http")}}}}
	if _, err := st.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	// A Service without selector: its Endpoints are left alone.
	manual := &types.Service{ObjectMeta: types.ObjectMeta{Name: "manual", Namespace: "default"},
		Spec: types.ServiceSpec{Ports: []types.ServicePort{{Port: 80}}}}
	if _, err := st.Create(ctx, manual); err != nil {
		t.Fatal(err)
	}
	manualEP := &types.Endpoints{ObjectMeta: types.ObjectMeta{Name: "manual", Namespace: "default"},
		Subsets: []types.EndpointSubset{{Addresses: []types.EndpointAddress{{IP: "192.0.2.1"}}, Ports: []types.EndpointPort{{Port: 80, Protocol: types.ProtocolTCP}}}}}
	if _, err := st.Create(ctx, manualEP); err != nil {
		t.Fatal(err)
	}
	eps := informer.For[*types.Endpoints](f)
	count := func() (ready, notReady int, port int32) {
		ep, ok := eps.Get("default", "web")
		if !ok {
			return -1, -1, 0
		}
		for _, ss := range ep.Subsets {
			ready += len(ss.Addresses)
			notReady += len(ss.NotReadyAddresses)
			if len(ss.Ports) > 0 {
				port = ss.Ports[0].Port
			}
		}
		return
	}
	testkit.Eventually(t, "2 ready addresses on port 8080", func() bool {
		r, n, p := count()
		return r == 2 && n == 0 && p == 8080
	})
	if ep, _ := eps.Get("default", "web"); ep.Labels["tier"] != "fe" {
		t.Errorf("endpoints labels %v, want the service's", ep.Labels)
	}
	k.SetReady("default", "a", false)
	testkit.Eventually(t, "a not ready", func() bool { r, n, _ := count(); return r == 1 && n == 1 })
	k.SetReady("default", "a", true)
	testkit.Eventually(t, "a ready again", func() bool { r, n, _ := count(); return r == 2 && n == 0 })
	if err := st.Delete(ctx, "Pod", "default", "b"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "b gone", func() bool { r, n, _ := count(); return r == 1 && n == 0 })

	if err := st.Delete(ctx, "Service", "default", "web"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "endpoints deleted with the service", func() bool {
		_, err := store.For[*types.Endpoints](st).Get(ctx, "default", "web")
		return store.IsNotFound(err)
	})
	got, err := store.For[*types.Endpoints](st).Get(ctx, "default", "manual")
	if err != nil || len(got.Subsets) != 1 || got.Subsets[0].Addresses[0].IP != "192.0.2.1" {
		t.Errorf("manual endpoints = %+v, %v; want untouched", got, err)
	}
}
