// Package ownmain is a control for leak checkers: its tests share fixtures
// started in TestMain (written as os.Exit(m.Run())) before any test runs: a
// store goroutine and an httptest server in front of it. Those goroutines
// are not leaks of the individual tests.
package ownmain

import (
	"io"
	"net/http"
	"strings"
)

// Store is a key-value store owned by a single goroutine; other goroutines
// talk to it over a channel.
type Store struct {
	reqs chan request
	done chan struct{}
}

type request struct {
	key, value string
	set        bool
	reply      chan string
}

// NewStore starts a Store. Call Stop to end its goroutine.
func NewStore() *Store {
	s := &Store{reqs: make(chan request), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *Store) loop() {
	data := make(map[string]string)
	for {
		select {
		case r := <-s.reqs:
			if r.set {
				data[r.key] = r.value
			}
			r.reply <- data[r.key]
		case <-s.done:
			return
		}
	}
}

// Set stores value under key.
func (s *Store) Set(key, value string) {
	reply := make(chan string, 1)
	s.reqs <- request{key: key, value: value, set: true, reply: reply}
	<-reply
}

// Get returns the value stored under key, or "".
func (s *Store) Get(key string) string {
	reply := make(chan string, 1)
	s.reqs <- request{key: key, reply: reply}
	return <-reply
}

// Stop ends the store goroutine.
func (s *Store) Stop() {
	close(s.done)
}

// Handler serves the store over HTTP: GET /k reads key k, PUT /k sets it to
// the request body.
func Handler(s *Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.URL.Path, "/")
		switch r.Method {
		case http.MethodGet:
			io.WriteString(w, s.Get(key))
		case http.MethodPut:
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			s.Set(key, string(b))
		default:
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}
