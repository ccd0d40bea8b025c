package wsreader

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func wsURL(srv *httptest.Server) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// collect returns a callback that forwards messages to a buffered channel,
// dropping them if the test is not keeping up.
func collect() (func([]byte), <-chan string) {
	ch := make(chan string, 16)
	return func(msg []byte) {
		select {
		case ch <- string(msg):
		default:
		}
	}, ch
}

func TestReaderLeaks(t *testing.T) {
	hub := NewHub("welcome")
	srv := httptest.NewServer(hub)
	defer srv.Close() // does not close the upgraded connection; hub.Close is never called

	onMessage, msgs := collect()
	_, err := Dial(wsURL(srv), onMessage)
	if err != nil {
		t.Fatal(err)
	}
	if got := <-msgs; got != "welcome" {
		t.Fatalf("first message = %q, want welcome", got)
	}
	hub.Broadcast("tick")
	if got := <-msgs; got != "tick" {
		t.Fatalf("second message = %q, want tick", got)
	}
	// The Feed is never closed: its reader stays in ReadMessage.
}

func TestReaderClosed(t *testing.T) {
	hub := NewHub("welcome")
	srv := httptest.NewServer(hub)
	defer srv.Close()
	defer hub.Close()

	onMessage, msgs := collect()
	feed, err := Dial(wsURL(srv), onMessage)
	if err != nil {
		t.Fatal(err)
	}
	if got := <-msgs; got != "welcome" {
		t.Fatalf("first message = %q, want welcome", got)
	}
	hub.Broadcast("tick")
	if got := <-msgs; got != "tick" {
		t.Fatalf("second message = %q, want tick", got)
	}
	if err := feed.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if feed.Err() == nil {
		t.Fatal("reader ended without an error")
	}
}
