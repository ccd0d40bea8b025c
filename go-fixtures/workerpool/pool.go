// Package workerpool demonstrates the "worker pool that is never shut down"
// leak: N workers range over a jobs channel, and if the owner never closes
// the channel all N workers wait in a channel receive forever.
package workerpool

import "sync"

// Job is a unit of work.
type Job func()

// Pool runs jobs on a fixed number of workers.
type Pool struct {
	jobs chan Job
	wg   sync.WaitGroup
}

// New starts a pool of n workers. The caller must call Close when done.
func New(n int) *Pool {
	p := &Pool{jobs: make(chan Job)}
	p.wg.Add(n)
	for i := 0; i < n; i++ {
		go p.worker()
	}
	return p
}

func (p *Pool) worker() {
	defer p.wg.Done()
	for job := range p.jobs {
		job()
	}
}

// Submit hands job to a free worker, blocking until one takes it.
// It must not be called after Close.
func (p *Pool) Submit(job Job) {
	p.jobs <- job
}

// Close stops accepting jobs and waits for the workers to finish the jobs
// they are running.
func (p *Pool) Close() {
	close(p.jobs)
	p.wg.Wait()
}
