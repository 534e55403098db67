// Package kv is the store's state file: a bbolt database with one bucket per
// kind and a meta bucket holding the last applied raft index. It is the only
// place (with raftnode) that imports bbolt; nothing of bbolt leaks out.
//
// A DB is safe for concurrent use, except that Restore must not run
// concurrently with Update (raft guarantees this for the FSM).
package kv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	metaBucket = []byte("meta")
	appliedKey = []byte("applied")
)

const objPrefix = "o/"

// ErrCorrupt reports a snapshot or state file that is not a valid state file.
var ErrCorrupt = errors.New("kv: not a valid state file")

// DB is the state file.
//
// Updates are group-committed: Update writes into a pending write
// transaction that is committed (and fsynced) at most CommitInterval later,
// by the next Update or by a background flusher, and before every Snapshot.
// Stage goes further: it only queues the changes, and the flusher writes
// them, so its caller never waits for the file or the disk.
// The caller's durability comes from elsewhere (the raft log): after a crash
// the file holds a prefix of the updates, and Applied says how far it got.
// Applied, Meta and ForEach read what is committed: Flush first to include
// staged and pending updates.
type DB struct {
	path   string
	noSync bool

	mu sync.RWMutex // guards db (swapped by Restore)
	db *bolt.DB

	pmu     sync.Mutex // guards pending and since; held while a pending tx is used
	pending *bolt.Tx
	since   time.Time

	smu           sync.Mutex // guards the staged fields
	staged        []Change
	stagedMeta    map[string][]byte
	stagedApplied uint64
	hasStaged     bool

	stop chan struct{}
	done chan struct{}
}

// CommitInterval bounds how long an update stays in the pending
// transaction.
const CommitInterval = 20 * time.Millisecond

func options(noSync bool) *bolt.Options {
	return &bolt.Options{NoSync: noSync, NoGrowSync: noSync, NoFreelistSync: true, FreelistType: bolt.FreelistMapType, InitialMmapSize: 256 << 20}
}

// Open opens or creates the state file at path. With noSync the file is never
// fsynced (for in-memory mode and simulations).
func Open(path string, noSync bool) (*DB, error) {
	db, err := bolt.Open(path, 0o600, options(noSync))
	if err != nil {
		return nil, fmt.Errorf("kv: open %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(metaBucket)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("kv: init %s: %w", path, err)
	}
	d := &DB{path: path, noSync: noSync, db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go d.flusher()
	return d, nil
}

func (d *DB) flusher() {
	defer close(d.done)
	t := time.NewTicker(CommitInterval)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			d.pmu.Lock()
			d.drainLocked()
			if d.pending != nil && time.Since(d.since) >= CommitInterval {
				d.commitLocked()
			}
			d.pmu.Unlock()
		}
	}
}

// Change is one staged write: Val nil deletes Kind/Key.
type Change struct {
	Kind, Key string
	Val       []byte
}

// Stage queues changes, which bring the file to the applied raft index
// applied, and meta values, for the background flusher to write within
// CommitInterval (Flush, Snapshot, Restore and Close write them first).
// Stage never waits for a commit. Staged changes are written in the order
// they were staged; Val must not be modified afterwards.
func (d *DB) Stage(changes []Change, meta map[string][]byte, applied uint64) {
	d.smu.Lock()
	d.staged = append(d.staged, changes...)
	for k, v := range meta {
		if d.stagedMeta == nil {
			d.stagedMeta = map[string][]byte{}
		}
		d.stagedMeta[k] = v
	}
	d.stagedApplied, d.hasStaged = applied, true
	d.smu.Unlock()
}

// drainLocked writes the staged changes into the pending transaction. Call
// with pmu held. A write the file refuses panics, as a failed commit does.
func (d *DB) drainLocked() {
	d.smu.Lock()
	changes, meta, applied, has := d.staged, d.stagedMeta, d.stagedApplied, d.hasStaged
	d.staged, d.stagedMeta, d.hasStaged = nil, nil, false
	d.smu.Unlock()
	if !has {
		return
	}
	if d.pending == nil {
		d.mu.RLock() // held until the pending tx ends
		tx, err := d.db.Begin(true)
		if err != nil {
			d.mu.RUnlock()
			panic(fmt.Sprintf("kv: begin %s: %v", d.path, err))
		}
		d.pending, d.since = tx, time.Now()
	}
	tx := &Tx{d.pending}
	err := func() error {
		for _, c := range changes {
			var err error
			if c.Val == nil {
				err = tx.Delete(c.Kind, c.Key)
			} else {
				err = tx.Put(c.Kind, c.Key, c.Val)
			}
			if err != nil {
				return fmt.Errorf("%s %s: %w", c.Kind, c.Key, err)
			}
		}
		for k, v := range meta {
			if err := tx.SetMeta(k, v); err != nil {
				return err
			}
		}
		return tx.SetApplied(applied)
	}()
	if err != nil {
		panic(fmt.Sprintf("kv: write %s: %v", d.path, err))
	}
}

// commitLocked commits the pending transaction. Call with pmu held. A
// failed commit loses updates the caller was told had succeeded, so it
// panics: the caller's log replays them on restart.
func (d *DB) commitLocked() {
	if d.pending == nil {
		return
	}
	tx := d.pending
	d.pending = nil
	err := tx.Commit()
	d.mu.RUnlock() // taken when the pending tx began
	if err != nil {
		panic(fmt.Sprintf("kv: commit %s: %v", d.path, err))
	}
}

// Flush commits staged and pending updates now.
func (d *DB) Flush() {
	d.pmu.Lock()
	d.drainLocked()
	d.commitLocked()
	d.pmu.Unlock()
}

// Close commits pending updates and closes the file.
func (d *DB) Close() error {
	select {
	case <-d.stop:
	default:
		close(d.stop)
		<-d.done
	}
	d.Flush()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.db.Close()
}

// Applied returns the last applied raft index recorded in the file.
func (d *DB) Applied() (uint64, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var idx uint64
	err := d.db.View(func(tx *bolt.Tx) error {
		idx = applied(tx)
		return nil
	})
	return idx, err
}

func applied(tx *bolt.Tx) uint64 {
	b := tx.Bucket(metaBucket)
	if b == nil {
		return 0
	}
	v := b.Get(appliedKey)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// Tx is a write transaction.
type Tx struct{ tx *bolt.Tx }

// Update runs fn in the pending write transaction. If fn fails, every
// pending update is rolled back and the error returned: the caller must stop
// (and replay from Applied on restart).
func (d *DB) Update(fn func(*Tx) error) error {
	d.pmu.Lock()
	defer d.pmu.Unlock()
	d.drainLocked()
	if d.pending == nil {
		d.mu.RLock() // held until the pending tx ends
		tx, err := d.db.Begin(true)
		if err != nil {
			d.mu.RUnlock()
			return err
		}
		d.pending, d.since = tx, time.Now()
	}
	if err := fn(&Tx{d.pending}); err != nil {
		d.pending.Rollback()
		d.pending = nil
		d.mu.RUnlock()
		return err
	}
	if time.Since(d.since) >= CommitInterval {
		d.commitLocked()
	}
	return nil
}

// Put stores val under kind/key.
func (t *Tx) Put(kind, key string, val []byte) error {
	b, err := t.tx.CreateBucketIfNotExists([]byte(objPrefix + kind))
	if err != nil {
		return err
	}
	return b.Put([]byte(key), val)
}

// Delete removes kind/key.
func (t *Tx) Delete(kind, key string) error {
	b := t.tx.Bucket([]byte(objPrefix + kind))
	if b == nil {
		return nil
	}
	return b.Delete([]byte(key))
}

// SetMeta stores a value in the meta bucket.
func (t *Tx) SetMeta(key string, val []byte) error {
	return t.tx.Bucket(metaBucket).Put([]byte(key), val)
}

// Meta reads a value from the meta bucket.
func (t *Tx) Meta(key string) []byte { return t.tx.Bucket(metaBucket).Get([]byte(key)) }

// SetApplied records the last applied raft index.
func (t *Tx) SetApplied(idx uint64) error {
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], idx)
	return t.tx.Bucket(metaBucket).Put(appliedKey, v[:])
}

// Meta reads one value from the meta bucket.
func (d *DB) Meta(key string) ([]byte, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []byte
	err := d.db.View(func(tx *bolt.Tx) error {
		out = append([]byte(nil), tx.Bucket(metaBucket).Get([]byte(key))...)
		return nil
	})
	return out, err
}

// ForEach calls fn for every object in the file, kind by kind in key order.
// val is only valid during the call.
func (d *DB) ForEach(fn func(kind, key string, val []byte) error) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if !strings.HasPrefix(string(name), objPrefix) {
				return nil
			}
			kind := strings.TrimPrefix(string(name), objPrefix)
			return b.ForEach(func(k, v []byte) error { return fn(kind, string(k), v) })
		})
	})
}

// Snapshot is a consistent read view of the whole file.
type Snapshot struct {
	tx      *bolt.Tx
	unlock  func()
	Applied uint64
}

// Snapshot commits pending updates and opens a read view; the caller must
// Release it.
func (d *DB) Snapshot() (*Snapshot, error) {
	d.Flush()
	d.mu.RLock()
	tx, err := d.db.Begin(false)
	if err != nil {
		d.mu.RUnlock()
		return nil, err
	}
	return &Snapshot{tx: tx, unlock: d.mu.RUnlock, Applied: applied(tx)}, nil
}

// WriteTo streams the whole file as of the snapshot.
func (s *Snapshot) WriteTo(w io.Writer) (int64, error) { return s.tx.WriteTo(w) }

// Release ends the read view. It is safe to call more than once.
func (s *Snapshot) Release() {
	if s.tx == nil {
		return
	}
	s.tx.Rollback()
	s.tx = nil
	s.unlock()
}

// Verify checks that the file at path is a state file: it opens and has the
// meta bucket. It returns the applied index recorded in it.
func Verify(path string) (uint64, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 0})
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	defer db.Close()
	var idx uint64
	err = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(metaBucket) == nil {
			return fmt.Errorf("%w: no meta bucket", ErrCorrupt)
		}
		idx = applied(tx)
		return nil
	})
	return idx, err
}

// Restore replaces the file with the state file read from r, atomically: r is
// written to a temporary file beside the current one, verified, and renamed
// over it. On any error the current state is left as it was.
func (d *DB) Restore(r io.Reader) error {
	d.Flush()
	dir := filepath.Dir(d.path)
	f, err := os.CreateTemp(dir, filepath.Base(d.path)+".restore-*")
	if err != nil {
		return fmt.Errorf("kv: restore: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("kv: restore: copy: %w", err)
	}
	if !d.noSync {
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("kv: restore: sync: %w", err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("kv: restore: %w", err)
	}
	if _, err := Verify(tmp); err != nil {
		return fmt.Errorf("kv: restore: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("kv: restore: close current: %w", err)
	}
	renameErr := os.Rename(tmp, d.path)
	db, err := bolt.Open(d.path, 0o600, options(d.noSync))
	if err != nil {
		return fmt.Errorf("kv: restore: reopen: %w", err)
	}
	d.db = db
	if renameErr != nil {
		return fmt.Errorf("kv: restore: rename: %w", renameErr)
	}
	return nil
}
