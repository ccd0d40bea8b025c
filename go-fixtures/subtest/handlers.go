// Package subtest is a detection control for leak checkers: a table-driven
// test whose subtests share one parent, where only one case's handler
// leaks (a fire-and-forget goroutine waiting for an acknowledgement that
// never arrives). A checker must blame the "leaky" subtest only.
package subtest

import (
	"errors"
	"strings"
	"sync/atomic"
)

// Handler answers a request.
type Handler func(req string) (string, error)

// ErrEmpty is returned for an empty request.
var ErrEmpty = errors.New("subtest: empty request")

// Greet answers with a greeting.
func Greet(req string) (string, error) {
	if req == "" {
		return "", ErrEmpty
	}
	return "hello " + req, nil
}

// Shout answers in upper case.
func Shout(req string) (string, error) {
	if req == "" {
		return "", ErrEmpty
	}
	return strings.ToUpper(req) + "!", nil
}

// Notify queues a notification and answers immediately.
//
// Bug: the goroutine it starts waits for an acknowledgement on a channel
// nothing ever sends on, so every call leaks one goroutine.
func Notify(req string) (string, error) {
	if req == "" {
		return "", ErrEmpty
	}
	ack := make(chan struct{})
	go waitForAck(ack)
	return "queued " + req, nil
}

// acked counts acknowledged notifications.
var acked atomic.Int64

func waitForAck(ack <-chan struct{}) {
	<-ack
	acked.Add(1)
}
