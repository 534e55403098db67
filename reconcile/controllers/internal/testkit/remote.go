package testkit

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
)

// Remote serves db over the HTTP API on a test server and returns a remote
// client to it: the same tests then run against store/remote.
func Remote(t testing.TB, db store.Store) store.Store {
	t.Helper()
	s, err := remote.NewServer(db, remote.Config{Logger: Quiet})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(s)
	hs.EnableHTTP2 = true
	hs.Start()
	c, err := remote.Dial(remote.ClientConfig{Server: hs.URL, Logger: Quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		hs.Close()
	})
	return c
}
