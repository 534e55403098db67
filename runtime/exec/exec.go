package exec

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/runtime"
)

// Version is the RuntimeVersion the driver reports.
const Version = "0.1.0"

// Config configures the exec driver. Its zero value is ready to use.
type Config struct {
	// PodCIDR is the range of pod addresses; empty means "127.1.0.0/16".
	// 127.0.0.1 is never handed out.
	PodCIDR string
	// HostIP is the address of host-network pods; empty means "127.0.0.1".
	HostIP string
	// Env is the environment every container starts from, as "KEY=value"
	// strings; nil means PATH of the driver's own environment only.
	Env []string
	// PollInterval is how often exits are noticed, logs rotated and memory
	// limits checked; zero means 50ms.
	PollInterval time.Duration
	// LogMaxBytes is the size past which a log is rotated; zero means 10 MiB.
	LogMaxBytes int64
	// LogMaxFiles is how many rotated copies to keep; zero means 2.
	LogMaxFiles int
	// Clock stamps times and paces waits; nil means the real clock.
	Clock clock.Clock
	// Rand is the source of IDs; nil means crypto/rand.
	Rand io.Reader
	// Logger logs adoptions and failures of background work; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Validate checks c, naming the field at fault.
func (c Config) Validate() error {
	if c.PodCIDR != "" {
		if _, err := runtime.NewIPPool(c.PodCIDR); err != nil {
			return fmt.Errorf("exec: PodCIDR: %w", err)
		}
	}
	if c.HostIP != "" {
		if _, err := netip.ParseAddr(c.HostIP); err != nil {
			return fmt.Errorf("exec: %w: HostIP %q: %v", runtime.ErrInvalidConfig, c.HostIP, err)
		}
	}
	if c.PollInterval < 0 || c.LogMaxBytes < 0 || c.LogMaxFiles < 0 {
		return fmt.Errorf("exec: %w: negative PollInterval %v, LogMaxBytes %d or LogMaxFiles %d", runtime.ErrInvalidConfig, c.PollInterval, c.LogMaxBytes, c.LogMaxFiles)
	}
	return nil
}

// Runtime is the exec driver. Build it with New and Close it when done.
type Runtime struct {
	dir    string
	cfg    Config
	clock  clock.Clock
	ips    *runtime.IPPool
	log    *slog.Logger
	env    []string
	lock   *os.File // flocked: one Runtime per state directory
	stop   chan struct{}
	wg     sync.WaitGroup
	closed sync.Once

	mu         sync.Mutex // guards the maps, the objects in them, and isClosed
	sandboxes  map[string]*sandbox
	containers map[string]*container
	images     map[string]runtime.Image
	isClosed   bool
	seq        uint64 // last creation sequence number
}

var _ runtime.Runtime = (*Runtime)(nil)

// New opens the driver on a state directory, creating it if need be, and
// adopts the sandboxes and still-running processes recorded there. Only one
// Runtime at a time may hold a state directory; a second New on it fails
// with runtime.ErrAlreadyExists until the first is closed.
func New(stateDir string, cfg Config) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if stateDir == "" {
		return nil, fmt.Errorf("exec: %w: state directory is empty", runtime.ErrInvalidConfig)
	}
	dir, err := filepath.Abs(stateDir)
	if err != nil {
		return nil, fmt.Errorf("exec: state directory %q: %w", stateDir, err)
	}
	for _, d := range []string{dir, filepath.Join(dir, "sandboxes"), filepath.Join(dir, "containers")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("exec: %w", err)
		}
	}
	ips, err := runtime.NewIPPool(cmp.Or(cfg.PodCIDR, "127.1.0.0/16"), netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		return nil, fmt.Errorf("exec: PodCIDR: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("exec: state directory %s is in use by another Runtime: %w", dir, runtime.ErrAlreadyExists)
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	if cfg.LogMaxBytes == 0 {
		cfg.LogMaxBytes = 10 << 20
	}
	if cfg.LogMaxFiles == 0 {
		cfg.LogMaxFiles = 2
	}
	cfg.HostIP = cmp.Or(cfg.HostIP, "127.0.0.1")
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	env := cfg.Env
	if env == nil {
		env = []string{"PATH=" + cmp.Or(os.Getenv("PATH"), "/usr/local/bin:/usr/bin:/bin")}
	}
	r := &Runtime{dir: dir, cfg: cfg, clock: clock.Or(cfg.Clock), ips: ips, lock: lock,
		log: cmp.Or(cfg.Logger, slog.Default()), env: env, stop: make(chan struct{}),
		sandboxes: map[string]*sandbox{}, containers: map[string]*container{}, images: map[string]runtime.Image{}}
	if err := r.load(); err != nil {
		lock.Close()
		return nil, err
	}
	r.wg.Add(1)
	go r.monitor()
	return r, nil
}

// Close stops the background goroutine. Processes keep running; a Runtime
// opened on the same state directory adopts them.
func (r *Runtime) Close() error {
	r.closed.Do(func() {
		r.mu.Lock()
		r.isClosed = true
		r.mu.Unlock()
		close(r.stop)
		r.wg.Wait()
		r.lock.Close() // releases the flock
	})
	return nil
}

func (r *Runtime) monitor() {
	defer r.wg.Done()
	t := r.clock.NewTicker(r.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C():
			r.poll()
		}
	}
}

// poll notices exits, enforces memory limits and rotates logs.
func (r *Runtime) poll() {
	r.mu.Lock()
	var running []*container
	for _, c := range r.containers {
		if c.rec.Status.State == runtime.ContainerRunning {
			running = append(running, c)
		}
	}
	r.mu.Unlock()
	for _, c := range running {
		r.mu.Lock()
		r.reap(c)
		exited := c.rec.Status.State != runtime.ContainerRunning
		limit, pgid := c.rec.Config.Resources.MemoryLimit, c.rec.Pid
		logPath := c.rec.Status.LogPath
		r.mu.Unlock()
		if exited {
			continue
		}
		if limit > 0 {
			if u := treeUsage(pgid); int64(u.rssBytes) > limit {
				r.oomKill(c, u.rssBytes, limit)
				continue
			}
		}
		if err := runtime.RotateLog(logPath, r.cfg.LogMaxBytes, r.cfg.LogMaxFiles); err != nil {
			r.log.Warn("exec: rotating log", "container", c.rec.Status.ID, "err", err)
		}
	}
}

func (r *Runtime) newID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r.cfg.Rand, b[:]); err != nil {
		return "", fmt.Errorf("exec: making an ID: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func (r *Runtime) checkOpen() error {
	if r.isClosed {
		return fmt.Errorf("exec: %w", runtime.ErrClosed)
	}
	return nil
}

// Version implements runtime.Versioner.
func (r *Runtime) Version(ctx context.Context) (runtime.Version, error) {
	return runtime.Version{RuntimeName: "exec", RuntimeVersion: Version, APIVersion: runtime.APIVersion}, nil
}

// StateDir returns the state directory.
func (r *Runtime) StateDir() string { return r.dir }
