package workerpool

import (
	"sync"
	"sync/atomic"
	"testing"
)

func runJobs(p *Pool, n int) int64 {
	var sum atomic.Int64
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 1; i <= n; i++ {
		p.Submit(func() {
			defer wg.Done()
			sum.Add(int64(i))
		})
	}
	wg.Wait()
	return sum.Load()
}

func TestPoolLeaks(t *testing.T) {
	p := New(4)
	if got := runJobs(p, 3); got != 6 {
		t.Fatalf("sum = %d, want 6", got)
	}
	// No p.Close(): the 4 workers wait on the jobs channel forever.
}

func TestPoolShutdown(t *testing.T) {
	p := New(4)
	if got := runJobs(p, 3); got != 6 {
		t.Fatalf("sum = %d, want 6", got)
	}
	p.Close()
}
