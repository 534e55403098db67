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
// It reads inside one RawConn.Read for the whole exchange and waits for
// the poller only once a read finds the socket empty (EAGAIN). A short
// read is not enough to wait on: when the data and the peer's FIN arrived
// together, they raised one poller event, which the wait for that data
// consumed, and a wait after the short read would never see the end.
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
