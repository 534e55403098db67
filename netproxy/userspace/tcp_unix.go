//go:build unix

package userspace

import (
	"io"
	"net"
	"os"
	"syscall"
)

// copySmall copies src to dst while reads come back short. It returns
// nil when a read filled the buffer (a bulk transfer: the caller goes on
// with splice), io.EOF at the end of src, or the error that stopped it.
//
// It reads inside one RawConn.Read for the whole exchange, so that a read
// that came back short is followed by a wait for the socket to become
// readable, not by another read: a short read of a TCP socket emptied its
// receive queue, and data arriving later wakes the poller (edge-triggered)
// even while the read was under way. net.Conn.Read reads until EAGAIN,
// which would cost each small message a second, failing read(2).
func copySmall(dst, src *net.TCPConn) error {
	rc, err := src.SyscallConn()
	if err != nil {
		return err
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var result error
	full := false
	err = rc.Read(func(fd uintptr) bool {
		for {
			n, err := syscall.Read(int(fd), buf)
			switch {
			case err == syscall.EINTR:
				continue
			case err == syscall.EAGAIN:
				return false // wait for the next edge
			case err != nil:
				result = os.NewSyscallError("read", err)
				return true
			case n == 0:
				result = io.EOF
				return true
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				result = werr
				return true
			}
			if n == len(buf) {
				full = true
				return true
			}
			return false // short: the queue is empty until the next edge
		}
	})
	if err != nil {
		return err
	}
	if full {
		return nil
	}
	return result
}
