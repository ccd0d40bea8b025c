package sleeper

import (
	"errors"
	"testing"
	"time"
)

var errDown = errors.New("service down")

func TestRetryLeaks(t *testing.T) {
	tried := make(chan struct{}, 1)
	Retrier{Backoff: time.Hour}.Go(func() error {
		select {
		case tried <- struct{}{}:
		default:
		}
		return errDown
	})
	<-tried
}

func TestRetryStops(t *testing.T) {
	stop := make(chan struct{})
	tried := make(chan struct{}, 1)
	Retrier{Backoff: time.Hour}.GoUntil(stop, func() error {
		select {
		case tried <- struct{}{}:
		default:
		}
		return errDown
	})
	<-tried
	close(stop)
}
