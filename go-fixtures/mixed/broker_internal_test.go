package mixed

import "testing"

func TestInternalClean(t *testing.T) {
	b := NewBroker()
	got := make(chan string, 1)
	s := b.Subscribe(func(m string) { got <- m })
	b.Publish("hi")
	if m := <-got; m != "hi" {
		t.Fatalf("got %q, want hi", m)
	}
	s.Unsubscribe()
	if len(b.subs) != 0 {
		t.Fatalf("%d subscriptions left", len(b.subs))
	}
}
