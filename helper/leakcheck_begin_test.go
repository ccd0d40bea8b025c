package helper

import (
	leakcheckbytes "bytes"
	leakcheckcontext "context"
	leakcheckfmt "fmt"
	leakcheckos "os"
	leakcheckreflect "reflect"
	leakcheckruntime "runtime"
	leakcheckpprof "runtime/pprof"
	leakcheckstrconv "strconv"
	leakcheckstrings "strings"
	leakchecksync "sync"
	leakchecktesting "testing"
	leakcheckunsafe "unsafe"
)

// leakcheckTest is one run of a top-level test, fuzz target or example.
type leakcheckTest struct {
	name string
	run  int
	tb   leakchecktesting.TB // nil for examples
	gid  uint64              // the goroutine running it
	// events: the session's event count right after this test began; when
	// it is the same at the check, no other test began or ended meanwhile.
	events uint64
	// known: goroutines alive when it began (plus its own).
	known map[uint64]bool
	// startCounter: goroutines created so far when it began.
	startCounter uint64
	counterOK    bool
	// startNum: goroutines alive when it began (its own among them).
	startNum int
	// glanceOK: the session's last glance is the set alive when it began
	// (startGlance); endGlance is the one its check took.
	glanceOK               bool
	startGlance, endGlance leakcheckGlance
	// knownStale: known was kept current by a glance, which has no ids
	// (leakcheckStaleQuota).
	knownStale bool
	// subs: the subtests whose goroutines were recorded, to forget at the end.
	subs []*leakchecktesting.T
	// subGoroutines: the goroutine of each subtest (by its testing state's
	// address, leakcheckCommonOf; subs keeps it alive) that t.Run started
	// on its parent's own goroutine (its own, or one of these), seen as the
	// subtest began; subCounted: those goroutines (onlySubtestsCreated
	// counts them). subsUnsure: a subtest began otherwise.
	subGoroutines map[uintptr]uint64
	subCounted    map[uint64]bool
	subsUnsure    bool
	// subFuncs: the function each subtest's tRunner called (the subtest's
	// own function) → that subtest, "" when more than one subtest runs
	// it (a table test's rows); subRunners: the goroutines that ran them
	// (leakcheckClosureSub).
	subFuncs   map[string]string
	subRunners map[uint64]bool
	// bench: a benchmark, never checked: its goroutines are nobody's leak.
	bench bool
	// parksFirst: its first statement is t.Parallel() (the rewrite says
	// so): parked, it has run none of its code.
	parksFirst bool
}

// begin starts the check of a top-level test or fuzz target. parksFirst:
// the test's first statement is t.Parallel(); a test that calls its
// function with its own t (TestA calling TestB(t)) ran code of its own
// before, and keeps its record as begun (helper-115).
func (s *leakcheckSession) begin(tb leakchecktesting.TB, parksFirst bool) {
	tb.Helper()
	name := tb.Name()
	if leakcheckstrings.Contains(name, "/") {
		// A test function run as a subtest: t.Run("x", TestX).
		if t, ok := tb.(*leakchecktesting.T); ok {
			s.sub(t)
		}
		return
	}
	s.touchCacheKey()
	// A test begins after every earlier test's check is over: what it
	// does cannot stop what an earlier check waits for, and no looker
	// is alive while it runs (a test counting goroutines, or goleak in
	// it, would see it). Parallel tests begin before any of them runs.
	s.drain()
	self, header := leakcheckOwnStack()
	alarm, alarmSet := leakcheckDeadline(tb)
	s.mu.Lock()
	if s.begun[tb] != nil {
		// A test calling another test function directly with its own t.
		s.mu.Unlock()
		return
	}
	s.runs[name]++
	tc := &leakcheckTest{name: name, run: s.runs[name], tb: tb, gid: self, parksFirst: parksFirst}
	s.begun[tb] = tc
	if alarmSet {
		// (A fuzz target has none: the tests' stays.)
		s.testAlarm = alarm
	}
	s.mu.Unlock()
	s.setLabels(name, tc.run, header)
	s.started(tc, 1)
	tb.Cleanup(func() {
		if leakcheckFuzzTargetPanicked(tb) {
			// A seed panicked: this cleanup runs on the seed's goroutine,
			// which repanics after it and takes the binary down; F can
			// neither report nor be asked (each call panics). The end is
			// recorded, unchecked (no look would be true: the seed's own
			// goroutine is alive), and go test reports the panic.
			s.writeEnd(tc, leakcheckOutcome{}, true, false, false)
			s.mu.Lock()
			s.forgetLocked(tc, true)
			s.mu.Unlock()
			return
		}
		tb.Helper()
		s.end(tc)
	})
}

// leakcheckFuzzTargetPanicked reports whether tb is a fuzz target's F whose
// fuzz function panicked on a seed: testing then never leaves the "inside
// the fuzz target" state, and F's Helper, Fail and Errorf panic ("use
// t.Helper instead"), which in a cleanup would replace the seed's panic
// with leakcheck's.
func leakcheckFuzzTargetPanicked(tb leakchecktesting.TB) (panicked bool) {
	f, ok := tb.(*leakchecktesting.F)
	if !ok {
		return false
	}
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	f.Helper()
	return false
}

// started records a test's start: its goroutine as its own, the goroutines
// alive (for the one that runs alone), and the creation counter. own is how
// many goroutines testing created to run it (1 for a test, 0 for an
// example).
func (s *leakcheckSession) started(tc *leakcheckTest, own uint64) {
	counter, counterOK := leakcheckCreated()
	counterOK = counterOK && !s.cfg.AlwaysLook
	tc.startNum = leakcheckruntime.NumGoroutine()
	s.mu.Lock()
	first := !s.testsBegun
	s.testsBegun = true
	if own > 0 {
		// What the test's goroutine creates is the test's. Not so for an
		// example: the main goroutine it runs on also creates testing's
		// own goroutines, and the next tests'; what an example starts is
		// told by its label, or by its running alone.
		s.owners[tc.gid] = &leakcheckOwner{kind: leakcheckOwnerTest, test: tc, gen: s.gen + 1}
	}
	s.active[tc] = true
	s.byName[tc.name] = tc
	if own > 0 {
		s.byLabel[leakcheckLabelKey(tc.name, tc.run)] = tc
	} else {
		// An example's label has no run (beginExample).
		s.byLabel[tc.name] = tc
	}
	s.events++
	tc.events = s.events
	tc.glanceOK = counterOK && s.glanceOK && counter == s.glanceCounter+own
	if tc.glanceOK {
		s.glanceCounter = counter
		tc.startGlance = s.glance
	} else {
		s.glance, s.glanceOK = leakcheckGlance{}, false
	}
	// The only goroutine created since the last look is this test's own
	// (created by testing just before it runs): the last look's set is
	// still the set alive now, and no look is needed.
	if !first && counterOK && s.knownOK && counter == s.knownCounter+own {
		s.knownCounter = counter
		tc.known, tc.startCounter, tc.counterOK = s.known, counter, true
		tc.knownStale = s.knownStale
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	snap := s.look()
	s.mu.Lock()
	defer s.mu.Unlock()
	if first {
		// What TestMain started before the first test: the package's
		// fixtures.
		s.setup = map[uint64]bool{}
		for i := range snap.goroutines {
			g := &snap.goroutines[i]
			if !s.baseline[g.id] && g.id != s.mainID && g.id != tc.gid {
				s.setup[g.id] = true
			}
		}
	}
	s.attributeLocked(&snap)
	s.setKnownLocked(snap)
	tc.known, tc.startCounter, tc.counterOK = s.known, snap.counter, snap.counterOK
}

// sub records which goroutine runs a subtest (the first call for each *T is
// on its own goroutine), so that what it starts can be named after it.
func (s *leakcheckSession) sub(t *leakchecktesting.T) {
	name := t.Name()
	slash := leakcheckstrings.IndexByte(name, '/')
	if slash < 0 {
		return
	}
	s.mu.Lock()
	if s.subs[t] {
		s.mu.Unlock()
		return
	}
	s.subs[t] = true
	tc := s.byName[name[:slash]]
	if tc == nil || !s.active[tc] {
		s.mu.Unlock()
		return
	}
	tc.subs = append(tc.subs, t)
	s.mu.Unlock()
	self, creator, creatorFn, runs, header, runFn := leakcheckSubStart(t)
	s.mu.Lock()
	// Counted for onlySubtestsCreated: a goroutine t.Run started on its
	// parent's own goroutine, the parent being the test itself or a
	// counted subtest (told by testing's own link to it, not by name: a
	// subtest named "x/y", or one of a T kept from an earlier run, is no
	// child of the one its name says: helper-134). Anything else (a
	// worker's t.Run, a sibling's parent.Run, a goroutine counted before,
	// one that runs another subtest than t: helper-135) makes the test's
	// count unsure.
	parent := leakcheckParentOf(t)
	parentG, parentOK := tc.gid, parent != 0 && parent == leakcheckCommonOf(tc.tb)
	if !parentOK && parent != 0 {
		parentG, parentOK = tc.subGoroutines[parent]
	}
	own := runs != 0 && runs == uintptr(leakcheckunsafe.Pointer(t))
	if creatorFn == "testing.(*T).Run" && own && parentOK && creator == parentG && !tc.subCounted[self] {
		if tc.subGoroutines == nil {
			tc.subGoroutines, tc.subCounted = map[uintptr]uint64{}, map[uint64]bool{}
		}
		tc.subGoroutines[leakcheckCommonOf(t)] = self
		tc.subCounted[self] = true
	} else {
		tc.subsUnsure = true
	}
	if own && runFn != "" {
		// By the name of the code it runs, as goroutines' are read
		// (leakcheckSourceName: a literal inside an inlined helper).
		runFn = leakcheckSourceName(runFn, "")
		if tc.subFuncs == nil {
			tc.subFuncs, tc.subRunners = map[string]string{}, map[uint64]bool{}
		}
		tc.subRunners[self] = true
		sub := name
		if other, ok := tc.subFuncs[runFn]; ok && other != name {
			sub = "" // a table test's rows: none is told by its code
		}
		tc.subFuncs[runFn] = sub
	}
	// A look between testing's creating this goroutine and this call
	// told it by its creator, the parent (sub)test: it is the subtest's.
	if o := s.owners[self]; o == nil || o.kind == leakcheckOwnerTest && o.test == tc && (o.sub == "" || leakcheckstrings.HasPrefix(name, o.sub+"/")) {
		s.owners[self] = &leakcheckOwner{kind: leakcheckOwnerTest, test: tc, sub: name, gen: s.gen + 1}
	}
	s.mu.Unlock()
	// Its own label, so that what it starts through a goroutine that
	// exits before any look (its creator chain broken) is still told to
	// be the subtest's, not only its top-level test's.
	s.setLabels(name, tc.run, header)
}

// bench records a benchmark's goroutine as a benchmark's, and labels it
// leakcheck=<benchmark>: what it starts through a goroutine that exits at
// once is the benchmark's too, not a leak after the last test.
func (s *leakcheckSession) bench(b *leakchecktesting.B) {
	self, header := leakcheckOwnStack()
	name := b.Name()
	top := leakcheckTopName(name)
	s.mu.Lock()
	tc := s.byLabel[top]
	if tc == nil || !tc.bench {
		tc = &leakcheckTest{name: top, run: 1, bench: true}
		s.byLabel[top] = tc
	}
	if s.owners[self] == nil {
		s.owners[self] = &leakcheckOwner{kind: leakcheckOwnerBench, test: tc, gen: s.gen + 1}
	}
	s.mu.Unlock()
	s.setLabels(name, 1, header)
}

// beginExample starts the check of an example, which runs on the main
// goroutine: the label is set for the example and put back after.
//
// A leak is printed into the example's output, which fails go test's
// comparison of it. The line is printed on a line of its own, after a
// newline of its own: the example's output may not end in one (fmt.Print),
// and the newline only adds trailing space to the example's own output,
// which go test trims before comparing. leakcheck then finds the example's
// own output before the line, and decides whether it alone would have
// passed (src/analyse, example_failed_only_by_leakcheck).
func (s *leakcheckSession) beginExample(name string) func() {
	s.touchCacheKey()
	s.drain()
	self, header := leakcheckOwnStack()
	s.mu.Lock()
	s.runs[name]++
	tc := &leakcheckTest{name: name, run: s.runs[name], gid: self}
	s.mu.Unlock()
	own := s.inheritedLabels(header)
	leakcheckSetGoroutineLabels(own, name)
	// An example runs on the main goroutine: nothing was created for it.
	s.started(tc, 0)
	return func() {
		// testing takes back os.Stdout as soon as the example returns:
		// what its goroutines print while the check waits goes where it
		// would go under go test, not into the example's output.
		captured := leakcheckos.Stdout
		leakcheckos.Stdout = s.stdout
		n := s.end(tc)
		leakcheckos.Stdout = captured
		leakcheckSetGoroutineLabels(own, "")
		if n > 0 {
			leakcheckfmt.Printf("\n%s\n", leakcheckLeakedLine(n, name))
		}
	}
}

// end checks a test, writes its end record and forgets it; it returns how
// many goroutines leaked, and fails the test when some did. The check of a
// test that did not run alone goes to the looker instead (0), as does the
// rest of one that holds a slot another test waits for (handOver), and under
// -failfast a leak fails the package, not the test (0).
func (s *leakcheckSession) end(tc *leakcheckTest) int {
	background := s.background(tc)
	created := s.createdSince(tc, background)
	if created && background {
		s.endInBackground(tc)
		return 0
	}
	out := s.checkTest(tc, created)
	if out.handedOver {
		return 0
	}
	// Read after the wait: a goroutine of the test may fail it meanwhile.
	failed, skipped := false, false
	if tc.tb != nil {
		tc.tb.Helper()
		failed, skipped = tc.tb.Failed(), tc.tb.Skipped()
	}
	// Under -failfast a failure stops the run: a leak does not fail the
	// test, so that go test runs the tests it would have run, and the
	// package fails at its end instead (checkPackage). So under -bench:
	// m.Run runs no benchmark after a failed test (helper-124: their
	// results were lost).
	quiet := leakcheckFailfast() || leakcheckBenchmarks()
	s.writeEnd(tc, out, failed, skipped, quiet)
	n := len(out.leaked)
	s.mu.Lock()
	s.forgetLocked(tc, n > 0 || len(out.ignored) > 0)
	if n > 0 && quiet {
		s.backgroundLeaks = append(s.backgroundLeaks, leakcheckLeakedLine(n, tc.name))
		n = 0
	}
	s.mu.Unlock()
	if n > 0 && tc.tb != nil {
		tc.tb.Error(leakcheckLeakedLine(n, tc.name))
		if out.cutShort {
			tc.tb.Log("leakcheck stopped waiting for them at the -timeout alarm, before its grace period ended: one that was still exiting may be among them")
		}
	}
	return n
}

// leakcheckLeakedLine is how the helper says a test leaked: in the test's
// failure, an example's output, and the package's output.
func leakcheckLeakedLine(n int, name string) string {
	return "leakcheck: " + leakcheckCount(n) + " leaked after " + name + " returned"
}

// writeEnd writes a test's end record; background: the check did not fail
// the test (it ran after the test returned, or under -failfast).
func (s *leakcheckSession) writeEnd(tc *leakcheckTest, out leakcheckOutcome, failed, skipped, background bool) {
	s.records.write(leakcheckRecordHeader{
		Kind:       "end",
		Test:       tc.name,
		Run:        tc.run,
		Failed:     failed,
		Skipped:    skipped,
		Leaked:     leakcheckIDs(out.leaked),
		Ignored:    leakcheckIDs(out.ignored),
		Ambiguous:  out.ambiguous,
		ByDiff:     out.byDifference,
		Alone:      out.alone,
		Looks:      out.looks,
		TestOf:     out.testOf,
		Background: background,
		// A test that was failed says so in its log (end).
		CutShort:   out.cutShort && (background || tc.tb == nil),
		EndedEarly: out.endedEarly,
	}, out.sections())
}

// forgetLocked: the test has ended; it is no longer running. Its glances
// go (the test itself stays known by name and label). left: it may still
// own goroutines (its check found some, or is not over); from now on a
// later test may hand them jobs (daemonLocked), which the last look,
// taken while it ran, did not count.
func (s *leakcheckSession) forgetLocked(tc *leakcheckTest, left bool) {
	tc.startGlance, tc.endGlance = leakcheckGlance{}, leakcheckGlance{}
	delete(s.active, tc)
	if left {
		s.daemons = true
	}
	if tc.tb != nil {
		delete(s.begun, tc.tb)
	}
	for _, t := range tc.subs {
		delete(s.subs, t)
	}
	s.events++
}

// setLabels gives the test's goroutine the label leakcheck=<name> (and
// leakcheckrun=<run> from its second run on: what a run left is not the
// next run's), merged with the labels it inherited from the goroutine that
// created it: labels a TestMain set are kept. Every goroutine the test
// starts inherits them.
func (s *leakcheckSession) setLabels(name string, run int, header []byte) {
	inherited := s.inheritedLabels(header)
	leakcheckSetTestLabels(inherited, name, run)
	if !leakcheckCanDecodeLabelSet {
		// Its subtests start with this set: what they inherit is known.
		s.rememberLabels(leakcheckLabelSet(), inherited)
	}
}

// inheritedLabels is the current goroutine's labels, leakcheck's own left
// out. On Go 1.26 and 1.27 the helper reads the goroutine's label set
// itself; elsewhere it reads them from a goroutine profile, which formats
// every goroutine (milliseconds with a few hundred alive), once per label
// set: the sets leakcheck gives tests are known, so a subtest costs none
// unless the test gave it labels of its own (pprof.Do around t.Run).
func (s *leakcheckSession) inheritedLabels(header []byte) []string {
	set := leakcheckLabelSet()
	if set == nil {
		return nil
	}
	if leakcheckCanDecodeLabelSet {
		return leakcheckWithoutOwnLabels(leakcheckLabelSetPairs(set))
	}
	s.mu.Lock()
	kv, ok := s.labels[set]
	s.mu.Unlock()
	if !ok {
		kv = s.ownLabels(header)
		s.rememberLabels(set, kv)
	}
	return kv
}

// rememberLabels keeps what a goroutine starting with label set set
// inherits. The key keeps the set alive, so that no other set can take its
// address; at most a few thousand are kept (about one per test and subtest
// that ran), then they are read again.
func (s *leakcheckSession) rememberLabels(set leakcheckunsafe.Pointer, kv []string) {
	if set == nil {
		return
	}
	s.mu.Lock()
	if len(s.labels) >= 4096 {
		s.labels = map[leakcheckunsafe.Pointer][]string{}
	}
	s.labels[set] = kv
	s.mu.Unlock()
}

// ownLabels reads the current goroutine's labels (leakcheck's own left
// out): from its header when the runtime prints labels there, else from
// pprof's goroutine profile.
func (s *leakcheckSession) ownLabels(header []byte) []string {
	var kv []string
	if s.labelsInDump {
		var g leakcheckGoroutine
		if leakcheckParseHeader(string(header), &g) {
			kv = leakcheckLabelPairs(g.labels)
		}
	} else {
		var ok bool
		kv, ok = leakcheckOwnLabelsFromProfile()
		if !ok {
			s.problem("cannot read the labels the tests inherit: labels set before the tests may be replaced")
		}
	}
	return leakcheckWithoutOwnLabels(kv)
}

// leakcheckWithoutOwnLabels is kv, key value pairs, without leakcheck's own
// labels.
func leakcheckWithoutOwnLabels(kv []string) []string {
	out := kv[:0:0]
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] != "leakcheck" && kv[i] != "leakcheckrun" {
			out = append(out, kv[i], kv[i+1])
		}
	}
	return out
}

// leakcheckSetGoroutineLabels sets the current goroutine's labels to kv plus
// leakcheck=<name> (none when name is empty).
func leakcheckSetGoroutineLabels(kv []string, name string) {
	leakcheckSetTestLabels(kv, name, 1)
}

// leakcheckSetTestLabels sets the current goroutine's labels to kv plus
// leakcheck=<name> (none when name is empty), and leakcheckrun=<run> when
// run is 2 or more.
func leakcheckSetTestLabels(kv []string, name string, run int) {
	all := append(kv[:len(kv):len(kv)], "leakcheck", name)
	if run > 1 {
		all = append(all, "leakcheckrun", leakcheckItoa(run))
	}
	if name == "" {
		all = kv
	}
	ctx := leakcheckcontext.Background()
	if len(all) > 0 {
		ctx = leakcheckpprof.WithLabels(ctx, leakcheckpprof.Labels(all...))
	}
	leakcheckpprof.SetGoroutineLabels(ctx)
}

// leakcheckProfileMu makes reading one's own labels from the profile
// unambiguous: only one goroutine is ever inside that function's write.
var leakcheckProfileMu leakchecksync.Mutex

// leakcheckOwnLabelsFromProfile finds, in pprof's debug=1 goroutine
// profile, the group of the goroutine calling it (the only one inside this
// function's profile write) and returns its labels as key, value pairs.
//
//go:noinline
func leakcheckOwnLabelsFromProfile() ([]string, bool) {
	leakcheckProfileMu.Lock()
	defer leakcheckProfileMu.Unlock()
	p := leakcheckpprof.Lookup("goroutine")
	if p == nil {
		return nil, false
	}
	var buf leakcheckbytes.Buffer
	if p.WriteTo(&buf, 1) != nil {
		return nil, false
	}
	for _, group := range leakcheckstrings.Split(buf.String(), "\n\n") {
		if !leakcheckstrings.Contains(group, ".leakcheckOwnLabelsFromProfile+") || !leakcheckstrings.Contains(group, "runtime/pprof.") {
			continue
		}
		for _, line := range leakcheckstrings.Split(group, "\n") {
			if leakcheckstrings.HasPrefix(line, "# labels: ") {
				return leakcheckLabelPairs(leakcheckstrings.TrimPrefix(line, "# labels: ")), true
			}
		}
		return nil, true
	}
	return nil, false
}

// leakcheckProbeLabels reports whether this runtime prints labels in
// goroutine headers (it never changes the setting).
func leakcheckProbeLabels() bool {
	found := false
	leakcheckpprof.Do(leakcheckcontext.Background(), leakcheckpprof.Labels("leakcheck", "probe"), func(leakcheckcontext.Context) {
		_, _, _, _, header := leakcheckOwnStackCreator()
		found = leakcheckbytes.Contains(header, []byte("leakcheck"))
	})
	return found
}

// leakcheckStackBuffers hold what leakcheckOwnStack reads: a buffer on the
// test's goroutine's stack would make that stack grow (a copy of it) at
// every test's start.
var leakcheckStackBuffers = leakchecksync.Pool{New: func() interface{} { return new([2048]byte) }}

// leakcheckOwnStack returns the current goroutine's id and its header line
// (with its labels, where the runtime prints them there); no header where
// the runtime tells the id and the helper reads label sets itself (the
// header is read for its labels only where it cannot: inheritedLabels).
func leakcheckOwnStack() (uint64, []byte) {
	if leakcheckCurrentID != nil && leakcheckCanDecodeLabelSet {
		return leakcheckCurrentID(), nil
	}
	id, _, _, _, header := leakcheckOwnStackCreator()
	return id, header
}

// leakcheckOwnStackCreator is leakcheckOwnStack with the goroutine's
// creator: the function that started it and the goroutine that ran it (0
// and "" when the trace does not say, or does not fit in 16 KiB), and the
// T its outermost testing.tRunner frame runs (its first argument; 0 when
// there is none, or the trace marks the value unsure). A bigger buffer only
// while the header does not fit, or the trace does not and is under 16 KiB.
func leakcheckOwnStackCreator() (id, creator uint64, creatorFn string, runs uintptr, header []byte) {
	small := leakcheckStackBuffers.Get().(*[2048]byte)
	defer leakcheckStackBuffers.Put(small)
	buf := small[:]
	n := leakcheckRuntimeStack(buf)
	for n == len(buf) && len(buf) < 1<<20 && (len(buf) < 16<<10 || leakcheckbytes.IndexByte(buf, '\n') < 0) {
		buf = make([]byte, 4*len(buf))
		n = leakcheckRuntimeStack(buf)
	}
	trace := buf[:n]
	header = trace
	if i := leakcheckbytes.IndexByte(header, '\n'); i >= 0 {
		header = header[:i]
	}
	id = leakcheckHeaderID(header)
	header = append([]byte(nil), header...)
	if n == len(buf) {
		return id, 0, "", 0, header
	}
	// "created by testing.(*T).Run in goroutine 7" (Go 1.21 on).
	i := leakcheckbytes.LastIndex(trace, []byte("\ncreated by "))
	if i < 0 {
		return id, 0, "", 0, header
	}
	line := trace[i+len("\ncreated by "):]
	if j := leakcheckbytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	k := leakcheckbytes.Index(line, []byte(" in goroutine "))
	if k < 0 {
		return id, 0, "", 0, header
	}
	creator, _ = leakcheckstrconv.ParseUint(string(line[k+len(" in goroutine "):]), 10, 64)
	// "testing.tRunner(0xc000102000, 0x5c8d60)", the frame right above.
	if r := leakcheckbytes.LastIndex(trace[:i], []byte("\ntesting.tRunner(0x")); r >= 0 {
		arg := trace[r+len("\ntesting.tRunner(0x"):]
		if end := leakcheckbytes.IndexAny(arg, ",)?\n"); end > 0 && (arg[end] == ',' || arg[end] == ')') {
			v, err := leakcheckstrconv.ParseUint(string(arg[:end]), 16, 64)
			if err == nil {
				runs = uintptr(v)
			}
		}
	}
	return id, creator, string(line[:k]), runs, header
}

// leakcheckSubStart is leakcheckOwnStackCreator for a subtest's start
// (sub): where the runtime tells the goroutine's id and creator, and the
// helper reads label sets itself, nothing is formatted when the function
// that called the helper was called by testing.tRunner itself, which
// passes it the T it runs (each subtest of a table test formatted its
// stack, a third of the helper's time in a package of table tests).
// Otherwise (a test-file function a subtest reaches through code outside
// the test files, a fuzz target's seed called through reflection) only
// the stack says which T the goroutine's tRunner runs.
//
// runFn is the function testing.tRunner called on this goroutine (the
// subtest's function when runs is t), "" when it is not found.
func leakcheckSubStart(t *leakchecktesting.T) (id, creator uint64, creatorFn string, runs uintptr, header []byte, runFn string) {
	runFn, first := leakcheckTRunnerCallee()
	if leakcheckCurrentID == nil || leakcheckCreator == nil || !leakcheckCanDecodeLabelSet || !first {
		id, creator, creatorFn, runs, header = leakcheckOwnStackCreator()
		return id, creator, creatorFn, runs, header, runFn
	}
	creator, creatorFn = leakcheckCreator()
	return leakcheckCurrentID(), creator, creatorFn, uintptr(leakcheckunsafe.Pointer(t)), nil, runFn
}

// leakcheckTRunnerCallee is the function testing.tRunner called on the
// calling goroutine, "" when none of the innermost 64 frames is
// tRunner's; first: it is the first function above the helper's own
// frames. (Each logical frame by its name alone: runtime.Callers gives one
// pc per frame, inlined ones too, and FuncForPC names the function at
// each; runtime.Frames would work out every frame's file and line too,
// which cost as much as formatting the stack.)
func leakcheckTRunnerCallee() (fn string, first bool) {
	var pcs [64]uintptr
	n := leakcheckruntime.Callers(2, pcs[:])
	seen := 0
	for i := 0; i+1 < n; i++ {
		f := leakcheckruntime.FuncForPC(pcs[i] - 1)
		if f == nil {
			return "", false
		}
		name := f.Name()
		if seen == 0 && leakcheckIsHelperFunc(name) {
			continue
		}
		seen++
		if caller := leakcheckruntime.FuncForPC(pcs[i+1] - 1); caller != nil && caller.Name() == "testing.tRunner" {
			return name, seen == 1
		}
	}
	return "", false
}

// leakcheckIsHelperFunc reports whether the function named name (as the
// runtime names it: "path/pkg.Func", a dot in pkg written %2e) is one of
// the helper's on the way from a test's function to sub: in the package,
// or a shim in its external test package. By exact name and package: a
// user's function may begin with leakcheck too (one named like a builtin
// the helper uses is renamed leakcheckUser_<name>), and an external test
// package may declare the helper's exported names or a leakcheckSession of
// its own; taken for the helper's, its caller's T was taken for the one it
// was given (helper-143, helper-144: a subtest's goroutine counted as the
// sibling's, which hid a leak). Those names are the helper's only where
// the helper or the shim declares them (a second declaration would not
// build).
func leakcheckIsHelperFunc(name string) bool {
	slash := leakcheckstrings.LastIndexByte(name, '/') + 1
	dot := leakcheckstrings.IndexByte(name[slash:], '.')
	if dot < 0 {
		return false
	}
	pkg, fn := name[:slash+dot], name[slash+dot+1:]
	own, shim := leakcheckHelperPackages()
	if pkg != own && pkg != shim {
		return false
	}
	switch fn {
	case "leakcheckSub", "leakcheckBegin", "leakcheckBeginParallel", "leakcheckBeginFuzz",
		"leakcheckSuiteSub", "leakcheckRunSub":
		// Declared by the helper, and by the shim in the external package.
		return true
	case "leakcheckSubStart", "(*leakcheckSession).sub", "(*leakcheckSession).begin",
		"LeakcheckInternalSub", "LeakcheckInternalBegin", "LeakcheckInternalBeginParallel",
		"LeakcheckInternalBeginFuzz", "LeakcheckInternalSuiteSub", "LeakcheckInternalRunSub":
		return pkg == own
	}
	return false
}

// leakcheckHelperPackages are the helper's package and its external test
// package, as the runtime names them, found once.
func leakcheckHelperPackages() (own, shim string) {
	leakcheckHelperPackagesOnce.Do(func() {
		if f := leakcheckruntime.FuncForPC(leakcheckreflect.ValueOf(leakcheckSubStart).Pointer()); f != nil {
			pkg := leakcheckstrings.TrimSuffix(f.Name(), ".leakcheckSubStart")
			leakcheckHelperPackage, leakcheckShimPackage = pkg, pkg+"_test"
		}
	})
	return leakcheckHelperPackage, leakcheckShimPackage
}

var (
	leakcheckHelperPackagesOnce                  leakchecksync.Once
	leakcheckHelperPackage, leakcheckShimPackage string
)

// leakcheckCommonOf is the address of tb's testing state (the common a T,
// B or F embeds), which a subtest's parent link points to; 0 when this
// testing package has none.
func leakcheckCommonOf(tb interface{}) uintptr {
	l := leakcheckLinks()
	switch v := tb.(type) {
	case *leakchecktesting.T:
		if v != nil && l.t.ok {
			return uintptr(leakcheckunsafe.Pointer(v)) + l.t.offset
		}
		return 0
	case *leakchecktesting.B:
		if v != nil && l.b.ok {
			return uintptr(leakcheckunsafe.Pointer(v)) + l.b.offset
		}
		return 0
	}
	return leakcheckCommonOfValue(tb)
}

// leakcheckCommonOfValue is leakcheckCommonOf by reflection, for what is
// not a T or B (a *testing.F).
func leakcheckCommonOfValue(tb interface{}) uintptr {
	v := leakcheckreflect.ValueOf(tb)
	if v.Kind() != leakcheckreflect.Ptr || v.IsNil() || v.Elem().Kind() != leakcheckreflect.Struct {
		return 0
	}
	c := v.Elem().FieldByName("common")
	if !c.IsValid() || !c.CanAddr() {
		return 0
	}
	return c.UnsafeAddr()
}

// leakcheckParentOf is the address of the testing state of the test or
// subtest that t is a subtest of (testing's parent link); 0 when this
// testing package has none.
func leakcheckParentOf(t *leakchecktesting.T) uintptr {
	l := leakcheckLinks()
	if t == nil || !l.t.ok || !l.parent.ok {
		return 0
	}
	return *(*uintptr)(leakcheckunsafe.Pointer(uintptr(leakcheckunsafe.Pointer(t)) + l.t.offset + l.parent.offset))
}

// leakcheckField is where a field of package testing's types lies, when
// it is there (ok) with the type the helper reads it as.
type leakcheckField struct {
	offset uintptr
	ok     bool
}

// leakcheckLinks finds, once, where T and B keep their common, and where
// a common keeps its parent: every subtest's start reads them, and
// finding them by name each time (reflection) was a tenth of the helper's
// time in a package of table tests.
func leakcheckLinks() *leakcheckTestingLinks {
	leakcheckLinksOnce.Do(func() {
		common := func(tb interface{}) (leakcheckField, leakcheckreflect.Type) {
			f, ok := leakcheckreflect.TypeOf(tb).Elem().FieldByName("common")
			if !ok || len(f.Index) != 1 || f.Type.Kind() != leakcheckreflect.Struct {
				return leakcheckField{}, nil
			}
			return leakcheckField{offset: f.Offset, ok: true}, f.Type
		}
		l := &leakcheckLinksFound
		var commonType leakcheckreflect.Type
		l.t, commonType = common((*leakchecktesting.T)(nil))
		l.b, _ = common((*leakchecktesting.B)(nil))
		if l.t.ok {
			if p, ok := commonType.FieldByName("parent"); ok && len(p.Index) == 1 && p.Type.Kind() == leakcheckreflect.Ptr {
				l.parent = leakcheckField{offset: p.Offset, ok: true}
			}
		}
	})
	return &leakcheckLinksFound
}

// leakcheckTestingLinks: leakcheckLinks.
type leakcheckTestingLinks struct{ t, b, parent leakcheckField }

var (
	leakcheckLinksOnce  leakchecksync.Once
	leakcheckLinksFound leakcheckTestingLinks
)

// leakcheckOwnID is the current goroutine's id: the runtime's, or the
// start of its stack's header.
func leakcheckOwnID() uint64 {
	if leakcheckCurrentID != nil {
		return leakcheckCurrentID()
	}
	var buf [128]byte
	n := leakcheckRuntimeStack(buf[:])
	return leakcheckHeaderID(buf[:n])
}

func leakcheckHeaderID(b []byte) uint64 {
	b = leakcheckbytes.TrimPrefix(b, []byte("goroutine "))
	if i := leakcheckbytes.IndexByte(b, ' '); i > 0 {
		id, _ := leakcheckstrconv.ParseUint(string(b[:i]), 10, 64)
		return id
	}
	return 0
}
