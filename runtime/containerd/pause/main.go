//go:build linux

// Command pause is the process of a pod sandbox: it holds the pod's network,
// IPC and UTS namespaces, reaps the zombies that end up as its children, and
// exits 0 on SIGTERM or SIGINT. Build it static (CGO_ENABLED=0).
//
// Given -archive FILE it does not pause but writes an OCI image archive of
// itself to FILE, named by -name, ready for containerd to import:
//
//	CGO_ENABLED=0 go build -o pause ./runtime/containerd/pause
//	./pause -archive pause.tar
//	ctr -n coxswain images import pause.tar
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/coxswain/coxswain/runtime/containerd/internal/oci"
)

// DefaultImage is the name the containerd driver expects by default.
const DefaultImage = "docker.io/coxswain/pause:1"

func main() {
	archive := flag.String("archive", "", "write an OCI image archive of this binary to `file` and exit")
	name := flag.String("name", DefaultImage, "the image name for -archive")
	flag.Parse()
	if *archive != "" {
		if err := pack(*archive, *name); err != nil {
			fmt.Fprintln(os.Stderr, "pause:", err)
			os.Exit(1)
		}
		return
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	go func() { // a sleeping goroutine keeps the runtime from declaring a deadlock
		for {
			time.Sleep(time.Hour)
		}
	}()
	for s := range sigs {
		if s == syscall.SIGCHLD {
			reap()
			continue
		}
		os.Exit(0)
	}
}

// reap waits for every exited child without blocking.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

func pack(file, name string) error {
	exe, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		return err
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := oci.Write(f, oci.Image{Name: name, Files: map[string][]byte{"/pause": exe},
		Entrypoint: []string{"/pause"}, OS: "linux", Architecture: runtime.GOARCH}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
