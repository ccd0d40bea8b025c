// Package spawn demonstrates unbounded per-request goroutine spawning: every
// request starts a fire-and-forget goroutine that publishes an audit event
// on an unbuffered channel. When nobody drains the channel, each request
// leaves one goroutine blocked in a channel send, and they pile up.
package spawn

import (
	"fmt"
	"sync"
)

// Request is an incoming call.
type Request struct {
	ID   int
	User string
}

// Event records that a request was handled.
type Event struct {
	RequestID int
	User      string
}

// Server handles requests and publishes one audit Event per request.
type Server struct {
	events chan Event
}

// NewServer returns a Server. Someone is expected to read Events.
func NewServer() *Server {
	return &Server{events: make(chan Event)}
}

// Events returns the audit event stream.
func (s *Server) Events() <-chan Event {
	return s.events
}

// Handle serves r.
//
// Bug: it spawns one goroutine per request, and that goroutine blocks until
// someone receives its event. With no reader, goroutines accumulate without
// bound.
func (s *Server) Handle(r Request) string {
	go s.audit(Event{RequestID: r.ID, User: r.User})
	return fmt.Sprintf("hello %s (#%d)", r.User, r.ID)
}

func (s *Server) audit(e Event) {
	s.events <- e
}

// BoundedServer is the fixed Server: audit events go into a bounded queue
// drained by a single goroutine that Close stops. When the queue is full,
// events are dropped instead of piling up goroutines.
type BoundedServer struct {
	sink func(Event)

	mu      sync.Mutex
	closed  bool
	dropped int
	queue   chan Event
	wg      sync.WaitGroup
}

// NewBoundedServer starts a BoundedServer that delivers audit events to sink
// through a queue of the given size.
func NewBoundedServer(queueSize int, sink func(Event)) *BoundedServer {
	s := &BoundedServer{sink: sink, queue: make(chan Event, queueSize)}
	s.wg.Add(1)
	go s.drain()
	return s
}

func (s *BoundedServer) drain() {
	defer s.wg.Done()
	for e := range s.queue {
		s.sink(e)
	}
}

// Handle serves r without spawning a goroutine.
func (s *BoundedServer) Handle(r Request) string {
	s.mu.Lock()
	if !s.closed {
		select {
		case s.queue <- Event{RequestID: r.ID, User: r.User}:
		default:
			s.dropped++
		}
	}
	s.mu.Unlock()
	return fmt.Sprintf("hello %s (#%d)", r.User, r.ID)
}

// Dropped returns how many audit events were dropped because the queue was
// full.
func (s *BoundedServer) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Close delivers the queued events and stops the drain goroutine.
func (s *BoundedServer) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.queue)
	}
	s.mu.Unlock()
	s.wg.Wait()
}
