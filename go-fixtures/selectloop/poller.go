// Package selectloop demonstrates the "select loop without ctx.Done()" leak:
// a poller whose background loop selects on a ticker and an updates channel
// but has no way to be told to stop, so it outlives its caller forever.
package selectloop

import (
	"context"
	"sync"
	"time"
)

// Poller periodically refreshes a value and also accepts pushed updates.
type Poller struct {
	interval time.Duration
	fetch    func() string
	updates  chan string

	mu    sync.Mutex
	value string
	polls int
}

// New returns a Poller that calls fetch every interval.
func New(interval time.Duration, fetch func() string) *Poller {
	return &Poller{
		interval: interval,
		fetch:    fetch,
		updates:  make(chan string),
	}
}

// Push hands a new value to the running loop. It blocks until the loop has
// received it.
func (p *Poller) Push(v string) {
	p.updates <- v
}

// Value returns the most recent value and the number of completed polls.
func (p *Poller) Value() (string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.value, p.polls
}

func (p *Poller) set(v string, polled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.value = v
	if polled {
		p.polls++
	}
}

// Start runs the polling loop in the background.
//
// Bug: the loop has no stop condition. Once started it runs until the
// process exits.
func (p *Poller) Start() {
	go p.loop()
}

func (p *Poller) loop() {
	ticker := time.NewTicker(p.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			p.set(p.fetch(), true)
		case v := <-p.updates:
			p.set(v, false)
		}
	}
}

// Run is the fixed loop: it polls until ctx is cancelled and then returns
// ctx.Err(). Callers run it in a goroutine they own and wait for it.
func (p *Poller) Run(ctx context.Context) error {
	ticker := time.NewTicker(p.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
			p.set(p.fetch(), true)
		case v := <-p.updates:
			p.set(v, false)
		}
	}
}
