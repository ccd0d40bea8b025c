// Package generator demonstrates the "abandoned generator" leak: a function
// returns a receive-only channel fed by a producer goroutine, and when the
// consumer stops reading early the producer blocks on its next send forever.
package generator

import "context"

// Fibonacci returns an endless stream of Fibonacci numbers.
//
// Bug: the producer can only stop by sending, so a consumer that stops
// reading strands it.
func Fibonacci() <-chan int {
	ch := make(chan int)
	go produce(ch)
	return ch
}

func produce(ch chan<- int) {
	a, b := 0, 1
	for {
		ch <- a
		a, b = b, a+b
	}
}

// FibonacciContext is the fixed Fibonacci: the producer stops and closes the
// channel once ctx is done.
func FibonacciContext(ctx context.Context) <-chan int {
	ch := make(chan int)
	go produceContext(ctx, ch)
	return ch
}

func produceContext(ctx context.Context, ch chan<- int) {
	defer close(ch)
	a, b := 0, 1
	for {
		select {
		case ch <- a:
		case <-ctx.Done():
			return
		}
		a, b = b, a+b
	}
}
