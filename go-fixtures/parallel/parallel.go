// Package parallel is a detection control for leak checkers: several
// t.Parallel tests run at the same time and only one of them leaks (it
// starts a Watcher and forgets to Stop it). A checker must blame the leak
// on that test alone, although the others have goroutines in flight
// concurrently.
package parallel

import (
	"strings"
	"sync"
	"time"
)

// Process transforms items concurrently with the given number of workers,
// spending a little time per item as a real worker would. It waits for all
// its goroutines before returning.
func Process(items []string, workers int, perItem time.Duration) []string {
	out := make([]string, len(items))
	idx := make(chan int)
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for i := range idx {
				time.Sleep(perItem)
				out[i] = strings.ToUpper(items[i])
			}
		}()
	}
	for i := range items {
		idx <- i
	}
	close(idx)
	wg.Wait()
	return out
}

// Watcher counts events delivered to it by a background goroutine.
type Watcher struct {
	events chan string
	done   chan struct{}

	mu   sync.Mutex
	seen []string
}

// Watch starts a Watcher. Call Stop to end its goroutine.
func Watch() *Watcher {
	w := &Watcher{events: make(chan string), done: make(chan struct{})}
	go w.loop()
	return w
}

func (w *Watcher) loop() {
	defer close(w.done)
	for e := range w.events {
		w.mu.Lock()
		w.seen = append(w.seen, e)
		w.mu.Unlock()
	}
}

// Notify delivers an event to the watcher goroutine.
func (w *Watcher) Notify(e string) {
	w.events <- e
}

// Seen returns the events handled so far.
func (w *Watcher) Seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.seen...)
}

// Stop ends the watcher goroutine and waits for it.
func (w *Watcher) Stop() {
	close(w.events)
	<-w.done
}
