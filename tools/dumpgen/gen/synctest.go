//go:build go1.25

package gen

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// RunSynctest parks goroutines inside a testing/synctest bubble (Go 1.25+)
// and writes a goroutine dump taken from outside the bubble while they are
// blocked: headers carry ", synctest bubble N" and durably blocked ones a
// "(durable)" suffix. It must be called from a test.
func RunSynctest(t *testing.T, out, expect string) {
	e := newEnv()
	e.main = e.add(Expect{
		Name:           "test-goroutine-in-synctest.Test",
		State:          "synctest.Run (durable)",
		SynctestBubble: 1,
		TopFunction:    "internal/synctest.Run",
		FramesInclude:  []string{"internal/synctest.Run", "testing/synctest.Test", pkg + ".RunSynctest"},
		CreatedBy:      "testing.(*T).Run",
		Notes:          "the test goroutine waiting in synctest.Test: it belongs to the bubble while it waits",
		noAncCkck:      true,
	})
	e.main.ID = e.mainID
	e.pending--
	e.main.CreatedByGoroutine = 1 // the test main goroutine runs tests via testing.(*T).Run
	timeout := 10 * time.Second

	release := make(chan struct{})    // created outside the bubble
	outside := make(chan int)         // created outside the bubble
	registered := make(chan struct{}) // closed once the bubble added its expectations
	errc := make(chan error, 1)
	go func() {
		defer close(release)
		errc <- func() error {
			<-registered
			if err := e.waitReady(timeout); err != nil {
				return err
			}
			e.finish(0)
			dump, problems := e.settle(timeout)
			if err := os.WriteFile(out, dump, 0o644); err != nil {
				return err
			}
			if expect != "" {
				if err := writeJSON(expect, e.file("synctest", "runtime.Stack(buf, true) from outside a synctest bubble")); err != nil {
					return err
				}
			}
			if len(problems) > 0 {
				return fmt.Errorf("dump does not match expectations:\n  %s", strings.Join(problems, "\n  "))
			}
			return nil
		}()
	}()

	synctest.Test(t, func(t *testing.T) {
		root := e.add(Expect{
			Name:           "bubble-root",
			State:          "chan receive",
			SynctestBubble: 1,
			TopFunction:    pkg + ".RunSynctest.func2",
			FramesInclude:  []string{pkg + ".RunSynctest.func2", "testing.tRunner"},
			CreatedBy:      "testing/synctest.testingSynctestTest",
			Notes:          "the bubble's root goroutine (runs the function given to synctest.Test), blocked on a channel created outside the bubble (not durable); its creator is a goroutine inside testing/synctest, whose id it read from its own runtime.Stack(b, false)",
			noAncCkck:      true,
		})
		root.CreatedByGoroutine = ownCreatorID()
		in := func(x Expect) *Expect {
			x.SynctestBubble = 1
			return e.byCurrent(root, x)
		}
		recvCh, sendCh, selCh := make(chan int), make(chan int), make(chan int)
		var mu sync.Mutex
		mu.Lock()
		cmu := new(sync.Mutex)
		cond := sync.NewCond(cmu)
		var wg sync.WaitGroup
		wg.Add(1)
		hold(recvCh, sendCh, selCh, &mu, cond, &wg)
		var done sync.WaitGroup
		start := func(x *Expect, f func()) {
			done.Add(1)
			go func() {
				defer done.Done()
				f()
			}()
		}
		x1 := in(Expect{Name: "bubble-chan-receive", State: "chan receive (durable)", TopFunction: pkg + ".RunSynctest.func2.3"})
		start(x1, func() { e.ready(x1); <-recvCh })
		x2 := in(Expect{Name: "bubble-chan-send", State: "chan send (durable)", TopFunction: pkg + ".RunSynctest.func2.4"})
		start(x2, func() { e.ready(x2); sendCh <- 1 })
		x3 := in(Expect{Name: "bubble-select", State: "select (durable)", TopFunction: pkg + ".RunSynctest.func2.5"})
		start(x3, func() {
			e.ready(x3)
			select {
			case <-selCh:
			case selCh <- 1:
			}
		})
		x4 := in(Expect{Name: "bubble-chan-receive-outside-channel", State: "chan receive", TopFunction: pkg + ".RunSynctest.func2.6", Notes: "channel created outside the bubble: not durable"})
		start(x4, func() { e.ready(x4); <-outside })
		x5 := in(Expect{Name: "bubble-sleep", State: "sleep (durable)", TopFunction: "time.Sleep"})
		start(x5, func() { e.ready(x5); time.Sleep(24 * time.Hour) })
		x6 := in(Expect{Name: "bubble-cond-wait", State: "sync.Cond.Wait (durable)", TopFunction: "sync.runtime_notifyListWait"})
		start(x6, func() {
			cmu.Lock()
			e.ready(x6)
			cond.Wait()
			cmu.Unlock()
		})
		x7 := in(Expect{Name: "bubble-waitgroup-wait", State: "sync.WaitGroup.Wait (durable)", TopFunction: "sync.runtime_SemacquireWaitGroup"})
		start(x7, func() { e.ready(x7); wg.Wait() })
		x8 := in(Expect{Name: "bubble-mutex-lock", State: "sync.Mutex.Lock", TopFunction: "internal/sync.runtime_SemacquireMutex", Notes: "mutexes are never durable"})
		start(x8, func() { e.ready(x8); mu.Lock(); mu.Unlock() })
		x9 := in(Expect{Name: "bubble-labels-locked", State: "chan receive (durable)", LockedToThread: true, Labels: sortedLabels(leakcheckLabels...), TopFunction: pkg + ".RunSynctest.func2.11.1"})
		start(x9, func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			pprof.Do(context.Background(), pprof.Labels(leakcheckLabels...), func(context.Context) {
				e.ready(x9)
				<-recvCh
			})
		})
		for _, x := range []*Expect{x1, x2, x3, x4, x5, x6, x7, x8, x9} {
			x.CreatedBy = pkg + ".RunSynctest.func2.2"
		}

		close(registered)
		e.ready(root)
		<-release

		// Let everything finish so the bubble can exit.
		close(recvCh)
		<-sendCh
		<-selCh
		close(outside)
		cmu.Lock()
		cond.Broadcast()
		cmu.Unlock()
		wg.Done()
		mu.Unlock()
		done.Wait()
	})
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// ownCreatorID returns N from the "created by ... in goroutine N" line of
// the calling goroutine's own stack.
func ownCreatorID() uint64 {
	buf := make([]byte, 1<<16)
	n := runtime.Stack(buf, false)
	for _, b := range parseDump(buf[:n]) {
		return b.createdByG
	}
	return 0
}
