package gen

import (
	"context"
	"fmt"
	"runtime/pprof"
	"strings"
	"sync"
	"time"
)

// runDeadlock parks goroutines that can never be woken, writes the
// expectations, then blocks the main goroutine too: the runtime notices
// and dies with "fatal error: all goroutines are asleep - deadlock!",
// printing every goroutine to stderr (exit status 2). Check that output
// afterwards with -mode verify.
func runDeadlock(expect string, timeout time.Duration) error {
	e := newEnv()
	c, c2 := make(chan int), make(chan int)
	e.main = e.add(Expect{
		Name:          "main-deadlocked",
		State:         "chan receive",
		TopFunction:   pkg + ".runDeadlock",
		FramesInclude: []string{pkg + ".runDeadlock", pkg + ".Main", "main.main"},
		Notes:         "the main goroutine, blocked last",
	})
	e.main.ID = e.mainID
	e.pending--
	x1 := e.byMain(Expect{Name: "deadlock-chan-receive", State: "chan receive", TopFunction: pkg + ".runDeadlock.func1", CreatedBy: pkg + ".runDeadlock"})
	go func() {
		e.ready(x1)
		<-c
	}()
	var mu sync.Mutex
	mu.Lock()
	mutexTop := "sync.runtime_SemacquireMutex"
	if e.v.atLeast(24) {
		mutexTop = "internal/sync.runtime_SemacquireMutex"
	}
	x2 := e.byMain(Expect{Name: "deadlock-mutex", State: "sync.Mutex.Lock", TopFunction: mutexTop, FramesInclude: []string{pkg + ".runDeadlock.func2"}, CreatedBy: pkg + ".runDeadlock"})
	go func() {
		e.ready(x2)
		mu.Lock()
	}()
	x3 := e.byMain(Expect{
		Name:          "deadlock-labels",
		State:         "select",
		Labels:        sortedLabels(leakcheckLabels...),
		TopFunction:   pkg + ".runDeadlock.func3.1",
		FramesInclude: []string{pkg + ".runDeadlock.func3.1", "runtime/pprof.Do", pkg + ".runDeadlock.func3"},
		CreatedBy:     pkg + ".runDeadlock",
	})
	go func() {
		pprof.Do(context.Background(), pprof.Labels(leakcheckLabels...), func(context.Context) {
			e.ready(x3)
			select {
			case <-c2:
			case c2 <- 1:
			}
		})
	}()
	x4 := e.byMain(Expect{Name: "deadlock-select-no-cases", State: "select (no cases)", TopFunction: pkg + ".runDeadlock.func4", CreatedBy: pkg + ".runDeadlock"})
	go func() {
		e.ready(x4)
		select {}
	}()
	if err := e.waitReady(timeout); err != nil {
		return err
	}
	e.finish(0)
	// The main goroutine is running now; check the others before it blocks.
	others := e.exps[1:]
	deadline := time.Now().Add(timeout)
	for {
		problems := checkAgainst(parseDump(stackAll()), others)
		if len(problems) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("goroutines did not park:\n  %s", strings.Join(problems, "\n  "))
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.notes = append(e.notes, "the dump is the stderr of a program that died with \"fatal error: all goroutines are asleep - deadlock!\"; it was not checked in-process (use -mode verify)")
	if expect != "" {
		if err := writeJSON(expect, e.file("deadlock", "stderr of the fatal error")); err != nil {
			return err
		}
	}
	hold(&mu)
	<-c
	return nil
}
