package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coxswain/coxswain/store/internal/kv"
	"github.com/coxswain/coxswain/store/internal/raftnode"
	"github.com/coxswain/coxswain/types"
)

// DB is the raft-replicated store: one member of a cluster of one or more.
// It implements Store. It is safe for concurrent use.
type DB struct {
	cfg    Config
	node   *raftnode.Node
	kv     *kv.DB
	st     *state
	tmpDir string // the state file's directory in memory mode, removed on Close

	rndMu sync.Mutex // guards rnd
	rnd   *rand.Rand

	metrics  *metrics
	restores atomic.Int64

	// decoded holds objects this member decoded while proposing, by
	// command nonce, for the state machine to take instead of decoding the
	// same bytes again on its serial path (see predecode).
	decoded sync.Map // uint64 -> *predecoded
	nonce   atomic.Uint64
	// reads coalesces linearizable reads' read-index requests.
	reads readBatcher
	// statusFields caches statusField by type; only the apply goroutine
	// uses it.
	statusFields map[reflect.Type]int

	ready  chan struct{}   // closed once node is set
	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // background goroutines and watchers
	closed atomic.Bool
}

var _ Store = (*DB)(nil)

// Open opens (creating if needed) the store whose files are in dir, and
// starts this member. dir "" (or cfg.InMemory) keeps everything in memory.
//
// With a zero Config the store is a single member that bootstraps itself;
// Open returns once it leads and the system namespaces (default,
// kube-system, kube-public, kube-node-lease) exist. With Members or Join set, Open returns
// once the member has started; writes wait (up to ForwardTimeout) for a
// leader.
func Open(dir string, cfg Config) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	db := &DB{cfg: cfg, st: newState(cfg.HistorySize), ready: make(chan struct{})}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	db.rnd = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	// Nonces only need to differ between the commands in flight on one
	// member; a random start makes another member's rarely collide (a
	// collision costs a decode, never a wrong result).
	db.nonce.Store(db.rnd.Uint64() >> 1)
	db.ctx, db.cancel = context.WithCancel(context.Background())

	inMemory := dir == "" || cfg.InMemory
	stateDir, raftDir := dir, filepath.Join(dir, "raft")
	if inMemory {
		tmp, err := os.MkdirTemp(memDir(), "coxswain-store-*")
		if err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		db.tmpDir, stateDir, raftDir = tmp, tmp, ""
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	var err error
	db.kv, err = kv.Open(filepath.Join(stateDir, "state.db"), inMemory || cfg.NoSync)
	if err != nil {
		db.cleanup()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if err := db.load(false); err != nil {
		db.cleanup()
		return nil, err
	}
	db.metrics = newMetrics(db, cfg.Registerer)

	var boot []raftnode.Server
	alone := len(cfg.Members) == 0 && len(cfg.Join) == 0
	if alone {
		boot = []raftnode.Server{{ID: cfg.ID, Addr: cfg.Addr, Voter: true}}
	}
	for _, m := range cfg.Members {
		boot = append(boot, raftnode.Server{ID: m.ID, Addr: m.Addr, Voter: true})
	}
	db.node, err = raftnode.New(raftnode.Config{
		ID: cfg.ID, Addr: cfg.Addr, Listener: cfg.Listener, Dial: cfg.Dial, TLS: cfg.TLS,
		Dir: raftDir, NoSync: inMemory || cfg.NoSync, Bootstrap: boot,
		HeartbeatTimeout: cfg.HeartbeatTimeout, ElectionTimeout: cfg.ElectionTimeout,
		LeaderLeaseTimeout: cfg.LeaderLeaseTimeout, CommitTimeout: cfg.CommitTimeout,
		MaxAppendEntries: cfg.MaxAppendEntries, SnapshotThreshold: cfg.SnapshotThreshold,
		SnapshotInterval: cfg.SnapshotInterval, TrailingLogs: cfg.TrailingLogs,
		Logger: cfg.Logger, Handler: db.serveForward,
	}, fsm{db})
	if err != nil {
		db.metrics.unregister()
		db.cleanup()
		return nil, fmt.Errorf("store: open: %w", err)
	}

	close(db.ready)
	db.wg.Add(1)
	go db.leadership()
	if len(cfg.Join) > 0 {
		db.wg.Add(1)
		go db.join()
	}
	if alone {
		ctx, cancel := context.WithTimeout(db.ctx, 30*time.Second)
		defer cancel()
		if err := db.waitInitialized(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open: waiting to lead: %w", err)
		}
	}
	return db, nil
}

func (db *DB) cleanup() {
	if db.kv != nil {
		db.kv.Close()
	}
	if db.tmpDir != "" {
		os.RemoveAll(db.tmpDir)
	}
	db.cancel()
}

// load (re)builds the in-memory state from the state file.
func (db *DB) load(restored bool) error {
	applied, err := db.kv.Applied()
	if err != nil {
		return fmt.Errorf("store: load: %w", err)
	}
	var base uint64
	if b, _ := db.kv.Meta("base"); len(b) == 8 {
		base = binary.BigEndian.Uint64(b)
	}
	init, _ := db.kv.Meta("initialized")
	kinds := map[string]*kindState{}
	err = db.kv.ForEach(func(kind, key string, val []byte) error {
		obj, err := db.cfg.Scheme.New(kind)
		if err != nil {
			return fmt.Errorf("store: load %s %s: %w", kind, key, err)
		}
		if err := json.Unmarshal(val, obj); err != nil {
			return fmt.Errorf("store: load %s %s: %w", kind, key, err)
		}
		ks := kinds[kind]
		if ks == nil {
			ks = newKindState()
			kinds[kind] = ks
		}
		m := obj.GetObjectMeta()
		it := &item{obj: obj, fields: fieldsOf(kind, m.Namespace, m.Name, val)}
		it.spec, it.specOK = specSumOf(val)
		ks.set(key, it)
		return nil
	})
	if err != nil {
		return err
	}
	st := db.st
	st.mu.Lock()
	st.kinds, st.applied, st.base, st.initialized = kinds, applied, base, len(init) > 0
	for i := range st.ring {
		st.ring[i] = event{}
	}
	st.head, st.n, st.floor = 0, 0, base+applied
	close(st.notify)
	st.notify = make(chan struct{})
	st.mu.Unlock()
	return nil
}

// Close stops this member (without leaving the cluster), ends every watcher
// and closes the files. It is safe to call more than once.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	db.cancel()
	err := db.node.Close()
	db.reads.close() // no read-index sender starts after this
	db.wg.Wait()
	db.metrics.unregister()
	if e := db.kv.Close(); err == nil {
		err = e
	}
	if db.tmpDir != "" {
		os.RemoveAll(db.tmpDir)
	}
	return err
}

// leadership proposes an init command once per term in which this member
// leads. The first creates the system namespaces; every one of them puts a
// command after raft's own no-op entry of the new term, which the state
// machine never sees, so that a read index pointing at that no-op is reached.
func (db *DB) leadership() {
	defer db.wg.Done()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	var done uint64 // the term the last init was committed in
	for {
		select {
		case <-db.ctx.Done():
			return
		case <-t.C:
		}
		term := db.node.Term()
		if term == done || !db.node.IsLeader() {
			continue
		}
		data, _ := (&command{Op: opInit}).encode()
		ctx, cancel := context.WithTimeout(db.ctx, 5*time.Second)
		_, err := db.node.Apply(ctx, data)
		cancel()
		if err == nil {
			done = term
		}
	}
}

func (db *DB) waitInitialized(ctx context.Context) error {
	for {
		db.st.mu.RLock()
		done, ch := db.st.initialized, db.st.notify
		db.st.mu.RUnlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// join asks the members in Config.Join to add this member, until one does.
func (db *DB) join() {
	defer db.wg.Done()
	req, _ := json.Marshal(forwardRequest{Op: "add", ID: db.cfg.ID, Addr: db.node.Addr()})
	for {
		for _, addr := range db.cfg.Join {
			ctx, cancel := context.WithTimeout(db.ctx, 10*time.Second)
			resp, err := db.node.Call(ctx, addr, req)
			cancel()
			if err == nil {
				var fr forwardResponse
				if json.Unmarshal(resp, &fr) == nil && fr.Err == nil {
					return
				}
			}
		}
		select {
		case <-db.ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Addr returns the address this member listens on (its ID with the
// in-process transport).
func (db *DB) Addr() string { return db.node.Addr() }

// ID returns this member's ID.
func (db *DB) ID() string { return db.cfg.ID }

// Leader returns the member this one believes leads; zero if none is known.
func (db *DB) Leader() Member {
	id, addr := db.node.Leader()
	if id == "" && addr == "" {
		return Member{}
	}
	return Member{ID: id, Addr: addr, Voter: true}
}

// IsLeader reports whether this member leads.
func (db *DB) IsLeader() bool { return db.node.IsLeader() }

// Members returns the cluster's members as raft's latest configuration has them.
func (db *DB) Members(ctx context.Context) ([]Member, error) {
	ss, err := db.node.Servers(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: members: %w", err)
	}
	out := make([]Member, len(ss))
	for i, s := range ss {
		out[i] = Member{ID: s.ID, Addr: s.Addr, Voter: s.Voter}
	}
	return out, nil
}

// AddMember adds a voting member (started with Join, or with no Members and
// an address). It may be called on any member: it is forwarded to the leader.
func (db *DB) AddMember(ctx context.Context, id, addr string) error {
	_, err := db.leaderDo(ctx, forwardRequest{Op: "add", ID: id, Addr: addr})
	return err
}

// RemoveMember removes a member from the cluster.
func (db *DB) RemoveMember(ctx context.Context, id string) error {
	_, err := db.leaderDo(ctx, forwardRequest{Op: "remove", ID: id})
	return err
}

// Snapshot asks raft to take a snapshot now (normally it does so by itself
// after SnapshotThreshold entries).
func (db *DB) Snapshot(ctx context.Context) error { return db.node.TakeSnapshot(ctx) }

// Backup writes a consistent copy of the state (the state file) to w. See
// RestoreBackup.
func (db *DB) Backup(ctx context.Context, w io.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	snap, err := db.kv.Snapshot()
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer snap.Release()
	if _, err := snap.WriteTo(w); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

// RestoreBackup prepares dir, which must not exist or be empty, to start a
// new cluster from a backup written by Backup: Open(dir, cfg) afterwards
// bootstraps with the backup's objects. Revisions continue from the backup's,
// so resourceVersions never go backwards.
func RestoreBackup(r io.Reader, dir string) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("store: restore backup: %s is not empty", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: restore backup: %w", err)
	}
	k, err := kv.Open(filepath.Join(dir, "state.db"), false)
	if err != nil {
		return fmt.Errorf("store: restore backup: %w", err)
	}
	if err := k.Restore(r); err != nil {
		k.Close()
		os.Remove(filepath.Join(dir, "state.db"))
		return fmt.Errorf("store: restore backup: %w", err)
	}
	applied, _ := k.Applied()
	var oldBase uint64
	if b, _ := k.Meta("base"); len(b) == 8 {
		oldBase = binary.BigEndian.Uint64(b)
	}
	err = k.Update(func(tx *kv.Tx) error {
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], oldBase+applied)
		if err := tx.SetMeta("base", v[:]); err != nil {
			return err
		}
		return tx.SetApplied(0)
	})
	if cerr := k.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: restore backup: %w", err)
	}
	return nil
}

// rand returns n random bytes from the seeded generator.
func (db *DB) randBytes(n int) []byte {
	db.rndMu.Lock()
	defer db.rndMu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(db.rnd.Uint32())
	}
	return b
}

func (db *DB) newUID() string { return formatUID(db.randBytes(16)) }

const suffixChars = "bcdfghjklmnpqrstvwxz2456789"

func (db *DB) suffix() string {
	b := db.randBytes(5)
	for i := range b {
		b[i] = suffixChars[int(b[i])%len(suffixChars)]
	}
	return string(b)
}

// proposed sends cmd through raft (forwarding to the leader when this member
// does not lead) and returns the applied result.
func (db *DB) propose(ctx context.Context, c *command) (types.Object, error) {
	if c.Object != nil {
		c.Nonce = db.nonce.Add(1)
	}
	data, err := c.encode()
	if err != nil {
		return nil, &Error{Err: ErrInvalid, Kind: c.Kind, Namespace: c.Namespace, Name: c.Name, Cause: err}
	}
	start := time.Now()
	resp, err := db.leaderDo(ctx, forwardRequest{Op: "apply", Command: data})
	db.metrics.write(string(c.Op), err, time.Since(start))
	if err != nil {
		if e, ok := err.(*Error); ok && e.Kind == "" {
			e.Kind, e.Namespace, e.Name = c.Kind, c.Namespace, c.Name
		}
		return nil, err
	}
	if resp.local != nil {
		return resp.local.obj.DeepCopyObject(), nil
	}
	if resp.Kind == "" {
		return nil, nil
	}
	obj, err := db.cfg.Scheme.New(resp.Kind)
	if err != nil {
		return nil, &Error{Err: ErrInvalid, Kind: resp.Kind, Cause: err}
	}
	if err := json.Unmarshal(resp.Object, obj); err != nil {
		return nil, &Error{Err: ErrInvalid, Kind: resp.Kind, Cause: err}
	}
	return obj, nil
}

// leaderResult is the answer of leaderDo: local when this member applied the
// command itself.
type leaderResult struct {
	forwardResponse
	local *item
}

// leaderDo runs req on the leader: here if this member leads, else over the
// forwarding port. It retries while no leader is known or the request
// certainly did not take effect, up to ForwardTimeout.
func (db *DB) leaderDo(ctx context.Context, req forwardRequest) (*leaderResult, error) {
	if db.closed.Load() {
		return nil, &Error{Err: ErrClosed}
	}
	// Raft elects on real time, so the wait for a leader is real time too,
	// whatever clock stamps the objects (a simulation's virtual clock does
	// not move while a write waits).
	deadline := time.Now().Add(db.cfg.ForwardTimeout)
	var payload []byte
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if time.Now().After(deadline) {
				_, addr := db.node.Leader()
				return nil, &Error{Err: ErrNotLeader, Leader: addr, Msg: fmt.Sprintf("no leader reachable within %v", db.cfg.ForwardTimeout)}
			}
			select {
			case <-ctx.Done():
				return nil, &Error{Err: ErrTimeout, Cause: ctx.Err()}
			case <-db.ctx.Done():
				return nil, &Error{Err: ErrClosed}
			case <-time.After(10 * time.Millisecond):
			}
		}
		if db.node.IsLeader() {
			res, err := db.local(ctx, req)
			if errors.Is(err, raftnode.ErrNotLeader) {
				continue
			}
			return res, err
		}
		_, addr := db.node.Leader()
		if addr == "" {
			continue
		}
		if payload == nil {
			payload, _ = json.Marshal(req)
		}
		raw, err := db.node.Call(ctx, addr, payload)
		if err != nil {
			if errors.Is(err, raftnode.ErrNotSent) {
				continue
			}
			if ctx.Err() != nil {
				return nil, &Error{Err: ErrTimeout, Cause: ctx.Err()}
			}
			return nil, &Error{Err: ErrTimeout, Msg: "forwarding to the leader", Cause: err}
		}
		var fr forwardResponse
		if err := json.Unmarshal(raw, &fr); err != nil {
			return nil, &Error{Err: ErrTimeout, Msg: "bad answer from the leader", Cause: err}
		}
		if fr.Err != nil && fr.Err.Code == "NotLeader" && fr.Err.Msg == "retry" {
			continue // the other member no longer leads; nothing was done
		}
		if fr.Err != nil {
			return nil, fr.Err.err()
		}
		return &leaderResult{forwardResponse: fr}, nil
	}
}

// local runs req on this member, which leads. raftnode.ErrNotLeader means
// nothing was done.
func (db *DB) local(ctx context.Context, req forwardRequest) (*leaderResult, error) {
	switch req.Op {
	case "apply":
		defer db.predecode(req.Command)()
		r, err := db.node.Apply(ctx, req.Command)
		switch {
		case errors.Is(err, raftnode.ErrNotLeader):
			return nil, err
		case errors.Is(err, raftnode.ErrUnknown):
			return nil, &Error{Err: ErrTimeout, Msg: "leadership lost while writing"}
		case errors.Is(err, raftnode.ErrClosed):
			return nil, &Error{Err: ErrTimeout, Msg: "member shut down while writing"}
		case err != nil:
			return nil, &Error{Err: ErrTimeout, Cause: err}
		}
		res, ok := r.(*result)
		if !ok {
			return nil, &Error{Err: ErrInvalid, Msg: "no result"}
		}
		if res.err != nil {
			return nil, res.err
		}
		if res.obj == nil {
			return &leaderResult{}, nil
		}
		return &leaderResult{local: res.obj, forwardResponse: forwardResponse{Kind: res.obj.obj.GetKind()}}, nil
	case "readindex":
		idx, err := db.node.ReadIndex(ctx)
		if err != nil {
			if errors.Is(err, raftnode.ErrNotLeader) {
				return nil, err
			}
			return nil, &Error{Err: ErrTimeout, Msg: "confirming leadership", Cause: err}
		}
		return &leaderResult{forwardResponse: forwardResponse{Index: idx}}, nil
	case "add":
		if err := db.node.AddVoter(ctx, req.ID, req.Addr); err != nil {
			if errors.Is(err, raftnode.ErrNotLeader) {
				return nil, err
			}
			return nil, fmt.Errorf("store: add member %s at %s: %w", req.ID, req.Addr, err)
		}
		return &leaderResult{}, nil
	case "remove":
		if err := db.node.RemoveServer(ctx, req.ID); err != nil {
			if errors.Is(err, raftnode.ErrNotLeader) {
				return nil, err
			}
			return nil, fmt.Errorf("store: remove member %s: %w", req.ID, err)
		}
		return &leaderResult{}, nil
	}
	return nil, fmt.Errorf("store: unknown request %q", req.Op)
}

// predecoded is an object decoded from a command's bytes before the command
// was applied.
type predecoded struct {
	kind string
	raw  []byte
	obj  types.Object
}

// predecode decodes the object of the command in data, if it has one, and
// leaves it for the state machine (batch.object), so the JSON decode runs on
// the proposing goroutine, in parallel with others, rather than on the
// serial apply path. The returned func forgets the object if the state
// machine did not take it; call it once the command is applied or failed.
func (db *DB) predecode(data []byte) func() {
	c, err := decodeCommand(data)
	if err != nil || c.Nonce == 0 || (c.Op != opCreate && c.Op != opUpdate && c.Op != opStatus) {
		return func() {}
	}
	obj, err := db.cfg.Scheme.New(c.Kind)
	if err != nil || json.Unmarshal(c.Object, obj) != nil {
		return func() {} // the state machine reports the error
	}
	d := &predecoded{kind: c.Kind, raw: c.Object, obj: obj}
	db.decoded.Store(c.Nonce, d)
	return func() { db.decoded.CompareAndDelete(c.Nonce, d) }
}

// serveForward answers another member's forwarded request.
func (db *DB) serveForward(ctx context.Context, raw []byte) ([]byte, error) {
	var req forwardRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	select {
	case <-db.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var fr forwardResponse
	if !db.node.IsLeader() {
		fr.Err = &wireError{Code: "NotLeader", Msg: "retry"}
		return json.Marshal(fr)
	}
	res, err := db.local(ctx, req)
	switch {
	case errors.Is(err, raftnode.ErrNotLeader):
		fr.Err = &wireError{Code: "NotLeader", Msg: "retry"}
	case err != nil:
		fr.Err = toWire(err)
		if fr.Err.Code == "" {
			fr.Err.Code = "Timeout"
		}
	default:
		fr = res.forwardResponse
		if res.local != nil {
			fr.Kind = res.local.obj.GetKind()
			if fr.Object, err = json.Marshal(res.local.obj); err != nil {
				return nil, err
			}
		}
	}
	return json.Marshal(fr)
}

// linearize waits until this member has applied every write committed before
// the call (the read-index protocol, through the leader).
func (db *DB) linearize(ctx context.Context) error {
	idx, err := db.readIndex(ctx)
	if err != nil {
		return err
	}
	return db.waitIndex(ctx, idx)
}

// waitIndex waits until the applied raft index reaches idx.
func (db *DB) waitIndex(ctx context.Context, idx uint64) error {
	for {
		db.st.mu.RLock()
		applied, ch := db.st.applied, db.st.notify
		db.st.mu.RUnlock()
		if applied >= idx {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return &Error{Err: ErrTimeout, Msg: fmt.Sprintf("waiting to apply index %d (at %d)", idx, applied), Cause: ctx.Err()}
		case <-db.ctx.Done():
			return &Error{Err: ErrClosed}
		}
	}
}

// Revision returns the revision this member has applied.
func (db *DB) Revision() uint64 {
	db.st.mu.RLock()
	defer db.st.mu.RUnlock()
	return db.st.rev()
}

// Stats reports counters useful in tests and operations.
type Stats struct {
	Revision         uint64 // applied revision
	SnapshotRestores int64  // snapshots installed since Open
	Objects          int    // objects held
	Watchers         int64
}

// Stats returns this member's counters.
func (db *DB) Stats() Stats {
	db.st.mu.RLock()
	defer db.st.mu.RUnlock()
	n := 0
	for _, k := range db.st.kinds {
		n += len(k.objs)
	}
	return Stats{Revision: db.st.rev(), SnapshotRestores: db.restores.Load(), Objects: n, Watchers: db.metrics.watchers.Load()}
}

func parseRV(kind, ns, name, rv string) (uint64, error) {
	if rv == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		return 0, newErr(ErrInvalid, kind, ns, name, "metadata.resourceVersion %q is not a revision", rv)
	}
	return v, nil
}

// memDir is where in-memory mode keeps its state file: a tmpfs when the
// system has one (so nothing reaches a disk), else the temporary directory.
func memDir() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if f, err := os.CreateTemp("/dev/shm", ".coxswain-probe-*"); err == nil {
			f.Close()
			os.Remove(f.Name())
			return "/dev/shm"
		}
	}
	return ""
}
