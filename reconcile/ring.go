package reconcile

import "time"

// ring is a FIFO of keys in a power-of-two circular buffer. It reuses its
// storage, so a queue in steady state allocates nothing. Not safe for
// concurrent use.
type ring[K comparable] struct {
	buf  []K
	head int // index of the first element
	n    int // number of elements
}

func (r *ring[K]) len() int { return r.n }

func (r *ring[K]) push(k K) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = k
	r.n++
}

func (r *ring[K]) pop() K {
	var zero K
	k := r.buf[r.head]
	r.buf[r.head] = zero // let the GC have what the key points to
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	return k
}

// front returns the first element; the ring is not empty.
func (r *ring[K]) front() K { return r.buf[r.head] }

// each calls f for every element, oldest first.
func (r *ring[K]) each(f func(K)) {
	for i := 0; i < r.n; i++ {
		f(r.buf[(r.head+i)&(len(r.buf)-1)])
	}
}

func (r *ring[K]) reset() {
	clear(r.buf)
	r.head, r.n = 0, 0
}

func (r *ring[K]) grow() {
	size := 2 * len(r.buf)
	if size == 0 {
		size = 16
	}
	buf := make([]K, size)
	for i := 0; i < r.n; i++ {
		buf[i] = r.buf[(r.head+i)&(len(r.buf)-1)]
	}
	r.buf, r.head = buf, 0
}

// delayed is a key waiting in the delay heap.
type delayed[K comparable] struct {
	when time.Time
	seq  uint64 // equal deadlines come out in the order they went in
	key  K
}

// delayHeap is a min-heap of delayed keys by deadline, with an index from key
// to position so a key can be moved earlier. Not safe for concurrent use.
type delayHeap[K comparable] struct {
	items []delayed[K]
	pos   map[K]int
	seq   uint64
}

func (h *delayHeap[K]) len() int { return len(h.items) }

func (h *delayHeap[K]) less(i, j int) bool {
	a, b := &h.items[i], &h.items[j]
	if a.when.Equal(b.when) {
		return a.seq < b.seq
	}
	return a.when.Before(b.when)
}

func (h *delayHeap[K]) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.pos[h.items[i].key] = i
	h.pos[h.items[j].key] = j
}

// add schedules k at when; a key already waiting keeps the earlier deadline.
// It reports whether k is now the earliest item.
func (h *delayHeap[K]) add(k K, when time.Time) bool {
	if h.pos == nil {
		h.pos = make(map[K]int)
	}
	if i, ok := h.pos[k]; ok {
		if !when.Before(h.items[i].when) {
			return false
		}
		h.items[i].when = when
		return h.up(i) == 0
	}
	h.seq++
	h.items = append(h.items, delayed[K]{when: when, seq: h.seq, key: k})
	i := len(h.items) - 1
	h.pos[k] = i
	return h.up(i) == 0
}

func (h *delayHeap[K]) peek() *delayed[K] { return &h.items[0] }

func (h *delayHeap[K]) pop() K {
	n := len(h.items) - 1
	h.swap(0, n)
	k := h.items[n].key
	h.items[n] = delayed[K]{}
	h.items = h.items[:n]
	delete(h.pos, k)
	if n > 0 {
		h.down(0)
	}
	return k
}

func (h *delayHeap[K]) reset() {
	clear(h.items)
	h.items = h.items[:0]
	clear(h.pos)
}

func (h *delayHeap[K]) up(i int) int {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.swap(i, p)
		i = p
	}
	return i
}

func (h *delayHeap[K]) down(i int) {
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.swap(i, m)
		i = m
	}
}
