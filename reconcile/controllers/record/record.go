package record

import (
	"context"
	"log/slog"
	"strings"

	"github.com/coxswain/coxswain/clock"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Recorder records that something happened to an object. eventType is
// types.EventTypeNormal or types.EventTypeWarning; reason is a short
// CamelCase word ("SuccessfulCreate"); message is for humans.
type Recorder interface {
	Event(ctx context.Context, obj types.Object, eventType, reason, message string)
}

// Func adapts a function to a Recorder.
type Func func(ctx context.Context, obj types.Object, eventType, reason, message string)

// Event calls f.
func (f Func) Event(ctx context.Context, obj types.Object, eventType, reason, message string) {
	f(ctx, obj, eventType, reason, message)
}

var (
	_ Recorder = Func(nil)
	_ Recorder = (*Store)(nil)
)

// Emit calls r.Event unless r is nil. Controllers use it so that a nil
// Recorder means "record nothing".
func Emit(ctx context.Context, r Recorder, obj types.Object, eventType, reason, message string) {
	if r != nil {
		r.Event(ctx, obj, eventType, reason, message)
	}
}

// Store writes events as types.Event objects to a store.Store.
type Store struct {
	st        store.Store
	component string
	clk       clock.Clock
	log       *slog.Logger
}

// NewStore returns a Recorder writing to st on behalf of component (the
// event's source.component and reportingComponent). A nil clock is the real
// clock; a nil logger is slog.Default().
func NewStore(st store.Store, component string, clk clock.Clock, log *slog.Logger) *Store {
	if log == nil {
		log = slog.Default()
	}
	return &Store{st: st, component: component, clk: clock.Or(clk), log: log}
}

// Event creates one Event object naming obj. Failures are logged.
func (s *Store) Event(ctx context.Context, obj types.Object, eventType, reason, message string) {
	m := obj.GetObjectMeta()
	ns := m.Namespace
	if ns == "" {
		ns = "default"
	}
	now := s.clk.Now()
	name := strings.ToLower(m.Name)
	if len(name) > 200 {
		name = name[:200]
	}
	ev := &types.Event{
		ObjectMeta: types.ObjectMeta{GenerateName: name + ".", Namespace: ns},
		InvolvedObject: types.ObjectReference{
			Kind: obj.GetKind(), Namespace: m.Namespace, Name: m.Name, UID: m.UID,
			ResourceVersion: m.ResourceVersion,
		},
		Reason:              reason,
		Message:             message,
		Source:              types.EventSource{Component: s.component},
		FirstTimestamp:      types.NewTime(now),
		LastTimestamp:       types.NewTime(now),
		Count:               1,
		Type:                eventType,
		ReportingController: s.component,
		ReportingInstance:   s.component,
	}
	if _, err := s.st.Create(ctx, ev); err != nil && ctx.Err() == nil {
		s.log.Debug("record event", "object", m.Namespace+"/"+m.Name, "reason", reason, "err", err)
	}
}
