// Package mixed is a detection control for leak checkers: a package with
// both internal (package mixed) and external (package mixed_test) test
// files, where the leak is in the external test package. The leak is a
// subscription whose delivery goroutine is never stopped.
package mixed

import "sync"

// Broker fans published messages out to subscriptions.
type Broker struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// Subscription delivers messages to a callback from its own goroutine.
type Subscription struct {
	broker *Broker
	ch     chan string
	fn     func(string)
	done   chan struct{}
}

// NewBroker returns an empty Broker.
func NewBroker() *Broker {
	return &Broker{subs: make(map[*Subscription]struct{})}
}

// Subscribe starts delivering published messages to fn. Call Unsubscribe
// to stop the delivery goroutine.
func (b *Broker) Subscribe(fn func(string)) *Subscription {
	s := &Subscription{broker: b, ch: make(chan string), fn: fn, done: make(chan struct{})}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	go s.run()
	return s
}

func (s *Subscription) run() {
	defer close(s.done)
	for msg := range s.ch {
		s.fn(msg)
	}
}

// Publish delivers msg to every subscription, one after the other.
func (b *Broker) Publish(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.ch <- msg
	}
}

// Len returns the number of subscriptions.
func (b *Broker) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Unsubscribe stops delivery and waits for the delivery goroutine to exit.
func (s *Subscription) Unsubscribe() {
	b := s.broker
	b.mu.Lock()
	if _, ok := b.subs[s]; ok {
		delete(b.subs, s)
		close(s.ch)
	}
	b.mu.Unlock()
	<-s.done
}
