package framework

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/types"
	"time"
)

// WaitingPod is a pod a Permit plugin holds before binding. It is safe for
// concurrent use.
type WaitingPod struct {
	pod  *types.Pod
	clk  clock.Clock
	mu   sync.Mutex // guards pending and done
	pend map[string]time.Duration
	done chan *Status // buffered 1; receives the verdict
	sent bool
}

func newWaitingPod(pod *types.Pod, timeouts map[string]time.Duration, clk clock.Clock) *WaitingPod {
	return &WaitingPod{pod: pod, clk: clk, pend: timeouts, done: make(chan *Status, 1)}
}

// Pod returns the held pod.
func (w *WaitingPod) Pod() *types.Pod { return w.pod }

// Pending returns the plugins that still hold the pod, sorted.
func (w *WaitingPod) Pending() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Sorted(maps.Keys(w.pend))
}

// Allow releases plugin's hold; when no plugin holds the pod it proceeds.
func (w *WaitingPod) Allow(plugin string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.pend, plugin)
	if len(w.pend) == 0 {
		w.send(nil)
	}
}

// Reject rejects the pod with msg on behalf of plugin.
func (w *WaitingPod) Reject(plugin, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.send(NewStatus(Unschedulable, msg).WithPlugin(plugin))
}

func (w *WaitingPod) send(s *Status) {
	if !w.sent {
		w.sent = true
		w.done <- s
	}
}

func (w *WaitingPod) wait(ctx context.Context) *Status {
	w.mu.Lock()
	var first string
	var d time.Duration
	for name, t := range w.pend {
		if first == "" || t < d || (t == d && name < first) {
			first, d = name, t
		}
	}
	w.mu.Unlock()
	if first == "" {
		return <-w.done
	}
	t := w.clk.NewTimer(d)
	defer t.Stop()
	select {
	case s := <-w.done:
		return s
	case <-t.C():
		return NewStatus(Unschedulable, fmt.Sprintf("rejected due to timeout after waiting %v at plugin %s", d, first)).WithPlugin(first)
	case <-ctx.Done():
		return AsStatus(ctx.Err())
	}
}
