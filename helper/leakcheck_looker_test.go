package helper

import (
	leakcheckbytes "bytes"
	leakcheckcontext "context"
	leakcheckflag "flag"
	leakcheckruntime "runtime"
	leakcheckpprof "runtime/pprof"
	leakchecktime "time"
)

// Checks in the background.
//
// A test that did not run alone (a parallel test, or one that ran while
// another ended) cannot be told what appeared while it ran by difference,
// so its check needs no moment of its own: it is handed to the looker and
// the test returns at once. The looker serves every check waiting at a
// moment with one look (each check takes the first look that started after
// its test returned), and writes each end record when its check is over.
// Parallel tests that end together share looks, and no test waits for
// another's check while holding its slot: on 2,000 parallel tests the looks
// fall from one per test to one per batch.
//
// What is lost is the test's own failure: go test reports the test as
// passed, and leakcheck turns it into "leaked" from the end record
// (`background`). The package still fails: the check after the last test
// prints every leak found in the background and exits 1. Under -failfast,
// and for examples and tests that ran alone, checks stay in the test.
//
// Under -failfast the background is off: -failfast runs one test at a time
// when none is parallel, and a check that ran later could not be told from
// the next test. A leak then fails the package, not the test, so that go
// test stops where it would have stopped.

// background reports whether the check of a test that ended now, and
// created goroutines, may run in the background.
func (s *leakcheckSession) background(tc *leakcheckTest) bool {
	if !s.backgroundOK || !s.mayBackground(tc) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.events != tc.events
}

// mayBackground reports whether a test's check may be finished by the
// looker at all: a test's (not an example's or a benchmark's), not under
// -failfast, and while m.Run runs in the test files.
func (s *leakcheckSession) mayBackground(tc *leakcheckTest) bool {
	if tc == nil || tc.tb == nil || tc.bench || !leakcheckBackgroundAllowed() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// m.Run runs outside the test files (a helper package,
	// goleak.VerifyTestMain): what follows it (a teardown, goleak's own
	// look) cannot be made to wait for the background.
	return s.inRun
}

// mayHandOver reports whether the rest of a check that stayed in its test
// (no other test began or ended while the test ran) goes to the looker,
// after a look that found goroutines to wait for: when some test waits for
// a parallel slot. Waiting in the test would hold the slot: the waiting
// test, which may end what the check waits for (under go test, and under
// leakcheck with more slots, it would have run meanwhile), could not run,
// and the verdict would depend on -parallel and the number of CPUs. What
// is left to do is wait for goroutines already found to exit, which needs
// no moment of the test's own. A serial test keeps its wait: no test waits
// for a slot then. Under LEAKCHECK_ALWAYS_LOOK=1 too, which otherwise keeps
// checks in their tests: it is the run other runs' verdicts are compared
// with, and a held slot would make its verdicts the wrong ones.
//
// parked: no test waits yet, but one is parked in t.Parallel until its
// parent's function returns; released, it may wait for this slot.
func (s *leakcheckSession) mayHandOver(w *leakcheckWait, snap *leakcheckSnapshot) (handOver, parked bool) {
	if w.test == nil || !s.mayBackground(w.test) {
		return false, false
	}
	others := s.othersActive(w.test)
	if len(others) == 0 {
		return false, false
	}
	return leakcheckSlots(snap, others)
}

// othersActive is the goroutines of the top-level tests other than tc
// that have begun and not ended. Only when there is one can a test wait
// for a slot: a subtest's top-level test has not ended.
func (s *leakcheckSession) othersActive(tc *leakcheckTest) map[uint64]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gids map[uint64]bool
	for other := range s.active {
		if other != tc {
			if gids == nil {
				gids = map[uint64]bool{}
			}
			gids[other.gid] = true
		}
	}
	return gids
}

// handOver gives the looker the rest of a check (mayHandOver). Later looks
// keep this look's claim: the test has returned, and other tests begin and
// end. From here on w is the looker's.
func (s *leakcheckSession) handOver(w *leakcheckWait) {
	tc, alone := w.test, w.out.alone
	w.claim = func(*leakcheckSnapshot) leakcheckClaim { return leakcheckClaim{alone: alone, test: tc} }
	s.toLooker(w)
}

// leakcheckSlots reports whether a test waits in testing for a parallel
// slot, or is on its way there (wanted): released by its parent (a
// parallel test or subtest), or taking its slot back after its parallel
// subtests; and whether a subtest is parked in t.Parallel until its
// parent's function returns (parked; a top-level test parked there, one of
// tops, waits for the serial tests, which this check's test is then among).
// Any test's goroutine counts: subtests are not tracked as tests, and one
// may be what a check waits for.
func leakcheckSlots(snap *leakcheckSnapshot, tops map[uint64]bool) (wanted, parked bool) {
	for i := range snap.goroutines {
		g := &snap.goroutines[i]
		// Most goroutines are not tests': their stacks are not parsed.
		if g.state != "chan receive" && !leakcheckMoving(g) || !leakcheckbytes.Contains(g.text, leakcheckParallelCall) {
			continue
		}
		if g.hasFrame("testing.(*testState).waitParallel") || g.hasFrame("testing.(*testContext).waitParallel") {
			return true, parked
		}
		if g.hasFrame("testing.(*T).Parallel") {
			// A top-level test on its way to park while the serial tests
			// run wants no slot (leakcheckParked).
			if g.state != "chan receive" && !(tops[g.id] && snap.serialPhase()) {
				return true, parked
			}
			parked = parked || !tops[g.id]
		}
	}
	return false, parked
}

// leakcheckParallelCall is in the stack of a test in t.Parallel or
// waitParallel.
var leakcheckParallelCall = []byte("Parallel(")

// leakcheckBackgroundAllowed: not -failfast. Under -failfast checks stay in
// their test (the next test starts after it), and fail none. Under
// -parallel=1 (the default on one CPU) too, a parallel test's check goes to
// the background: waiting in the test it would hold the only slot, and a
// goroutine the next parallel test ends within the grace period, as it
// would under go test (and with more slots under leakcheck), would be
// reported leaked.
func leakcheckBackgroundAllowed() bool {
	return !leakcheckFailfast()
}

// endInBackground hands a test's check to the looker.
func (s *leakcheckSession) endInBackground(tc *leakcheckTest) {
	s.toLooker(s.newWait(tc, s.claimFor(tc)))
}

// toLooker gives a test's check to the looker, which takes its next look.
func (s *leakcheckSession) toLooker(w *leakcheckWait) {
	tc := w.test
	w.self, w.runner = 0, 0 // the looker never has a test's goroutines to exclude
	w.due = leakchecktime.Now()
	if tc.tb != nil {
		w.failed, w.skipped = tc.tb.Failed(), tc.tb.Skipped()
	}
	s.mu.Lock()
	if tc.knownStale && w.staleBase == nil {
		// Kept: the test's glances go with it.
		w.staleBase = leakcheckStaleQuota(tc)
	}
	s.pending = append(s.pending, w)
	s.forgetLocked(tc, true)
	start := !s.lookerRunning
	s.lookerRunning = true
	s.mu.Unlock()
	if start {
		go s.looker()
	} else {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// looker takes looks while checks wait in the background, and exits when
// none is left (a goroutine that stays would be seen by the package's own
// leak checks, goleak's for one).
//
// It takes at most one look per look's cost: it rests at least as long as
// its last look took, so that it never takes more than half of one CPU from
// the tests, and checks that end meanwhile share the next look.
func (s *leakcheckSession) looker() {
	// The looker is leakcheck's: neither the test that started it nor its
	// labels.
	leakcheckpprof.SetGoroutineLabels(leakcheckcontext.Background())
	self := leakcheckOwnID()
	s.mu.Lock()
	s.owners[self] = &leakcheckOwner{kind: leakcheckOwnerBaseline, gen: s.gen + 1}
	s.baseline[self] = true
	s.mu.Unlock()
	var rest leakchecktime.Duration
	var lastEnd leakchecktime.Time
	for {
		s.mu.Lock()
		if len(s.pending) == 0 {
			// Its entries stay: it may still be seen while it exits.
			s.lookerRunning = false
			s.drained.Broadcast()
			s.mu.Unlock()
			return
		}
		due := s.pending[0].due
		for _, w := range s.pending[1:] {
			if w.due.Before(due) {
				due = w.due
			}
		}
		s.mu.Unlock()
		if next := lastEnd.Add(rest); next.After(due) {
			due = next
		}
		if wait := leakchecktime.Until(due); wait > 0 {
			timer := leakchecktime.NewTimer(wait)
			select {
			case <-timer.C:
			case <-s.wake:
				timer.Stop()
				continue
			}
		}
		s.mu.Lock()
		batch := append([]*leakcheckWait(nil), s.pending...)
		s.mu.Unlock()
		begin := leakchecktime.Now()
		snap := s.lookFor(batch)
		lastEnd = leakchecktime.Now()
		rest = lastEnd.Sub(begin)
		var done []*leakcheckWait
		for _, w := range batch {
			w.out.looks++
			switch s.evaluate(w, &snap, false) {
			case leakcheckDone:
				done = append(done, w)
				continue
			case leakcheckAgainNow:
				// The proof marked what it could: the next look shows it.
				w.due = lastEnd
				continue
			}
			// The first retry comes at once (what is left is most often
			// returning), the next after a pause that doubles.
			w.due = lastEnd
			if w.out.looks > 1 {
				w.due = lastEnd.Add(w.pause)
				if w.pause *= 2; w.pause > 100*leakchecktime.Millisecond {
					w.pause = 100 * leakchecktime.Millisecond
				}
			}
			if w.due.After(w.deadline) {
				w.due = w.deadline
			}
		}
		for _, w := range done {
			s.finishBackground(w)
		}
	}
}

// finishBackground writes the end record of a check the looker finished.
func (s *leakcheckSession) finishBackground(w *leakcheckWait) {
	tc := w.test
	s.writeEnd(tc, w.out, w.failed, w.skipped, true)
	s.mu.Lock()
	for i, p := range s.pending {
		if p == w {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			break
		}
	}
	if n := len(w.out.leaked); n > 0 {
		s.backgroundLeaks = append(s.backgroundLeaks, leakcheckLeakedLine(n, tc.name))
	}
	s.mu.Unlock()
}

// drain waits until every background check is over and the looker has
// exited.
func (s *leakcheckSession) drain() {
	s.mu.Lock()
	waited := false
	for s.lookerRunning {
		waited = true
		s.drained.Wait()
	}
	s.mu.Unlock()
	if !waited {
		return
	}
	// The looker has said it stops, and returns right after: let it go
	// before anything counts goroutines (at most 1ms; nothing else is
	// running at the moments a drain is for).
	n := leakcheckruntime.NumGoroutine()
	until := leakchecktime.Now().Add(leakchecktime.Millisecond)
	for leakcheckruntime.NumGoroutine() >= n && leakchecktime.Now().Before(until) {
		leakcheckruntime.Gosched()
	}
}

// leakcheckBenchmarks: go test -bench, which m.Run honours only when no
// test failed.
func leakcheckBenchmarks() bool {
	f := leakcheckflag.Lookup("test.bench")
	return f != nil && f.Value.String() != ""
}

// leakcheckFailfast: go test -failfast.
func leakcheckFailfast() bool {
	f := leakcheckflag.Lookup("test.failfast")
	return f != nil && f.Value.String() == "true"
}
