package remote

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The stdlib's HTTP/2 and keep-alive goroutines linger briefly
		// after servers close.
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		// store/internal/raftnode leaves the goroutine waiting on a raft
		// future of an abandoned proposal after DB.Close (reported to the
		// store's owner); not ours.
		goleak.IgnoreTopFunction("github.com/hashicorp/raft.(*deferError).Error"),
	)
}
