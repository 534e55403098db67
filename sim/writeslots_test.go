package sim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// TestWritesBeyondTheSlotsWaitAndAllLand checks that more concurrent writes
// than writeSlots all succeed, and that a write waiting for a slot gives up
// when its context ends, naming the object.
func TestWritesBeyondTheSlotsWaitAndAllLand(t *testing.T) {
	s, err := New(Config{Nodes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n := writeSlots + 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cm := &types.ConfigMap{}
			cm.Namespace, cm.Name = "default", fmt.Sprintf("cm-%d", i)
			_, err := s.Store().Create(ctx, cm)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.Store().List(ctx, "ConfigMap", store.ListOptions{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != n {
		t.Fatalf("%d ConfigMaps stored, want %d", len(res.Items), n)
	}

	// Hold every slot: the next write waits, and ends with its context.
	for range writeSlots {
		s.writes <- struct{}{}
	}
	defer func() {
		for range writeSlots {
			<-s.writes
		}
	}()
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	cm := &types.ConfigMap{}
	cm.Namespace, cm.Name = "default", "late"
	_, err = s.Store().Create(cctx, cm)
	if !store.IsTimeout(err) {
		t.Fatalf("write with every slot taken: err = %v, want a timeout", err)
	}
	if se, ok := err.(*store.Error); !ok || se.Name != "late" {
		t.Fatalf("error %v does not name the object", err)
	}
	if got := s.inflight.Load(); got != 0 {
		t.Fatalf("%d calls left in flight after the timeout", got)
	}
}

// TestUnsettledNamesTheCallInFlight checks that a cluster that does not
// settle because a store call never returns says which call it is.
func TestUnsettledNamesTheCallInFlight(t *testing.T) {
	s, err := New(Config{Nodes: -1, SettleTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range writeSlots {
		s.writes <- struct{}{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		cm := &types.ConfigMap{}
		cm.Namespace, cm.Name = "default", "stuck"
		_, err := s.Store().Create(ctx, cm)
		done <- err
	}()
	err = s.Settle()
	cancel()
	<-done
	for range writeSlots {
		<-s.writes
	}
	if !errors.Is(err, ErrNotSettled) {
		t.Fatalf("Settle with a write stuck: err = %v, want ErrNotSettled", err)
	}
	if want := "Create ConfigMap default/stuck by the control plane, for "; !strings.Contains(err.Error(), want) {
		t.Fatalf("Settle's error %q does not contain %q", err, want)
	}
	if err := s.Settle(); err != nil {
		t.Fatalf("Settle once the call gave up: %v", err)
	}
}
