package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Step is one entry of the trace: the cluster's state after a step that
// changed it.
type Step struct {
	// At is the virtual time of the step.
	At time.Time
	// Digest is the SHA-256 of State, in hex.
	Digest string
	// State describes every object but Events and Leases, one line each,
	// sorted. Pods are counted by owner, node, phase, readiness and restarts
	// rather than listed by name: pods of one owner are interchangeable, and
	// which of them got which generated name depends on the order in which
	// concurrent workers asked for names.
	State []string
}

// traceSkip are kinds left out of the trace: Events (when recorded) and
// Leases (heartbeats, which Node status already reflects).
var traceSkip = map[string]bool{"Event": true, "Lease": true}

// record appends a step to the trace if the state changed since the last.
func (s *Sim) record() {
	if s.cfg.NoTrace {
		return
	}
	rev := s.db.Revision()
	s.mu.Lock()
	same := rev == s.traceRev
	s.mu.Unlock()
	if same {
		return
	}
	lines, err := s.snapshot(s.ctx)
	if err != nil {
		return
	}
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	st := Step{At: s.clk.Now(), Digest: hex.EncodeToString(sum[:]), State: lines}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.traceRev = rev
	if n := len(s.trace); n > 0 && s.trace[n-1].Digest == st.Digest {
		return
	}
	s.trace = append(s.trace, st)
}

// Trace returns the steps recorded so far.
func (s *Sim) Trace() []Step {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Step(nil), s.trace...)
}

// TraceHash is the SHA-256, in hex, of the trace's times and digests: two
// runs of the same scenario with the same seed have the same hash.
func (s *Sim) TraceHash() string {
	h := sha256.New()
	for _, st := range s.Trace() {
		fmt.Fprintf(h, "%s %s\n", st.At.Format(time.RFC3339Nano), st.Digest)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// snapshot describes the cluster's state, one sorted line per object (pods
// counted by equivalence class).
func (s *Sim) snapshot(ctx context.Context) ([]string, error) {
	var lines []string
	pods := map[string]int{}
	for _, k := range types.NewScheme().Kinds() {
		if traceSkip[k.Kind] {
			continue
		}
		res, err := s.db.List(ctx, k.Kind, store.ListOptions{Stale: true})
		if err != nil {
			return nil, err
		}
		for _, o := range res.Items {
			if p, ok := o.(*types.Pod); ok {
				pods[podClass(p)]++
				continue
			}
			lines = append(lines, describe(o))
		}
	}
	for c, n := range pods {
		lines = append(lines, fmt.Sprintf("%s ×%d", c, n))
	}
	sort.Strings(lines)
	return lines, nil
}

// podClass names a pod's equivalence class.
func podClass(p *types.Pod) string {
	owner := "-/" + p.Name
	if ref := types.ControllerOf(p); ref != nil {
		owner = ref.Kind + "/" + ref.Name
	}
	restarts := int32(0)
	for _, c := range p.Status.ContainerStatuses {
		restarts += c.RestartCount
	}
	node := p.Spec.NodeName
	if node == "" {
		node = "-"
	}
	deleting := ""
	if p.DeletionTimestamp != nil {
		deleting = " deleting"
	}
	return fmt.Sprintf("Pod %s owner=%s node=%s phase=%s ready=%t restarts=%d%s",
		p.Namespace, owner, node, p.Status.Phase, types.IsPodReady(p), restarts, deleting)
}

// describe is one line for an object: its kind, name, generation and the
// parts of it that do not depend on generated names and uids.
func describe(o types.Object) string {
	m := o.GetObjectMeta()
	head := fmt.Sprintf("%s %s/%s gen=%d", o.GetKind(), m.Namespace, m.Name, m.Generation)
	if m.DeletionTimestamp != nil {
		head += " deleting"
	}
	switch v := o.(type) {
	case *types.Endpoints:
		ready, notReady := 0, 0
		for _, ss := range v.Subsets {
			ready += len(ss.Addresses)
			notReady += len(ss.NotReadyAddresses)
		}
		return fmt.Sprintf("%s ready=%d notReady=%d", head, ready, notReady)
	case *types.Node:
		return fmt.Sprintf("%s %s", head, nodeLine(v))
	}
	b, err := json.Marshal(o)
	if err != nil {
		return head
	}
	var doc map[string]any
	if json.Unmarshal(b, &doc) != nil {
		return head
	}
	delete(doc, "metadata")
	b, _ = json.Marshal(doc)
	return head + " " + string(b)
}

func nodeLine(n *types.Node) string {
	ready := "Unknown"
	if c := n.Status.Condition(types.NodeReady); c != nil {
		ready = string(c.Status)
	}
	var taints []string
	for _, t := range n.Spec.Taints {
		taints = append(taints, t.Key+":"+string(t.Effect))
	}
	sort.Strings(taints)
	return fmt.Sprintf("ready=%s unschedulable=%t taints=%s", ready, n.Spec.Unschedulable, strings.Join(taints, ","))
}
