// Command bigdump parks a realistic crowd of goroutines (50,000 by default)
// and writes the goroutine dump, runtime.Stack(buf, true), to a file: the
// input of scripts/bench-stacks and of the criterion benchmark in
// benches/parse.rs.
//
// Most goroutines sit in a few big groups with 10-20 frames each, as in a
// server that is stuck: request handlers waiting on a connection pool
// (chan receive, with pprof labels), idle workers (select), queries
// waiting on a mutex, producers blocked on a send, waiters on a WaitGroup,
// sleepers, connections in IO wait. Hundreds of small groups add variety:
// recursion of different depths through different functions ending in
// different wait states.
//
//	go run . -o /tmp/dump.txt
//
// Run it with GODEBUG=tracebacklabels=1 (Go 1.26+) to have the handlers'
// pprof labels printed in the goroutine headers, as leakcheck does.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

var (
	never    = make(chan struct{}) // never closed: everybody waits forever
	nobody   = make(chan int)      // nobody receives
	tableMu  sync.Mutex            // held by main
	allDone  sync.WaitGroup        // never done
	started  sync.WaitGroup        // every goroutine signals it is about to park
	poolSize = 0
)

func main() {
	out := flag.String("o", "", "write the dump to this file (required)")
	total := flag.Int("n", 50000, "goroutines to park")
	conns := flag.Int("conns", 500, "of which: TCP connections waiting in a read (IO wait)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: bigdump -o FILE [-n 50000] [-conns 500]")
		os.Exit(2)
	}
	tableMu.Lock()
	allDone.Add(1)

	n := *total
	share := func(pct int) int { return n * pct / 100 }
	spawned := 0
	spawn := func(count int, start func(n int)) {
		started.Add(count)
		start(count)
		spawned += count
	}

	srv := &server{pool: newPool[*dbConn](poolSize), cache: &cache[string, *user]{}}
	spawn(share(30), srv.listen)
	wp := &workerPool{queue: &queue{items: make(chan job), quit: never}}
	spawn(share(18), wp.start)
	d := &db{}
	spawn(share(14), d.serveQueries)
	em := &emitter{out: nobody}
	spawn(share(10), em.startProducers)
	spawn(share(6), startWaiters)
	spawn(share(3), startPollers)
	spawn(share(1), startHopeless)
	spawned += startConnections(*conns)
	// The rest: many small groups, each a different stack.
	if rest := n - spawned; rest > 0 {
		spawn(rest, startVaried)
	}

	started.Wait()
	// Let every goroutine reach its wait.
	for i := 0; i < 50 && runtime.NumGoroutine() < spawned; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)

	buf := make([]byte, 1<<20)
	for {
		k := runtime.Stack(buf, true)
		if k < len(buf) {
			buf = buf[:k]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	if err := os.WriteFile(*out, buf, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "bigdump: %d goroutines, %d bytes written to %s\n", runtime.NumGoroutine(), len(buf), *out)
}

// Request handlers waiting for a pooled connection (chan receive, labelled).

type user struct{ name string }

type dbConn struct{ id int }

type pool[T any] struct{ slots chan T }

func newPool[T any](n int) *pool[T] { return &pool[T]{slots: make(chan T, n)} }

//go:noinline
func (p *pool[T]) acquire(ctx context.Context) (T, error) {
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	started.Done()
	return <-p.slots, nil
}

type cache[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
}

//go:noinline
func (c *cache[K, V]) fetch(ctx context.Context, k K, load func(context.Context, K) (V, error)) (V, error) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v, nil
	}
	return load(ctx, k)
}

type server struct {
	pool  *pool[*dbConn]
	cache *cache[string, *user]
}

type request struct {
	path string
	id   int
}

type handler func(ctx context.Context, r *request) error

func (s *server) listen(n int) {
	for i := 0; i < n; i++ {
		go s.acceptLoop(i)
	}
}

//go:noinline
func (s *server) acceptLoop(i int) {
	r := &request{path: "/users/" + fmt.Sprint(i%977), id: i}
	s.serveConn(r)
}

//go:noinline
func (s *server) serveConn(r *request) {
	labels := pprof.Labels("handler", "/users/{id}", "shard", fmt.Sprint(r.id%8))
	pprof.Do(context.Background(), labels, func(ctx context.Context) {
		_ = s.readRequest(ctx, r)
	})
}

//go:noinline
func (s *server) readRequest(ctx context.Context, r *request) error {
	return s.dispatch(ctx, r)
}

//go:noinline
func (s *server) dispatch(ctx context.Context, r *request) error {
	h := withLogging(withAuth(withTimeout(withMetrics(s.getUser))))
	return h(ctx, r)
}

func withLogging(next handler) handler {
	return func(ctx context.Context, r *request) error { return next(ctx, r) }
}

func withAuth(next handler) handler {
	return func(ctx context.Context, r *request) error { return next(ctx, r) }
}

func withTimeout(next handler) handler {
	return func(ctx context.Context, r *request) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		return next(ctx, r)
	}
}

func withMetrics(next handler) handler {
	return func(ctx context.Context, r *request) error { return next(ctx, r) }
}

//go:noinline
func (s *server) getUser(ctx context.Context, r *request) error {
	_, err := s.cache.fetch(ctx, r.path, s.loadUser)
	return err
}

//go:noinline
func (s *server) loadUser(ctx context.Context, key string) (*user, error) {
	c, err := s.pool.acquire(ctx)
	if err != nil {
		return nil, err
	}
	return &user{name: key + fmt.Sprint(c.id)}, nil
}

// Idle workers (select).

type job struct{ n int }

type queue struct {
	items chan job
	quit  chan struct{}
}

//go:noinline
func (q *queue) pop() (job, bool) {
	started.Done()
	select {
	case j := <-q.items:
		return j, true
	case <-q.quit:
		return job{}, false
	}
}

type workerPool struct{ queue *queue }

func (p *workerPool) start(n int) {
	for i := 0; i < n; i++ {
		go p.runWorker(i)
	}
}

//go:noinline
func (p *workerPool) runWorker(i int) {
	w := &worker{id: i, q: p.queue}
	w.supervise()
}

//go:noinline
func (w *worker) supervise() {
	for w.runSafely() {
	}
}

//go:noinline
func (w *worker) runSafely() (again bool) {
	defer func() {
		if recover() != nil {
			again = true
		}
	}()
	w.loop()
	return false
}

type worker struct {
	id int
	q  *queue
}

//go:noinline
func (w *worker) loop() {
	for {
		j, ok := w.waitJob()
		if !ok {
			return
		}
		w.process(j)
	}
}

//go:noinline
func (w *worker) waitJob() (job, bool) { return w.q.popWithBackoff(w.id) }

//go:noinline
func (q *queue) popWithBackoff(attempt int) (job, bool) {
	j, ok := q.popTraced(attempt)
	return j, ok
}

//go:noinline
func (q *queue) popTraced(attempt int) (job, bool) {
	_ = attempt
	return q.pop()
}

//go:noinline
func (w *worker) process(j job) { _ = j.n * w.id }

// Queries waiting on a table lock (sync.Mutex.Lock).

type db struct{ rows int }

func (d *db) serveQueries(n int) {
	for i := 0; i < n; i++ {
		go d.query(i)
	}
}

//go:noinline
func (d *db) query(i int) {
	t := &tx{db: d}
	t.withRetry(func() { t.commit(i) })
}

type tx struct{ db *db }

//go:noinline
func (t *tx) withRetry(f func()) {
	f()
}

//go:noinline
func (t *tx) commit(i int) {
	t.flush(i)
}

//go:noinline
func (t *tx) flush(i int) {
	c := &conn{db: t.db}
	c.exec(fmt.Sprintf("UPDATE t SET n = n + 1 WHERE id = %d", i))
}

type conn struct{ db *db }

//go:noinline
func (c *conn) exec(q string) {
	st := &stmt{c: c, q: q}
	st.run()
}

type stmt struct {
	c *conn
	q string
}

//go:noinline
func (s *stmt) run() {
	s.c.db.lockTable()
	s.c.db.rows += len(s.q)
	tableMu.Unlock()
}

//go:noinline
func (d *db) lockTable() {
	started.Done()
	tableMu.Lock()
}

// Producers blocked on a send nobody receives (chan send).

type emitter struct{ out chan int }

func (e *emitter) startProducers(n int) {
	for i := 0; i < n; i++ {
		go e.produce(i)
	}
}

//go:noinline
func (e *emitter) produce(i int) {
	e.run(i)
}

//go:noinline
func (e *emitter) run(i int) {
	e.flushBatch([]int{i, i + 1})
}

//go:noinline
func (e *emitter) flushBatch(batch []int) {
	for _, v := range batch {
		e.encode(v)
	}
}

//go:noinline
func (e *emitter) encode(v int) {
	e.stage(v, 3)
}

//go:noinline
func (e *emitter) stage(v, left int) {
	if left > 0 {
		e.stage(v+1, left-1)
		return
	}
	e.emit(v)
}

//go:noinline
func (e *emitter) emit(v int) {
	e.publish(v * 2)
}

//go:noinline
func (e *emitter) publish(v int) {
	started.Done()
	e.out <- v
}

// Waiters, sleepers, and the hopeless.

func startWaiters(n int) {
	for i := 0; i < n; i++ {
		go waitForShutdown(i)
	}
}

func startPollers(n int) {
	for i := 0; i < n; i++ {
		go pollEvery(i)
	}
}

func startHopeless(n int) {
	for i := 0; i < n; i++ {
		go blockForever(i)
	}
}

//go:noinline
func waitForShutdown(i int) {
	a := &app{id: i}
	a.run()
}

type app struct{ id int }

//go:noinline
func (a *app) run() { a.serveUntilDone() }

//go:noinline
func (a *app) serveUntilDone() { a.lifecycle().wait() }

//go:noinline
func (a *app) lifecycle() *lifecycle { return &lifecycle{wg: &allDone} }

type lifecycle struct{ wg *sync.WaitGroup }

//go:noinline
func (l *lifecycle) wait() {
	started.Done()
	l.wg.Wait()
}

//go:noinline
func pollEvery(int) {
	started.Done()
	for {
		time.Sleep(time.Hour)
	}
}

//go:noinline
func blockForever(int) {
	started.Done()
	select {}
}

// Connections waiting for a request (IO wait).

func startConnections(n int) int {
	if n <= 0 {
		return 0
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bigdump: no IO wait group:", err)
		return 0
	}
	var clients []net.Conn
	count := 0
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			fmt.Fprintf(os.Stderr, "bigdump: %d connections only: %v\n", i, err)
			break
		}
		clients = append(clients, c)
		s, err := ln.Accept()
		if err != nil {
			break
		}
		started.Add(1)
		count++
		go readLoop(&session{c: s})
	}
	keep = clients
	return count
}

var keep []net.Conn

type session struct{ c net.Conn }

//go:noinline
func readLoop(s *session) {
	r := bufio.NewReader(s.c)
	started.Done()
	for {
		if _, err := s.readFrame(r); err != nil {
			return
		}
	}
}

//go:noinline
func (s *session) readFrame(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	return line, err
}

// Many small groups: recursion of depth 1-50 alternating between two
// functions in a pattern, ending in one of four waits; 400 distinct stacks.

func startVaried(n int) {
	for i := 0; i < n; i++ {
		go varied(i)
	}
}

//go:noinline
func varied(i int) {
	s := i % 400
	depth := 1 + (s/4)%50
	pattern := s / 200 // which function each level calls
	descendA(depth, pattern, s%4)
}

//go:noinline
func descendA(depth, pattern, leaf int) {
	if depth == 0 {
		park(leaf)
		return
	}
	if (depth+pattern)%3 == 0 {
		descendB(depth-1, pattern, leaf)
		return
	}
	descendA(depth-1, pattern, leaf)
}

//go:noinline
func descendB(depth, pattern, leaf int) {
	if depth == 0 {
		park(leaf)
		return
	}
	descendA(depth-1, pattern, leaf)
}

//go:noinline
func park(leaf int) {
	started.Done()
	switch leaf {
	case 0:
		<-never
	case 1:
		select {
		case <-never:
		case nobody <- 1:
		}
	case 2:
		tableMu.Lock()
		tableMu.Unlock()
	default:
		nobody <- leaf
	}
}
