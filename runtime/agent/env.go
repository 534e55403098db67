package agent

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/types"
)

// sources resolves configMap and secret references from the objects the
// agent watches for its pods.
type sources struct{ a *Agent }

var _ runtime.Sources = sources{}

func (s sources) ConfigMap(ctx context.Context, namespace, name string) (*types.ConfigMap, error) {
	cm, err := s.a.refs.configMap(ctx, namespace, name)
	if err != nil || cm != nil {
		return cm, err
	}
	return nil, fmt.Errorf("configmap %q not found in namespace %q: %w", name, namespace, runtime.ErrNotFound)
}

func (s sources) Secret(ctx context.Context, namespace, name string) (*types.Secret, error) {
	sec, err := s.a.refs.secret(ctx, namespace, name)
	if err != nil || sec != nil {
		return sec, err
	}
	return nil, fmt.Errorf("secret %q not found in namespace %q: %w", name, namespace, runtime.ErrNotFound)
}

// serviceList returns the services known now, for service environment
// variables.
func (a *Agent) serviceList() []types.Service {
	svcs := a.services.List(nil)
	out := make([]types.Service, 0, len(svcs))
	for _, s := range svcs {
		out = append(out, *s)
	}
	return out
}

// lockedWriter serializes writes from stdout and stderr.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
