package httpclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// stallingHandler accepts a request and never writes a response. It returns
// only when the request is abandoned by the client (r.Context() is done) or
// when release is closed.
type stallingHandler struct {
	started chan struct{} // receives one value per request that reached the handler
	release chan struct{}
}

func newStallingHandler() *stallingHandler {
	return &stallingHandler{
		started: make(chan struct{}, 1),
		release: make(chan struct{}),
	}
}

func (h *stallingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.started <- struct{}{}
	select {
	case <-r.Context().Done():
	case <-h.release:
	}
}

type statusResult struct {
	body string
	err  error
}

func TestNoTimeoutLeaks(t *testing.T) {
	h := newStallingHandler()
	// Not closed: httptest.Server.Close would wait for the stalled handler
	// forever, which is exactly how such tests end up abandoning the server.
	srv := httptest.NewServer(h)

	c := NewClient(srv.URL)
	done := make(chan statusResult, 1)
	go func() {
		body, err := c.Status(context.Background())
		done <- statusResult{body, err}
	}()

	<-h.started // the request is in flight and the server is stalling
	giveUp := time.NewTimer(10 * time.Millisecond)
	defer giveUp.Stop()
	select {
	case r := <-done:
		t.Fatalf("Status() returned %q, %v; want it to hang", r.body, r.err)
	case <-giveUp.C:
		// Give up waiting; the request goroutine is left behind.
	}
}

func TestClientTimeout(t *testing.T) {
	h := newStallingHandler()
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer close(h.release) // runs before srv.Close

	c := NewClientWithTimeout(srv.URL, 20*time.Millisecond)
	defer c.CloseIdleConnections()

	body, err := c.Status(context.Background())
	if err == nil {
		t.Fatalf("Status() = %q, nil; want a timeout error", body)
	}
}
