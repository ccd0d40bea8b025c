package panics

import "testing"

func TestBeforePanic(t *testing.T) {
	c := NewConfig()
	c.Set("mode", "fast")
	if got := c.Get("mode"); got != "fast" {
		t.Fatalf("Get(mode) = %q, want fast", got)
	}
}

func TestPanics(t *testing.T) {
	var c Config // zero value: nil map
	c.Set("mode", "fast")
	t.Fatal("unreachable: Set on a zero Config panics")
}
