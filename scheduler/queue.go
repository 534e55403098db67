package scheduler

import (
	"container/heap"
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/scheduler/framework"
)

// Event is a change in the cluster that may make unschedulable pods fit.
type Event string

// Cluster events that move unschedulable pods back to be retried.
const (
	EventNodeAdd              Event = "NodeAdd"
	EventNodeUpdate           Event = "NodeUpdate"
	EventPodDelete            Event = "PodDelete"
	EventAssignedPodDelete    Event = "AssignedPodDelete"
	EventUnschedulableTimeout Event = "UnschedulableTimeout"
)

// QueuedPod is a pod waiting in the Queue, with its scheduling history.
type QueuedPod struct {
	*framework.PodInfo
	// Timestamp is when the pod was (re-)added; ties in priority go to the
	// earliest.
	Timestamp time.Time
	// InitialAttempt is when the pod was first popped.
	InitialAttempt time.Time
	// Attempts counts the scheduling attempts so far.
	Attempts int

	where   int // which of the queue's sets holds the pod
	index   int // position in its heap
	backoff time.Time
}

const (
	inNone = iota
	inActive
	inBackoff
	inUnschedulable
	inFlight
)

// Queue holds pods waiting to be scheduled: an active heap ordered by
// priority, then age; a back-off heap of pods that failed recently
// (exponential per pod between the initial and max back-off); and a set
// of unschedulable pods that wait for a cluster event (MoveAllToActiveOrBackoff)
// or for MaxInUnschedulablePodsDuration. Pop blocks until a pod is active.
//
// Queue is safe for concurrent use. Run moves pods out of back-off and out
// of the unschedulable set on time; without Run only Flush does.
type Queue struct {
	clk                          clock.Clock
	initial, max, maxUnscheduled time.Duration

	mu            sync.Mutex // guards everything below
	pods          map[string]*QueuedPod
	active        podHeap
	backoff       podHeap
	unschedulable map[string]*QueuedPod
	// moveCycle is the scheduling cycle during which the last move request
	// came; a pod that failed in a cycle before it may have missed the
	// event, so it goes to back-off rather than unschedulable.
	cycle, moveCycle int64
	wake             chan struct{} // closed and replaced when a pod becomes active
}

func newQueue(clk clock.Clock, initial, max, maxUnscheduled time.Duration) *Queue {
	q := &Queue{
		clk: clock.Or(clk), initial: initial, max: max, maxUnscheduled: maxUnscheduled,
		pods:          map[string]*QueuedPod{},
		unschedulable: map[string]*QueuedPod{},
		wake:          make(chan struct{}),
	}
	q.active.less = func(a, b *QueuedPod) bool {
		if a.Priority != b.Priority {
			return a.Priority > b.Priority
		}
		return a.Timestamp.Before(b.Timestamp)
	}
	q.backoff.less = func(a, b *QueuedPod) bool { return a.backoff.Before(b.backoff) }
	return q
}

func (q *Queue) signal() {
	close(q.wake)
	q.wake = make(chan struct{})
}

func (q *Queue) pushActive(p *QueuedPod) {
	p.where = inActive
	heap.Push(&q.active, p)
	q.signal()
}

// Add queues a new pod (or replaces a queued one) as active.
func (q *Queue) Add(pi *framework.PodInfo) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if p, ok := q.pods[pi.Key]; ok {
		q.removeLocked(p)
	}
	p := &QueuedPod{PodInfo: pi, Timestamp: q.clk.Now()}
	q.pods[pi.Key] = p
	q.pushActive(p)
}

// Update replaces a queued pod's spec; a pod waiting as unschedulable is
// retried, since the change may make it fit.
func (q *Queue) Update(pi *framework.PodInfo) {
	q.mu.Lock()
	defer q.mu.Unlock()
	p, ok := q.pods[pi.Key]
	if !ok {
		p = &QueuedPod{PodInfo: pi, Timestamp: q.clk.Now()}
		q.pods[pi.Key] = p
		q.pushActive(p)
		return
	}
	switch p.where {
	case inActive:
		p.PodInfo = pi
		heap.Fix(&q.active, p.index)
	case inBackoff:
		p.PodInfo = pi
	case inUnschedulable:
		old := p.PodInfo.Pod
		p.PodInfo = pi
		// A change to status or metadata other than labels (the scheduler's
		// own condition, say) cannot make the pod fit: it keeps waiting.
		if reflect.DeepEqual(old.Spec, pi.Pod.Spec) && reflect.DeepEqual(old.Labels, pi.Pod.Labels) {
			return
		}
		delete(q.unschedulable, pi.Key)
		q.moveLocked(p)
	case inFlight:
		p.PodInfo = pi
	}
}

// Delete removes a pod from the queue.
func (q *Queue) Delete(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if p, ok := q.pods[key]; ok {
		q.removeLocked(p)
	}
}

func (q *Queue) removeLocked(p *QueuedPod) {
	switch p.where {
	case inActive:
		heap.Remove(&q.active, p.index)
	case inBackoff:
		heap.Remove(&q.backoff, p.index)
	case inUnschedulable:
		delete(q.unschedulable, p.Key)
	}
	p.where = inNone
	delete(q.pods, p.Key)
}

// Pop blocks until a pod is active and returns it, marked in flight, or
// returns ctx's error.
func (q *Queue) Pop(ctx context.Context) (*QueuedPod, error) {
	for {
		q.mu.Lock()
		if q.active.Len() > 0 {
			p := heap.Pop(&q.active).(*QueuedPod)
			p.where = inFlight
			p.Attempts++
			if p.InitialAttempt.IsZero() {
				p.InitialAttempt = q.clk.Now()
			}
			q.cycle++
			q.mu.Unlock()
			return p, nil
		}
		wake := q.wake
		q.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Done says the in-flight pod with key was scheduled: it leaves the queue.
func (q *Queue) Done(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if p, ok := q.pods[key]; ok && p.where == inFlight {
		delete(q.pods, key)
	}
}

// backoffDuration is initial * 2^(attempts-1), at most max.
func (q *Queue) backoffDuration(attempts int) time.Duration {
	d := q.initial
	for i := 1; i < attempts; i++ {
		if d > q.max-d {
			return q.max
		}
		d += d
	}
	return min(d, q.max)
}

// AddUnschedulable returns an in-flight pod that failed to schedule. It
// waits as unschedulable for a cluster event, unless one came while it
// was being scheduled, in which case it backs off and is retried.
// A pod that failed with an error rather than a FitError should use
// AddBackoff.
func (q *Queue) AddUnschedulable(p *QueuedPod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if cur, ok := q.pods[p.Key]; !ok || cur != p || p.where != inFlight {
		return // deleted or replaced while in flight
	}
	p.Timestamp = q.clk.Now()
	if q.moveCycle >= q.cycle {
		q.toBackoffLocked(p)
		return
	}
	p.where = inUnschedulable
	q.unschedulable[p.Key] = p
}

// AddBackoff returns an in-flight pod that failed with an error; it is
// retried after its back-off.
func (q *Queue) AddBackoff(p *QueuedPod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if cur, ok := q.pods[p.Key]; !ok || cur != p || p.where != inFlight {
		return
	}
	p.Timestamp = q.clk.Now()
	q.toBackoffLocked(p)
}

func (q *Queue) toBackoffLocked(p *QueuedPod) {
	p.backoff = p.Timestamp.Add(q.backoffDuration(p.Attempts))
	p.where = inBackoff
	heap.Push(&q.backoff, p)
}

// moveLocked sends p to back-off if its back-off has not expired, else to active.
func (q *Queue) moveLocked(p *QueuedPod) {
	exp := p.Timestamp.Add(q.backoffDuration(p.Attempts))
	if p.Attempts > 0 && exp.After(q.clk.Now()) {
		p.backoff = exp
		p.where = inBackoff
		heap.Push(&q.backoff, p)
		return
	}
	q.pushActive(p)
}

// MoveAllToActiveOrBackoff retries every unschedulable pod after a cluster
// event that may make it fit.
func (q *Queue) MoveAllToActiveOrBackoff(Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.moveCycle = q.cycle
	for key, p := range q.unschedulable {
		delete(q.unschedulable, key)
		q.moveLocked(p)
	}
}

// Flush moves pods whose back-off expired to active, and pods unschedulable
// for longer than MaxInUnschedulablePodsDuration to be retried.
func (q *Queue) Flush() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.clk.Now()
	for q.backoff.Len() > 0 && !q.backoff.items[0].backoff.After(now) {
		p := heap.Pop(&q.backoff).(*QueuedPod)
		q.pushActive(p)
	}
	for key, p := range q.unschedulable {
		if now.Sub(p.Timestamp) > q.maxUnscheduled {
			delete(q.unschedulable, key)
			q.moveLocked(p)
		}
	}
}

// Len returns how many pods are active, backing off and unschedulable.
func (q *Queue) Len() (active, backoff, unschedulable int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.active.Len(), q.backoff.Len(), len(q.unschedulable)
}

// Run flushes the queue every second until ctx is done.
func (q *Queue) Run(ctx context.Context) error {
	t := q.clk.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
			q.Flush()
		}
	}
}

type podHeap struct {
	items []*QueuedPod
	less  func(a, b *QueuedPod) bool
}

func (h *podHeap) Len() int           { return len(h.items) }
func (h *podHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *podHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index = i
	h.items[j].index = j
}
func (h *podHeap) Push(x any) {
	p := x.(*QueuedPod)
	p.index = len(h.items)
	h.items = append(h.items, p)
}
func (h *podHeap) Pop() any {
	n := len(h.items)
	p := h.items[n-1]
	h.items[n-1] = nil
	h.items = h.items[:n-1]
	p.index = -1
	return p
}
