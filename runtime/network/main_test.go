package network_test

import (
	"io"
	"log/slog"
	"testing"

	"go.uber.org/goleak"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
