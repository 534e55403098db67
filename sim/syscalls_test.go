package sim

import (
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestCountSyscalls: a goroutine of this module blocked in a read counts as
// the cluster's work; os/signal's receiver, parked for good, does not.
func TestCountSyscalls(t *testing.T) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR2)
	defer signal.Stop(ch)
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fds[0])
	done := make(chan struct{})
	go func() {
		defer close(done)
		var b [1]byte
		_, _ = syscall.Read(fds[0], b[:]) // blocks in the kernel until written
	}()
	s := &Sim{}
	var total, cluster int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if total, cluster = s.syscalls(); cluster == 1 && total > cluster {
			break
		}
	}
	if cluster != 1 || total <= cluster {
		t.Errorf("with a blocked read and a signal receiver: %d goroutines in system calls, %d the cluster's; want 1 of more", total, cluster)
	}
	if _, err := syscall.Write(fds[1], []byte{0}); err != nil {
		t.Fatal(err)
	}
	<-done
	syscall.Close(fds[1])
	runtime.Gosched()
	if _, cluster = s.syscalls(); cluster != 0 {
		t.Errorf("after the read returned: %d of the cluster's goroutines in system calls, want 0", cluster)
	}
}
