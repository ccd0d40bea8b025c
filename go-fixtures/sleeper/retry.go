// Package sleeper shows a goroutine that is not blocked forever but sleeps
// far beyond its test: a retry loop that backs off for an hour and has no
// way to be stopped. Go's goroutineleak profile cannot prove it leaked (a
// sleep always ends); leakcheck reports it as still running at the deadline.
package sleeper

import "time"

// Retrier calls a function until it succeeds, sleeping between attempts.
type Retrier struct {
	Backoff time.Duration
}

// Go retries f in the background.
func (r Retrier) Go(f func() error) {
	go func() {
		for f() != nil {
			time.Sleep(r.Backoff)
		}
	}()
}

// GoUntil retries f in the background until it succeeds or stop is closed.
func (r Retrier) GoUntil(stop <-chan struct{}, f func() error) {
	go func() {
		t := time.NewTimer(0)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if f() == nil {
					return
				}
				t.Reset(r.Backoff)
			}
		}
	}()
}
