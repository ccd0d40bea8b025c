package afterfunc

import (
	"testing"
	"time"
)

func TestAfterFuncLeaks(t *testing.T) {
	flushing := make(chan struct{})
	committed := make(chan struct{}) // nothing ever acknowledges the flush
	d := NewDebouncer(time.Millisecond, func() {
		close(flushing)
		<-committed
	})
	// One call: a second Trigger could come after the first timer
	// fired on a loaded machine, and run the callback twice.
	d.Trigger()

	<-flushing // the callback is running and will block forever
	if got := d.Fired(); got != 1 {
		t.Fatalf("Fired() = %d, want 1", got)
	}
}

func TestAfterFuncStopped(t *testing.T) {
	// A pending call that is stopped never runs.
	idle := NewDebouncer(time.Hour, func() { t.Error("stopped callback ran") })
	idle.Trigger()
	if !idle.Stop() {
		t.Fatal("Stop() = false, want true for a pending call")
	}

	// A call that runs returns on its own.
	done := make(chan struct{})
	d := NewDebouncer(time.Millisecond, func() { close(done) })
	d.Trigger()
	<-done
	if got := d.Fired(); got != 1 {
		t.Fatalf("Fired() = %d, want 1", got)
	}
}
