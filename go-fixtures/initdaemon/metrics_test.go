package initdaemon

import "testing"

func TestUsesDaemon(t *testing.T) {
	before := Default.Get("requests")
	for i := 0; i < 3; i++ {
		Default.Inc("requests")
	}
	if got := Default.Get("requests") - before; got != 3 {
		t.Fatalf("requests grew by %d, want 3", got)
	}
}
