package broken

import "testing"

func TestDelays(t *testing.T) {
	p := Policy{Attempts: 3, Backoff: 1}
	var attempts int = "three" // type error on purpose: this file must not compile
	if got := len(p.Delays()); got != attempts {
		t.Fatalf("len(Delays()) = %d, want %d", got, attempts)
	}
}
