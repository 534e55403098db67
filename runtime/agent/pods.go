package agent

import (
	"context"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

func podKey(namespace, name string) string { return namespace + "/" + name }

func isMirror(p *types.Pod) bool {
	_, ok := p.Annotations[AnnotationConfigMirror]
	return ok
}

// watchPods lists and watches the pods bound to this node (a field selector
// on spec.nodeName) until ctx ends, and hands each change to its pod worker.
func (a *Agent) watchPods(ctx context.Context) {
	pods := store.For[*types.Pod](a.st)
	fields, err := store.ParseFields("Pod", "spec.nodeName="+a.name)
	if err != nil {
		// A node name too long for a selector value: filter locally.
		fields = nil
	}
	delay := 100 * time.Millisecond
	rev := ""
	first := true
	for ctx.Err() == nil {
		if rev == "" {
			items, r, _, err := pods.List(ctx, store.ListOptions{Fields: fields})
			if err != nil {
				if ctx.Err() == nil {
					a.log.Warn("listing pods", "err", err)
				}
				a.sleep(ctx, delay)
				delay = min(2*delay, 10*time.Second)
				continue
			}
			a.replacePods(ctx, items)
			rev = r
			if first {
				first = false
				a.adoptOrphans(ctx)
				close(a.synced)
			}
		}
		w, err := pods.Watch(ctx, store.WatchOptions{Fields: fields, ResourceVersion: rev})
		if err != nil {
			if store.IsTooOld(err) {
				rev = ""
			}
			a.sleep(ctx, delay)
			delay = min(2*delay, 10*time.Second)
			continue
		}
		delay = 100 * time.Millisecond
		for ev := range w.Events() {
			if ev.Type == store.Bookmark {
				continue
			}
			if ev.Object.Spec.NodeName != a.name {
				continue
			}
			rev = ev.Object.ResourceVersion
			if ev.Type == store.Deleted {
				a.podGone(ctx, ev.Object)
			} else {
				a.podSeen(ctx, ev.Object)
			}
		}
		if err := w.Err(); err != nil {
			if store.IsTooOld(err) {
				rev = ""
			}
			if ctx.Err() == nil {
				a.log.Debug("pod watch ended", "err", err)
			}
		}
		w.Stop()
	}
}

func (a *Agent) sleep(ctx context.Context, d time.Duration) {
	t := a.clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C():
	}
}

// replacePods makes items the node's pods after a (re)list: pods that
// vanished meanwhile are gone.
func (a *Agent) replacePods(ctx context.Context, items []*types.Pod) {
	seen := map[string]bool{}
	for _, p := range items {
		if p.Spec.NodeName != a.name {
			continue
		}
		seen[podKey(p.Namespace, p.Name)] = true
		a.podSeen(ctx, p)
	}
	a.mu.Lock()
	var gone []*types.Pod
	for k, p := range a.pods {
		if !seen[k] {
			gone = append(gone, p)
		}
	}
	a.mu.Unlock()
	for _, p := range gone {
		a.podGone(ctx, p)
	}
}

func (a *Agent) podSeen(ctx context.Context, p *types.Pod) {
	a.mu.Lock()
	a.pods[podKey(p.Namespace, p.Name)] = p
	if isMirror(p) {
		// A mirror pod is the store's view of a static pod: wake its worker
		// so that it writes its status there.
		for _, w := range a.workers {
			if w.static && w.key == podKey(p.Namespace, p.Name) {
				w.poke()
			}
		}
		a.mu.Unlock()
		return
	}
	w := a.workers[p.UID]
	if w == nil {
		w = a.startWorkerLocked(ctx, p, false)
	}
	a.mu.Unlock()
	w.update(p)
}

func (a *Agent) podGone(ctx context.Context, p *types.Pod) {
	key := podKey(p.Namespace, p.Name)
	a.mu.Lock()
	if cur, ok := a.pods[key]; ok && cur.UID == p.UID {
		delete(a.pods, key)
	}
	if isMirror(p) {
		var static *types.Pod
		for _, sp := range a.static {
			if podKey(sp.Namespace, sp.Name) == key {
				static = sp
			}
		}
		a.mu.Unlock()
		if static != nil && ctx.Err() == nil {
			a.ensureMirror(ctx, static)
		}
		return
	}
	w := a.workers[p.UID]
	a.mu.Unlock()
	if w != nil {
		w.remove()
	}
}

// storePod returns the store's pod namespace/name as last seen.
func (a *Agent) storePod(key string) *types.Pod {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pods[key]
}

// startWorkerLocked starts the worker of pod p; a.mu is held.
func (a *Agent) startWorkerLocked(ctx context.Context, p *types.Pod, static bool) *podWorker {
	w := newPodWorker(a, p, static)
	a.workers[p.UID] = w
	a.metrics.workers.Inc()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		w.run(ctx)
		a.mu.Lock()
		if a.workers[w.uid] == w {
			delete(a.workers, w.uid)
		}
		a.mu.Unlock()
		a.metrics.workers.Dec()
	}()
	return w
}

// adoptOrphans removes the sandboxes of pods that are no longer bound to this
// node (left by an earlier run of the agent).
func (a *Agent) adoptOrphans(ctx context.Context) {
	sbs, err := a.rt.ListPodSandboxes(ctx, runtimeAll)
	if err != nil {
		a.log.Warn("listing sandboxes", "err", err)
		return
	}
	a.mu.Lock()
	known := map[string]bool{}
	for uid := range a.workers {
		known[uid] = true
	}
	for uid := range a.static {
		known[uid] = true
	}
	a.mu.Unlock()
	if a.cfg.StaticPodDir != "" {
		// Static pods are read later; keep sandboxes that look like theirs.
		for _, p := range a.readStaticPods() {
			known[p.UID] = true
		}
	}
	for _, sb := range sbs {
		if sb.UID != "" && !known[sb.UID] {
			a.log.Info("removing orphaned sandbox", "pod", sb.Namespace+"/"+sb.Name, "uid", sb.UID)
			if err := a.rt.RemovePodSandbox(ctx, sb.ID); err != nil {
				a.log.Warn("removing orphaned sandbox", "id", sb.ID, "err", err)
			}
		}
	}
}
