package remote_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/types"
)

// Serve a store over HTTP and use it through the client, which is itself a
// store.Store.
func Example() {
	db, err := store.Open("", store.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	srv, err := remote.NewServer(db, remote.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Shutdown(context.Background())

	c, err := remote.Dial(remote.ClientConfig{Server: hs.URL})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx := context.Background()
	cm := &types.ConfigMap{Data: map[string]string{"greeting": "hello"}}
	cm.Namespace, cm.Name = "default", "demo"
	if _, err := c.Create(ctx, cm); err != nil {
		panic(err)
	}
	got, err := store.For[*types.ConfigMap](c).Get(ctx, "default", "demo")
	if err != nil {
		panic(err)
	}
	fmt.Println(got.Data["greeting"])
	_, err = c.Get(ctx, "ConfigMap", "default", "missing")
	fmt.Println(store.IsNotFound(err))
	// Output:
	// hello
	// true
}

// A client reads kubectl's kubeconfig format.
func ExampleParseKubeconfig() {
	cfg, err := remote.ParseKubeconfig([]byte(`
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443
users:
- name: admin
  user:
    token: abcdef.0123456789abcdef
contexts:
- name: admin@local
  context: {cluster: local, user: admin}
current-context: admin@local
`), "", "")
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Server, cfg.Token)
	// Output: https://127.0.0.1:6443 abcdef.0123456789abcdef
}
