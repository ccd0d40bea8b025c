// Package afterfunc demonstrates a leak from a time.AfterFunc callback: a
// debouncer runs its callback through time.AfterFunc, and a callback that
// blocks forever leaks the goroutine the timer started for it. That
// goroutine is created by time.goFunc, not by the test, so it inherits no
// pprof labels from the test that scheduled it.
package afterfunc

import (
	"sync"
	"time"
)

// Debouncer coalesces bursts of Trigger calls into a single call of fn,
// made once delay has passed without another Trigger.
type Debouncer struct {
	delay time.Duration
	fn    func()

	mu    sync.Mutex
	timer *time.Timer
	fired int
}

// NewDebouncer returns a Debouncer that calls fn.
func NewDebouncer(delay time.Duration, fn func()) *Debouncer {
	return &Debouncer{delay: delay, fn: fn}
}

// Trigger (re)schedules the call of fn.
func (d *Debouncer) Trigger() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
	}
	d.timer = time.AfterFunc(d.delay, d.fire)
}

func (d *Debouncer) fire() {
	d.mu.Lock()
	d.fired++
	d.mu.Unlock()
	d.fn()
}

// Fired returns how many times fn has been started.
func (d *Debouncer) Fired() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.fired
}

// Stop cancels a pending call of fn. It reports whether a pending call was
// cancelled; it does not wait for a call that has already started.
func (d *Debouncer) Stop() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer == nil {
		return false
	}
	return d.timer.Stop()
}
