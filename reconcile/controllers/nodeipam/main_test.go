package nodeipam_test

import (
	"testing"

	"github.com/coxswain/coxswain/reconcile/controllers/internal/testkit"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, testkit.LeakOptions()...) }
