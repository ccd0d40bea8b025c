// Package xtestonly is a control for leak checkers: its only test file is an
// external test package (package xtestonly_test). The code under test fans
// work out to goroutines and always waits for them, so nothing leaks.
package xtestonly

import "sync"

// Map applies f to every element of in concurrently, using at most workers
// goroutines, and returns the results in order. It returns only after all
// of its goroutines have exited.
func Map(in []int, workers int, f func(int) int) []int {
	if workers < 1 {
		workers = 1
	}
	out := make([]int, len(in))
	idx := make(chan int)
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for i := range idx {
				out[i] = f(in[i])
			}
		}()
	}
	for i := range in {
		idx <- i
	}
	close(idx)
	wg.Wait()
	return out
}
