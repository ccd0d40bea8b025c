// Package earlyreturn demonstrates the "early return strands the sender"
// leak: a call is raced against a timeout, the caller gives up and returns,
// and the worker goroutine later blocks forever sending its result on an
// unbuffered channel that nobody will ever receive from.
package earlyreturn

import (
	"errors"
	"time"
)

// ErrTimeout is returned when the backend does not answer in time.
var ErrTimeout = errors.New("earlyreturn: fetch timed out")

// Backend looks up a value by key. It may be slow.
type Backend func(key string) (string, error)

type result struct {
	value string
	err   error
}

// Fetch calls backend in the background and waits at most timeout for the
// answer.
//
// Bug: the result channel is unbuffered. If the timeout wins, the worker
// goroutine blocks forever on its send.
func Fetch(backend Backend, key string, timeout time.Duration) (string, error) {
	ch := make(chan result)
	go func() {
		v, err := backend(key)
		ch <- result{v, err}
	}()
	return wait(ch, timeout)
}

// FetchBuffered is the fixed Fetch: the result channel has room for the one
// result, so the worker can always finish its send and exit, even after the
// caller has stopped waiting.
func FetchBuffered(backend Backend, key string, timeout time.Duration) (string, error) {
	ch := make(chan result, 1)
	go func() {
		v, err := backend(key)
		ch <- result{v, err}
	}()
	return wait(ch, timeout)
}

func wait(ch <-chan result, timeout time.Duration) (string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		return r.value, r.err
	case <-timer.C:
		return "", ErrTimeout
	}
}
