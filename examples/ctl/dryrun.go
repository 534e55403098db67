package main

import (
	"context"
	"fmt"

	"github.com/coxswain/coxswain/sim"
	"github.com/coxswain/coxswain/types"
)

// dryRunCluster is `apply --dry-run=cluster`: it forks the cluster's state
// into a simulation (package sim), applies the manifests and the drains
// there, runs the simulated cluster to a fixed point and prints what would
// be created, deleted, moved, and what would stay pending and why. The
// cluster itself is only read.
func dryRunCluster(ctx context.Context, e *env, files, drain []string) error {
	if len(files) == 0 && len(drain) == 0 {
		return usagef("apply --dry-run=cluster needs -f or --drain")
	}
	cl, err := e.client()
	if err != nil {
		return err
	}
	var change []types.Object
	for _, f := range files {
		objs, err := readManifests(e, f)
		if err != nil {
			return err
		}
		for _, o := range objs {
			k, ok := cl.Scheme().Lookup(o.GetKind())
			if !ok {
				return fmt.Errorf("unknown kind %q", o.GetKind())
			}
			if m := o.GetObjectMeta(); k.Namespaced && m.Namespace == "" {
				m.Namespace = e.ns()
			}
			change = append(change, o)
		}
	}
	d, err := sim.DryRun(ctx, cl, change, sim.DryRunConfig{Drain: drain})
	if err != nil {
		return fmt.Errorf("dry run: %w", err)
	}
	fmt.Fprint(e.stdout, d.String())
	return nil
}
