package mainleak

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

var (
	cache  *Cache
	server *httptest.Server
)

func TestMain(m *testing.M) {
	cache = NewCache()
	server = httptest.NewServer(http.NotFoundHandler())
	code := m.Run()
	server.Close() // the refresher is forgotten
	os.Exit(code)
}

func TestPutGet(t *testing.T) {
	cache.Put("k", "v")
	if got := cache.Get("k"); got != "v" {
		t.Fatalf("got %q, want v", got)
	}
}
