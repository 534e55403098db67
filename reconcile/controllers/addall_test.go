package controllers_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/coxswain/coxswain/reconcile"
	"github.com/coxswain/coxswain/reconcile/controllers"
	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"github.com/prometheus/client_golang/prometheus"
)

// queues returns the names of the work queues registered with reg: each
// controller built with the inherited Registerer registers its own.
func queues(t *testing.T, reg *prometheus.Registry) []string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		if mf.GetName() != "coxswain_workqueue_adds_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "name" {
					names = append(names, l.GetValue())
				}
			}
		}
	}
	slices.Sort(names)
	return names
}

// TestAddAllBuildsDefaultsAndOptIns checks that AddAll builds every
// controller but the opt-in ones, hands them its Registerer, adds an
// opt-in one only when Enabled names it, and leaves out the Disabled.
func TestAddAllBuildsDefaultsAndOptIns(t *testing.T) {
	for _, name := range controllers.OptIn() {
		if !slices.Contains(controllers.Names(), name) {
			t.Errorf("opt-in %q missing from Names", name)
		}
	}
	if !slices.Contains(controllers.OptIn(), controllers.Rebalance) {
		t.Errorf("OptIn() = %v, want rebalance among them", controllers.OptIn())
	}
	build := func(cfg controllers.Config) []string {
		st := testkit.Store(t, nil)
		f := testkit.Factory(t, st, nil)
		reg := prometheus.NewRegistry()
		cfg.Registerer, cfg.Logger = reg, testkit.Quiet
		if err := controllers.AddAll(reconcile.NewManager(reconcile.ManagerConfig{}), st, f, cfg); err != nil {
			t.Fatal(err)
		}
		return queues(t, reg)
	}
	def := build(controllers.Config{})
	for _, name := range []string{controllers.ReplicaSet, controllers.Deployment, controllers.Job, controllers.CronJob, controllers.StatefulSet, controllers.DaemonSet} {
		if !slices.Contains(def, name) {
			t.Errorf("default queues %v lack %q", def, name)
		}
	}
	off := build(controllers.Config{Disabled: []string{controllers.Job}})
	if slices.Contains(off, controllers.Job) {
		t.Errorf("Disabled job, yet its queue is registered: %v", off)
	}
	if len(off) >= len(def) {
		t.Errorf("disabling job left %d queues, had %d", len(off), len(def))
	}
}

// TestAddAllRejectsUnknownEnabled checks that Enabled, like Disabled,
// names only known controllers.
func TestAddAllRejectsUnknownEnabled(t *testing.T) {
	st := testkit.Store(t, nil)
	f := testkit.Factory(t, st, nil)
	err := controllers.AddAll(reconcile.NewManager(reconcile.ManagerConfig{}), st, f, controllers.Config{Enabled: []string{"descheduler"}})
	if err == nil {
		t.Fatal("AddAll accepted an unknown controller name in Enabled")
	}
	if want := `"descheduler"`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
}
