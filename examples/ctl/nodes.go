package main

import (
	"context"
	"fmt"

	"github.com/coxswain/coxswain/reconcile/controllers/nodelifecycle"
)

func oneNode(args []string) (string, error) {
	if len(args) != 1 {
		return "", usagef("need exactly one node name")
	}
	return args[0], nil
}

func cmdCordon(ctx context.Context, e *env, args []string) error { return cordon(ctx, e, args, true) }
func cmdUncordon(ctx context.Context, e *env, args []string) error {
	return cordon(ctx, e, args, false)
}

func cordon(ctx context.Context, e *env, args []string, on bool) error {
	n, err := oneNode(args)
	if err != nil {
		return err
	}
	cl, err := e.client()
	if err != nil {
		return err
	}
	if err := nodelifecycle.SetUnschedulable(ctx, cl, n, on); err != nil {
		return err
	}
	verb := "cordoned"
	if !on {
		verb = "uncordoned"
	}
	fmt.Fprintf(e.stdout, "node/%s %s\n", n, verb)
	return nil
}

func cmdDrain(ctx context.Context, e *env, args []string) error {
	fs := flags("drain")
	timeout := fs.Duration("timeout", 0, "give up after this long (0: never)")
	ds := fs.Bool("delete-daemonset-pods", false, "also delete DaemonSet pods (left alone by default: they tolerate the cordon)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	n, err := oneNode(pos)
	if err != nil {
		return err
	}
	cl, err := e.client()
	if err != nil {
		return err
	}
	if err := nodelifecycle.SetUnschedulable(ctx, cl, n, true); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "node/%s cordoned\n", n)
	evicted, err := nodelifecycle.Drain(ctx, cl, n, nodelifecycle.DrainOptions{Timeout: *timeout, DeleteDaemonSetPods: *ds})
	for _, p := range evicted {
		fmt.Fprintf(e.stdout, "pod/%s evicted\n", p)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "node/%s drained\n", n)
	return nil
}
