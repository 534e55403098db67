package containerd

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"

	ctrd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/defaults"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	digest "github.com/opencontainers/go-digest"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/runtime"
)

// Runtime is a runtime.Runtime on containerd. It is safe for concurrent use.
type Runtime struct {
	cfg    Config
	client *ctrd.Client
	net    *network
	clock  clock.Clock
	log    *slog.Logger

	// bg is the context of the background goroutines (exit waiters, log
	// rotation); stop cancels it and wg counts them.
	bg   context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	// snapshotter is the snapshotter of root filesystems:
	// Config.Snapshotter, or containerd's default for the namespace.
	snapshotter string

	imgMu  sync.Mutex // protects images and sizes
	images map[digest.Digest]*imageInfo
	sizes  map[digest.Digest]uint64 // ImageStatus's sizes, by content

	mu         sync.Mutex // protects the fields below
	sandboxes  map[string]*sandbox
	containers map[string]*container
	seq        uint64 // orders sandboxes and containers by creation
	closed     bool
}

var _ runtime.Runtime = (*Runtime)(nil)
var _ runtime.ResourceUpdater = (*Runtime)(nil)

// New connects to containerd at cfg.Address and returns a Runtime working in
// cfg.Namespace. The pause image must be present before the first
// RunPodSandbox (see LoadImage). Close the Runtime when done.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	for _, d := range []string{"sandboxes", "containers", "netns"} {
		if err := os.MkdirAll(filepath.Join(cfg.StateDir, d), 0o755); err != nil {
			return nil, fmt.Errorf("containerd: state directory: %w", err)
		}
	}
	if cfg.HostIP == "" {
		cfg.HostIP = hostIP()
	}
	masq := false
	if cfg.CNIConfDir == "" {
		if err := installMasquerade(cfg); err != nil {
			// Without nftables, the bridge plugin masquerades each pod.
			cfg.Logger.Warn("containerd: pod masquerade with nftables failed; the bridge plugin will masquerade each pod with iptables", "err", err)
			masq = true
		}
	}
	nw, err := newNetwork(cfg, masq)
	if err != nil {
		return nil, err
	}
	c, err := ctrd.New(cfg.Address, ctrd.WithDefaultNamespace(cfg.Namespace), ctrd.WithDefaultRuntime(cfg.Runtime))
	if err != nil {
		return nil, fmt.Errorf("containerd: connecting to %s: %w", cfg.Address, err)
	}
	if _, err := c.Version(namespaces.WithNamespace(ctx, cfg.Namespace)); err != nil {
		c.Close()
		return nil, fmt.Errorf("containerd: connecting to %s: %w", cfg.Address, err)
	}
	snap := cfg.Snapshotter
	if snap == "" {
		// The namespace may name its default snapshotter, as the client
		// looks up on every container it creates; the driver asks once.
		label, err := c.GetLabel(namespaces.WithNamespace(ctx, cfg.Namespace), defaults.DefaultSnapshotterNSLabel)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("containerd: namespace %s: %w", cfg.Namespace, err)
		}
		snap = cmp.Or(label, defaults.DefaultSnapshotter)
	}
	bg, stop := context.WithCancel(namespaces.WithNamespace(context.Background(), cfg.Namespace))
	r := &Runtime{
		cfg: cfg, client: c, net: nw, clock: cfg.Clock, log: cfg.Logger,
		snapshotter: snap, images: map[digest.Digest]*imageInfo{}, sizes: map[digest.Digest]uint64{},
		bg: bg, stop: stop,
		sandboxes: map[string]*sandbox{}, containers: map[string]*container{},
	}
	r.wg.Add(1)
	go r.rotateLogs()
	return r, nil
}

// Close stops the driver's goroutines and closes the connection to
// containerd. Containers keep running: stop or remove the sandboxes first to
// end them.
func (r *Runtime) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	r.stop()
	r.wg.Wait()
	return r.client.Close()
}

// Version implements runtime.Versioner.
func (r *Runtime) Version(ctx context.Context) (runtime.Version, error) {
	v, err := r.client.Version(r.ns(ctx))
	if err != nil {
		return runtime.Version{}, fmt.Errorf("containerd: version: %w", err)
	}
	return runtime.Version{RuntimeName: "containerd", RuntimeVersion: v.Version, APIVersion: runtime.APIVersion}, nil
}

// ns returns ctx in the driver's containerd namespace.
func (r *Runtime) ns(ctx context.Context) context.Context {
	return namespaces.WithNamespace(ctx, r.cfg.Namespace)
}

func (r *Runtime) checkOpen() error {
	if r.closed {
		return runtime.ErrClosed
	}
	return nil
}

// newID returns a random 32-hex-digit ID.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// hostIP returns the first global unicast IPv4 address of the host, or
// 127.0.0.1.
func hostIP() string {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
				return n.IP.String()
			}
		}
	}
	return "127.0.0.1"
}
