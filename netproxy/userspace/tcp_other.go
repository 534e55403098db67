//go:build !unix

package userspace

import "net"

// copySmall copies src to dst while reads come back short. It returns
// nil when a read filled the buffer (a bulk transfer: the caller goes on
// with io.Copy), io.EOF at the end of src, or the error that stopped it.
func copySmall(dst, src *net.TCPConn) error {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err != nil {
			return err
		}
		if n == len(buf) {
			return nil
		}
	}
}
