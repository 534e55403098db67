package kit

import (
	"sync"

	"github.com/coxswain/coxswain/labels"
)

// Selectors is a reverse index of the label selectors of one kind of
// object (Services, ReplicaSets, ...), by namespace: Matching answers which
// of them select a pod without testing each one (labels.SelectorIndex).
// Controllers keep it current from their informer's event handlers. Safe
// for concurrent use.
type Selectors struct {
	mu   sync.RWMutex                             // guards byNS
	byNS map[string]*labels.SelectorIndex[string] // namespace -> name -> selector
}

// NewSelectors returns an empty index.
func NewSelectors() *Selectors {
	return &Selectors{byNS: map[string]*labels.SelectorIndex[string]{}}
}

// Set records the selector of namespace/name; a nil sel removes it.
func (s *Selectors) Set(namespace, name string, sel labels.Selector) {
	if sel == nil {
		s.Delete(namespace, name)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.byNS[namespace]
	if x == nil {
		x = labels.NewSelectorIndex[string]()
		s.byNS[namespace] = x
	}
	x.Add(name, sel)
}

// Delete forgets namespace/name.
func (s *Selectors) Delete(namespace, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.byNS[namespace]
	if x == nil {
		return
	}
	x.Delete(name)
	if x.Len() == 0 {
		delete(s.byNS, namespace)
	}
}

// Matching returns the names in namespace whose selectors match ls.
func (s *Selectors) Matching(namespace string, ls map[string]string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	x := s.byNS[namespace]
	if x == nil {
		return nil
	}
	return x.Matching(labels.Set(ls))
}
