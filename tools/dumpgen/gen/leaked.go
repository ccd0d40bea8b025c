package gen

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"time"
)

// goroutineProfile returns pprof.Lookup("goroutine").WriteTo(w, debug).
func goroutineProfile(debug int) ([]byte, error) {
	var buf bytes.Buffer
	err := pprof.Lookup("goroutine").WriteTo(&buf, debug)
	return buf.Bytes(), err
}

// parkLeaks parks goroutines on objects nothing else references (leaked)
// and a few on objects the program keeps (not leaked). It returns the
// expectations whose state gains " (leaked)" after leak detection.
func parkLeaks(e *env) []*Expect {
	var leaked []*Expect
	add := func(x Expect) *Expect {
		p := e.byMain(x)
		leaked = append(leaked, p)
		return p
	}
	x1 := add(Expect{Name: "leaked-chan-receive", State: "chan receive", TopFunction: pkg + ".parkLeaks.func2", CreatedBy: pkg + ".parkLeaks"})
	go func() {
		c := make(chan int)
		e.ready(x1)
		<-c
	}()
	x2 := add(Expect{Name: "leaked-chan-send", State: "chan send", TopFunction: pkg + ".parkLeaks.func3", CreatedBy: pkg + ".parkLeaks"})
	go func() {
		c := make(chan int)
		e.ready(x2)
		c <- 1
	}()
	x3 := add(Expect{Name: "leaked-select", State: "select", TopFunction: pkg + ".parkLeaks.func4", CreatedBy: pkg + ".parkLeaks"})
	go func() {
		c1, c2 := make(chan int), make(chan int)
		e.ready(x3)
		select {
		case <-c1:
		case c2 <- 1:
		}
	}()
	x4 := add(Expect{Name: "leaked-nil-chan-receive", State: "chan receive (nil chan)", TopFunction: pkg + ".parkLeaks.func5", CreatedBy: pkg + ".parkLeaks"})
	go func() {
		var c chan int
		e.ready(x4)
		<-c
	}()
	x5 := add(Expect{Name: "leaked-select-no-cases", State: "select (no cases)", TopFunction: pkg + ".parkLeaks.func6", CreatedBy: pkg + ".parkLeaks"})
	go func() {
		e.ready(x5)
		select {}
	}()
	mutexTop := "sync.runtime_SemacquireMutex"
	if e.v.atLeast(24) {
		mutexTop = "internal/sync.runtime_SemacquireMutex"
	}
	x6 := add(Expect{Name: "leaked-mutex", State: "sync.Mutex.Lock", TopFunction: mutexTop, FramesInclude: []string{pkg + ".parkLeaks.func7"}, CreatedBy: pkg + ".parkLeaks"})
	go func() {
		var mu sync.Mutex
		mu.Lock()
		e.ready(x6)
		mu.Lock()
	}()
	x7 := add(Expect{Name: "leaked-waitgroup", State: "sync.WaitGroup.Wait", TopFunction: "sync.runtime_SemacquireWaitGroup", FramesInclude: []string{pkg + ".parkLeaks.func8"}, CreatedBy: pkg + ".parkLeaks"})
	go func() {
		var wg sync.WaitGroup
		wg.Add(1)
		e.ready(x7)
		wg.Wait()
	}()
	x8 := add(Expect{Name: "leaked-cond", State: "sync.Cond.Wait", TopFunction: "sync.runtime_notifyListWait", FramesInclude: []string{pkg + ".parkLeaks.func9"}, CreatedBy: pkg + ".parkLeaks"})
	go func() {
		var mu sync.Mutex
		cond := sync.NewCond(&mu)
		mu.Lock()
		e.ready(x8)
		cond.Wait()
	}()
	x9 := add(Expect{
		Name:          "leaked-with-labels",
		State:         "chan receive",
		Labels:        sortedLabels(leakcheckLabels...),
		TopFunction:   pkg + ".parkLeaks.func10.1",
		FramesInclude: []string{pkg + ".parkLeaks.func10.1", "runtime/pprof.Do", pkg + ".parkLeaks.func10"},
		CreatedBy:     pkg + ".parkLeaks",
	})
	go func() {
		pprof.Do(context.Background(), pprof.Labels(leakcheckLabels...), func(context.Context) {
			c := make(chan int)
			e.ready(x9)
			<-c
		})
	}()

	// Not leaked: the program still references what they wait on.
	kept := make(chan int)
	hold(kept)
	e.byMain(Expect{Name: "kept-chan-receive", State: "chan receive", TopFunction: pkg + ".parkLeaks.func11", CreatedBy: pkg + ".parkLeaks", Notes: "channel still referenced from a global: not leaked"})
	k1 := e.exps[len(e.exps)-1]
	go func() {
		e.ready(k1)
		<-kept
	}()
	k2 := e.byMain(Expect{Name: "kept-sleep", State: "sleep", TopFunction: "time.Sleep", CreatedBy: pkg + ".parkLeaks", Notes: "sleeping: not leaked"})
	go func() {
		e.ready(k2)
		time.Sleep(24 * time.Hour)
	}()
	return leaked
}

// runLeaked writes the goroutineleak profile (Go 1.26 with
// GOEXPERIMENT=goroutineleakprofile, Go 1.27+ always).
func runLeaked(out, expect, profile1, after string, timeout time.Duration) error {
	e := newEnv()
	e.main = &Expect{Name: "main", ID: e.mainID}
	prof := pprof.Lookup("goroutineleak")
	if prof == nil {
		return fmt.Errorf("no goroutineleak profile in %s (Go 1.26 needs GOEXPERIMENT=goroutineleakprofile)", e.v.full)
	}
	leaked := parkLeaks(e)
	if err := e.waitReady(timeout); err != nil {
		return err
	}
	// Wait until everything is parked, before the leak detector runs.
	e.finish(0)
	if _, problems := e.settle(timeout); len(problems) > 0 {
		return fmt.Errorf("goroutines did not park:\n  %s", strings.Join(problems, "\n  "))
	}
	for _, x := range leaked {
		x.State += " (leaked)"
	}
	e.finish(0)
	var dump []byte
	var problems []string
	deadline := time.Now().Add(timeout)
	for {
		var buf bytes.Buffer
		if err := prof.WriteTo(&buf, 2); err != nil {
			return err
		}
		dump = buf.Bytes()
		problems = e.check(dump)
		if len(problems) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := os.WriteFile(out, dump, 0o644); err != nil {
		return err
	}
	e.notes = append(e.notes, "dump is pprof.Lookup(\"goroutineleak\").WriteTo(w, 2): all goroutines, leaked ones marked \" (leaked)\"")
	if profile1 != "" {
		var buf bytes.Buffer
		if err := prof.WriteTo(&buf, 1); err != nil {
			return err
		}
		if err := os.WriteFile(profile1, buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if after != "" {
		later := stackAll()
		if p := e.check(later); len(p) > 0 {
			problems = append(problems, "in -after dump:")
			problems = append(problems, p...)
		}
		if err := os.WriteFile(after, later, 0o644); err != nil {
			return err
		}
	}
	if expect != "" {
		if err := writeJSON(expect, e.file("leaked", "pprof.Lookup(\"goroutineleak\").WriteTo(w, 2)")); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("dump does not match expectations:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}
