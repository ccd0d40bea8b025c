package slowexit

import (
	"context"
	"testing"
)

func TestSlowShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	// Cancelled after the test function returns; the flusher then needs
	// about 50ms to exit, and nobody waits for it.
	t.Cleanup(cancel)

	f := Start(ctx)
	f.Add("a")
	f.Add("b")
	if got := f.Pending(); got != 2 {
		t.Fatalf("Pending() = %d, want 2", got)
	}
}
