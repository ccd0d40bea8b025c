// Package helper is the Go half of leakcheck.
//
// leakcheck adds the files of this directory to every package it tests,
// through `go test -overlay`, with their package clause and the constants
// below replaced (see src/inject.rs). Nothing is written into the user's
// tree. leakcheck also overlays copies of the package's test files in which
// each test function starts, on the line of its opening brace, with a call
// into these files:
//
//	func TestX(t *testing.T) { leakcheckBegin(t); ...
//
// leakcheckBegin gives the test's goroutine the pprof label
// leakcheck=TestX, merged with the labels it already has, and registers the
// check with t.Cleanup first, so that it runs last: after the body, every
// other cleanup and all parallel subtests, outside every lock of package
// testing. Only the public API of package testing is used; the test's
// stack holds no frame of leakcheck's while its body runs.
//
// The check finds the goroutines the test left behind: those whose creator
// chain (`created by ... in goroutine N`) leads to the test, those carrying
// its label when the chain is broken, and, for a test that ran alone, any
// goroutine that appeared while it ran. A leak fails the test with one
// t.Errorf line. Every top-level test's end is written to this binary's
// record file (`<LEAKCHECK_DIR>/<key>/<pid>.rec`) with the dump sections of
// what it leaked; leakcheck parses them and cross-checks them with go test's
// own report. After the last test, what no test accounts for is checked too.
//
// The files must compile under every Go from 1.21 and under the language
// version of any go.mod, so they avoid generics and other newer syntax, and
// they must stay vet-clean because `go test` vets them with the package.
//
// See docs/how-it-works.md in the leakcheck repository.
package helper

import (
	leakcheckflag "flag"
	leakcheckos "os"
	leakcheckreflect "reflect"
	leakcheckruntime "runtime"
	leakcheckpprof "runtime/pprof"
	leakcheckstrconv "strconv"
	leakcheckstrings "strings"
	leakchecksync "sync"
	leakchecksyscall "syscall"
	leakchecktesting "testing"
	leakchecktime "time"
	leakcheckunsafe "unsafe"
)

// Replaced by leakcheck in each package's copy: the package under test, the
// name of its records directory, and the package's directory.
const (
	leakcheckImportPath = "leakcheck.invalid/helper"
	leakcheckRecordsKey = "helper"
	// The package's directory (go list's Dir): where the compiler says
	// its files are ("" here: the helper's own tests take the working
	// directory).
	leakcheckSourceDir = ""
)

// leakcheckUserMain: the package has a TestMain of its own (leakcheck
// adds the helper's, leakcheck_main_test.go, only when it has none).
var leakcheckUserMain bool

// leakcheckActive is this test binary's session. It is nil when the binary
// does not run under leakcheck, or runs as a child process that a test
// started from the same binary (exec.Command(os.Args[0], ...)): then these
// files do nothing.
var leakcheckActive *leakcheckSession

// leakcheckInitLabel is the value of the leakcheck label that the
// goroutines package initialization started carry, and their lineage ("":
// none do, leakcheck could not add the package that gives it), and
// leakcheckEndInit takes it off the main goroutine (leakcheck_initlabel).
var (
	leakcheckInitLabel string
	leakcheckEndInit   = func() {}
)

// leakcheckMain is the first statement of the package's own TestMain,
// deferred: `func TestMain(m *testing.M) { defer leakcheckMain()(); ...`.
// TestMain keeps its name, so its frames and its closures' are named as the
// user wrote them. leakcheckMain starts the session before TestMain's body
// runs; the function it returns checks what is left once TestMain returns
// (after TestMain's own deferred teardown).
func leakcheckMain() func() {
	leakcheckUserMain = true
	return leakcheckBeginMain()
}

// leakcheckOwnMain is leakcheckMain for the helper's own TestMain.
func leakcheckOwnMain() func() {
	return leakcheckBeginMain()
}

func leakcheckBeginMain() func() {
	// What TestMain and the tests start is not package initialization's.
	leakcheckEndInit()
	if leakcheckActive != nil {
		// TestMain called again, by the package's own code.
		return func() {}
	}
	leakcheckActive = leakcheckStart()
	return leakcheckEndMain
}

// leakcheckEndMain runs when TestMain returns: the binary exits with the
// code of the last m.Run, as go test's generated main would make it, unless
// the check after the last test finds leaks. While TestMain panics, or its
// goroutine exits (runtime.Goexit), it does nothing: the panic goes on as
// under go test.
func leakcheckEndMain() {
	s := leakcheckActive
	if s == nil || leakcheckUnwinding() {
		return
	}
	if code, ran := s.lastRunCode(); ran {
		leakcheckos.Exit(leakcheckAtExit(code))
	}
	if leakcheckAtExit(0) != 0 {
		leakcheckos.Exit(1)
	}
}

// leakcheckUnwinding reports whether the deferred function calling it runs
// because its function panics or its goroutine exits, not because it
// returned: the runtime then calls deferred functions from runtime.gopanic
// or runtime.Goexit (Go 1.21 to 1.27), and otherwise from the function
// itself or runtime.deferreturn. A panic another deferred function
// recovered is a return.
func leakcheckUnwinding() bool {
	var pcs [16]uintptr
	frames := leakcheckruntime.CallersFrames(pcs[:leakcheckruntime.Callers(2, pcs[:])])
	for {
		f, more := frames.Next()
		if f.Function == "runtime.gopanic" || f.Function == "runtime.Goexit" {
			return true
		}
		if !more {
			return false
		}
	}
}

// leakcheckRun replaces `m.Run()` in the package's own TestMain (and in any
// function taking a *testing.M): it tells the session when the tests are
// over, so that what TestMain's teardown does can be told apart.
func leakcheckRun(m *leakchecktesting.M) int {
	s := leakcheckActive
	if s == nil {
		return m.Run()
	}
	s.mu.Lock()
	s.inRun = true
	s.mu.Unlock()
	s.runStart = leakchecktime.Now()
	s.stdout = leakcheckos.Stdout
	// (Before the tests' goroutines and the looker read it.)
	leakcheckRegisterTests(m)
	s.mu.Lock()
	// (A TestMain may call m.Run twice: each starts its own alarm.)
	s.m, s.alarmShift, s.testAlarm = m, 0, leakchecktime.Time{}
	s.mu.Unlock()
	code := m.Run()
	// Checks still running in the background are the tests': they end
	// before TestMain's teardown can stop what they look for.
	s.drain()
	s.mu.Lock()
	s.inRun = false
	s.mu.Unlock()
	s.afterRun(code)
	return code
}

// leakcheckTestingM is what leakcheck hands goleak.VerifyTestMain in place
// of TestMain's *testing.M (goleak takes any `interface{ Run() int }`).
// goleak calls Run, then looks for leaks itself and calls os.Exit, which
// skips TestMain's deferred check after the last test: Run runs that check
// once the tests are over, and the tests' checks may go on in the
// background, as under leakcheckRun in the test files. What goleak finds
// after a clean check fails the binary as under go test.
type leakcheckTestingM struct{ m *leakchecktesting.M }

func (w leakcheckTestingM) Run() int { return leakcheckAtExit(leakcheckRun(w.m)) }

// leakcheckGoleakM replaces m in `goleak.VerifyTestMain(m, …)`.
func leakcheckGoleakM(m *leakchecktesting.M) interface{ Run() int } { return leakcheckTestingM{m} }

// leakcheckAtExit runs the check after the last test, once, and turns a
// passing exit code into a failing one when it finds leaks. leakcheck
// rewrites `os.Exit(X)` in the package's TestMain file to
// `os.Exit(leakcheckAtExit(X))`, so the check also runs when TestMain
// exits without returning.
//
// Not while m.Run runs: a function of that file that a test calls (a
// fatalf that exits) ends the binary under the tests, as anywhere else,
// and the check would count the running test's goroutines as left behind
// (helper-124: a false leak at TestMain).
func leakcheckAtExit(code int) int {
	s := leakcheckActive
	if s == nil {
		return code
	}
	s.mu.Lock()
	running := s.inRun
	s.mu.Unlock()
	if running {
		return code
	}
	s.exitOnce.Do(func() { s.exitLeaked = s.checkPackage() })
	if s.exitLeaked && code == 0 {
		return 1
	}
	return code
}

// leakcheckBegin is the first statement of every top-level test.
func leakcheckBegin(t *leakchecktesting.T) {
	if s := leakcheckActive; s != nil && t != nil {
		t.Helper()
		s.begin(t, false)
	}
}

// leakcheckBeginParallel is leakcheckBegin for a test whose first
// statement is t.Parallel(): none of its code runs before it parks, so
// no timer it set fires while the serial tests run (claimFor).
func leakcheckBeginParallel(t *leakchecktesting.T) {
	if s := leakcheckActive; s != nil && t != nil {
		t.Helper()
		s.begin(t, true)
	}
}

// leakcheckBeginFuzz is the first statement of every fuzz target: its seed
// corpus runs as its subtests.
func leakcheckBeginFuzz(f *leakchecktesting.F) {
	if s := leakcheckActive; s != nil && f != nil {
		f.Helper()
		s.begin(f, false)
	}
}

// leakcheckSub is the first statement of every other function of the test
// files that takes exactly a *testing.T, which is how subtests are written:
// it records which goroutine runs which subtest, so that a leak names it.
func leakcheckSub(t *leakchecktesting.T) {
	// nil: a function given to a user's own Fuzz or Run, which may call
	// it without a T.
	if s := leakcheckActive; s != nil && t != nil {
		s.sub(t)
	}
}

// leakcheckSuiteSub is the first statement of a suite's test methods and
// per-test hooks, and of the functions given to the suite's Run, in the test
// files (src/inject/rewrite.rs): a framework runs them as subtests from its
// own code, where no function given a T is the package's. A testify suite
// (T and SetT: testify's TestingSuite, from its first versions) hands out
// the running subtest's T, which says which subtest this goroutine runs, so
// that a leak names it. Any other receiver is left alone: its T may be a
// harness's own, which may lock or count.
func leakcheckSuiteSub(suite interface{}) {
	if leakcheckActive == nil {
		return
	}
	if s, ok := suite.(leakcheckTestingSuite); ok {
		if t := leakcheckSuiteT(s); t != nil {
			leakcheckSub(t)
		}
	}
}

// leakcheckRunSub is the first statement of a function literal given
// quicktest's *qt.C and passed to its Run, which runs it as a subtest from
// quicktest's code: it is given c.TB, the subtest's T, so that a leak names
// the subtest.
func leakcheckRunSub(tb leakchecktesting.TB) {
	if t, ok := tb.(*leakchecktesting.T); ok {
		leakcheckSub(t)
	}
}

// leakcheckTestingSuite is what testify's suite.Run needs of a suite.
type leakcheckTestingSuite interface {
	T() *leakchecktesting.T
	SetT(*leakchecktesting.T)
}

// leakcheckSuiteT is the suite's T; one whose T panics (a nil suite) has
// none, and its method runs on to fail as it would.
func leakcheckSuiteT(suite leakcheckTestingSuite) (t *leakchecktesting.T) {
	defer func() {
		if recover() != nil {
			t = nil
		}
	}()
	return suite.T()
}

// leakcheckBench is the first statement of every benchmark, and of every
// other function of the test files that takes exactly a *testing.B (a
// sub-benchmark's function, passed to b.Run). Benchmarks are not checked;
// their goroutines are recorded as theirs so that no test is blamed for
// them. A function run by testing.Benchmark (from a test, usually) is not
// one of the package's benchmarks: its B has no name, and what it starts is
// its caller's.
//
// It runs while the benchmark's timer runs, maybe once an iteration (a
// helper of the benchmark that takes its B). testing calls a benchmark's
// function once a round, each round on one goroutine with its own b.N
// (rounds' N grow; under b.Loop, N grows within the round, a few times):
// a call with the N of the B's last registration is a helper's, on a
// goroutine that is the benchmark's already or was started by one, and
// costs a map lookup. (Told by the goroutine's label set instead, a helper
// called under pprof.Do registered again at every iteration: a benchmark
// of 1 s ran for minutes.) The rest is done with the timer stopped, so that
// the timings and allocations go test reports are the benchmark's own
// (-benchtime=100x showed 80 µs and 250 bytes more an operation).
func leakcheckBench(b *leakchecktesting.B) {
	s := leakcheckActive
	if s == nil || b == nil || b.Name() == "" {
		return
	}
	s.benchMu.Lock()
	n, done := s.benchRounds[b]
	s.benchMu.Unlock()
	if done && n == b.N {
		return
	}
	timed := leakcheckTimerOn(b)
	if timed {
		b.StopTimer()
	}
	s.bench(b)
	s.benchMu.Lock()
	if s.benchRounds == nil {
		s.benchRounds = make(map[*leakchecktesting.B]int)
	}
	s.benchRounds[b] = b.N
	s.benchMu.Unlock()
	if timed {
		b.StartTimer()
	}
}

// leakcheckTimerField is the index of testing.B's timerOn field (Go 1.21
// to 1.27), or -1 where it is not a bool field of that name.
var leakcheckTimerField = func() int {
	f, ok := leakcheckreflect.TypeOf((*leakchecktesting.B)(nil)).Elem().FieldByName("timerOn")
	if !ok || len(f.Index) != 1 || f.Type.Kind() != leakcheckreflect.Bool {
		return -1
	}
	return f.Index[0]
}()

// leakcheckTimerOn reports whether b's timer runs: stopping and starting
// it around the helper's work must not start a timer the benchmark had
// stopped. Unknown (another Go): the timer is left alone.
func leakcheckTimerOn(b *leakchecktesting.B) bool {
	return leakcheckTimerField >= 0 && leakcheckreflect.ValueOf(b).Elem().Field(leakcheckTimerField).Bool()
}

// leakcheckExample is deferred by the first statement of every example:
// `defer leakcheckExample("ExampleX")()`. Examples run on the main
// goroutine and have no *testing.T; a leak is printed, and the printed line
// fails the example's output comparison.
func leakcheckExample(name string) func() {
	if s := leakcheckActive; s != nil {
		return s.beginExample(name)
	}
	return func() {}
}

// The same entry points, for the shim that the package's other test package
// (external `_test`, or internal) calls them through.

// LeakcheckInternalBegin is leakcheckBegin for the other test package.
func LeakcheckInternalBegin(t *leakchecktesting.T) { t.Helper(); leakcheckBegin(t) }

// LeakcheckInternalBeginParallel is leakcheckBeginParallel for the other
// test package.
func LeakcheckInternalBeginParallel(t *leakchecktesting.T) { t.Helper(); leakcheckBeginParallel(t) }

// LeakcheckInternalBeginFuzz is leakcheckBeginFuzz for the other test package.
func LeakcheckInternalBeginFuzz(f *leakchecktesting.F) { f.Helper(); leakcheckBeginFuzz(f) }

// LeakcheckInternalSub is leakcheckSub for the other test package.
func LeakcheckInternalSub(t *leakchecktesting.T) { leakcheckSub(t) }

// LeakcheckInternalSuiteSub is leakcheckSuiteSub for the other test package.
func LeakcheckInternalSuiteSub(suite interface{}) { leakcheckSuiteSub(suite) }

// LeakcheckInternalRunSub is leakcheckRunSub for the other test package.
func LeakcheckInternalRunSub(tb leakchecktesting.TB) { leakcheckRunSub(tb) }

// LeakcheckInternalBench is leakcheckBench for the other test package.
func LeakcheckInternalBench(b *leakchecktesting.B) { leakcheckBench(b) }

// LeakcheckInternalExample is leakcheckExample for the other test package.
func LeakcheckInternalExample(name string) func() { return leakcheckExample(name) }

// LeakcheckInternalRun is leakcheckRun for the other test package.
func LeakcheckInternalRun(m *leakchecktesting.M) int { return leakcheckRun(m) }

// LeakcheckInternalGoleakM is leakcheckGoleakM for the other test package.
func LeakcheckInternalGoleakM(m *leakchecktesting.M) interface{ Run() int } {
	return leakcheckGoleakM(m)
}

// LeakcheckInternalAtExit is leakcheckAtExit for the other test package.
func LeakcheckInternalAtExit(code int) int { return leakcheckAtExit(code) }

// LeakcheckInternalMain is leakcheckMain for the other test package.
func LeakcheckInternalMain() func() { return leakcheckMain() }

// LeakcheckInternalOwnMain is leakcheckOwnMain for the other test package.
func LeakcheckInternalOwnMain() func() { return leakcheckOwnMain() }

// leakcheckConfig is what leakcheck passes in LEAKCHECK_CONFIG. It is read
// with os.Getenv on purpose: go test's result cache keys on the environment
// a test reads, so a cached pass is a pass under the same grace and rules.
type leakcheckConfig struct {
	GraceMillis int64           `json:"grace_ms"`
	Rules       []leakcheckRule `json:"rules"`
	Proof       bool            `json:"proof"`
	// AlwaysLook turns off the goroutine-creation counter shortcut, so
	// that a test can show the shortcut changes no verdict.
	AlwaysLook bool `json:"always_look"`
}

// leakcheckSession is the state of one test binary.
type leakcheckSession struct {
	// benchRounds: each benchmark's B, and its N when leakcheckBench
	// last recorded the goroutine running it (a plain map: a sync.Map
	// allocates on its first use, which a benchmark's -benchmem would
	// count).
	benchMu      leakchecksync.Mutex
	benchRounds  map[*leakchecktesting.B]int
	cfg          leakcheckConfig
	graceLimit   leakchecktime.Duration
	proofProfile *leakcheckpprof.Profile
	// labelsInDump: the runtime prints labels in goroutine headers (Go 1.27
	// for modules at go >= 1.27). Otherwise labels are read from pprof's
	// goroutine profile, and only when the creator chain cannot tell.
	labelsInDump bool
	records      *leakcheckRecords
	mainID       uint64

	mu leakchecksync.Mutex
	// owners: who each goroutine seen or registered belongs to.
	owners map[uint64]*leakcheckOwner
	// gen counts looks; an owner entry not seen in a look it predates is
	// dropped (its goroutine has exited).
	gen uint64
	// baseline: alive when TestMain started (init daemons). setup: started
	// by TestMain before the first test (fixtures).
	baseline map[uint64]bool
	setup    map[uint64]bool
	// setupAfterRun: the fixtures still alive when m.Run returned; nil when
	// leakcheck did not see m.Run return.
	setupAfterRun map[uint64]bool
	testsBegun    bool
	runCode       int
	runDone       bool
	reported      map[uint64]bool
	// claimed: by stack, the goroutines a check reported, told only by a
	// label other tests' goroutines of that stack carried too.
	claimed map[string][]*leakcheckClaimRecord
	// unmatched: what the profiles said of told goroutines' labels.
	unmatched map[uint64]leakcheckLabelSeen
	// Tests: begun (by testing.TB), active (begun, not yet checked), by
	// name (the latest run), runs per name, and a counter of begin and end
	// events, which tells whether another test began or ended meanwhile.
	begun  map[leakchecktesting.TB]*leakcheckTest
	active map[*leakcheckTest]bool
	byName map[string]*leakcheckTest
	// byLabel: every run of every top-level test, by its label
	// (leakcheckLabelKey).
	byLabel map[string]*leakcheckTest
	runs    map[string]int
	events  uint64
	// subs: subtests whose goroutine is recorded.
	subs map[*leakchecktesting.T]bool
	// known holds every goroutine alive at the last look; it stays the
	// set alive at a test's start while the creation counter equals
	// knownCounter (nothing was created since).
	known        map[uint64]bool
	knownCounter uint64
	knownOK      bool
	// knownStale: known was kept current by a glance (leakcheckStaleQuota).
	knownStale bool
	// daemons: the last look saw a goroutine that a test may wake to
	// start a job for it (daemonLocked), or a test that may have left
	// goroutines ended since (forgetLocked); createdSince waits for such
	// jobs only then.
	daemons bool
	// glance: what the last glance saw (leakcheck_glance), the set a
	// serial test's check compares its own glance with; it stays the set
	// alive at a test's start while the creation counter equals
	// glanceCounter, as known does.
	glancer       leakcheckGlancer
	lister        leakcheckIDLister
	glance        leakcheckGlance
	glanceCounter uint64
	glanceOK      bool
	// labels: the labels a goroutine starting with a given label set
	// inherits, leakcheck's own left out, where the set cannot be decoded.
	labels   map[leakcheckunsafe.Pointer][]string
	problems []string

	// Checks in the background (leakcheck_looker): waiting, whether the
	// looker runs, its wake-up, its end, what they found, and whether
	// checks may run there at all.
	pending         []*leakcheckWait
	lookerRunning   bool
	wake            chan struct{}
	drained         *leakchecksync.Cond
	backgroundLeaks []string
	backgroundOK    bool
	// inRun: m.Run runs, called from leakcheckRun, which drains the
	// background before TestMain goes on.
	inRun bool
	// runStart: when leakcheckRun called m.Run, whose alarm an example's
	// check must not outwait. Written and read on the main goroutine only
	// (examples run on it), without the lock.
	runStart leakchecktime.Time
	// stdout: os.Stdout before m.Run, where testing puts it back when an
	// example returns; an example's check waits with it in place. Main
	// goroutine only, as runStart.
	stdout *leakcheckos.File
	// testAlarm: the last test's t.Deadline (zero without -timeout): the
	// alarm an example's check must not outwait when m.Run was called
	// where leakcheck could not see it (goleak.VerifyTestMain).
	testAlarm leakchecktime.Time
	// m: the M leakcheckRun runs, whose -timeout alarm a check's wait
	// pauses (pauseAlarm); alarmShift: by how much the waits of this m.Run
	// postponed it so far; alarmPaused: a check waits with it stopped.
	m           *leakchecktesting.M
	alarmShift  leakchecktime.Duration
	alarmPaused bool

	exitOnce   leakchecksync.Once
	exitLeaked bool
	cacheKey   leakchecksync.Once
}

// leakcheckEnv is what leakcheck passed this test binary in its
// environment. It is taken while the package's variables are initialized,
// before any init function of the package runs (only the packages it
// imports run theirs earlier).
var leakcheckEnv = leakcheckTakeEnv()

type leakcheckEnvironment struct {
	dir, config string
	problems    []string
}

// leakcheckTakeEnv reads leakcheck's variables and puts the environment
// back to what the user had: leakcheck's variables gone, those it changed
// for go test restored. Only this process speaks for the run: a test that
// starts this binary again (exec.Command(os.Args[0], ...)) gets a child
// that runs as under plain go test.
func leakcheckTakeEnv() leakcheckEnvironment {
	var env leakcheckEnvironment
	// syscall.Getenv, unlike os.Getenv, is not recorded by go test's result
	// cache: the record directory changes every run and must not defeat it.
	dir, ok := leakchecksyscall.Getenv("LEAKCHECK_DIR")
	if !ok || dir == "" {
		return env
	}
	env.dir = dir
	env.config, _ = leakchecksyscall.Getenv("LEAKCHECK_CONFIG")
	restore, _ := leakchecksyscall.Getenv("LEAKCHECK_RESTORE")
	_ = leakchecksyscall.Unsetenv("LEAKCHECK_DIR")
	_ = leakchecksyscall.Unsetenv("LEAKCHECK_CONFIG")
	_ = leakchecksyscall.Unsetenv("LEAKCHECK_RESTORE")
	if restore != "" {
		vars, err := leakcheckParseRestore(restore)
		if err != nil {
			env.problems = append(env.problems, "bad LEAKCHECK_RESTORE: "+err.Error())
		}
		for k, v := range vars {
			if v == nil {
				_ = leakchecksyscall.Unsetenv(k)
			} else {
				_ = leakchecksyscall.Setenv(k, *v)
			}
		}
	}
	return env
}

// leakcheckStart starts the session when this process is the test binary
// leakcheck started.
func leakcheckStart() *leakcheckSession {
	env := leakcheckEnv
	if env.dir == "" {
		return nil
	}
	leakcheckDieWithParent()
	problems := env.problems
	s := &leakcheckSession{
		owners:    map[uint64]*leakcheckOwner{},
		reported:  map[uint64]bool{},
		claimed:   map[string][]*leakcheckClaimRecord{},
		unmatched: map[uint64]leakcheckLabelSeen{},
		begun:     map[leakchecktesting.TB]*leakcheckTest{},
		active:    map[*leakcheckTest]bool{},
		byName:    map[string]*leakcheckTest{},
		byLabel:   map[string]*leakcheckTest{},
		runs:      map[string]int{},
		subs:      map[*leakchecktesting.T]bool{},
		labels:    map[leakcheckunsafe.Pointer][]string{},
		problems:  problems,
		wake:      make(chan struct{}, 1),
	}
	s.drained = leakchecksync.NewCond(&s.mu)
	s.stdout = leakcheckos.Stdout
	var err error
	if s.cfg, err = leakcheckParseConfig(env.config); err != nil {
		s.problems = append(s.problems, "bad LEAKCHECK_CONFIG: "+err.Error())
	}
	for i := range s.cfg.Rules {
		if err := s.cfg.Rules[i].compile(); err != nil {
			s.problems = append(s.problems, "rule "+s.cfg.Rules[i].Name+": "+err.Error())
		}
	}
	s.graceLimit = leakchecktime.Duration(s.cfg.GraceMillis) * leakchecktime.Millisecond
	s.labelsInDump = leakcheckProbeLabels()
	if s.cfg.Proof {
		s.proofProfile = leakcheckpprof.Lookup("goroutineleak")
	}
	// LEAKCHECK_ALWAYS_LOOK=1 also keeps every check in its test: the
	// run every shortcut is compared with.
	s.backgroundOK = !s.cfg.AlwaysLook
	s.mainID = leakcheckOwnID()
	snap := s.look()
	s.mu.Lock()
	s.baseline = snap.ids()
	delete(s.baseline, s.mainID)
	s.setKnownLocked(snap)
	s.mu.Unlock()
	s.records = leakcheckOpenRecords(env.dir)
	_, counter := leakcheckCreated()
	s.records.write(leakcheckRecordHeader{
		Kind:         "start",
		Package:      leakcheckImportPath,
		Go:           leakcheckGoVersion(),
		PID:          leakcheckos.Getpid(),
		PPID:         leakcheckos.Getppid(),
		LabelsInDump: s.labelsInDump,
		Counter:      counter && !s.cfg.AlwaysLook,
		Proof:        s.proofProfile != nil,
		UserMain:     leakcheckUserMain,
		Problems:     s.problems,
	}, nil)
	return s
}

// touchCacheKey reads LEAKCHECK_CONFIG through os.Getenv once a test runs:
// go test only records what a test reads once m.Run has started its log,
// and records the name, not the value (it hashes the value from its own
// environment). So a cached pass is one under the same grace and rules.
func (s *leakcheckSession) touchCacheKey() {
	s.cacheKey.Do(func() { _ = leakcheckos.Getenv("LEAKCHECK_CONFIG") })
}

// afterRun: m.Run returned. The fixtures alive now are the ones TestMain's
// teardown may stop.
func (s *leakcheckSession) afterRun(code int) {
	snap := s.look()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runCode, s.runDone = code, true
	if !s.testsBegun {
		return
	}
	s.setupAfterRun = map[uint64]bool{}
	for i := range snap.goroutines {
		if id := snap.goroutines[i].id; s.setup[id] {
			s.setupAfterRun[id] = true
		}
	}
}

func (s *leakcheckSession) lastRunCode() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runCode, s.runDone
}

func (s *leakcheckSession) problem(p string) {
	s.mu.Lock()
	s.problems = append(s.problems, p)
	s.mu.Unlock()
}

func leakcheckCount(n int) string {
	if n == 1 {
		return "1 goroutine"
	}
	return leakcheckItoa(n) + " goroutines"
}

func leakcheckItoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// leakcheckHasPrefix is strings.HasPrefix, kept here to spell the many
// prefix tests of the dump parser briefly.
func leakcheckHasPrefix(s, p string) bool { return leakcheckstrings.HasPrefix(s, p) }

// The settings leakcheck passes are JSON, read by the small reader below
// rather than encoding/json: that package and the reflection it keeps add
// half a megabyte to every test binary, and a few milliseconds to every
// link.

// leakcheckJSONNumber is a JSON number, as written.
type leakcheckJSONNumber string

// leakcheckJSONReader reads one JSON value: objects as
// map[string]interface{}, arrays as []interface{}, strings, numbers
// (leakcheckJSONNumber), booleans and nil.
type leakcheckJSONReader struct {
	s   string
	i   int
	err string
}

func leakcheckParseJSON(s string) (interface{}, error) {
	r := &leakcheckJSONReader{s: s}
	v := r.value(0)
	r.space()
	if r.err == "" && r.i < len(r.s) {
		r.fail("data after the value")
	}
	if r.err != "" {
		return nil, leakcheckJSONError(r.err)
	}
	return v, nil
}

// leakcheckParseJSONObject reads a JSON object.
func leakcheckParseJSONObject(s string) (map[string]interface{}, error) {
	v, err := leakcheckParseJSON(s)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]interface{})
	if !ok {
		return nil, leakcheckJSONError("not an object")
	}
	return obj, nil
}

type leakcheckJSONError string

func (e leakcheckJSONError) Error() string { return string(e) }

func (r *leakcheckJSONReader) fail(what string) {
	if r.err == "" {
		r.err = what + " at offset " + leakcheckstrconv.Itoa(r.i)
	}
	r.i = len(r.s)
}

func (r *leakcheckJSONReader) space() {
	for r.i < len(r.s) && (r.s[r.i] == ' ' || r.s[r.i] == '\t' || r.s[r.i] == '\n' || r.s[r.i] == '\r') {
		r.i++
	}
}

func (r *leakcheckJSONReader) value(depth int) interface{} {
	r.space()
	if r.i >= len(r.s) || depth > 64 {
		r.fail("unexpected end")
		return nil
	}
	switch c := r.s[r.i]; {
	case c == '{':
		obj := map[string]interface{}{}
		if r.items('}', func() {
			if r.i >= len(r.s) || r.s[r.i] != '"' {
				r.fail("expected a member name")
				return
			}
			k := r.str()
			r.space()
			if r.i >= len(r.s) || r.s[r.i] != ':' {
				r.fail("expected ':'")
				return
			}
			r.i++
			obj[k] = r.value(depth + 1)
		}) {
			return obj
		}
		return nil
	case c == '[':
		arr := []interface{}{}
		if r.items(']', func() { arr = append(arr, r.value(depth+1)) }) {
			return arr
		}
		return nil
	case c == '"':
		return r.str()
	case c == '-' || c >= '0' && c <= '9':
		start := r.i
		for r.i < len(r.s) && leakcheckstrings.IndexByte("+-.0123456789eE", r.s[r.i]) >= 0 {
			r.i++
		}
		return leakcheckJSONNumber(r.s[start:r.i])
	case leakcheckstrings.HasPrefix(r.s[r.i:], "true"):
		r.i += 4
		return true
	case leakcheckstrings.HasPrefix(r.s[r.i:], "false"):
		r.i += 5
		return false
	case leakcheckstrings.HasPrefix(r.s[r.i:], "null"):
		r.i += 4
		return nil
	}
	r.fail("unexpected character")
	return nil
}

// items reads the items of an object or array, from its opening bracket at
// r.i to end, each with item (which starts at the item, space skipped);
// false when they are not well formed.
func (r *leakcheckJSONReader) items(end byte, item func()) bool {
	r.i++
	r.space()
	if r.i < len(r.s) && r.s[r.i] == end {
		r.i++
		return true
	}
	for r.err == "" {
		r.space()
		item()
		r.space()
		if r.i < len(r.s) && r.s[r.i] == ',' {
			r.i++
			continue
		}
		if r.i < len(r.s) && r.s[r.i] == end {
			r.i++
			return r.err == ""
		}
		r.fail("expected ',' or '" + string(end) + "'")
	}
	return false
}

// str reads a string at r.i (its opening quote).
func (r *leakcheckJSONReader) str() string {
	r.i++
	var b []byte
	for r.i < len(r.s) {
		c := r.s[r.i]
		switch {
		case c == '"':
			r.i++
			return string(b)
		case c == '\\' && r.i+1 < len(r.s):
			e := r.s[r.i+1]
			r.i += 2
			switch e {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				c1 := r.hex4()
				if c1 >= 0xd800 && c1 < 0xdc00 && leakcheckstrings.HasPrefix(r.s[r.i:], "\\u") {
					save := r.i
					r.i += 2
					c2 := r.hex4()
					if c2 >= 0xdc00 && c2 < 0xe000 {
						b = append(b, string(rune((c1-0xd800)<<10+(c2-0xdc00)+0x10000))...)
						continue
					}
					r.i = save
				}
				b = append(b, string(rune(c1))...)
			default:
				b = append(b, e)
			}
		default:
			b = append(b, c)
			r.i++
		}
	}
	r.fail("unterminated string")
	return ""
}

func (r *leakcheckJSONReader) hex4() int {
	if r.i+4 > len(r.s) {
		r.fail("short \\u escape")
		return 0
	}
	n, err := leakcheckstrconv.ParseUint(r.s[r.i:r.i+4], 16, 32)
	if err != nil {
		r.fail("bad \\u escape")
		return 0
	}
	r.i += 4
	return int(n)
}

// leakcheckParseConfig reads LEAKCHECK_CONFIG (src/run.rs writes it; members
// it does not know are ignored).
func leakcheckParseConfig(s string) (leakcheckConfig, error) {
	var cfg leakcheckConfig
	obj, err := leakcheckParseJSONObject(s)
	if err != nil {
		return cfg, err
	}
	if n, ok := obj["grace_ms"].(leakcheckJSONNumber); ok {
		if cfg.GraceMillis, err = leakcheckstrconv.ParseInt(string(n), 10, 64); err != nil {
			return cfg, leakcheckJSONError("grace_ms: " + err.Error())
		}
	}
	cfg.Proof, _ = obj["proof"].(bool)
	cfg.AlwaysLook, _ = obj["always_look"].(bool)
	rules, isArray := obj["rules"].([]interface{})
	if isArray {
		cfg.Rules = make([]leakcheckRule, 0, len(rules))
	}
	for _, r := range rules {
		m, ok := r.(map[string]interface{})
		if !ok {
			return cfg, leakcheckJSONError("a rule is not an object")
		}
		var rule leakcheckRule
		rule.Name, _ = m["name"].(string)
		for _, f := range []struct {
			key string
			to  **leakcheckMatcher
		}{
			{"top_function", &rule.TopFunction},
			{"any_function", &rule.AnyFunction},
			{"created_by", &rule.CreatedBy},
			{"state", &rule.State},
			{"package", &rule.Package},
			{"test", &rule.Test},
		} {
			mm, ok := m[f.key].(map[string]interface{})
			if !ok {
				continue
			}
			matcher := &leakcheckMatcher{}
			if s, ok := mm["exact"].(string); ok {
				matcher.Exact = &s
			}
			if s, ok := mm["regex"].(string); ok {
				matcher.Regex = &s
			}
			*f.to = matcher
		}
		cfg.Rules = append(cfg.Rules, rule)
	}
	return cfg, nil
}

// leakcheckParseRestore reads LEAKCHECK_RESTORE: each variable's value
// before leakcheck changed it, null for one that was unset.
func leakcheckParseRestore(s string) (map[string]*string, error) {
	obj, err := leakcheckParseJSONObject(s)
	if err != nil {
		return nil, err
	}
	vars := map[string]*string{}
	for k, val := range obj {
		if s, ok := val.(string); ok {
			vars[k] = &s
		} else {
			vars[k] = nil
		}
	}
	return vars, nil
}

// leakcheckLabelSet is the current goroutine's label set, as
// runtime/pprof's goroutine labels keep it (nil: none); a goroutine starts
// with its creator's. The runtime marks the function for linking (Go 1.23
// and later) and keeps its signature (go.dev/issue/67401); it has been
// there since Go 1.9.
//
//go:linkname leakcheckLabelSet runtime/pprof.runtime_getProfLabel
func leakcheckLabelSet() leakcheckunsafe.Pointer

// leakcheckMaxAlarmShift bounds how much the checks' waits may postpone
// the -timeout alarm, counted with the time before m.Run: go test kills a
// test binary a minute after its -timeout, counted from its start, alarm
// or not, and a kill names no test.
const leakcheckMaxAlarmShift = 50 * leakchecktime.Second

// leakcheckBinaryStart is about when the test binary started (its
// package variables are initialized first).
var leakcheckBinaryStart = leakchecktime.Now()

// pauseAlarm stops go test's -timeout alarm while a test's check waits for
// what the test left running, and returns what starts it again, later by
// as long as the wait. The wait is leakcheck's time, and go test would
// have had it for the tests that follow: without this, six leaks' waits
// in a 2 s -timeout timed a suite out that go test runs in milliseconds,
// and a check near the alarm cut its grace period short (a goroutine still
// exiting reported as leaked). Only for a check whose test runs alone
// (every other test ended or parked in t.Parallel, which none leaves
// while it waits): the alarm must not stop while another test runs. The
// alarm is testing.M's unexported timer, found by reflection; where there
// is none (another Go, an m.Run leakcheck does not call), or once the
// waits and the time before m.Run add up to leakcheckMaxAlarmShift, the
// alarm runs on and the check stops waiting just before it. Tests still
// see testing's own deadline (t.Deadline).
func (s *leakcheckSession) pauseAlarm() (resume func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	alarm, set := s.baseAlarmLocked()
	if s.m == nil || !set || s.alarmPaused || s.alarmShift+s.graceLimit+s.runStart.Sub(leakcheckBinaryStart) > leakcheckMaxAlarmShift {
		return nil, false
	}
	v := leakcheckreflect.ValueOf(s.m).Elem().FieldByName("timer")
	if !v.IsValid() || v.Type() != leakcheckreflect.TypeOf((*leakchecktime.Timer)(nil)) {
		return nil, false
	}
	timer := *leakcheckreflect.NewAt(v.Type(), leakcheckunsafe.Pointer(v.UnsafeAddr())).Interface().(**leakchecktime.Timer)
	// Stopped: the tests are over, or it went off; never re-armed.
	if timer == nil || !timer.Stop() {
		return nil, false
	}
	s.alarmPaused = true
	start := leakchecktime.Now()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.alarmPaused = false
		s.alarmShift += leakchecktime.Since(start)
		timer.Reset(leakchecktime.Until(alarm.Add(s.alarmShift)))
	}, true
}

// baseAlarmLocked is when the -timeout alarm of this m.Run goes off,
// before any wait postponed it: the last test's t.Deadline, else (an
// example, before any test) when m.Run began plus -timeout.
func (s *leakcheckSession) baseAlarmLocked() (leakchecktime.Time, bool) {
	if !s.testAlarm.IsZero() {
		return s.testAlarm, true
	}
	return leakcheckRunAlarm(s.runStart)
}

// leakcheckRunAlarm is when an alarm started at runStart goes off.
func leakcheckRunAlarm(runStart leakchecktime.Time) (leakchecktime.Time, bool) {
	f := leakcheckflag.Lookup("test.timeout")
	if f == nil || runStart.IsZero() {
		return leakchecktime.Time{}, false
	}
	g, ok := f.Value.(leakcheckflag.Getter)
	if !ok {
		return leakchecktime.Time{}, false
	}
	timeout, ok := g.Get().(leakchecktime.Duration)
	if !ok || timeout <= 0 {
		return leakchecktime.Time{}, false
	}
	return runStart.Add(timeout), true
}
