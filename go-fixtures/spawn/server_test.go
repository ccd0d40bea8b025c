package spawn

import (
	"sync"
	"testing"
)

func TestPerRequestLeaks(t *testing.T) {
	s := NewServer()
	for i := 0; i < 100; i++ {
		if got := s.Handle(Request{ID: i, User: "ann"}); got == "" {
			t.Fatal("empty response")
		}
	}
	// Nobody reads s.Events(): 100 audit goroutines are stuck sending.
}

func TestPerRequestBounded(t *testing.T) {
	var mu sync.Mutex
	seen := 0
	s := NewBoundedServer(128, func(Event) {
		mu.Lock()
		seen++
		mu.Unlock()
	})
	for i := 0; i < 100; i++ {
		if got := s.Handle(Request{ID: i, User: "ann"}); got == "" {
			t.Fatal("empty response")
		}
	}
	s.Close()

	mu.Lock()
	defer mu.Unlock()
	if seen+s.Dropped() != 100 {
		t.Fatalf("delivered %d + dropped %d events, want 100 in total", seen, s.Dropped())
	}
}
