package agent

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/types"
)

// sources resolves configMap and secret references from the agent's
// informer caches.
type sources struct{ a *Agent }

var _ runtime.Sources = sources{}

func (s sources) ConfigMap(_ context.Context, namespace, name string) (*types.ConfigMap, error) {
	if cm, ok := s.a.cms.Get(namespace, name); ok {
		return cm, nil
	}
	return nil, fmt.Errorf("configmap %q not found in namespace %q: %w", name, namespace, runtime.ErrNotFound)
}

func (s sources) Secret(_ context.Context, namespace, name string) (*types.Secret, error) {
	if sec, ok := s.a.secrets.Get(namespace, name); ok {
		return sec, nil
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
