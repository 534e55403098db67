package agent

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// refKey names one ConfigMap or Secret.
type refKey struct{ kind, namespace, name string }

// objectRefs are the ConfigMaps and Secrets the node's pods use, as the
// kubelet's watch-based secret and configmap managers keep them: each object
// is listed and watched on its own, by namespace and a metadata.name field
// selector (which the Node authorizer allows for objects its pods use), from
// when the first pod that uses it arrives until the last one goes. The agent
// never lists or watches every ConfigMap or Secret of the cluster. A change
// to an object wakes the workers of the pods that use it, so mounted
// configMap and secret volumes follow it. Safe for concurrent use.
type objectRefs struct {
	a *Agent

	mu sync.Mutex // protects the fields below
	// objs are the watched objects.
	objs map[refKey]*watchedObject
	// pods are the objects each pod uses, by pod UID.
	pods map[string][]refKey
}

// watchedObject is one object being watched, with the pods that use it.
type watchedObject struct {
	key    refKey
	cancel context.CancelFunc
	// users are the UIDs of the pods that use it; objectRefs.mu protects it.
	users map[string]bool
	// synced is closed once the object has been read (or failed to be) once.
	synced chan struct{}

	mu sync.Mutex // protects the fields below
	// obj is the object as last seen; nil when it does not exist.
	obj types.Object
	// err is the last read's error while the object has never been read.
	err error
	// done is set once synced is closed.
	done bool
}

func newObjectRefs(a *Agent) *objectRefs {
	return &objectRefs{a: a, objs: map[refKey]*watchedObject{}, pods: map[string][]refKey{}}
}

// podObjectRefs lists the ConfigMaps and Secrets pod uses: volumes, env
// valueFrom, envFrom and imagePullSecrets, each once.
func podObjectRefs(p *types.Pod) []refKey {
	seen := map[refKey]bool{}
	var out []refKey
	add := func(kind, name string) {
		k := refKey{kind, p.Namespace, name}
		if name == "" || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, k)
	}
	for _, v := range p.Spec.Volumes {
		if v.ConfigMap != nil {
			add("ConfigMap", v.ConfigMap.Name)
		}
		if v.Secret != nil {
			add("Secret", v.Secret.SecretName)
		}
	}
	for _, s := range p.Spec.ImagePullSecrets {
		add("Secret", s.Name)
	}
	for _, cs := range [][]types.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range cs {
			for _, e := range c.Env {
				if e.ValueFrom == nil {
					continue
				}
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
					add("ConfigMap", r.Name)
				}
				if r := e.ValueFrom.SecretKeyRef; r != nil {
					add("Secret", r.Name)
				}
			}
			for _, e := range c.EnvFrom {
				if e.ConfigMapRef != nil {
					add("ConfigMap", e.ConfigMapRef.Name)
				}
				if e.SecretRef != nil {
					add("Secret", e.SecretRef.Name)
				}
			}
		}
	}
	return out
}

// set makes keys the objects the pod uid uses: objects no longer used by
// any pod stop being watched, newly used ones start. ctx bounds the watches.
func (r *objectRefs) set(ctx context.Context, uid string, keys []refKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.pods[uid]
	for _, k := range keys {
		o := r.objs[k]
		if o == nil {
			o = r.startLocked(ctx, k)
		}
		o.users[uid] = true
	}
	r.dropLocked(uid, old, keys)
	if len(keys) == 0 {
		delete(r.pods, uid)
	} else {
		r.pods[uid] = keys
	}
}

// release stops using every object pod uid used.
func (r *objectRefs) release(uid string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropLocked(uid, r.pods[uid], nil)
	delete(r.pods, uid)
}

// dropLocked removes pod uid from the users of the objects of old not in
// keep, and stops watching those left with none; r.mu is held.
func (r *objectRefs) dropLocked(uid string, old, keep []refKey) {
	for _, k := range old {
		if containsKey(keep, k) {
			continue
		}
		if o := r.objs[k]; o != nil {
			delete(o.users, uid)
			if len(o.users) == 0 {
				o.cancel()
				delete(r.objs, k)
			}
		}
	}
}

// watching returns the number of objects watched (for tests).
func (r *objectRefs) watching() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.objs)
}

func containsKey(ks []refKey, k refKey) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// startLocked starts watching k; r.mu is held.
func (r *objectRefs) startLocked(ctx context.Context, k refKey) *watchedObject {
	ctx, cancel := context.WithCancel(ctx)
	o := &watchedObject{key: k, cancel: cancel, users: map[string]bool{}, synced: make(chan struct{})}
	r.objs[k] = o
	r.a.wg.Add(1)
	go func() {
		defer r.a.wg.Done()
		defer cancel()
		r.watch(ctx, o)
	}()
	return o
}

// get returns the object kind namespace/name, nil when it does not exist.
// An object a pod of the node uses is served from its watch, once first
// read; any other is read from the store.
func (r *objectRefs) get(ctx context.Context, kind, namespace, name string) (types.Object, error) {
	r.mu.Lock()
	o := r.objs[refKey{kind, namespace, name}]
	r.mu.Unlock()
	if o == nil {
		obj, err := r.a.st.Get(ctx, kind, namespace, name)
		if store.IsNotFound(err) {
			return nil, nil
		}
		return obj, err
	}
	select {
	case <-o.synced:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.obj, o.err
}

func (r *objectRefs) configMap(ctx context.Context, namespace, name string) (*types.ConfigMap, error) {
	obj, err := r.get(ctx, "ConfigMap", namespace, name)
	if err != nil || obj == nil {
		return nil, err
	}
	cm, ok := obj.(*types.ConfigMap)
	if !ok {
		return nil, fmt.Errorf("configmap %s/%s: the store returned a %T", namespace, name, obj)
	}
	return cm, nil
}

func (r *objectRefs) secret(ctx context.Context, namespace, name string) (*types.Secret, error) {
	obj, err := r.get(ctx, "Secret", namespace, name)
	if err != nil || obj == nil {
		return nil, err
	}
	s, ok := obj.(*types.Secret)
	if !ok {
		return nil, fmt.Errorf("secret %s/%s: the store returned a %T", namespace, name, obj)
	}
	return s, nil
}

// watch lists and watches one object by name until ctx ends.
func (r *objectRefs) watch(ctx context.Context, o *watchedObject) {
	k := o.key
	fields, err := store.ParseFields(k.kind, "metadata.name="+k.name)
	if err != nil {
		r.record(o, nil, fmt.Errorf("%s %s/%s: %w", k.kind, k.namespace, k.name, err), true)
		return
	}
	delay := 100 * time.Millisecond
	backoff := func() {
		r.a.sleep(ctx, delay)
		delay = min(2*delay, 10*time.Second)
	}
	rev := ""
	for ctx.Err() == nil {
		if rev == "" {
			res, err := r.a.st.List(ctx, k.kind, store.ListOptions{Namespace: k.namespace, Fields: fields})
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				r.a.log.Debug("reading object a pod uses", "kind", k.kind, "namespace", k.namespace, "name", k.name, "err", err)
				r.record(o, nil, fmt.Errorf("reading %s %s/%s: %w", k.kind, k.namespace, k.name, err), true)
				backoff()
				continue
			}
			var obj types.Object
			for _, it := range res.Items {
				if it.GetObjectMeta().Name == k.name {
					obj = it
				}
			}
			r.record(o, obj, nil, false)
			rev = res.ResourceVersion
		}
		w, err := r.a.st.Watch(ctx, k.kind, store.WatchOptions{Namespace: k.namespace, Fields: fields, ResourceVersion: rev})
		if err != nil {
			if store.IsTooOld(err) {
				rev = ""
			}
			backoff()
			continue
		}
		delay = 100 * time.Millisecond
		for ev := range w.Events() {
			if ev.Type == store.Bookmark || ev.Object.GetObjectMeta().Name != k.name {
				continue
			}
			rev = ev.Object.GetObjectMeta().ResourceVersion
			if ev.Type == store.Deleted {
				r.record(o, nil, nil, false)
			} else {
				r.record(o, ev.Object, nil, false)
			}
		}
		if err := w.Err(); err != nil && store.IsTooOld(err) {
			rev = ""
		}
		w.Stop()
	}
}

// record stores what was read of o and wakes the pods using it when it
// changed. A failed read (failed) only counts while o was never read.
func (r *objectRefs) record(o *watchedObject, obj types.Object, err error, failed bool) {
	o.mu.Lock()
	if failed && o.done && o.err == nil {
		o.mu.Unlock()
		return // keep serving the last good read
	}
	changed := !o.done || failed != (o.err != nil) || rv(o.obj) != rv(obj)
	o.obj, o.err = obj, err
	if !o.done {
		o.done = true
		close(o.synced)
	}
	o.mu.Unlock()
	if !changed {
		return
	}
	r.mu.Lock()
	uids := make([]string, 0, len(o.users))
	for uid := range o.users {
		uids = append(uids, uid)
	}
	r.mu.Unlock()
	r.a.mu.Lock()
	for _, uid := range uids {
		if w := r.a.workers[uid]; w != nil {
			w.poke()
		}
	}
	r.a.mu.Unlock()
}

// rv is obj's resourceVersion, "" for nil.
func rv(obj types.Object) string {
	if obj == nil {
		return ""
	}
	return obj.GetObjectMeta().ResourceVersion
}
