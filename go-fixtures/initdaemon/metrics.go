// Package initdaemon is a control for leak checkers: a metrics flusher
// goroutine is started from init() and runs for the life of the process.
// It exists before any test starts, so it must not be blamed on a test.
package initdaemon

import (
	"sync"
	"time"
)

// FlushInterval is how often the daemon publishes a snapshot.
const FlushInterval = time.Minute

// Registry holds named counters.
type Registry struct {
	mu       sync.Mutex
	counters map[string]int64
	last     map[string]int64
}

// Default is the process-wide registry, flushed by a daemon goroutine
// started in init.
var Default = NewRegistry()

func init() {
	go Default.flushLoop(FlushInterval)
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry {
	return &Registry{counters: make(map[string]int64)}
}

// Inc adds one to the named counter.
func (r *Registry) Inc(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counters[name]++
}

// Get returns the named counter.
func (r *Registry) Get(name string) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counters[name]
}

func (r *Registry) flushLoop(interval time.Duration) {
	ticker := time.NewTicker(interval)
	for range ticker.C {
		r.flush()
	}
}

func (r *Registry) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	snap := make(map[string]int64, len(r.counters))
	for k, v := range r.counters {
		snap[k] = v
	}
	r.last = snap
}
