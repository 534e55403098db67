package sim_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The store's raft future waiters may outlive a cancelled request
		// by a moment after Close.
		goleak.IgnoreAnyFunction("github.com/coxswain/coxswain/store/internal/raftnode.(*Node).wait.func1"))
}
