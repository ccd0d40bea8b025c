package ownmain

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

var (
	store  *Store
	server *httptest.Server
)

func TestMain(m *testing.M) {
	store = NewStore()
	server = httptest.NewServer(Handler(store))
	os.Exit(m.Run())
}

// roundTrip PUTs value under key and reads it back over HTTP, using a
// client whose connections are closed before returning.
func roundTrip(t *testing.T, key, value string) string {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	req, err := http.NewRequest(http.MethodPut, server.URL+"/"+key, strings.NewReader(value))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	resp, err = client.Get(server.URL + "/" + key)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWithSetupA(t *testing.T) {
	if got := roundTrip(t, "a", "alpha"); got != "alpha" {
		t.Fatalf("got %q, want alpha", got)
	}
}

func TestWithSetupB(t *testing.T) {
	store.Set("b", "beta")
	if got := store.Get("b"); got != "beta" {
		t.Fatalf("Get(b) = %q, want beta", got)
	}
	if got := roundTrip(t, "b", "bravo"); got != "bravo" {
		t.Fatalf("got %q, want bravo", got)
	}
}
