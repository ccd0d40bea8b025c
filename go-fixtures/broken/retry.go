// Package broken is a failure control for leak checkers: its test file does
// not compile (a type error), so `go test` reports a build failure for it.
package broken

import "time"

// Policy describes how often to retry.
type Policy struct {
	Attempts int
	Backoff  time.Duration
}

// Delays returns the wait before each retry, doubling every time.
func (p Policy) Delays() []time.Duration {
	out := make([]time.Duration, 0, p.Attempts)
	d := p.Backoff
	for i := 0; i < p.Attempts; i++ {
		out = append(out, d)
		d *= 2
	}
	return out
}
