package ownmainleak

import (
	"os"
	"testing"
	"time"
)

var registry *Registry

func setup() {
	registry = NewRegistry(time.Minute)
}

func teardown() {
	registry.Close()
}

func TestMain(m *testing.M) {
	setup()
	code := m.Run()
	teardown()
	os.Exit(code)
}

// record returns a watch callback that keeps the first value it sees.
func record() (func(string), <-chan string) {
	got := make(chan string, 1)
	return func(v string) {
		select {
		case got <- v:
		default:
		}
	}, got
}

func TestOwnMainLeaks(t *testing.T) {
	fn, got := record()
	registry.Watch("leader", fn)
	registry.Set("leader", "node-1", time.Hour)
	if v := <-got; v != "node-1" {
		t.Fatalf("watch saw %q, want node-1", v)
	}
	// The Watch is never cancelled: its goroutine waits for values forever.
}

func TestOwnMainClean(t *testing.T) {
	fn, got := record()
	w := registry.Watch("config", fn)
	registry.Set("config", "v2", time.Hour)
	if v := <-got; v != "v2" {
		t.Fatalf("watch saw %q, want v2", v)
	}
	registry.Cancel(w)
	if v, ok := registry.Get("config"); !ok || v != "v2" {
		t.Fatalf("Get(config) = %q, %v; want v2, true", v, ok)
	}
}
