package mixed_test

import (
	"testing"

	"example.com/fixtures/mixed"
)

func TestExternalLeaks(t *testing.T) {
	b := mixed.NewBroker()
	got := make(chan string, 1)
	b.Subscribe(func(m string) { got <- m })
	b.Publish("hello")
	if m := <-got; m != "hello" {
		t.Fatalf("got %q, want hello", m)
	}
	// Never unsubscribed: the delivery goroutine waits for messages forever.
}

func TestExternalClean(t *testing.T) {
	b := mixed.NewBroker()
	got := make(chan string, 2)
	s := b.Subscribe(func(m string) { got <- m })
	b.Publish("one")
	b.Publish("two")
	s.Unsubscribe()
	if n := b.Len(); n != 0 {
		t.Fatalf("Len() = %d after Unsubscribe, want 0", n)
	}
	if a, c := <-got, <-got; a != "one" || c != "two" {
		t.Fatalf("got %q, %q; want one, two", a, c)
	}
}
