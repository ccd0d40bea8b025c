// Package slowexit is a control for leak checkers: a background flusher that
// takes about 50ms to wind down after its context is cancelled. The
// goroutine outlives the test function briefly but does exit on its own, so
// it is not a leak; a checker must allow for a short grace period.
package slowexit

import (
	"context"
	"sync"
	"time"
)

// WindDown is how long the flusher spends writing out buffered entries
// after it has been told to stop.
const WindDown = 50 * time.Millisecond

// Flusher buffers entries and writes them out when it stops.
type Flusher struct {
	mu      sync.Mutex
	pending []string
	flushed []string
	done    chan struct{}
}

// Start starts a Flusher that runs until ctx is cancelled.
func Start(ctx context.Context) *Flusher {
	f := &Flusher{done: make(chan struct{})}
	go f.run(ctx)
	return f
}

// Add buffers an entry.
func (f *Flusher) Add(entry string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending = append(f.pending, entry)
}

// Pending returns the number of buffered entries.
func (f *Flusher) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pending)
}

// Done is closed once the flusher has written everything out and exited.
func (f *Flusher) Done() <-chan struct{} {
	return f.done
}

func (f *Flusher) run(ctx context.Context) {
	defer close(f.done)
	<-ctx.Done()
	// Simulate a slow final write of the buffered entries.
	time.Sleep(WindDown)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flushed = append(f.flushed, f.pending...)
	f.pending = nil
}
