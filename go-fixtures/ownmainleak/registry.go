// Package ownmainleak is a detection control for leak checkers: the package
// has its own TestMain in the "code := m.Run(); teardown(); os.Exit(code)"
// form, whose setup starts a janitor goroutine that teardown stops. One
// test leaks a watch goroutine that is never cancelled; the janitor is not
// a leak.
package ownmainleak

import (
	"sync"
	"time"
)

// Registry maps keys to values, notifies watchers of changes, and runs a
// janitor that expires stale keys.
type Registry struct {
	mu       sync.Mutex
	values   map[string]entry
	watchers map[string][]*Watch

	stop chan struct{}
	wg   sync.WaitGroup
}

type entry struct {
	value   string
	expires time.Time
}

// Watch delivers new values of one key to a callback from its own
// goroutine.
type Watch struct {
	ch   chan string
	fn   func(string)
	done chan struct{}
	once sync.Once
}

// NewRegistry starts a Registry whose janitor runs every sweep interval.
// Call Close to stop the janitor.
func NewRegistry(sweep time.Duration) *Registry {
	r := &Registry{
		values:   make(map[string]entry),
		watchers: make(map[string][]*Watch),
		stop:     make(chan struct{}),
	}
	r.wg.Add(1)
	go r.janitor(sweep)
	return r
}

func (r *Registry) janitor(sweep time.Duration) {
	defer r.wg.Done()
	ticker := time.NewTicker(sweep)
	defer ticker.Stop()
	for {
		select {
		case now := <-ticker.C:
			r.expire(now)
		case <-r.stop:
			return
		}
	}
}

func (r *Registry) expire(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, e := range r.values {
		if now.After(e.expires) {
			delete(r.values, k)
		}
	}
}

// Close stops the janitor and waits for it.
func (r *Registry) Close() {
	close(r.stop)
	r.wg.Wait()
}

// Set stores value under key for ttl and notifies the key's watchers.
func (r *Registry) Set(key, value string, ttl time.Duration) {
	r.mu.Lock()
	r.values[key] = entry{value: value, expires: time.Now().Add(ttl)}
	ws := append([]*Watch(nil), r.watchers[key]...)
	r.mu.Unlock()
	for _, w := range ws {
		w.ch <- value
	}
}

// Get returns the value stored under key.
func (r *Registry) Get(key string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.values[key]
	return e.value, ok
}

// Watch calls fn with every new value of key until the Watch is cancelled.
func (r *Registry) Watch(key string, fn func(string)) *Watch {
	w := &Watch{ch: make(chan string), fn: fn, done: make(chan struct{})}
	r.mu.Lock()
	r.watchers[key] = append(r.watchers[key], w)
	r.mu.Unlock()
	go w.run()
	return w
}

func (w *Watch) run() {
	defer close(w.done)
	for v := range w.ch {
		w.fn(v)
	}
}

// Cancel removes the watch from r and waits for its goroutine to exit.
func (r *Registry) Cancel(w *Watch) {
	r.mu.Lock()
	for key, ws := range r.watchers {
		for i, x := range ws {
			if x == w {
				r.watchers[key] = append(ws[:i:i], ws[i+1:]...)
			}
		}
	}
	r.mu.Unlock()
	w.once.Do(func() { close(w.ch) })
	<-w.done
}
