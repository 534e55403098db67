package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// staticLoop reads StaticPodDir now and every StaticPodPeriod, runs the pods
// it finds and keeps their mirror pods in the store.
func (a *Agent) staticLoop(ctx context.Context) {
	t := a.clk.NewTicker(a.cfg.StaticPodPeriod)
	defer t.Stop()
	for {
		a.syncStatic(ctx, a.readStaticPods())
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

// readStaticPods decodes every manifest (*.yaml, *.yml, *.json; hidden
// files skipped) of StaticPodDir. A file that does not decode is logged and
// skipped, so one bad manifest never stops the others.
func (a *Agent) readStaticPods() []*types.Pod {
	entries, err := os.ReadDir(a.cfg.StaticPodDir)
	if err != nil {
		if !os.IsNotExist(err) {
			a.log.Warn("reading static pod folder", "dir", a.cfg.StaticPodDir, "err", err)
		}
		return nil
	}
	var out []*types.Pod
	for _, e := range entries {
		n := e.Name()
		ext := filepath.Ext(n)
		if e.IsDir() || strings.HasPrefix(n, ".") || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		path := filepath.Join(a.cfg.StaticPodDir, n)
		b, err := os.ReadFile(path)
		if err != nil {
			a.log.Warn("reading static pod manifest", "file", path, "err", err)
			continue
		}
		pods, err := a.decodeStatic(path, b)
		if err != nil {
			a.log.Warn("decoding static pod manifest", "file", path, "err", err)
			continue
		}
		out = append(out, pods...)
	}
	return out
}

// decodeStatic decodes a manifest's pods and makes them this node's static
// pods: name <name>-<node>, namespace default when empty, bound to the node,
// and a UID that is a hash of the file, the node and the pod.
func (a *Agent) decodeStatic(path string, b []byte) ([]*types.Pod, error) {
	objs, err := types.Decode(b)
	if err != nil {
		return nil, err
	}
	var out []*types.Pod
	for i, o := range objs {
		p, ok := o.(*types.Pod)
		if !ok {
			a.log.Warn("static pod manifest holds a non-pod object, skipped", "file", path, "kind", o.GetKind())
			continue
		}
		p = p.DeepCopyObject().(*types.Pod)
		types.Default(p)
		if p.Namespace == "" {
			p.Namespace = types.NamespaceDefault
		}
		p.Name = p.Name + "-" + a.name
		p.Spec.NodeName = a.name
		enc, _ := types.EncodeJSON(p)
		sum := sha256.Sum256([]byte(path + "\x00" + a.name + "\x00" + string(rune(i)) + "\x00" + string(enc)))
		h := hex.EncodeToString(sum[:16])
		p.UID = h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[AnnotationConfigSource] = "file"
		p.Annotations[AnnotationConfigHash] = p.UID
		p.ResourceVersion = ""
		p.Status = types.PodStatus{}
		out = append(out, p)
	}
	return out, nil
}

// syncStatic makes pods the node's static pods: new ones start, vanished
// ones stop (and their mirrors go), and every one has its mirror pod.
func (a *Agent) syncStatic(ctx context.Context, pods []*types.Pod) {
	want := map[string]*types.Pod{}
	for _, p := range pods {
		want[p.UID] = p
	}
	a.mu.Lock()
	var gone []*types.Pod
	var goneWorkers []*podWorker
	for uid, p := range a.static {
		if want[uid] == nil {
			gone = append(gone, p)
			delete(a.static, uid)
			if w := a.workers[uid]; w != nil {
				goneWorkers = append(goneWorkers, w)
			}
		}
	}
	uids := make([]string, 0, len(want))
	for uid := range want {
		uids = append(uids, uid)
	}
	sort.Strings(uids)
	for _, uid := range uids {
		p := want[uid]
		if a.static[uid] == nil {
			a.static[uid] = p
			if a.workers[uid] == nil {
				a.startWorkerLocked(ctx, p, true)
			}
		}
	}
	a.mu.Unlock()
	for _, w := range goneWorkers {
		w.remove()
	}
	for _, p := range gone {
		a.deleteMirror(ctx, p)
	}
	for _, uid := range uids {
		if ctx.Err() != nil {
			return
		}
		a.ensureMirror(ctx, want[uid])
	}
}

// ensureMirror creates the mirror pod of static pod p unless it exists;
// a pod of that name that mirrors another version is replaced.
func (a *Agent) ensureMirror(ctx context.Context, p *types.Pod) {
	key := podKey(p.Namespace, p.Name)
	if cur := a.storePod(key); cur != nil && cur.Annotations[AnnotationConfigMirror] == p.UID {
		return
	}
	m := p.DeepCopyObject().(*types.Pod)
	m.UID, m.ResourceVersion = "", ""
	m.Annotations[AnnotationConfigMirror] = p.UID
	_, err := a.st.Create(ctx, m)
	if store.IsAlreadyExists(err) {
		obj, gerr := a.st.Get(ctx, "Pod", p.Namespace, p.Name)
		if gerr != nil {
			return
		}
		cur := obj.(*types.Pod)
		if cur.Annotations[AnnotationConfigMirror] == p.UID {
			return
		}
		if cur.Spec.NodeName == a.name && isMirror(cur) {
			_ = a.st.Delete(ctx, "Pod", cur.Namespace, cur.Name, store.Preconditions(cur.UID, ""))
			_, err = a.st.Create(ctx, m)
		}
	}
	if err != nil && ctx.Err() == nil && !store.IsAlreadyExists(err) {
		a.log.Warn("creating mirror pod", "pod", key, "err", err)
	}
}

func (a *Agent) deleteMirror(ctx context.Context, p *types.Pod) {
	obj, err := a.st.Get(ctx, "Pod", p.Namespace, p.Name)
	if err != nil {
		return
	}
	cur := obj.(*types.Pod)
	if cur.Annotations[AnnotationConfigMirror] != p.UID {
		return
	}
	if err := a.st.Delete(ctx, "Pod", p.Namespace, p.Name, store.Preconditions(cur.UID, "")); err != nil && !store.IsNotFound(err) {
		a.log.Warn("deleting mirror pod", "pod", podKey(p.Namespace, p.Name), "err", err)
	}
}
