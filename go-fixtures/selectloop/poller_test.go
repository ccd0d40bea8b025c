package selectloop

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPollerLeaks(t *testing.T) {
	p := New(time.Minute, func() string { return "polled" })
	p.Start()

	p.Push("v1")
	p.Push("v2")

	// The second Push only returns once the loop has received it, so the
	// first update has been applied by now.
	if v, _ := p.Value(); v != "v1" && v != "v2" {
		t.Fatalf("Value() = %q, want v1 or v2", v)
	}
	// Returns without any way to stop the loop: it stays parked in select.
}

func TestPollerStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	p := New(time.Minute, func() string { return "polled" })
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()

	p.Push("v1")
	p.Push("v2")
	if v, _ := p.Value(); v != "v1" && v != "v2" {
		t.Fatalf("Value() = %q, want v1 or v2", v)
	}

	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run() = %v, want context.Canceled", err)
	}
}
