package helper

import (
	leakcheckfmt "fmt"
	leakcheckos "os"
	leakcheckreflect "reflect"
	leakcheckregexp "regexp"
	leakcheckruntime "runtime"
	leakcheckstrings "strings"
	leakchecksync "sync"
	leakchecktesting "testing"
	leakchecktime "time"
)

// leakcheckOutcome is what a check found in its final look.
type leakcheckOutcome struct {
	leaked  []*leakcheckGoroutine
	ignored []*leakcheckGoroutine // its own, but a rule lets them be
	// ambiguous: leaked goroutines told by a label shared with other
	// tests' goroutines of the same stack.
	ambiguous []uint64
	// byDifference: leaked goroutines with neither creator chain nor
	// label, the test's because they appeared while it ran alone.
	byDifference []uint64
	testOf       map[string]string // goroutine id → the subtest that started it
	owners       map[string]string // goroutine id → the test it belongs to (package check)
	alone        bool
	looks        int
	// cutShort: the -timeout alarm ended the wait before the grace period
	// did (checkDeadline), with goroutines left that were not
	// proven stuck.
	cutShort bool
	// endedEarly: the grace period ended before its time, because no
	// goroutine could run before it was over (leakcheckQuietUntil): what
	// was left would have been left at its end.
	endedEarly bool
	// handedOver: the looker finishes the check (handOver); this is not
	// its outcome.
	handedOver bool
}

// sections is the dump text of what the outcome names, leaked first.
func (out leakcheckOutcome) sections() [][]byte {
	var b [][]byte
	for _, g := range out.leaked {
		b = append(b, g.text)
	}
	for _, g := range out.ignored {
		b = append(b, g.text)
	}
	return b
}

// createdSince reports whether a goroutine may have been created since the
// test began: false only when the creation counter says none was and no
// more goroutines are alive than when it began (a C thread calling into Go
// gets a goroutine the counter does not count: helper-130).
// background: the looker finishes the check.
func (s *leakcheckSession) createdSince(tc *leakcheckTest, background bool) bool {
	// A goroutine the test's last act woke (a daemon it sent work to)
	// runs first: what it starts on the test's behalf counts, and is seen
	// by the look that follows. One yield runs it on this P. Another P
	// may have taken it: while goroutines other than this one run or wait
	// to run, wait for them to settle, at most 50µs (250µs for a test
	// that ran alone), spinning, and after 20µs yielding the CPU to the
	// system (on a loaded machine the other P's thread may be waiting for
	// one). Not yielding the P again: that can hand it to a busy
	// goroutine for a whole time slice (10ms; a first version did, and
	// 300 tests beside two spinning goroutines took 3 s more). Without the
	// counter too (LEAKCHECK_ALWAYS_LOOK=1; Go before 1.26 has neither):
	// the look would otherwise find the daemon still runnable, the job's
	// goroutine not started, and the test clean. Not with one P (nothing
	// else runs while this spins) nor for a check the looker finishes: it
	// looks later, and beside other tests some goroutine always runs.
	// Nor when no goroutine could take up a job (no init daemon, no
	// fixture, none an earlier test left, no orphan: daemonLocked,
	// forgetLocked): the spin itself costs, contending with the other P's
	// thread (2,000 tests that start no goroutine: m.Run 165-185 ms
	// without it, 320-330 ms with).
	leakcheckruntime.Gosched()
	if leakcheckruntime.GOMAXPROCS(0) > 1 && !background {
		limit := 50 * leakchecktime.Microsecond
		s.mu.Lock()
		if s.events == tc.events {
			limit = 250 * leakchecktime.Microsecond
		}
		daemons := s.daemons
		s.mu.Unlock()
		if !daemons {
			limit = 0
		}
		start := leakchecktime.Now()
		for limit > 0 {
			running, runnable, ok := leakcheckSchedActive()
			waited := leakchecktime.Since(start)
			if !ok || running+runnable <= 1 || waited >= limit {
				break
			}
			// The scheduler counts a processor whose thread looks for
			// work as running, and the garbage collector's workers too:
			// where the runtime lists the goroutines, ask it whether one
			// of them runs or waits to run. Not past 1,000 goroutines
			// alive: the list costs more than the wait it saves (some
			// 15µs at 1,000, 150µs at 10,000).
			if leakcheckruntime.NumGoroutine() <= 1000 {
				if active, ok := leakcheckOthersRun(); ok && !active {
					break
				}
			}
			if waited >= 20*leakchecktime.Microsecond {
				leakcheckYieldCPU()
			}
		}
	}
	if !tc.counterOK {
		return true
	}
	c, ok := leakcheckCreated()
	if !ok {
		return true
	}
	if c == tc.startCounter {
		return leakcheckruntime.NumGoroutine() > tc.startNum
	}
	return background || !s.onlySubtestsCreated(tc, c)
}

// leakcheckLetReturn lets goroutines on their way out return while more
// than alive are alive (a few yields, at most 50µs), and reports whether
// no more are left.
func leakcheckLetReturn(alive int) bool {
	until := leakchecktime.Now().Add(50 * leakchecktime.Microsecond)
	for i := 0; leakcheckruntime.NumGoroutine() > alive; i++ {
		if i >= 4 && !leakchecktime.Now().Before(until) {
			return false
		}
		leakcheckruntime.Gosched()
	}
	return true
}

// onlySubtestsCreated reports whether the goroutines created while a serial
// test ran, counter c, were its subtests' own, which testing creates (one
// each: t.Run's go tRunner), and whether these are done: nothing of the test
// can be left, and no look is needed, as for a test that created none.
// Table tests are most tests: each paid a glance, two stops of the world.
//
// A subtest is counted when it called sub (its function, or one it calls,
// is in the test files) on a goroutine t.Run started on its parent's own
// goroutine (the test's, or a counted subtest's), while the parent's
// function ran (t.Run in a cleanup panics): a serial subtest's t.Run
// returned before its parent's function did, once the subtest signalled
// its end, its cleanups run; a parallel one is waited for before its
// parent's cleanups run (the check is the test's cleanup). Either way its
// goroutine is exiting. One that did not call sub leaves the count short,
// and the test gets its glance; one that began otherwise makes it unsure:
// t.Run on a fixture's worker, whose subtest may still be blocked while
// another goroutine exited (helper-130); a T of an earlier run, a subtest's
// cleanup registered before sub's call (helper-132); a parallel subtest
// calling its parent's Run once the parent waits for its subtests, too
// late to be waited for (helper-133); a subtest whose name says another
// parent than testing's link does ("x/y"), or of a T of an earlier run
// (helper-134); a goroutine that handed another subtest's T to the test
// files first (helper-135). The number of goroutines alive says nothing of
// which are alive.
func (s *leakcheckSession) onlySubtestsCreated(tc *leakcheckTest, c uint64) bool {
	s.mu.Lock()
	subs, unsure := uint64(len(tc.subGoroutines)), tc.subsUnsure
	s.mu.Unlock()
	if subs == 0 || unsure || c != tc.startCounter+subs {
		return false
	}
	// A subtest's goroutine signals its parent as its last act, and may
	// still be returning: give it a moment, as checkTest does the test's
	// goroutines.
	if !leakcheckLetReturn(tc.startNum) {
		return false
	}
	// The known set is what it was when the test began: it stays current
	// at the new count (the next test's start needs no look). It may hold a
	// goroutine that exited meanwhile, which no later goroutine can be
	// taken for (ids are never reused). Not the glance: that tells
	// goroutines by label set and stack, and may take one the next test
	// leaves for such a goroutine.
	s.mu.Lock()
	if s.knownOK && s.knownCounter == tc.startCounter {
		s.knownCounter = c
	}
	s.mu.Unlock()
	return true
}

// checkTest looks for what a test left behind; created: whether it may
// have created goroutines (createdSince).
func (s *leakcheckSession) checkTest(tc *leakcheckTest, created bool) leakcheckOutcome {
	if !created {
		// No goroutine at all was created while the test ran, or only
		// its subtests' own, which have exited: nothing of it can be
		// left, and no look is needed. The known set stays current.
		s.mu.Lock()
		alone := s.events == tc.events
		if leakcheckruntime.NumGoroutine() < tc.startNum {
			// A goroutine exited while it ran: the glance kept for the
			// next test may hold it, and take an identical goroutine the
			// next test leaves for it.
			s.glance, s.glanceOK = leakcheckGlance{}, false
		}
		s.mu.Unlock()
		return leakcheckOutcome{alone: alone}
	}
	// What the test started has most often handed over its result and is
	// returning: while more goroutines are alive than when the test began,
	// let them run (a few yields, at most 50µs) before the first look, so
	// that a clean test costs one look, not two.
	if tc.startNum > 0 {
		leakcheckLetReturn(tc.startNum)
	}
	if s.glanceClean(tc) {
		return leakcheckOutcome{alone: true, looks: 1}
	}
	w := s.newWait(tc, s.claimFor(tc))
	w.pausable = true
	// This check waits here, in the test's cleanup: on the test's
	// goroutine, or on a panicking subtest's as the panic unwinds.
	w.runner = leakcheckOwnID()
	defer w.resumeAlarm(s)
	return s.waitFor(w)
}

// glanceClean takes a glance, keeps it for the next test, and reports
// whether it shows nothing alive that was not alive when the test began
// (leakcheck_glance), for a test that ran alone; where the runtime lists
// the goroutines by id (leakcheckGoroutineIDs), that list instead. The known set then stays
// current: a full look would have found no goroutine it does not hold.
func (s *leakcheckSession) glanceClean(tc *leakcheckTest) bool {
	if !tc.counterOK {
		return false
	}
	if leakcheckGoroutineIDs != nil {
		// The runtime lists the goroutines by id: every one alive but
		// the test's own (which runs this check, unless a panicking
		// subtest's does: that one is new) was alive when the test
		// began, or the test gets its full look. The
		// known set then stays current, exactly (its ids of goroutines
		// that exited meanwhile are never taken again). No glance is
		// kept: none is needed.
		all, counter, ok := s.lister.allKnown(tc.known, tc.gid)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.glance, s.glanceOK = leakcheckGlance{}, false
		if !ok || !all || s.events != tc.events {
			return false
		}
		if s.knownOK && s.knownCounter == tc.startCounter {
			s.knownCounter = counter
		}
		return true
	}
	if !leakcheckCanGlance {
		return false
	}
	// Read before the glance: a goroutine created meanwhile is in the
	// glance, and the counter says the glance may miss it, so the next
	// test does not compare with it.
	counter, ok := leakcheckCreated()
	if !ok {
		return false
	}
	glance, ok := s.glancer.take()
	s.mu.Lock()
	defer s.mu.Unlock()
	before, valid := s.glance, tc.glanceOK && s.events == tc.events
	s.glance, s.glanceCounter, s.glanceOK = glance, counter, ok
	if !ok || !valid {
		return false
	}
	tc.endGlance = glance
	if !before.covers(glance) {
		return false
	}
	if s.knownOK && s.knownCounter == tc.startCounter {
		s.knownCounter = counter
		s.knownStale = true
	}
	return true
}

// claimFor is what a test's check looks for.
func (s *leakcheckSession) claimFor(tc *leakcheckTest) func(*leakcheckSnapshot) leakcheckClaim {
	return func(snap *leakcheckSnapshot) leakcheckClaim {
		// alone: no other test began or ended since this one began, and
		// every other test not yet ended is parked in t.Parallel (it has
		// not run since it paused): no other test's code ran meanwhile.
		s.mu.Lock()
		alone := s.events == tc.events
		parked := false
		if alone {
			for other := range s.active {
				if other == tc {
					continue
				}
				g := leakcheckFind(snap, other.gid)
				if g == nil || !leakcheckParked(g, snap) {
					alone = false
					break
				}
				parked = parked || !other.parksFirst
			}
		}
		s.mu.Unlock()
		return leakcheckClaim{alone: alone, parked: alone && parked, test: tc}
	}
}

// leakcheckParked: top-level test g waits in t.Parallel for the serial
// tests to finish (or for a free slot), so it has run none of its test's
// code since it paused. While the serial tests run it is parked whatever
// its state: it may have released the runner and not yet reached its
// receive (its thread preempted in between, on a loaded machine), and
// it cannot pass the barrier before they end (seen once in CI: a serial
// test's job for a daemon the parallel test had started was blamed on the
// parallel test, as the serial test had not run alone).
func leakcheckParked(g *leakcheckGoroutine, snap *leakcheckSnapshot) bool {
	return g.hasFrame("testing.(*T).Parallel") && (g.state == "chan receive" || snap.serialPhase())
}

// serialPhase reports whether the top-level tests' runner is still in its
// loop over them (testing.runTests' closure is on the main goroutine's
// stack): the barrier that releases the parallel ones is not closed, so a
// top-level test in t.Parallel has not passed it.
func (snap *leakcheckSnapshot) serialPhase() bool {
	g := leakcheckFind(snap, 1)
	if g == nil {
		return false
	}
	g.parseStack()
	for _, fn := range g.funcs {
		if leakcheckHasPrefix(fn, "testing.runTests.func") {
			return true
		}
	}
	return false
}

func leakcheckFind(snap *leakcheckSnapshot, id uint64) *leakcheckGoroutine {
	return snap.byID[id]
}

// leakcheckClaim says whose goroutines a check looks for: a test's (when it
// ran alone, every goroutine that appeared meanwhile and that no one else
// can be told to own), or, with no test, what is left after the last test.
type leakcheckClaim struct {
	test  *leakcheckTest
	alone bool
	// parked: alone, but with other top-level tests parked in t.Parallel
	// that ran code of theirs before they called it (a timer they set may
	// fire). Not those whose first statement is t.Parallel(): most
	// parallel tests, in a package whose serial tests' timers would
	// otherwise never be theirs by difference (helper-113: a serial
	// test's callback leak, ended before the last test, was missed).
	parked bool
}

// checkPackage looks, after the last test, for goroutines that no test's
// check reported and that are not the package's: not alive before TestMain,
// not a benchmark's, and not a fixture TestMain started before the first
// test, unless TestMain's teardown stopped other fixtures (it then is
// expected to stop them all). When no test ran, nothing is reported.
func (s *leakcheckSession) checkPackage() bool {
	// What the background checks report first: what they find is no
	// leak after the last test.
	s.drain()
	s.mu.Lock()
	begun := s.testsBegun
	s.mu.Unlock()
	var out leakcheckOutcome
	if begun {
		out = s.waitFor(s.newWait(nil, func(*leakcheckSnapshot) leakcheckClaim { return leakcheckClaim{} }))
	}
	s.mu.Lock()
	problems := s.problems
	s.mu.Unlock()
	s.records.write(leakcheckRecordHeader{
		Kind:     "exit",
		Leaked:   leakcheckIDs(out.leaked),
		Ignored:  leakcheckIDs(out.ignored),
		Looks:    out.looks,
		Owners:   out.owners,
		TestOf:   out.testOf,
		NoTests:  !begun,
		Problems: problems,
	}, out.sections())
	s.records.close()
	s.mu.Lock()
	background := s.backgroundLeaks
	s.mu.Unlock()
	// The tests checked in the background passed under go test: the
	// package fails, and says why.
	for _, line := range background {
		leakcheckfmt.Println(line)
	}
	if len(out.leaked) == 0 {
		return len(background) > 0
	}
	leakcheckfmt.Printf("leakcheck: %s left running after the last test (reported as TestMain)\n", leakcheckCount(len(out.leaked)))
	return true
}

// mine reports whether goroutine g of snap is what the claim looks for.
func (s *leakcheckSession) mineLocked(c leakcheckClaim, g *leakcheckGoroutine, snap *leakcheckSnapshot, teardownStopped bool) bool {
	o := snap.owner[g.id]
	if c.test != nil {
		if g.id == c.test.gid {
			return false
		}
		if o.kind == leakcheckOwnerTest {
			if o.test == c.test {
				return true
			}
			// Another test's goroutine that appeared while this one ran
			// alone and runs this test's own code: a job this test handed
			// a daemon an earlier test started (a bus a package-level
			// sync.Once starts for its first user), stuck in it. It was
			// reported after the last test, named after no test, where
			// goleak names this one. The daemon's test is over, or parked
			// in t.Parallel (what alone means): it started the daemon
			// before it paused, and has run none of its code since. (It
			// was blamed, and with --rerun-fails its rerun passed it.) Its
			// check comes after this one, which takes the goroutine first.
			return c.alone && !c.test.known[g.id] &&
				(leakcheckTestCodeIn(g) == c.test.name || leakcheckTestsCode(g, c.test.name))
		}
		// A test that ran alone owns what appeared while it ran that
		// nothing else can be told to own (a time.AfterFunc callback),
		// unless its code says it is another's: a function of init,
		// TestMain or another test started it or runs in it (a timer an
		// earlier test set, the work of an init daemon). A test that did
		// not run alone owns such a goroutine only when its code says so:
		// a closure of the test's own function started it or runs in it
		// (a callback it gave time.AfterFunc, a grandchild under
		// pprof.Do, whose labels are not the test's), and only in its
		// first run: the code of every run is the same, and a goroutine
		// an earlier run left may start more.
		if c.test.known[g.id] {
			return false
		}
		// A daemon of the package (started in init, or a fixture of
		// TestMain's) that started a goroutine which runs a closure of the
		// test's own function (a job the test handed it, stuck in it)
		// started it on the test's behalf: the test's, as goleak would
		// say, not the daemon's (nothing else would report it). Only a
		// closure: a function or method the test files declare may have
		// been handed over by TestMain, a suite's setup or another test
		// (a hook, a fake server's connection), and a test that ran alone
		// is no proof it was this one. Not alone, in its first run only.
		// So is a goroutine a closure of the test started there (the job
		// started it and exited; it carries the daemon's lineage label).
		// And one told only by the init label (its creator exited) that
		// appeared while the test ran alone is the test's by difference,
		// as it was without the label, when the package's own code runs
		// in it or started it (a job the test handed an init executor),
		// unless init's, TestMain's or another test's code did: what a
		// library's daemon starts (a reporter's connection) is the
		// daemon's.
		// And one an init daemon started to run a job it was handed (a
		// closure the package wrote elsewhere than where the daemon starts
		// goroutines: an event bus running a subscriber's handler) while
		// the test ran alone: the test handed it over, as goleak would
		// say. (Missed, exit 0, unless the compiler had inlined the
		// function that wrote the closure into the test.) Not a fixture's
		// (helper-97: a TestMain server's connection handler wrapped in
		// middleware, for a connection a fixture client dialled during
		// the test and keeps open, was blamed on it), nor one waiting on
		// the network (the same server at package level).
		if o.kind == leakcheckOwnerBaseline || o.kind == leakcheckOwnerFixture {
			if (c.alone || c.test.run <= 1) &&
				(leakcheckTestCodeIn(g) == c.test.name || leakcheckTestsCode(g, c.test.name)) {
				return true
			}
			if !c.alone {
				return false
			}
			// (Not everything an init daemon's lineage starts in the
			// package's code while the test runs alone: a package-level
			// client dials on first use and keeps its connection's reader,
			// a supervisor restarts its worker whenever it fails. Helper-97
			// showed both blamed on whichever test ran then.)
			return o.kind == leakcheckOwnerBaseline && leakcheckHandedJob(g, snap) ||
				o.byLabel && leakcheckPackageCode(g) && !leakcheckOthersCode(g, c.test.name)
		}
		if o.kind != leakcheckOwnerNone {
			return false
		}
		if c.alone {
			// A timer a parked test set before it called t.Parallel fires
			// while this one runs: its callback appears meanwhile all the
			// same. Unless the test's own closure runs in it, it is no
			// more this test's than the parked one's (helper-112: the
			// parked test waited for it, and this test failed by a leak
			// go test passes); if it outlives both, the check after the
			// last test reports it.
			if c.parked {
				if g.parseStack(); g.createdBy == "time.goFunc" && !leakcheckTestsCode(g, c.test.name) {
					return false
				}
			}
			return !leakcheckOthersCode(g, c.test.name)
		}
		return c.test.run <= 1 && leakcheckTestsCode(g, c.test.name)
	}
	switch o.kind {
	case leakcheckOwnerMain, leakcheckOwnerBench:
		return false
	case leakcheckOwnerBaseline:
		// Unless it runs a test's code, or a test's code started it,
		// which a test's check did not see (it started after that check);
		// or, told only by the init label, the package's own code (not
		// init's) runs in it or started it, as without the label; or an
		// init daemon started it after the tests began, to run a job it
		// was handed (while tests ran in parallel: no test can be told).
		// (Not a daemon stuck in a job it runs itself: a supervisor whose
		// body is a closure its constructor wrote, a sync.WaitGroup.Go
		// worker, look the same as a worker stuck in a job, and were
		// there before the tests.)
		return leakcheckTestCodeIn(g) != "" || leakcheckTestStarted(g) || o.byLabel && leakcheckPackageCode(g) ||
			!s.baseline[g.id] && leakcheckHandedJob(g, snap)
	case leakcheckOwnerFixture:
		return teardownStopped || leakcheckTestCodeIn(g) != "" || leakcheckTestStarted(g)
	}
	return true
}

// leakcheckWait is one check in progress: what it looks for, until when,
// and what its last look found. A check is evaluated against looks taken
// either by its own goroutine (waitFor) or by the looker, which serves
// every check waiting in the background with one look (leakcheck_looker).
type leakcheckWait struct {
	claim    func(*leakcheckSnapshot) leakcheckClaim
	deadline leakchecktime.Time
	// graceEnd: when its grace period ends (deadline, unless the alarm
	// comes first).
	graceEnd leakchecktime.Time
	// pausable: a check its test runs, which may stop the -timeout alarm
	// while it waits, when its test runs alone (pauseAlarm); resume
	// starts the alarm again.
	pausable bool
	resume   func()
	// atTheAlarm: the deadline is the -timeout alarm's, before the end
	// of the grace period.
	atTheAlarm bool
	// self: the test's goroutine, never reported; runner: the goroutine
	// running the check, when another (a subtest that panicked runs its
	// parents' cleanups on its own goroutine as it unwinds: it was
	// reported as a leak of its own, after the grace period).
	self, runner uint64
	out          leakcheckOutcome
	// changing: what the last look found may change without a goroutine
	// being created or exiting (one still moving, an orphan not yet
	// started), so the next look cannot be skipped.
	changing                       bool
	proofs                         int
	lastProof                      leakchecktime.Time
	teardownStopped, teardownKnown bool
	settle                         int
	// overtime: looks taken after the grace period because the last one
	// was unsettled.
	overtime int
	// firstOrphans: the goroutines its first look told by difference;
	// one that appears later appeared after the test returned.
	firstOrphans map[uint64]bool
	// firstJobs: the daemons' jobs (leakcheckJobFunc) its first look saw;
	// periodic: the jobs of which one appeared later, after the test
	// returned: a daemon that starts them by itself (a reporter's flush
	// every tick), none of which are the test's; but those of another
	// test's daemon the first look saw are (helper-100: a rate-limited
	// bus's second stuck job dropped the first). (Keyed by the job, not
	// the outermost function: a recover wrapper every job runs in would
	// make them all one.)
	firstJobs map[uint64]bool
	periodic  map[string]bool
	// jobsLooked: a look went through the goroutines (the first one may
	// return early, while a teardown's fixtures settle).
	jobsLooked bool
	// staleBase: the test's leakcheckStaleQuota, from the glances it
	// began and ended with, which go when the test is forgotten;
	// quotaLooks: the look it was computed for.
	staleBase  map[string]int
	quotaLooks int
	// The looker's schedule for a background check: its next look is due
	// at due; pause doubles after every look, up to 100ms.
	test  *leakcheckTest
	due   leakchecktime.Time
	pause leakchecktime.Duration
	// failed, skipped: the test's status when it handed its check over.
	// The looker cannot ask the test: once the test has returned, testing
	// writes its state without a lock (a data race under -race).
	failed, skipped bool
}

// staleQuotaLocked is a copy of the test's stale quota for one look (the
// check's looks-th) to use up: while the test is known, from the glance it
// began with and a glance taken with this look (a goroutine that moved
// since the check's first glance is counted where the look shows it), then
// as kept.
func (s *leakcheckSession) staleQuotaLocked(w *leakcheckWait, tc *leakcheckTest, looks int) map[string]int {
	if tc.startGlance.counts != nil && looks > 1 && w.quotaLooks != looks {
		if glance, ok := s.glancer.take(); ok {
			tc.endGlance = glance
			w.staleBase = nil
		}
	}
	if w.staleBase == nil {
		w.staleBase = leakcheckStaleQuota(tc)
		w.quotaLooks = looks
	}
	quota := make(map[string]int, len(w.staleBase))
	for sig, n := range w.staleBase {
		quota[sig] = n
	}
	return quota
}

// What a check does after a look.
const (
	leakcheckDone     = iota // it has its outcome
	leakcheckAgain           // look again: after a yield the first time, then after a pause
	leakcheckAgainNow        // look again at once (the proof marked goroutines)
	leakcheckSettle          // look again once the teardown's fixtures have settled
)

func (s *leakcheckSession) newWait(test *leakcheckTest, claim func(*leakcheckSnapshot) leakcheckClaim) *leakcheckWait {
	// A test's check runs on the test's goroutine (its cleanup; an
	// example's, on the main goroutine it ran on), whose id it has. Only
	// a check that waits where it was made asks which goroutine runs it
	// (checkTest): one handed to the looker need not pay for it.
	var self uint64
	if test != nil {
		self = test.gid
	}
	if self == 0 {
		self = leakcheckOwnID()
	}
	graceEnd := leakchecktime.Now().Add(s.graceLimit)
	deadline, cut := s.checkDeadline(test, graceEnd)
	return &leakcheckWait{
		claim:      claim,
		test:       test,
		graceEnd:   graceEnd,
		deadline:   deadline,
		atTheAlarm: cut,
		self:       self,
		runner:     self,
		pause:      100 * leakchecktime.Microsecond,
	}
}

// resumeAlarm starts the -timeout alarm again if the wait stopped it,
// and from then on the check stops waiting before it.
func (w *leakcheckWait) resumeAlarm(s *leakcheckSession) {
	if w.resume == nil {
		return
	}
	w.resume()
	w.resume = nil
	w.deadline, w.atTheAlarm = s.checkDeadline(w.test, w.graceEnd)
}

// leakcheckTimeoutMargin is how long before go test's -timeout alarm a
// test's check gives up waiting (at most a third of the time left): time
// for the check to end and the test or example to return on a loaded
// machine (250 ms was not: an example's check on a CI machine running
// other builds ended past the alarm, and the package timed out).
const leakcheckTimeoutMargin = leakchecktime.Second

// checkDeadline is when a test's check stops waiting, and whether the
// alarm cut the grace period short: at the end of the grace period, or
// just before the test binary's -timeout alarm if that comes first.
// Waiting past it would turn what the test left running into a timeout of
// a test that had returned, and lose the package's later tests; what is
// left then is reported as left, and the reports say why.
func (s *leakcheckSession) checkDeadline(test *leakcheckTest, grace leakchecktime.Time) (leakchecktime.Time, bool) {
	alarm, set := s.alarm(test)
	if !set {
		return grace, false
	}
	margin := leakcheckTimeoutMargin
	if left := leakchecktime.Until(alarm); left < 3*margin {
		margin = left / 3
	}
	if cut := alarm.Add(-margin); cut.Before(grace) {
		return cut, true
	}
	return grace, false
}

// alarm is when the test binary's -timeout alarm goes off: a test's
// t.Deadline. An example has no T: the last test's, else the alarm testing
// started after m.Run began (a moment later than this says, which only
// ends the wait sooner).
func (s *leakcheckSession) alarm(test *leakcheckTest) (leakchecktime.Time, bool) {
	if test == nil {
		return leakchecktime.Time{}, false
	}
	// Later by what earlier checks' waits postponed it; none while this
	// check's wait holds it stopped (pauseAlarm).
	s.mu.Lock()
	shift, paused := s.alarmShift, s.alarmPaused
	base, ok := s.baseAlarmLocked()
	s.mu.Unlock()
	if paused {
		return leakchecktime.Time{}, false
	}
	if test.tb != nil {
		// (A fuzz target has no deadline of its own: the tests' is its.)
		if deadline, ok := leakcheckDeadline(test.tb); ok {
			return deadline.Add(shift), true
		}
	}
	return base.Add(shift), ok
}

// leakcheckDeadline is tb's -timeout alarm (a *testing.T's Deadline; a
// benchmark or fuzz target has none).
func leakcheckDeadline(tb leakchecktesting.TB) (leakchecktime.Time, bool) {
	t, ok := tb.(interface {
		Deadline() (leakchecktime.Time, bool)
	})
	if !ok {
		return leakchecktime.Time{}, false
	}
	return t.Deadline()
}

// lookFor takes one look for the checks given: every goroutine attributed,
// the orphans told by their labels (the checks' own tests take their count
// first), and the look kept as the set of goroutines known alive.
func (s *leakcheckSession) lookFor(waits []*leakcheckWait) leakcheckSnapshot {
	snap := s.look()
	s.mu.Lock()
	s.attributeLocked(&snap)
	// Any look is a consistent (alive, counter) pair for the next test's
	// start.
	s.setKnownLocked(snap)
	s.mu.Unlock()
	s.labelOrphans(&snap, waits)
	return snap
}

// leakcheckOthersCode reports whether g was started by, or runs, a function
// written inside init, a package variable's initializer, TestMain, or a
// top-level test, benchmark, fuzz target or example other than test, of
// the package under test; or inside any other package's init or variable
// initializer (a finalizer or timer callback a library's init set up: no
// test's doing, whichever test ran when it fired).
func leakcheckOthersCode(g *leakcheckGoroutine, test string) bool {
	for _, fn := range leakcheckOrigin(g) {
		decl := leakcheckDeclOf(fn)
		switch {
		case decl == "":
			if leakcheckInitCode(fn) {
				return true
			}
		case decl == "init", decl == "glob", decl == "TestMain":
			return true
		case decl != test && leakcheckIsTest(decl):
			return true
		}
	}
	return false
}

// leakcheckInitCode reports whether fn, of any package, is written inside
// an init function or a package variable's initializer: the linker names
// such closures pkg.init.func1, pkg.init.0.func1, pkg.glob..func1 (a dot
// in the path's last element is written %2e, so the first dot after the
// last slash ends the package).
func leakcheckInitCode(fn string) bool {
	_, decl := leakcheckSplitFunc(fn)
	return decl == "init" || decl == "glob"
}

// leakcheckTestsCode reports whether g runs code of the top-level test
// named test: a function declared inside it started g or is g's outermost
// frame. A subtest's code cannot be told from its siblings' this way.
func leakcheckTestsCode(g *leakcheckGoroutine, test string) bool {
	if leakcheckstrings.IndexByte(test, '/') >= 0 {
		return false
	}
	for _, fn := range leakcheckOrigin(g) {
		if leakcheckDeclOf(fn) == test {
			return true
		}
	}
	return false
}

// leakcheckOrigin is the function that started g and g's outermost frame,
// by the names of the code they run (leakcheckSourceName): the code that
// says whose a goroutine is when nothing else does.
//
// When the outermost frame is a closure no test, TestMain or init wrote (a
// wrapper: a recover guard, a logger, sync.OnceFunc's), the innermost
// closure a test or TestMain wrote that it runs, through other closures
// and other packages' code, not past a named function of the package (a
// hook TestMain or a test set may wrap the callback: helper-152):
// time.AfterFunc(d, Safe(Log(func() { ... }))) in a test runs that test's
// code. (Not init's: a package variable's hook a test's callback calls is
// no proof the callback is not the test's: helper-151.)
// (The wrapper's name, inlined into the test, once said so by accident;
// read as Safe's own code, a parallel test's callback went to TestMain,
// and another test's, or TestMain's, was blamed on the test running alone
// when it fired: helper-150.)
func leakcheckOrigin(g *leakcheckGoroutine) []string {
	i := leakcheckOutermostAt(g) // (parses the stack, and createdBy)
	creator := g.sourceCreatedBy()
	if i < 0 {
		return []string{creator}
	}
	outer := g.sourceFunc(i)
	origin := []string{creator, outer}
	if !leakcheckWrapper(outer) {
		return origin
	}
	callback := ""
	for j, n := i-1, 0; j >= 0 && n < 16; j, n = j-1, n+1 {
		fn := g.sourceFunc(j)
		closure, decl := leakcheckWrittenIn(fn) != fn, leakcheckDeclOf(fn)
		if closure && (decl == "TestMain" || leakcheckIsTest(decl)) {
			callback = fn // the innermost: a hook TestMain set may wrap it
			continue
		}
		if decl != "" && !closure {
			break // the package's own code, called
		}
	}
	if callback != "" {
		origin = append(origin, callback)
	}
	return origin
}

// leakcheckWrapper: fn is a closure nobody's test, TestMain or init wrote
// (a recover guard, a logger, sync.OnceFunc's), which may run a callback
// one of them wrote.
func leakcheckWrapper(fn string) bool {
	if leakcheckWrittenIn(fn) == fn {
		return false
	}
	return !leakcheckHarnessDecl(leakcheckDeclOf(fn))
}

// leakcheckHarnessDecl: decl is a test's, TestMain's, init's or a package
// variable's initializer's: code that says whose a goroutine is, not the
// package's own.
func leakcheckHarnessDecl(decl string) bool {
	return decl == "init" || decl == "glob" || decl == "TestMain" || leakcheckIsTest(decl)
}

// leakcheckOutermost is g's outermost frame; for the runtime's goroutines
// that run finalizers and cleanups, the function they run: a test's
// finalizer that blocks keeps one of them (started long before, by
// whoever first needed one, and hidden from dumps until it runs one).
func leakcheckOutermost(g *leakcheckGoroutine) string {
	if i := leakcheckOutermostAt(g); i >= 0 {
		return g.funcs[i]
	}
	return ""
}

// leakcheckOutermostAt is the index in g.funcs of leakcheckOutermost, -1
// when g has no frames.
func leakcheckOutermostAt(g *leakcheckGoroutine) int {
	g.parseStack()
	n := len(g.funcs)
	if n == 0 {
		return -1
	}
	if leakcheckRunsFinalizers(g.funcs[n-1]) {
		for i := n - 2; i >= 0; i-- {
			if !leakcheckstrings.HasPrefix(g.funcs[i], "runtime.") && !leakcheckstrings.HasPrefix(g.funcs[i], "reflect.") {
				return i
			}
		}
	}
	return n - 1
}

// leakcheckRunsSubtest reports whether g is testing's goroutine for a
// subtest, still running its body.
func leakcheckRunsSubtest(g *leakcheckGoroutine) bool {
	return leakcheckOutermost(g) == "testing.tRunner" && g.createdBy == "testing.(*T).Run"
}

// leakcheckRunsFinalizers reports whether fn is the outermost function of
// the runtime's goroutines that run finalizers (runfinq before Go 1.25,
// runFinalizers since) and cleanups (runCleanups, Go 1.25+; before, the
// finalizers' goroutine ran them).
func leakcheckRunsFinalizers(fn string) bool {
	return fn == "runtime.runfinq" || fn == "runtime.runFinalizers" || fn == "runtime.runCleanups"
}

// leakcheckPackageCode reports whether a function of the package under
// test (or of its test files) started g or is its outermost frame, other
// than one written inside init, a package variable's initializer or
// TestMain.
func leakcheckPackageCode(g *leakcheckGoroutine) bool {
	for _, fn := range leakcheckOrigin(g) {
		switch leakcheckDeclOf(fn) {
		case "", "init", "glob", "TestMain":
		default:
			return true
		}
	}
	return false
}

// leakcheckHandedJob reports whether g runs a job its creator was handed:
// its job (leakcheckJobOf: past the wrapper of a go statement with
// arguments, and past closures its creator wrote around the job) is a
// closure of the package under test written in another function or method
// than its creator, and not inside init, a variable's initializer, TestMain
// or a test (a dispatcher's `go job()`, the job written in Subscribe or in
// the bus's own Request; a test's closures tell their test by the rules for
// test code). What a daemon starts for itself (`go d.loop()`, `go func()`
// in its own function, `go worker(n)`) is none, nor a closure written in
// a function whose go statement started the daemon's lineage (helper-100: a reporter's
// Start writes the reader its loop starts on first tick, a supervisor's
// start writes the worker it restarts; each was blamed on whichever test
// ran then).
//
// One waiting on the network is none: a server's connection handler wrapped
// in middleware looks the same, and a client elsewhere may keep its
// connection open by design.
//
// One that goes on appearing after the test returned is a daemon's own
// periodic work (a reporter's `go r.flush()` every tick, the closure
// written in its constructor): evaluate drops those (firstJobs, periodic).
// A daemon that ticks more slowly than the grace period is not told apart,
// nor a closure its constructor wrote when something else started it.
func leakcheckHandedJob(g *leakcheckGoroutine, snap *leakcheckSnapshot) bool {
	return !leakcheckstrings.HasPrefix(g.state, "IO wait") && leakcheckJobFunc(g, snap) != ""
}

// leakcheckJobFunc is the job g runs, as leakcheckHandedJob tells one, or "".
func leakcheckJobFunc(g *leakcheckGoroutine, snap *leakcheckSnapshot) string {
	job := leakcheckJobOf(g)
	written := leakcheckWrittenIn(job)
	switch decl := leakcheckDeclOf(job); {
	case decl == "", decl == "init", decl == "glob", leakcheckIsTest(decl),
		written == job, written == leakcheckWrittenIn(g.sourceCreatedBy()):
		return ""
	}
	// The daemon's lineage, as far as its goroutines are alive: a closure
	// written in a function whose own go statement started one of them is
	// the daemon's own. (Not one a closure of it started: a bus that
	// Subscribe starts through once.Do runs the jobs Subscribe writes.)
	p := leakcheckFind(snap, g.createdIn)
	for n := 0; p != nil && n < 64; n++ {
		p.parseStack()
		if p.createdBy == written {
			return ""
		}
		p = leakcheckFind(snap, p.createdIn)
	}
	return job
}

// leakcheckJobOf is what g was started to run: its outermost function past
// the wrapper of a go statement with arguments, and past closures its
// creator wrote around it (a dispatcher's `go func() { defer recover();
// job() }()`: the job is what the wrapper calls; helper-99's bus was
// missed, exit 0). "" when g has no stack.
func leakcheckJobOf(g *leakcheckGoroutine) string {
	g.parseStack()
	creator := leakcheckWrittenIn(g.sourceCreatedBy())
	job := ""
	for i := len(g.funcs) - 1; i >= 0; i-- {
		job = g.sourceFunc(i)
		written := leakcheckWrittenIn(job)
		if leakcheckstrings.Contains(job[leakcheckstrings.LastIndexByte(job, '.')+1:], "gowrap") ||
			i > 0 && written != job && written == creator && leakcheckDeclOf(job) != "" {
			continue
		}
		break
	}
	return job
}

// leakcheckWrittenIn is the function or method a closure is written in
// (example.com/p.(*Bus).Request for example.com/p.(*Bus).Request.func1.2),
// fn itself for one that is no closure (a method named functionUpdates is
// none). Not the declaration: a method's closure handed to a dispatcher
// method of the same type (a bus's Request writes the job its dispatch
// runs) is a job all the same.
func leakcheckWrittenIn(fn string) string {
	for i := leakcheckstrings.LastIndexByte(fn, '/') + 1; i < len(fn); i++ {
		if fn[i] != '.' {
			continue
		}
		for _, kind := range []string{"func", "gowrap"} {
			rest := fn[i+1:]
			if leakcheckHasPrefix(rest, kind) && len(rest) > len(kind) && rest[len(kind)] >= '0' && rest[len(kind)] <= '9' {
				return fn[:i]
			}
		}
	}
	return fn
}

// leakcheckMethodSub is the subtest of tc whose suite method's code g runs
// (its innermost frame of a method named like a test, TestB_Stuck of
// example.com/p.(*busSuite).TestB_Stuck.func1, and a subtest of tc whose
// name ends in /TestB_Stuck), or "": the subtest to name instead of
// owner, g's by its creator chain or labels (tc itself when ""). Not when
// owner is a run of the method or inside one (a method's own goroutines,
// a subtest's it runs with s.Run); else the run nearest to owner: the
// only one under owner (at the shallowest depth), else under its parent,
// and so on up, and none when the nearest holds several (the same suite
// run under several
// parents, a backend each, has a run of each method under each: a bus one
// backend's SetupSuite started runs that backend's jobs; a bus the test
// started before the backends is whichever's). By name alone the first
// run was named, a clean subtest of another backend (helper-153). A
// table test's rows share one closure: no row is told this way.
func leakcheckMethodSub(g *leakcheckGoroutine, tc *leakcheckTest, owner string) string {
	if len(tc.subs) == 0 {
		return ""
	}
	g.parseStack()
	for i := range g.funcs {
		fn := g.sourceFunc(i)
		pkg, decl := leakcheckSplitFunc(fn)
		if pkg != leakcheckFuncPath && pkg != leakcheckFuncPath+"_test" || decl == "" || leakcheckIsTest(decl) {
			continue
		}
		rest := fn[len(pkg)+1+len(decl):]
		if !leakcheckHasPrefix(rest, ".") {
			continue
		}
		method := rest[1:]
		if i := leakcheckstrings.IndexByte(method, '.'); i >= 0 {
			method = method[:i]
		}
		if !leakcheckIsTestName(method) {
			continue
		}
		if owner == "" {
			owner = tc.name
		}
		var runs []string
		for _, t := range tc.subs {
			name := t.Name()
			if leakcheckSubtestBase(name[leakcheckstrings.LastIndexByte(name, '/')+1:]) != method {
				continue
			}
			if owner == name || leakcheckHasPrefix(owner, name+"/") {
				return ""
			}
			runs = append(runs, name)
		}
		if len(runs) == 0 {
			continue
		}
		// The runs under owner, else under its parent, and so on up: the
		// nearest ancestor of owner's that holds a run of the method
		// decides, if it holds one only at its shallowest depth (a
		// subtest another method runs, s.Run("TestB") in TestA, is
		// deeper than the suite's methods).
		for scope := owner; ; {
			found, depth, ties := "", 0, 0
			for _, name := range runs {
				if !leakcheckHasPrefix(name, scope+"/") {
					continue
				}
				d := leakcheckstrings.Count(name, "/")
				switch {
				case found == "" || d < depth:
					found, depth, ties = name, d, 1
				case d == depth:
					ties++
				}
			}
			if ties > 1 {
				return ""
			}
			if found != "" {
				return found
			}
			i := leakcheckstrings.LastIndexByte(scope, '/')
			if i < 0 {
				return ""
			}
			scope = scope[:i]
		}
	}
	return ""
}

// leakcheckSubtestBase is a subtest's name as t.Run was given it (after
// go test's rewriting of spaces), without the #01, #02 … go test adds
// when a name repeats under one parent.
func leakcheckSubtestBase(last string) string {
	i := leakcheckstrings.LastIndexByte(last, '#')
	if i < 0 || i == len(last)-1 {
		return last
	}
	for _, c := range last[i+1:] {
		if c < '0' || c > '9' {
			return last
		}
	}
	return last[:i]
}

// leakcheckClosureSub is the subtest of tc whose own function wrote the
// code g runs, or "": for a timer's callback or a goroutine told by
// difference, which no creator chain or label names (a callback a subtest
// gave time.AfterFunc was blamed on the test alone: helper-147; its
// callers ask only then, helper-150). Told by the function testing.tRunner
// called for each subtest (sub): g's creator, else its job or outermost
// frame, is that function or a closure written in it, the innermost
// subtest's when they nest. Not a table test's rows, which share their
// function, nor what a named function the subtests share runs. Not a
// goroutine the test's or a subtest's own goroutine started, which its
// creator chain and label tell (helper-149).
func leakcheckClosureSub(g *leakcheckGoroutine, tc *leakcheckTest) string {
	if tc == nil || len(tc.subFuncs) == 0 {
		return ""
	}
	g.parseStack()
	if g.createdIn == tc.gid || tc.subRunners[g.createdIn] {
		return ""
	}
	if sub, ok := leakcheckSubWriting(tc, g.sourceCreatedBy()); ok {
		return sub
	}
	if sub, ok := leakcheckSubWriting(tc, leakcheckJobOf(g)); ok {
		return sub
	}
	if i := leakcheckOutermostAt(g); i >= 0 {
		sub, _ := leakcheckSubWriting(tc, g.sourceFunc(i))
		return sub
	}
	return ""
}

// leakcheckSubWriting is the subtest of tc whose own function is fn or
// wrote it (fn a closure in it, at any depth: example.com/p.TestX.func2.1
// is written in example.com/p.TestX.func2), the innermost one when several
// do; ok: some subtest's function did, sub "" when more than one subtest
// runs it.
func leakcheckSubWriting(tc *leakcheckTest, fn string) (sub string, ok bool) {
	for fn != "" {
		if sub, ok := tc.subFuncs[fn]; ok {
			return sub, true
		}
		i := leakcheckstrings.LastIndexByte(fn, '.')
		if i <= leakcheckstrings.LastIndexByte(fn, '/') || !leakcheckClosureNumber(fn[i+1:]) {
			return "", false
		}
		fn = fn[:i]
	}
	return "", false
}

// leakcheckTestStarted reports whether a function written in a test,
// example or fuzz test started g.
func leakcheckTestStarted(g *leakcheckGoroutine) bool {
	g.parseStack()
	return leakcheckIsCheckedTest(leakcheckDeclOf(g.sourceCreatedBy()))
}

// leakcheckIsCheckedTest: decl is a test, example or fuzz test whose
// goroutines are checked (not TestMain, not a benchmark).
func leakcheckIsCheckedTest(decl string) bool {
	return decl != "TestMain" && leakcheckIsTest(decl) && !leakcheckHasPrefix(decl, "Benchmark")
}

// leakcheckTestCodeIn is the test, example or fuzz test in whose code g
// runs (its innermost such frame), or "". (A benchmark's goroutines are
// not checked.)
func leakcheckTestCodeIn(g *leakcheckGoroutine) string {
	g.parseStack()
	for i := range g.funcs {
		if decl := leakcheckDeclOf(g.sourceFunc(i)); leakcheckIsCheckedTest(decl) {
			return decl
		}
	}
	return ""
}

// leakcheckTests is the name of every test, benchmark, fuzz target and
// example go test registered in this binary (testing.M's lists), set once
// before the first m.Run; nil where M's fields are not found (then the
// name says: leakcheckIsTestName).
var leakcheckTests map[string]bool

// leakcheckRegisterTests sets leakcheckTests from m, once.
func leakcheckRegisterTests(m *leakchecktesting.M) {
	if leakcheckTests != nil || m == nil {
		return
	}
	v := leakcheckreflect.ValueOf(m).Elem()
	names := map[string]bool{}
	for _, field := range []string{"tests", "benchmarks", "fuzzTargets", "examples"} {
		list := v.FieldByName(field)
		if !list.IsValid() || list.Kind() != leakcheckreflect.Slice {
			return
		}
		for i := 0; i < list.Len(); i++ {
			name := list.Index(i).FieldByName("Name")
			if !name.IsValid() || name.Kind() != leakcheckreflect.String {
				return
			}
			names[name.String()] = true
		}
	}
	leakcheckTests = names
}

// leakcheckIsTest: decl, a top-level declaration of the package under
// test, is a test, benchmark, fuzz target or example go test runs. A
// function of a non-test file named like one (HashiCorp's
// `func TestServer(t testing.T)` helpers) is the package's own code: by
// its name alone, a callback it wrote was taken for another test's and
// went to TestMain (helper-153).
func leakcheckIsTest(decl string) bool {
	if names := leakcheckTests; names != nil {
		return names[decl]
	}
	return leakcheckIsTestName(decl)
}

// leakcheckIsTestName: a name go test runs (or benchmarks, or fuzzes), as go
// test tells one: the prefix, then nothing or no lower-case letter
// (TestingBackend and FuzzyIndex are none; a non-ASCII letter after the
// prefix is taken for an upper-case one).
func leakcheckIsTestName(decl string) bool {
	for _, prefix := range []string{"Test", "Benchmark", "Fuzz", "Example"} {
		if leakcheckHasPrefix(decl, prefix) {
			rest := decl[len(prefix):]
			return rest == "" || rest[0] < 'a' || rest[0] > 'z'
		}
	}
	return false
}

// leakcheckOwnCode is the top-level declaration of the package under test
// whose code g runs (its outermost frame), or "".
func leakcheckOwnCode(g *leakcheckGoroutine) string {
	if i := leakcheckOutermostAt(g); i >= 0 {
		return leakcheckDeclOf(g.sourceFunc(i))
	}
	return ""
}

// leakcheckDeclOf is the package-level declaration a function of the
// package under test (or of its external test package) is written in:
// "TestA" for example.com/p.TestA.func1, "init" for example.com/p.init.0.func1;
// "" for other packages' functions and for methods.
func leakcheckDeclOf(fn string) string {
	pkg, decl := leakcheckSplitFunc(fn)
	if pkg != leakcheckFuncPath && pkg != leakcheckFuncPath+"_test" {
		return ""
	}
	return decl
}

// leakcheckSourceName is fn as it would be named were nothing inlined,
// given file, the file its frame or go statement is in ("" when unknown).
// A closure written in a function the compiler inlined is named after the
// function it was inlined into, then the inlined ones (Go 1.22+:
// example.com/p.TestMain.New.func1 for New's closure, New inlined into
// TestMain; only the last name says where the code is, and not of which
// package): taken for TestMain's code, a timer callback an inlined
// constructor wrote in cache.go was blamed on TestMain, or on the test that
// built the cache, not on the test that armed it (helper-147). After a
// test's, init's, a variable initializer's or TestMain's name and the
// numbers of its own closures, another function's name says the code is
// that function's (example.com/p.New.func1); whose package it is, the
// file tells: one outside the package's directory is another package's
// code, named as no package's ("(inlined).New.func1"). Other names are
// left as they are, whatever their file (a //line directive may name
// another: helper-149): example.com/p.All.New.func1 reads the same as a
// closure of a method New on a type All, and both are the package's own
// code, not a test's.
func leakcheckSourceName(fn, file string) string {
	pkg, decl := leakcheckSplitFunc(fn)
	if pkg != leakcheckFuncPath && pkg != leakcheckFuncPath+"_test" || decl == "" {
		return fn
	}
	i := len(pkg) + 1 + len(decl)
	for i < len(fn) && fn[i] == '.' {
		seg := fn[i+1:]
		if j := leakcheckstrings.IndexByte(seg, '.'); j >= 0 {
			seg = seg[:j]
		}
		if !leakcheckClosureNumber(seg) {
			if !leakcheckHarnessDecl(decl) {
				return fn
			}
			if file != "" && !leakcheckInPackageDir(file) {
				return "(inlined)." + fn[i+1:]
			}
			return pkg + "." + fn[i+1:]
		}
		i += 1 + len(seg)
	}
	return fn
}

// sourceFunc is the name of the code g's frame i runs (leakcheckSourceName).
func (g *leakcheckGoroutine) sourceFunc(i int) string {
	return leakcheckSourceName(g.funcs[i], g.files[i])
}

// sourceCreatedBy is the name of the code whose go statement created g.
func (g *leakcheckGoroutine) sourceCreatedBy() string {
	return leakcheckSourceName(g.createdBy, g.createdFile)
}

// leakcheckClosureNumber: seg is a name element the compiler gives a
// closure (func2, gowrap1, deferwrap1, 2 for one inside a closure, the
// empty one of glob..func1, with -range3 after it for a range-over-func
// loop's body).
func leakcheckClosureNumber(seg string) bool {
	if i := leakcheckstrings.Index(seg, "-range"); i >= 0 {
		seg = seg[:i]
	}
	for _, kind := range []string{"func", "gowrap", "deferwrap"} {
		if leakcheckHasPrefix(seg, kind) && len(seg) > len(kind) {
			seg = seg[len(kind):]
			break
		}
	}
	for k := 0; k < len(seg); k++ {
		if seg[k] < '0' || seg[k] > '9' {
			return false
		}
	}
	return true
}

// leakcheckPackageDir is the directory of the package under test's files
// as stack traces spell them: go list's, which the compiler was given
// (not the working directory, which an imported package's init may have
// changed: helper-149), or, with -trimpath, the import path.
var leakcheckPackageDir = func() string {
	dir := leakcheckSourceDir
	if dir == "" {
		// The helper's own tests.
		dir, _ = leakcheckos.Getwd()
	}
	if dir == "" {
		return ""
	}
	return leakcheckstrings.TrimSuffix(dir, "/") + "/"
}()

// leakcheckInPackageDir reports whether file is one of the package under
// test's, as far as it can tell (yes when it cannot: a file a //line
// directive names without a directory, as generated code does, is the
// generated file's package's: helper-149).
func leakcheckInPackageDir(file string) bool {
	dir := file[:leakcheckstrings.LastIndexByte(file, '/')+1]
	if leakcheckPackageDir == "" || dir == leakcheckPackageDir || dir == leakcheckImportPath+"/" {
		return true
	}
	// A relative name: with -trimpath, another package's Go file (every
	// file is named so then: sync/oncefunc.go, example.com/other/o.go);
	// otherwise, or when it is no Go file or has no directory, a //line
	// directive's (bus.tmpl, tmpl/bus.tmpl, ./bus.tmpl), which generated
	// code of this package writes (helper-150, helper-151, helper-152).
	if leakcheckstrings.HasPrefix(file, "/") {
		return false
	}
	return dir == "" || !leakcheckTrimmed() || !leakcheckstrings.HasSuffix(file, ".go")
}

// leakcheckTrimmed reports whether the binary was built with -trimpath:
// testing's own files are named by import path then.
func leakcheckTrimmed() bool {
	leakcheckTrimmedOnce.Do(func() {
		if f := leakcheckruntime.FuncForPC(leakcheckreflect.ValueOf(leakchecktesting.Main).Pointer()); f != nil {
			file, _ := f.FileLine(f.Entry())
			leakcheckTrimmedPath = !leakcheckstrings.HasPrefix(file, "/")
		}
	})
	return leakcheckTrimmedPath
}

var (
	leakcheckTrimmedOnce leakchecksync.Once
	leakcheckTrimmedPath bool
)

// leakcheckFuncPath is the package under test's path as function names
// spell it: the linker escapes dots in its last element, and bytes that
// could not be read back, as %xx (example.com/bus%2ev1.(*Bus).Run;
// helper-100: such a package's jobs and tests' code were never told).
var leakcheckFuncPath = leakcheckEscapePath(leakcheckImportPath)

func leakcheckEscapePath(path string) string {
	const hex = "0123456789abcdef"
	slash := leakcheckstrings.LastIndexByte(path, '/')
	var b []byte
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c <= ' ' || c == '%' || c == '"' || c >= 0x7f || c == '.' && i > slash {
			b = append(b, '%', hex[c>>4], hex[c&0xf])
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

// leakcheckSplitFunc splits a function's name into its package's path and
// the first element after it ("" and "" when there is none): the
// package-level declaration it is written in, or a method's receiver.
func leakcheckSplitFunc(fn string) (pkg, decl string) {
	slash := leakcheckstrings.LastIndexByte(fn, '/') + 1
	dot := leakcheckstrings.IndexByte(fn[slash:], '.')
	if dot < 0 {
		return "", ""
	}
	pkg, decl = fn[:slash+dot], fn[slash+dot+1:]
	if i := leakcheckstrings.IndexByte(decl, '.'); i >= 0 {
		decl = decl[:i]
	}
	return pkg, decl
}

// waitFor looks until none of what the check looks for is left, or the
// grace period is over. A goroutine that is exiting right now is not a leak;
// a clean test costs one look and no sleep (the second look comes after a
// yield, the third after 100µs), and goroutines a rule ignores never make
// it wait.
func (s *leakcheckSession) waitFor(w *leakcheckWait) leakcheckOutcome {
	pause := 100 * leakchecktime.Microsecond
	// What the last look saw: when no goroutine was created or exited
	// since, the next look would see the same, and is not taken (a look
	// stops the world).
	var lastCounter uint64
	lastNum, same := -1, false
	for {
		if same {
			if c, ok := leakcheckCreated(); !ok || c != lastCounter || leakcheckruntime.NumGoroutine() != lastNum {
				same = false
			}
		}
		proofDue := s.proofProfile != nil && w.proofs < 6 && leakcheckProvable(w.out.leaked) && leakchecktime.Since(w.lastProof) >= 20*leakchecktime.Millisecond
		// The rest of the grace period is not waited out when nothing can
		// run before it ends (one exiting right now can).
		quiet, quietCounter := false, uint64(0)
		if len(w.out.leaked) > 0 && !proofDue {
			quiet, quietCounter = leakcheckQuietBefore(w.deadline, w.atTheAlarm)
		}
		if same && !proofDue && !quiet && len(w.out.leaked) > 0 && leakchecktime.Until(w.deadline) > 0 {
			leakcheckPause(&pause, w.deadline)
			continue
		}
		w.out.looks++
		lastNum = leakcheckruntime.NumGoroutine()
		snap := s.lookFor([]*leakcheckWait{w})
		lastCounter, same = snap.counter, snap.counterOK
		// Nothing ran between the two but this goroutine, which created none;
		// and still nothing can, after the look's allocations (a collection
		// they start could run a finalizer that ends one).
		quietLook := false
		if quiet && snap.counterOK && snap.counter == quietCounter {
			again, counter := leakcheckQuietBefore(w.deadline, w.atTheAlarm)
			quietLook = again && counter == quietCounter
		}
		if quietLook {
			// Nothing runs because this check holds its test's parallel
			// slot: a test waiting for it (or parked in t.Parallel) runs
			// once the check is handed over, within the grace period, and
			// may end what the check waits for (slotleak in
			// tests/checks.rs, a CI clone's run).
			if handOver, parked := s.mayHandOver(w, &snap); handOver || parked {
				quietLook = false
			}
		}
		switch s.evaluate(w, &snap, quietLook) {
		case leakcheckDone:
			return w.out
		case leakcheckSettle:
			leakcheckruntime.Gosched()
			leakchecktime.Sleep(leakchecktime.Millisecond)
			continue
		case leakcheckAgainNow:
			same = false
			continue
		}
		if w.changing {
			same = false
		}
		if handOver, parked := s.mayHandOver(w, &snap); handOver {
			// The looker waits with the alarm running.
			w.resumeAlarm(s)
			s.handOver(w)
			return leakcheckOutcome{handedOver: true}
		} else if parked {
			// A test parked in t.Parallel may be released, and then
			// wait for this test's slot, without a goroutine being
			// created or exiting: keep looking.
			same = false
		}
		if w.pausable && w.resume == nil && w.out.alone {
			// It waits, and no other test runs meanwhile: not on the
			// tests' time.
			if resume, ok := s.pauseAlarm(); ok {
				w.resume, w.deadline, w.atTheAlarm = resume, w.graceEnd, false
			}
		} else if w.resume != nil && !w.out.alone {
			w.resumeAlarm(s)
		}
		if w.out.looks == 1 {
			// Most often what is left has handed over its result and is
			// returning: let it run before the second look, without a sleep.
			leakcheckruntime.Gosched()
			continue
		}
		leakcheckPause(&pause, w.deadline)
	}
}

// evaluate decides, from one look, what a check found and whether it is
// over. quiet: no goroutine could run from just before the look until the
// end of the grace period (leakcheckQuietUntil): the look saw what the one
// at its end would see.
func (s *leakcheckSession) evaluate(w *leakcheckWait, snap *leakcheckSnapshot, quiet bool) int {
	c := w.claim(snap)
	out := &w.out
	out.alone = c.alone
	var known map[uint64]bool
	if c.test != nil {
		known = c.test.known
	}
	s.mu.Lock()
	if c.test == nil && !w.teardownKnown {
		// Did the teardown stop a fixture? One it just woke (a closed
		// channel) may not have exited yet: it gets a few yields.
		moving := false
		for id := range s.setupAfterRun {
			if g := leakcheckFind(snap, id); g == nil {
				w.teardownStopped = true
			} else if g.state == "runnable" || g.state == "running" {
				moving = true
			}
		}
		if !w.teardownStopped && moving && w.settle < 10 {
			w.settle++
			s.mu.Unlock()
			return leakcheckSettle
		}
		w.teardownKnown = true
	}
	out.leaked, out.ignored, out.ambiguous, out.byDifference = nil, nil, nil, nil
	out.endedEarly = false
	var quota map[string]int
	quotaMissed := false
	var jobOf map[uint64]string
	var keepFirst map[uint64]bool
	out.testOf, out.owners = nil, nil
	for _, i := range snap.candidates(c.test, c.alone) {
		g := &snap.goroutines[i]
		// One this look gave the test only by a shared label's count, that
		// another check reported since (served by a later look), stands
		// for another of its stack: settleClaimsLocked swaps it. Dropped,
		// the test's count was lost and the test passed.
		recount := c.test != nil && snap.owner[g.id].ambiguous && snap.owner[g.id].test == c.test
		// (As a subtest's panic unwinds, its parallel siblings may still
		// be running: they are tests, not leaks; helper-121.)
		unwinding := w.runner != w.self && leakcheckRunsSubtest(g)
		if g.id == w.self || g.id == w.runner || unwinding || s.reported[g.id] && !recount || !s.mineLocked(c, g, snap, w.teardownStopped) {
			continue
		}
		job := ""
		if o := snap.owner[g.id]; o.kind == leakcheckOwnerBaseline || o.kind == leakcheckOwnerFixture {
			job = leakcheckJobFunc(g, snap)
		} else if c.test != nil && o.kind == leakcheckOwnerTest && o.test != c.test {
			// Another test's daemon running this test's code (mineLocked):
			// one it goes on starting after the test returned is its own
			// work, not a job the test handed it (an earlier test that ran
			// this test's function as a subtest left its ticker running).
			// Keyed past the daemon's wrappers: one every job runs in
			// would make a later job of the test's drop its stuck one.
			job = leakcheckJobOf(g)
		}
		if job != "" {
			if jobOf == nil {
				jobOf = map[uint64]string{}
			}
			jobOf[g.id] = job
			if !w.jobsLooked {
				if w.firstJobs == nil {
					w.firstJobs = map[uint64]bool{}
				}
				w.firstJobs[g.id] = true
			} else if !w.firstJobs[g.id] {
				if w.periodic == nil {
					w.periodic = map[string]bool{}
				}
				w.periodic[job] = true
			}
			if w.firstJobs[g.id] && snap.owner[g.id].kind == leakcheckOwnerTest {
				if keepFirst == nil {
					keepFirst = map[uint64]bool{}
				}
				keepFirst[g.id] = true
			}
		}
		attributed := ""
		if o := snap.owner[g.id]; c.test == nil && (o.kind == leakcheckOwnerBaseline || o.kind == leakcheckOwnerFixture) {
			// A package daemon's goroutine that runs a test's code (what
			// mineLocked reports of them).
			if name := leakcheckTestCodeIn(g); name != "" {
				if out.owners == nil {
					out.owners = map[string]string{}
				}
				out.owners[leakcheckItoa(int(g.id))] = name
				attributed = name
			}
		} else if o.test != nil {
			attributed = o.test.name
			id := leakcheckItoa(int(g.id))
			// A goroutine an ended test's subtest owns but this check
			// claims (a job that test's daemon runs for a later test) is
			// this test's, not that subtest's.
			// A suite's subtest whose method's code runs in it (testify's
			// suite.Run: a later method's stuck job on a bus an earlier
			// method started) is that subtest's, not the earlier one's
			// (helper-100).
			if sub := leakcheckMethodSub(g, o.test, o.sub); sub != "" && (c.test == nil || o.test == c.test) {
				if out.testOf == nil {
					out.testOf = map[string]string{}
				}
				out.testOf[id] = sub
			} else if sub := leakcheckClosureSub(g, o.test); sub != "" && g.createdBy == "time.goFunc" && (c.test == nil || o.test == c.test) {
				if out.testOf == nil {
					out.testOf = map[string]string{}
				}
				out.testOf[id] = sub
			} else if o.sub != "" && (c.test == nil || o.test == c.test) {
				if out.testOf == nil {
					out.testOf = map[string]string{}
				}
				out.testOf[id] = o.sub
			}
			if c.test == nil {
				if out.owners == nil {
					out.owners = map[string]string{}
				}
				out.owners[id] = o.test.name
			}
		}
		if c.test != nil {
			attributed = c.test.name
			// Told by difference (a timer's callback): a subtest's when
			// that subtest's own function wrote its code. Not a daemon's
			// job: which subtest handed it over, its code does not say.
			if snap.owner[g.id].kind == leakcheckOwnerNone {
				if sub := leakcheckClosureSub(g, c.test); sub != "" {
					if out.testOf == nil {
						out.testOf = map[string]string{}
					}
					out.testOf[leakcheckItoa(int(g.id))] = sub
				}
			}
		}
		if s.ignored(g, attributed) {
			out.ignored = append(out.ignored, g)
			continue
		}
		if snap.owner[g.id].ambiguous {
			out.ambiguous = append(out.ambiguous, g.id)
		}
		if c.test != nil && snap.owner[g.id] == leakcheckOrphan {
			// A function written in the test runs in it. (Not one that
			// only started it: another test may run the test's function,
			// as a subtest's body.)
			testsCode := leakcheckOwnCode(g) == c.test.name
			// Told by difference: only what was there when the check
			// began appeared while the test ran.
			if out.looks == 1 {
				if w.firstOrphans == nil {
					w.firstOrphans = map[uint64]bool{}
				}
				w.firstOrphans[g.id] = true
			} else if !w.firstOrphans[g.id] && !testsCode {
				// It appeared after the test returned: the test's only
				// when it runs the test's own code.
				continue
			}
			if c.test.knownStale && !testsCode {
				// It may have appeared before the test began, in
				// place of one that exited: only as many of its kind
				// as appeared while the test ran are the test's.
				if quota == nil {
					quota = s.staleQuotaLocked(w, c.test, out.looks)
				}
				if sig := g.signature(); quota[sig] > 0 {
					quota[sig]--
				} else {
					quotaMissed = true
					continue
				}
			}
			// (Told by its code, not by difference, when the test did
			// not run alone.)
			if c.alone {
				out.byDifference = append(out.byDifference, g.id)
			}
		} else if c.test != nil && c.alone && job != "" && snap.owner[g.id].kind == leakcheckOwnerBaseline {
			// A job an init daemon runs: the test's because it appeared
			// while the test ran alone (one an earlier test handed over,
			// that the daemon took up late, would look the same).
			out.byDifference = append(out.byDifference, g.id)
		}
		out.leaked = append(out.leaked, g)
	}
	s.mu.Unlock()
	w.jobsLooked = true
	if len(w.periodic) > 0 {
		kept := out.leaked[:0]
		for _, g := range out.leaked {
			// Not one of another test's daemon that the first look saw:
			// it ran while the test ran, whatever its kind did later (a
			// bus that starts one job at a time). An init daemon's own
			// periodic work may be running then too (a reporter's flush
			// that blocks every tick): none of it is the test's.
			if job, ok := jobOf[g.id]; !ok || !w.periodic[job] || keepFirst[g.id] {
				kept = append(kept, g)
			}
		}
		out.leaked = kept
	}
	// Goroutines still moving change without a goroutine being created or
	// exiting: look at them again.
	w.changing = false
	for _, g := range out.leaked {
		if leakcheckMoving(g) {
			w.changing = true
		}
	}
	// An orphan that has not started yet shows no stack the profile's can
	// be matched with, so its label is not read: it may be this check's. It
	// is looked at again once it runs.
	unsettled := false
	s.mu.Lock()
	for _, i := range snap.indexed().unsure {
		g := &snap.goroutines[i]
		if snap.owner[g.id] == leakcheckOrphan && g.state == "runnable" && !s.reported[g.id] && !known[g.id] {
			unsettled = true
			w.changing = true
		}
		// Told only by label from a profile that counted its stack
		// otherwise than this look shows it: it may be this check's.
		if o := snap.owner[g.id]; snap.unsettled != nil && (o == leakcheckOrphan || o.ambiguous) && !s.reported[g.id] && !known[g.id] {
			if g.parseStack(); snap.unsettled[leakcheckStackKey(g.funcs)] {
				unsettled = true
				w.changing = true
			}
		}
	}
	s.mu.Unlock()
	// An orphan left out for want of quota of its kind while quota of
	// another kind is left: a goroutine that moved between this look and
	// the glance its quota comes from (a poller between its sleep and its
	// timer) may be that one. Looked at again.
	if quotaMissed {
		for _, n := range quota {
			if n > 0 {
				unsettled = true
				w.changing = true
				break
			}
		}
	}
	// A goroutine told only by a shared label is this test's by count:
	// while one of the same stack is still moving (woken, about to exit),
	// the counts may change, and proof that it blocks forever does not say
	// it is this test's.
	if !unsettled && leakcheckAmbiguousMoving(out.leaked, snap) {
		unsettled = true
	}
	left := leakchecktime.Until(w.deadline)
	if quiet && left > 0 {
		// What this look found stays until the grace period is over.
		left = 0
		out.endedEarly = len(out.leaked) > 0
	}
	if s.proofProfile != nil && w.proofs < 6 && leakcheckProvable(out.leaked) && (w.proofs == 0 || leakchecktime.Since(w.lastProof) >= 20*leakchecktime.Millisecond || left <= 0) {
		// Let the GC prove what it can; the marks show in the next look.
		// Again later if goroutines that were still moving block.
		w.proofs++
		w.lastProof = leakchecktime.Now()
		s.prove()
		return leakcheckAgainNow
	}
	// A look that is not settled (goroutines moved between the dump and
	// the profile its labels come from, or an orphan has not started) may
	// give an orphan to the wrong test: at the end of the grace period a
	// few more looks find one that is, unless the -timeout alarm is near.
	if left <= 0 && unsettled && !w.atTheAlarm && w.overtime < 20 {
		w.overtime++
		return leakcheckAgain
	}
	if left <= 0 || !unsettled && (len(out.leaked) == 0 || leakcheckAllProven(out.leaked)) {
		// Only a wait the alarm ended was cut short: not one that ended
		// because nothing was left, or all of it was proven stuck.
		out.cutShort = w.atTheAlarm && left <= 0 && len(out.leaked) > 0 && !leakcheckAllProven(out.leaked)
		s.mu.Lock()
		if c.test != nil {
			s.settleClaimsLocked(out, snap)
		}
		for _, g := range append(out.leaked, out.ignored...) {
			s.reported[g.id] = true
			if c.test != nil && snap.owner[g.id] == leakcheckOrphan {
				// Told by difference: the test's from now on.
				s.owners[g.id] = &leakcheckOwner{kind: leakcheckOwnerTest, test: c.test, gen: snap.gen}
			}
		}
		s.mu.Unlock()
		return leakcheckDone
	}
	return leakcheckAgain
}

// settleClaimsLocked claims the goroutines the outcome reports that were
// told only by a label shared with other tests' goroutines of the same
// stack. One that another check claimed since the look is swapped for an
// unclaimed one of the same stack, or left out when there is none: no
// goroutine is reported by two checks.
func (s *leakcheckSession) settleClaimsLocked(out *leakcheckOutcome, snap *leakcheckSnapshot) {
	taken := map[uint64]bool{}
	for _, g := range append(out.leaked, out.ignored...) {
		taken[g.id] = true
	}
	out.ambiguous = nil
	settle := func(list []*leakcheckGoroutine, leaked bool) []*leakcheckGoroutine {
		kept := list[:0]
		for _, g := range list {
			o := snap.owner[g.id]
			if !o.ambiguous {
				kept = append(kept, g)
				continue
			}
			h := s.claimLocked(g, o.labelName(), snap, taken)
			if h == nil {
				continue
			}
			if h != g {
				taken[h.id] = true
				if sub, ok := out.testOf[leakcheckItoa(int(g.id))]; ok {
					delete(out.testOf, leakcheckItoa(int(g.id)))
					out.testOf[leakcheckItoa(int(h.id))] = sub
				}
			}
			if leaked {
				out.ambiguous = append(out.ambiguous, h.id)
			}
			kept = append(kept, h)
		}
		return kept
	}
	out.leaked = settle(out.leaked, true)
	out.ignored = settle(out.ignored, false)
}

// leakcheckAmbiguousMoving: one of leaked is told only by a shared label,
// and a goroutine of the same stack is moving.
func leakcheckAmbiguousMoving(leaked []*leakcheckGoroutine, snap *leakcheckSnapshot) bool {
	keys := map[string]bool{}
	for _, g := range leaked {
		if snap.owner[g.id].ambiguous {
			keys[leakcheckStackKey(g.funcs)] = true
		}
	}
	if len(keys) == 0 {
		return false
	}
	for i := range snap.goroutines {
		if g := &snap.goroutines[i]; leakcheckMoving(g) {
			if g.parseStack(); keys[leakcheckStackKey(g.funcs)] {
				return true
			}
		}
	}
	return false
}

// leakcheckMoving: g runs, or can, or is in a system call: its stack may
// change without any goroutine being created or exiting.
func leakcheckMoving(g *leakcheckGoroutine) bool {
	return g.state == "runnable" || g.state == "running" || leakcheckHasPrefix(g.state, "syscall")
}

// leakcheckPause sleeps for pause (at most until the deadline) and doubles
// it, up to 100ms.
func leakcheckPause(pause *leakchecktime.Duration, deadline leakchecktime.Time) {
	d := *pause
	if left := leakchecktime.Until(deadline); d > left {
		d = left
	}
	if d > 0 {
		leakchecktime.Sleep(d)
	}
	if *pause *= 2; *pause > 100*leakchecktime.Millisecond {
		*pause = 100 * leakchecktime.Millisecond
	}
}

// prove runs Go's goroutineleak profile (Go 1.26 with
// GOEXPERIMENT=goroutineleakprofile, Go 1.27): a GC that marks goroutines
// blocked on channels, select or sync primitives no runnable goroutine can
// ever reach as (leaked), in every later dump. Sound, not complete: what a
// global can reach is never marked.
func (s *leakcheckSession) prove() {
	_ = s.proofProfile.WriteTo(leakcheckDiscard{}, 1)
}

type leakcheckDiscard struct{}

func (leakcheckDiscard) Write(p []byte) (int, error) { return len(p), nil }

// leakcheckProvable reports whether some goroutine not yet proven waits in
// a way the goroutineleak profile can prove: on channels, select, or sync
// primitives (not sleep, IO or syscalls, and not while it still runs).
func leakcheckProvable(gs []*leakcheckGoroutine) bool {
	for _, g := range gs {
		if g.proven {
			continue
		}
		switch st := g.state; {
		case leakcheckstrings.HasPrefix(st, "chan "), leakcheckstrings.HasPrefix(st, "select"),
			leakcheckstrings.HasPrefix(st, "sync."), st == "semacquire":
			return true
		}
	}
	return false
}

func leakcheckAllProven(gs []*leakcheckGoroutine) bool {
	for _, g := range gs {
		if !g.proven {
			return false
		}
	}
	return true
}

func leakcheckIDs(gs []*leakcheckGoroutine) []uint64 {
	ids := make([]uint64, len(gs))
	for i, g := range gs {
		ids[i] = g.id
	}
	return ids
}

func (s *leakcheckSession) ignored(g *leakcheckGoroutine, test string) bool {
	for i := range s.cfg.Rules {
		if s.cfg.Rules[i].matches(g, test, leakcheckImportPath) {
			return true
		}
	}
	return false
}

// leakcheckRule mirrors the Rust IgnoreRule: every condition given must hold.
// tests/vectors/rules.json holds the cases both sides must agree on.
type leakcheckRule struct {
	Name        string            `json:"name"`
	TopFunction *leakcheckMatcher `json:"top_function,omitempty"`
	AnyFunction *leakcheckMatcher `json:"any_function,omitempty"`
	CreatedBy   *leakcheckMatcher `json:"created_by,omitempty"`
	State       *leakcheckMatcher `json:"state,omitempty"`
	Package     *leakcheckMatcher `json:"package,omitempty"`
	Test        *leakcheckMatcher `json:"test,omitempty"`
}

func (r *leakcheckRule) compile() error {
	for _, m := range []*leakcheckMatcher{r.TopFunction, r.AnyFunction, r.CreatedBy, r.State, r.Package, r.Test} {
		if m != nil {
			if err := m.compile(); err != nil {
				return err
			}
		}
	}
	return nil
}

// leakcheckMatcher is an exact string or a regular expression (RE2 syntax,
// unanchored, the same in Go's regexp and Rust's regex).
type leakcheckMatcher struct {
	Exact *string `json:"exact,omitempty"`
	Regex *string `json:"regex,omitempty"`
	re    *leakcheckregexp.Regexp
}

func (m *leakcheckMatcher) compile() error {
	if m.Regex == nil {
		return nil
	}
	re, err := leakcheckregexp.Compile(*m.Regex)
	m.re = re
	return err
}

func (m *leakcheckMatcher) match(s string) bool {
	if m.Exact != nil {
		return *m.Exact == s
	}
	return m.re != nil && m.re.MatchString(s)
}

// matches reports whether the rule ignores goroutine g, attributed to test
// (empty for none), in package pkg. A rule without conditions matches nothing.
func (r *leakcheckRule) matches(g *leakcheckGoroutine, test, pkg string) bool {
	if r.Package == nil && r.Test == nil && r.State == nil && r.TopFunction == nil && r.CreatedBy == nil && r.AnyFunction == nil {
		return false
	}
	if r.Package != nil && !r.Package.match(pkg) {
		return false
	}
	if r.Test != nil && !r.Test.match(test) {
		return false
	}
	if r.State != nil && !r.State.match(g.state) {
		return false
	}
	g.parseStack()
	if r.TopFunction != nil && (len(g.funcs) == 0 || !r.TopFunction.match(g.funcs[0])) {
		return false
	}
	if r.CreatedBy != nil && !r.CreatedBy.match(g.createdBy) {
		return false
	}
	if r.AnyFunction != nil {
		found := false
		for _, f := range g.funcs {
			if r.AnyFunction.match(f) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
