package generator

import (
	"context"
	"reflect"
	"testing"
)

func take(ch <-chan int, n int) []int {
	out := make([]int, 0, n)
	for v := range ch {
		out = append(out, v)
		if len(out) == n {
			break
		}
	}
	return out
}

func TestGeneratorLeaks(t *testing.T) {
	got := take(Fibonacci(), 3)
	if want := []int{0, 1, 1}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// The producer is now blocked sending the 4th value.
}

func TestGeneratorDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	ch := FibonacciContext(ctx)
	got := take(ch, 3)
	if want := []int{0, 1, 1}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}

	cancel()
	for range ch { // wait for the producer to close the channel
	}
}
