package earlyreturn

import (
	"errors"
	"testing"
	"time"
)

// slowBackend returns a Backend that cannot answer before release is closed.
func slowBackend(release <-chan struct{}) Backend {
	return func(key string) (string, error) {
		<-release
		return "value-for-" + key, nil
	}
}

func TestFetchTimeoutLeaks(t *testing.T) {
	release := make(chan struct{})
	_, err := Fetch(slowBackend(release), "k", 5*time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Fetch() error = %v, want ErrTimeout", err)
	}
	// The backend answers late; its goroutine now blocks forever on the
	// unbuffered send.
	close(release)
}

func TestFetchTimeoutBuffered(t *testing.T) {
	release := make(chan struct{})
	_, err := FetchBuffered(slowBackend(release), "k", 5*time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("FetchBuffered() error = %v, want ErrTimeout", err)
	}
	// The late answer lands in the buffer and the goroutine exits.
	close(release)

	v, err := FetchBuffered(func(key string) (string, error) { return key, nil }, "fast", time.Minute)
	if err != nil || v != "fast" {
		t.Fatalf("FetchBuffered() = %q, %v; want %q, nil", v, err, "fast")
	}
}
