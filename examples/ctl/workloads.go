package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/coxswain/coxswain/reconcile/controllers/deployment"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func cmdDelete(ctx context.Context, e *env, args []string) error {
	fs := flags("delete")
	var files multi
	fs.Var(&files, "f", "file, directory or - naming the objects")
	cascade := fs.String("cascade", "background", "background, foreground or orphan")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	var prop store.Propagation
	switch *cascade {
	case "background", "true":
		prop = store.PropagationBackground
	case "foreground":
		prop = store.PropagationForeground
	case "orphan", "false":
		prop = store.PropagationOrphan
	default:
		return usagef("--cascade: invalid value %q: want background, foreground or orphan", *cascade)
	}
	cl, err := e.client()
	if err != nil {
		return err
	}
	type ref struct {
		k        types.KindInfo
		ns, name string
	}
	var refs []ref
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
			m := o.GetObjectMeta()
			ns := m.Namespace
			if ns == "" && k.Namespaced {
				ns = e.ns()
			}
			refs = append(refs, ref{k, ns, m.Name})
		}
	}
	if len(files) == 0 {
		if len(pos) == 0 {
			return usagef("delete needs KIND NAME... or -f")
		}
		kind, names := pos[0], pos[1:]
		if k, n, ok := strings.Cut(kind, "/"); ok {
			kind, names = k, append([]string{n}, names...)
		}
		if len(names) == 0 {
			return usagef("delete needs the name of the %s", kind)
		}
		k, err := resolveKind(cl.Scheme(), kind)
		if err != nil {
			return err
		}
		for _, n := range names {
			ns := ""
			if k.Namespaced {
				ns = e.ns()
			}
			refs = append(refs, ref{k, ns, n})
		}
	}
	for _, r := range refs {
		if err := cl.Delete(ctx, r.k.Kind, r.ns, r.name, store.WithPropagation(prop)); err != nil {
			return fmt.Errorf("%s: %w", qualified(r.k, r.name), err)
		}
		fmt.Fprintf(e.stdout, "%s deleted\n", qualified(r.k, r.name))
	}
	return nil
}

func cmdScale(ctx context.Context, e *env, args []string) error {
	fs := flags("scale")
	replicas := fs.Int("replicas", -1, "the new number of replicas")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	kind, name, rest, err := splitRef(pos)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	if *replicas < 0 {
		return usagef("--replicas is required and must not be negative")
	}
	cl, err := e.client()
	if err != nil {
		return err
	}
	k, err := resolveKind(cl.Scheme(), kind)
	if err != nil {
		return err
	}
	sc, err := cl.Scale(ctx, k.Kind, e.ns(), name)
	if err != nil {
		return err
	}
	sc.Spec.Replicas = int32(*replicas)
	sc.Metadata.ResourceVersion = ""
	if _, err := cl.UpdateScale(ctx, k.Kind, sc); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s scaled\n", qualified(k, name))
	return nil
}

func cmdRollout(ctx context.Context, e *env, args []string) error {
	fs := flags("rollout")
	toRev := fs.Int64("to-revision", 0, "revision to roll back to (undo; 0: the previous one)")
	timeout := fs.Duration("timeout", 0, "how long status waits (0: until done)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("rollout needs a subcommand")
	}
	sub := pos[0]
	kind, name, rest, err := splitRef(pos[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	cl, err := e.client()
	if err != nil {
		return err
	}
	k, err := resolveKind(cl.Scheme(), kind)
	if err != nil {
		return err
	}
	if k.Kind != "Deployment" {
		return usagef("rollout supports deployments only, not %s", k.Resource)
	}
	ns := e.ns()
	get := func() (*types.Deployment, error) {
		o, err := cl.Get(ctx, "Deployment", ns, name)
		if err != nil {
			return nil, err
		}
		return o.(*types.Deployment), nil
	}
	switch sub {
	case "status":
		if *timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, *timeout)
			defer cancel()
		}
		last := ""
		for {
			d, err := get()
			if err != nil {
				return err
			}
			msg, done, err := deployment.RolloutStatus(d)
			if err != nil {
				return err
			}
			if msg != last {
				fmt.Fprint(e.stdout, msg)
				if !strings.HasSuffix(msg, "\n") {
					fmt.Fprintln(e.stdout)
				}
				last = msg
			}
			if done {
				return nil
			}
			select {
			case <-ctx.Done():
				if ctx.Err() == context.DeadlineExceeded {
					return fmt.Errorf("timed out waiting for the rollout of %s", qualified(k, name))
				}
				return ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
	case "history":
		d, err := get()
		if err != nil {
			return err
		}
		l, err := cl.List(ctx, "ReplicaSet", store.ListOptions{Namespace: ns})
		if err != nil {
			return err
		}
		type rev struct {
			n     int64
			cause string
		}
		var revs []rev
		for _, o := range l.Items {
			rs := o.(*types.ReplicaSet)
			for _, or := range rs.OwnerReferences {
				if or.UID == d.UID {
					revs = append(revs, rev{deployment.Revision(rs), rs.Annotations["kubernetes.io/change-cause"]})
				}
			}
		}
		sort.Slice(revs, func(i, j int) bool { return revs[i].n < revs[j].n })
		fmt.Fprintf(e.stdout, "%s\n", qualified(k, name))
		tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "REVISION\tCHANGE-CAUSE")
		for _, r := range revs {
			fmt.Fprintf(tw, "%s\t%s\n", strconv.FormatInt(r.n, 10), orNone(r.cause))
		}
		return tw.Flush()
	case "undo":
		if _, err := deployment.Rollback(ctx, cl, ns, name, *toRev); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s rolled back\n", qualified(k, name))
		return nil
	case "pause", "resume":
		want := sub == "pause"
		for range 5 {
			d, err := get()
			if err != nil {
				return err
			}
			if d.Spec.Paused == want {
				fmt.Fprintf(e.stdout, "%s is already %sd\n", qualified(k, name), sub)
				return nil
			}
			d.Spec.Paused = want
			if _, err := cl.Update(ctx, d); err != nil {
				if store.IsConflict(err) {
					continue
				}
				return err
			}
			fmt.Fprintf(e.stdout, "%s %sd\n", qualified(k, name), sub+"d")
			return nil
		}
		return fmt.Errorf("%s kept changing; try again", qualified(k, name))
	}
	return usagef("unknown rollout subcommand %q: want status, history, undo, pause or resume", sub)
}
