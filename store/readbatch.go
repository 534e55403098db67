package store

import (
	"context"
	"sync"
	"sync/atomic"
)

// readBatcher coalesces concurrent linearizable reads into one read-index
// request, as etcd's read loop does: a read joins the next request to be
// sent, never one already in flight (whose index could predate the read).
// With 64 readers on a follower that is one round trip to the leader in
// flight instead of 64.
type readBatcher struct {
	mu     sync.Mutex // guards next, flying and closed
	next   *readRound // the round new reads join; nil until one does
	flying bool       // a round's request is in flight
	closed bool       // the store is closing: no sender may start

	reads, rounds atomic.Uint64 // linearizable reads, and requests sent for them
}

// readRound is one read-index request and the reads waiting on it.
type readRound struct {
	done chan struct{} // closed once idx or err is set
	idx  uint64
	err  error
}

// readIndex returns a raft index that every write committed before the call
// is at or below, from a request sent after the call began.
func (db *DB) readIndex(ctx context.Context) (uint64, error) {
	b := &db.reads
	b.reads.Add(1)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return 0, &Error{Err: ErrClosed}
	}
	r := b.next
	if r == nil {
		r = &readRound{done: make(chan struct{})}
		b.next = r
	}
	if !b.flying {
		b.flying, b.next = true, nil
		db.wg.Add(1)
		go db.sendReads(r)
	}
	b.mu.Unlock()
	select {
	case <-r.done:
		return r.idx, r.err
	case <-ctx.Done():
		return 0, &Error{Err: ErrTimeout, Msg: "waiting for the read index", Cause: ctx.Err()}
	case <-db.ctx.Done():
		return 0, &Error{Err: ErrClosed}
	}
}

// sendReads sends round r, then the rounds that filled up while each was in
// flight, until none is waiting.
func (db *DB) sendReads(r *readRound) {
	defer db.wg.Done()
	b := &db.reads
	for r != nil {
		b.rounds.Add(1)
		// The round outlives any one reader's context; leaderDo gives up
		// after ForwardTimeout without a leader, and a leader confirms or
		// loses its leadership within its lease.
		ctx, cancel := context.WithTimeout(db.ctx, db.cfg.ForwardTimeout+db.cfg.LeaderLeaseTimeout+db.cfg.ElectionTimeout)
		res, err := db.leaderDo(ctx, forwardRequest{Op: "readindex"})
		cancel()
		if err != nil {
			r.err = err
		} else {
			r.idx = res.Index
		}
		close(r.done)
		b.mu.Lock()
		r, b.next = b.next, nil
		if r == nil {
			b.flying = false
		}
		b.mu.Unlock()
	}
}

// close stops new senders, so that Close can wait for the running one.
func (b *readBatcher) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}
