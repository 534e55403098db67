package containerd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"

	"golang.org/x/sys/unix"
)

// pinned are the namespaces a sandbox pinned by bind mounts; an empty path
// is a namespace it did not pin.
type pinned struct {
	net, ipc, uts string
}

// paths returns the pinned namespaces' files.
func (p pinned) paths() []string {
	var out []string
	for _, f := range []string{p.net, p.ipc, p.uts} {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// pinNamespaces creates the namespaces asked for and pins each by
// bind-mounting it on a file, as `ip netns add` does, so they outlive
// every process in them: a network namespace at base (with its loopback
// interface up) when net is set, and IPC and UTS namespaces at base.ipc
// and base.uts (the UTS one with hostname set) when ipcUTS is set. All of
// it takes one thread and no process.
func pinNamespaces(base string, net, ipcUTS bool, hostname string) (pinned, error) {
	var p pinned
	var flags int
	if net {
		p.net = base
		flags |= unix.CLONE_NEWNET
	}
	if ipcUTS {
		if len(hostname) > 64 {
			return pinned{}, fmt.Errorf("hostname %q is longer than 64 characters", hostname)
		}
		p.ipc, p.uts = base+".ipc", base+".uts"
		flags |= unix.CLONE_NEWIPC | unix.CLONE_NEWUTS
	}
	if flags == 0 {
		return p, nil
	}
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return pinned{}, err
	}
	var made []string
	for _, f := range p.paths() {
		fd, err := os.OpenFile(f, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
		if err != nil {
			unpin(made...)
			return pinned{}, fmt.Errorf("namespace %s: %w", f, err)
		}
		fd.Close()
		made = append(made, f)
	}
	errc := make(chan error, 1)
	go func() {
		// The thread changes namespaces and goes back to its own before it
		// is unlocked. If it cannot, it stays locked, so it dies with this
		// goroutine instead of going back to the scheduler (or, should it
		// be the main thread, is parked for good).
		goruntime.LockOSThread()
		restore, err := saveNamespaces(p)
		if err != nil {
			errc <- err
			return
		}
		err = enterAndPin(p, flags, hostname)
		if restore() {
			goruntime.UnlockOSThread()
		}
		errc <- err
	}()
	if err := <-errc; err != nil {
		unpin(made...)
		return pinned{}, fmt.Errorf("namespaces %s: %w", base, err)
	}
	return p, nil
}

// saveNamespaces opens the calling thread's namespaces of the kinds p
// pins and returns a function that makes the thread enter them again and
// reports whether it did.
func saveNamespaces(p pinned) (func() bool, error) {
	var fds []int
	closeAll := func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}
	for kind, f := range map[string]string{"net": p.net, "ipc": p.ipc, "uts": p.uts} {
		if f == "" {
			continue
		}
		fd, err := unix.Open(fmt.Sprintf("/proc/thread-self/ns/%s", kind), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("namespace of this thread: %w", err)
		}
		fds = append(fds, fd)
	}
	return func() bool {
		defer closeAll()
		for _, fd := range fds {
			if err := unix.Setns(fd, 0); err != nil {
				return false
			}
		}
		return true
	}, nil
}

// enterAndPin runs on a locked thread: it unshares the namespaces of flags, sets them up and bind-mounts them on
// p's files.
func enterAndPin(p pinned, flags int, hostname string) error {
	if err := unix.Unshare(flags); err != nil {
		return fmt.Errorf("unshare: %w", err)
	}
	if p.uts != "" {
		if err := unix.Sethostname([]byte(hostname)); err != nil {
			return fmt.Errorf("hostname %q: %w", hostname, err)
		}
	}
	if p.net != "" {
		if err := loopbackUp(); err != nil {
			return err
		}
	}
	tid := unix.Gettid()
	for kind, f := range map[string]string{"net": p.net, "ipc": p.ipc, "uts": p.uts} {
		if f == "" {
			continue
		}
		src := fmt.Sprintf("/proc/%d/task/%d/ns/%s", os.Getpid(), tid, kind)
		if err := unix.Mount(src, f, "none", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind mount %s: %w", src, err)
		}
	}
	return nil
}

// loopbackUp brings up the loopback interface of the calling thread's
// network namespace, which is all the CNI loopback plugin does, without
// running it.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback: flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback: up: %w", err)
	}
	return nil
}

// unpin unpins and removes namespace files made by pinNamespaces; a
// missing one is not an error.
func unpin(paths ...string) error {
	var errs []error
	for _, path := range paths {
		if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
			errs = append(errs, fmt.Errorf("namespace %s: unmount: %w", path, err))
			continue
		}
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			errs = append(errs, fmt.Errorf("namespace %s: %w", path, err))
		}
	}
	return errors.Join(errs...)
}
