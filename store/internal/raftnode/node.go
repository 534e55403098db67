// Package raftnode is the store's one seam to hashicorp/raft: it builds a raft
// member (log and stable store in raft-boltdb, file snapshots, a TCP transport
// multiplexed with a forwarding RPC on one port, or an in-process transport),
// and exposes it through a few methods whose signatures carry no raft types.
package raftnode

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	bolt "go.etcd.io/bbolt"
)

// Errors returned by Node methods.
var (
	// ErrNotLeader: this member is not the leader; nothing was applied.
	ErrNotLeader = errors.New("raftnode: not the leader")
	// ErrUnknown: leadership was lost while the entry was in flight; it may
	// or may not be committed.
	ErrUnknown = errors.New("raftnode: outcome unknown (leadership lost)")
	// ErrClosed: the member is shut down.
	ErrClosed = errors.New("raftnode: shut down")
)

// Entry is one committed log entry handed to the FSM.
type Entry struct {
	Index uint64
	// Command is false for raft configuration entries, which carry no data
	// for the FSM but still advance the applied index.
	Command bool
	Data    []byte
	// Time is when the leader appended the entry (the same on every member).
	Time time.Time
}

// Snapshot is a point-in-time view of the FSM.
type Snapshot interface {
	WriteTo(w io.Writer) (int64, error)
	Release()
}

// FSM is the state machine raft drives. Calls are never concurrent, except
// that Snapshot's WriteTo runs beside ApplyBatch.
type FSM interface {
	ApplyBatch(entries []Entry) []any
	Snapshot() (Snapshot, error)
	Restore(r io.Reader) error
}

// Server is one member of the configuration.
type Server struct {
	ID    string
	Addr  string
	Voter bool
}

// Config configures a member. Zero durations take raft's defaults.
type Config struct {
	ID        string
	Addr      string       // advertised address; "" with Listener nil: in-process transport
	Listener  net.Listener // if nil and Addr != "", listen on Addr
	Dial      DialFunc
	TLS       *tls.Config
	Dir       string // "" keeps logs and snapshots in memory
	NoSync    bool
	Bootstrap []Server // bootstrap with these members when there is no state

	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
	MaxAppendEntries   int
	SnapshotThreshold  uint64
	SnapshotInterval   time.Duration
	TrailingLogs       uint64

	Logger *slog.Logger
	// Handler serves forwarded requests from other members.
	Handler func(ctx context.Context, req []byte) ([]byte, error)
}

// logCacheSize is how many recent log entries a member keeps in memory for
// replication: a few batches of MaxAppendEntries.
const logCacheSize = 1024

// Node is one raft member. It is safe for concurrent use.
//
// No goroutine a Node starts outlives Close: raft's own are stopped by its
// Shutdown, and each goroutine wait starts to block on a raft future is
// released by closed and counted in waiters, which Close waits for.
type Node struct {
	raft   *raft.Raft
	trans  raft.Transport
	mux    *mux
	logs   io.Closer // raft-boltdb, nil in memory
	addr   string
	closed chan struct{} // closed when Close begins

	// mu orders wait's waiters.Add before Close's waiters.Wait: wait holds
	// it shared while it checks closed and counts its goroutine, Close
	// holds it exclusively while it closes closed.
	mu      sync.RWMutex
	waiters sync.WaitGroup // goroutines of wait still blocked on a future
}

type fsmAdapter struct{ fsm FSM }

func (a fsmAdapter) ApplyBatch(logs []*raft.Log) []any {
	es := make([]Entry, len(logs))
	for i, l := range logs {
		es[i] = Entry{Index: l.Index, Command: l.Type == raft.LogCommand, Data: l.Data, Time: l.AppendedAt}
	}
	return a.fsm.ApplyBatch(es)
}

func (a fsmAdapter) Apply(l *raft.Log) any { return a.ApplyBatch([]*raft.Log{l})[0] }

func (a fsmAdapter) Snapshot() (raft.FSMSnapshot, error) {
	s, err := a.fsm.Snapshot()
	if err != nil {
		return nil, err
	}
	return snapAdapter{s}, nil
}

func (a fsmAdapter) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	return a.fsm.Restore(rc)
}

type snapAdapter struct{ s Snapshot }

func (s snapAdapter) Persist(sink raft.SnapshotSink) error {
	if _, err := s.s.WriteTo(sink); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s snapAdapter) Release() { s.s.Release() }

// New starts a member.
func New(cfg Config, fsm FSM) (*Node, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	hl := newHclog(logger, hclog.Warn)

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.ID)
	rc.Logger = hl
	rc.NoSnapshotRestoreOnStart = cfg.Dir != ""
	if cfg.HeartbeatTimeout > 0 {
		rc.HeartbeatTimeout = cfg.HeartbeatTimeout
	}
	if cfg.ElectionTimeout > 0 {
		rc.ElectionTimeout = cfg.ElectionTimeout
	}
	if cfg.LeaderLeaseTimeout > 0 {
		rc.LeaderLeaseTimeout = cfg.LeaderLeaseTimeout
	}
	if rc.LeaderLeaseTimeout > rc.HeartbeatTimeout {
		rc.LeaderLeaseTimeout = rc.HeartbeatTimeout
	}
	if cfg.CommitTimeout > 0 {
		rc.CommitTimeout = cfg.CommitTimeout
	}
	if cfg.MaxAppendEntries > 0 {
		rc.MaxAppendEntries = cfg.MaxAppendEntries
	}
	// An unbuffered apply channel: with a buffer, entries still queued when
	// raft shuts down would never be answered. Group commit still happens:
	// the leader drains every waiting proposer into one batch.
	rc.BatchApplyCh = false
	if cfg.SnapshotThreshold > 0 {
		rc.SnapshotThreshold = cfg.SnapshotThreshold
	}
	if cfg.SnapshotInterval > 0 {
		rc.SnapshotInterval = cfg.SnapshotInterval
	}
	if cfg.TrailingLogs > 0 {
		rc.TrailingLogs = cfg.TrailingLogs
	}
	if err := raft.ValidateConfig(rc); err != nil {
		return nil, fmt.Errorf("raftnode: %w", err)
	}

	n := &Node{closed: make(chan struct{})}
	var (
		logs   raft.LogStore
		stable raft.StableStore
		snaps  raft.SnapshotStore
	)
	if cfg.Dir == "" {
		ms := raft.NewInmemStore()
		logs, stable, snaps = ms, ms, raft.NewInmemSnapshotStore()
	} else {
		if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("raftnode: %w", err)
		}
		bs, err := raftboltdb.New(raftboltdb.Options{
			Path: filepath.Join(cfg.Dir, "raft.db"), NoSync: cfg.NoSync,
			// Every append is a bbolt commit: two fdatasyncs, of the
			// pages written and of the meta page. Not writing the free
			// list saves a page per commit (bbolt rebuilds it on open,
			// from a file that log compaction keeps small); the map free
			// list keeps allocation cheap; a large initial mmap avoids
			// remapping (which waits for readers) as the file grows.
			BoltOptions: &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType, InitialMmapSize: 64 << 20},
		})
		if err != nil {
			return nil, fmt.Errorf("raftnode: open log store: %w", err)
		}
		n.logs = bs
		fs, err := raft.NewFileSnapshotStoreWithLogger(cfg.Dir, 2, hl)
		if err != nil {
			bs.Close()
			return nil, fmt.Errorf("raftnode: open snapshot store: %w", err)
		}
		// Replication reads the entries just appended: serve them from
		// memory instead of a bbolt read transaction each.
		cache, err := raft.NewLogCache(logCacheSize, bs)
		if err != nil {
			bs.Close()
			return nil, fmt.Errorf("raftnode: %w", err)
		}
		logs, stable, snaps = cache, bs, fs
	}

	if cfg.Addr == "" && cfg.Listener == nil {
		n.addr = cfg.ID
		_, t := raft.NewInmemTransport(raft.ServerAddress(cfg.ID))
		n.trans = t
	} else {
		ln := cfg.Listener
		if ln == nil {
			var err error
			ln, err = net.Listen("tcp", cfg.Addr)
			if err != nil {
				n.closeStores()
				return nil, fmt.Errorf("raftnode: listen on %s: %w", cfg.Addr, err)
			}
		}
		n.addr = cfg.Addr
		if n.addr == "" || hasZeroPort(n.addr) {
			n.addr = ln.Addr().String()
		}
		handler := cfg.Handler
		if handler == nil {
			handler = func(context.Context, []byte) ([]byte, error) { return nil, errors.New("no handler") }
		}
		n.mux = newMux(ln, cfg.TLS, cfg.Dial, handler)
		n.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
			Stream: advertised{streamLayer{n.mux}, n.addr}, MaxPool: 4, Timeout: 5 * time.Second, Logger: hl,
		})
	}

	if len(cfg.Bootstrap) > 0 {
		has, err := raft.HasExistingState(logs, stable, snaps)
		if err != nil {
			n.closeStores()
			return nil, fmt.Errorf("raftnode: %w", err)
		}
		if !has {
			var conf raft.Configuration
			for _, s := range cfg.Bootstrap {
				addr := s.Addr
				if s.ID == cfg.ID {
					addr = n.addr
				}
				conf.Servers = append(conf.Servers, raft.Server{ID: raft.ServerID(s.ID), Address: raft.ServerAddress(addr), Suffrage: raft.Voter})
			}
			if err := raft.BootstrapCluster(rc, logs, stable, snaps, n.trans, conf); err != nil {
				n.closeStores()
				return nil, fmt.Errorf("raftnode: bootstrap: %w", err)
			}
		}
	}

	r, err := raft.NewRaft(rc, fsmAdapter{fsm}, logs, stable, snaps, n.trans)
	if err != nil {
		n.closeStores()
		return nil, fmt.Errorf("raftnode: %w", err)
	}
	n.raft = r
	return n, nil
}

func hasZeroPort(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	return err == nil && port == "0"
}

// advertised overrides the stream layer's address with the advertised one.
type advertised struct {
	streamLayer
	addr string
}

func (a advertised) Addr() net.Addr { return fakeAddr(a.addr) }

type fakeAddr string

func (fakeAddr) Network() string  { return "tcp" }
func (a fakeAddr) String() string { return string(a) }

func (n *Node) closeStores() {
	if n.mux != nil {
		n.mux.close()
	}
	if c, ok := n.trans.(io.Closer); ok {
		c.Close()
	}
	if n.logs != nil {
		n.logs.Close()
	}
}

// Addr is this member's advertised address (its ID with the in-process
// transport).
func (n *Node) Addr() string { return n.addr }

// Close shuts the member down. Calls in flight return ErrClosed (or their
// outcome, if it is known first), and every goroutine of the member has
// exited when Close returns.
func (n *Node) Close() error {
	n.mu.Lock()
	select {
	case <-n.closed:
		n.mu.Unlock()
		return nil
	default:
	}
	close(n.closed)
	n.mu.Unlock()
	err := n.raft.Shutdown().Error()
	n.waiters.Wait()
	n.closeStores()
	return err
}

// wait waits for f, ctx or Close. raft's futures offer only a blocking
// Error, so a goroutine waits on it; stopOn makes that Error return when
// Close begins, and waiters lets Close wait for the goroutine to exit.
func (n *Node) wait(ctx context.Context, what string, f raft.Future) error {
	n.mu.RLock()
	select {
	case <-n.closed:
		n.mu.RUnlock()
		return ErrClosed
	default:
	}
	// A future stopOn cannot reach (a raft upgrade that renamed the field)
	// is not counted: its goroutine could block Close forever.
	// TestStopOnReachesEveryFuture catches that.
	counted := stopOn(f, n.closed)
	if counted {
		n.waiters.Add(1)
	}
	n.mu.RUnlock()
	done := make(chan error, 1)
	go func() {
		if counted {
			defer n.waiters.Done()
		}
		pprof.Do(context.Background(), pprof.Labels("raftnode-wait", what), func(context.Context) { done <- f.Error() })
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-n.closed:
		return ErrClosed
	}
}

// stopOn makes f's Error return raft.ErrRaftShutdown once stop is closed,
// and reports whether f's Error is now sure to return by then.
//
// raft answers most futures when it shuts down, but not all: entries that
// were committed and queued for the FSM when it stopped are never answered,
// and Error on their futures blocks forever. Every future raft hands out
// embeds a deferError, whose exported ShutdownCh Error also selects on (raft
// sets it on the futures it waits on itself); stopOn sets it, through
// reflect because the embedding types are unexported. It must run before
// anything calls f.Error, and nothing else may call it concurrently.
func stopOn(f raft.Future, stop chan struct{}) bool {
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Pointer {
		return true // an errorFuture: already resolved
	}
	if v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return false
	}
	ch := v.Elem().FieldByName("ShutdownCh")
	if !ch.IsValid() || !ch.CanSet() || ch.Type() != reflect.TypeOf(stop) {
		return false
	}
	if ch.IsNil() {
		ch.Set(reflect.ValueOf(stop))
	}
	// Else raft set its own shutdown channel, which closes no later than
	// Close's raft.Shutdown returns.
	return true
}

func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrEnqueueTimeout):
		return ErrNotLeader
	case errors.Is(err, raft.ErrLeadershipLost), errors.Is(err, raft.ErrAbortedByRestore):
		return ErrUnknown
	case errors.Is(err, raft.ErrRaftShutdown):
		return ErrClosed
	}
	return err
}

// Apply proposes cmd on this member, which must be the leader, and returns
// the FSM's response once it is committed and applied here.
func (n *Node) Apply(ctx context.Context, cmd []byte) (any, error) {
	timeout := 10 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	f := n.raft.Apply(cmd, timeout)
	if err := n.wait(ctx, "apply", f); err != nil {
		if errors.Is(err, ctx.Err()) {
			return nil, ErrUnknown
		}
		return nil, mapErr(err)
	}
	return f.Response(), nil
}

// Leader returns the known leader's ID and address, empty if none.
func (n *Node) Leader() (id, addr string) {
	a, i := n.raft.LeaderWithID()
	return string(i), string(a)
}

// IsLeader reports whether this member believes it leads.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// ReadIndex confirms this member still leads and returns an index every
// committed write is at or below: a read served after applying it is
// linearizable.
func (n *Node) ReadIndex(ctx context.Context) (uint64, error) {
	if !n.IsLeader() {
		return 0, ErrNotLeader
	}
	if err := n.wait(ctx, "verify", n.raft.VerifyLeader()); err != nil {
		return 0, mapErr(err)
	}
	return n.raft.LastIndex(), nil
}

// Call sends a forwarded request to the member at addr.
func (n *Node) Call(ctx context.Context, addr string, req []byte) ([]byte, error) {
	if n.mux == nil {
		return nil, fmt.Errorf("%w: no network transport", ErrNotSent)
	}
	return n.mux.call(ctx, addr, req)
}

// AddVoter adds a voting member; this member must lead.
func (n *Node) AddVoter(ctx context.Context, id, addr string) error {
	return mapErr(n.wait(ctx, "addvoter", n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, 10*time.Second)))
}

// RemoveServer removes a member; this member must lead.
func (n *Node) RemoveServer(ctx context.Context, id string) error {
	return mapErr(n.wait(ctx, "remove", n.raft.RemoveServer(raft.ServerID(id), 0, 10*time.Second)))
}

// Servers returns the latest configuration.
func (n *Node) Servers(ctx context.Context) ([]Server, error) {
	f := n.raft.GetConfiguration()
	if err := n.wait(ctx, "config", f); err != nil {
		return nil, mapErr(err)
	}
	var out []Server
	for _, s := range f.Configuration().Servers {
		out = append(out, Server{ID: string(s.ID), Addr: string(s.Address), Voter: s.Suffrage == raft.Voter})
	}
	return out, nil
}

// TakeSnapshot asks raft for a snapshot now.
func (n *Node) TakeSnapshot(ctx context.Context) error {
	err := n.wait(ctx, "snapshot", n.raft.Snapshot())
	if errors.Is(err, raft.ErrNothingNewToSnapshot) {
		return nil
	}
	return mapErr(err)
}

// Stats returns raft's counters.
func (n *Node) Stats() map[string]string { return n.raft.Stats() }

// LastIndex is the index of the last entry in the local log.
func (n *Node) LastIndex() uint64 { return n.raft.LastIndex() }

// LeaderCh signals leadership changes of this member (see raft.LeaderCh).
func (n *Node) LeaderCh() <-chan bool { return n.raft.LeaderCh() }

// Term is the current raft term.
func (n *Node) Term() uint64 { return n.raft.CurrentTerm() }
