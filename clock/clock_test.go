package clock_test

import (
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func fired(c <-chan time.Time) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func TestFakeTimerFiresOnlyWhenDue(t *testing.T) {
	f := clock.NewFake(epoch)
	tm := f.NewTimer(10 * time.Second)
	f.Advance(9 * time.Second)
	if fired(tm.C()) {
		t.Fatal("timer fired 1s early")
	}
	f.Advance(time.Second)
	if !fired(tm.C()) {
		t.Fatal("timer did not fire at its deadline")
	}
	if tm.Stop() {
		t.Fatal("Stop of a fired timer reported it active")
	}
}

func TestFakeStopAndReset(t *testing.T) {
	f := clock.NewFake(epoch)
	tm := f.NewTimer(time.Second)
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer reported it inactive")
	}
	f.Advance(time.Hour)
	if fired(tm.C()) {
		t.Fatal("a stopped timer fired")
	}
	tm.Reset(time.Minute)
	f.Advance(59 * time.Second)
	if fired(tm.C()) {
		t.Fatal("reset timer fired early")
	}
	f.Advance(time.Second)
	if !fired(tm.C()) {
		t.Fatal("reset timer did not fire")
	}
}

func TestFakeTickerAndOrder(t *testing.T) {
	f := clock.NewFake(epoch)
	tk := f.NewTicker(time.Second)
	defer tk.Stop()
	var got []time.Time
	for i := 0; i < 3; i++ {
		f.Advance(time.Second)
		got = append(got, <-tk.C())
	}
	for i, g := range got {
		if want := epoch.Add(time.Duration(i+1) * time.Second); !g.Equal(want) {
			t.Fatalf("tick %d at %v, want %v", i, g, want)
		}
	}
	if next, ok := f.Next(); !ok || !next.Equal(epoch.Add(4*time.Second)) {
		t.Fatalf("Next = %v, %v; want %v", next, ok, epoch.Add(4*time.Second))
	}
}

func TestFakeSetFiresInDeadlineOrder(t *testing.T) {
	f := clock.NewFake(epoch)
	late := f.NewTimer(2 * time.Second)
	early := f.NewTimer(time.Second)
	f.Advance(5 * time.Second)
	e, l := <-early.C(), <-late.C()
	if !e.Before(l) {
		t.Fatalf("early fired at %v, late at %v", e, l)
	}
	if !f.Now().Equal(epoch.Add(5 * time.Second)) {
		t.Fatalf("Now = %v", f.Now())
	}
}

func TestFakeFireNextFiresOneAtATime(t *testing.T) {
	f := clock.NewFake(epoch)
	first := f.NewTimer(time.Second)
	second := f.NewTimer(time.Second)
	later := f.NewTimer(3 * time.Second)
	if f.FireNext(epoch.Add(500 * time.Millisecond)) {
		t.Fatal("FireNext fired a timer due after its limit")
	}
	if !f.FireNext(epoch.Add(5 * time.Second)) {
		t.Fatal("FireNext fired nothing with two timers due")
	}
	if !fired(first.C()) || fired(second.C()) {
		t.Fatal("the first FireNext must fire only the timer set first")
	}
	if !f.Now().Equal(epoch.Add(time.Second)) {
		t.Fatalf("Now = %v after the first FireNext, want the timer's deadline", f.Now())
	}
	if !f.FireNext(epoch.Add(5*time.Second)) || !fired(second.C()) || fired(later.C()) {
		t.Fatal("the second FireNext must fire the other timer due at 1s, and only it")
	}
	if !f.FireNext(epoch.Add(5*time.Second)) || !fired(later.C()) {
		t.Fatal("the third FireNext must fire the timer due at 3s")
	}
	if f.FireNext(epoch.Add(5 * time.Second)) {
		t.Fatal("FireNext fired with nothing pending")
	}
}

func TestOrDefaultsToReal(t *testing.T) {
	c := clock.Or(nil)
	if d := time.Since(c.Now()); d < 0 || d > time.Minute {
		t.Fatalf("Or(nil).Now() is %v away from time.Now", d)
	}
	f := clock.NewFake(epoch)
	if clock.Or(f) != clock.Clock(f) {
		t.Fatal("Or replaced a non-nil clock")
	}
}
