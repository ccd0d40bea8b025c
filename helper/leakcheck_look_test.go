package helper

import (
	leakcheckbytes "bytes"
	leakcheckpprof "runtime/pprof"
	leakchecksort "sort"
	leakcheckstrconv "strconv"
	leakcheckstrings "strings"
)

// Whose each goroutine is: a look (leakcheck_dump reads it), then the
// creator chain, the labels where the chain is broken, and the claims on
// goroutines that labels alone cannot tell apart.

// leakcheckSnapshot is one look at every goroutine.
type leakcheckSnapshot struct {
	goroutines []leakcheckGoroutine
	counter    uint64 // goroutines created so far, read just before the look
	counterOK  bool
	gen        uint64
	// byID and owner (who each goroutine belongs to) are filled by
	// attributeLocked.
	byID  map[uint64]*leakcheckGoroutine
	owner map[uint64]*leakcheckOwner
	// receivers: the objects TestMain's fixtures run methods on.
	receivers map[string]bool
	// unsettled: stacks whose goroutines the profile, read after the
	// dump, counts otherwise than the dump shows them (one moved, was
	// created or exited in between): their labels' counts were given
	// for this look only, and a check that may own one looks again.
	unsettled map[string]bool
	// index: the goroutines by owner, made by the first check that reads
	// the look (see indexed).
	index *leakcheckIndex
}

// leakcheckIndex is a look's goroutines (their places in goroutines) by
// owner. One look serves every check waiting: when 2,000 parallel tests
// end together, each check scanning every goroutine made the looker's work
// grow with the square of the tests.
type leakcheckIndex struct {
	// byTest: the goroutines each test owns.
	byTest map[*leakcheckTest][]int
	// unowned: those no test owns (orphans, daemons, fixtures, benchmarks).
	unowned []int
	// unsure: orphans and those told only by a label other tests'
	// goroutines of the same stack carried too.
	unsure []int
}

// indexed is the look's index, made once the look's owners are all told
// (after lookFor): checks only read them.
func (snap *leakcheckSnapshot) indexed() *leakcheckIndex {
	if snap.index != nil {
		return snap.index
	}
	ix := &leakcheckIndex{byTest: map[*leakcheckTest][]int{}}
	for i := range snap.goroutines {
		o := snap.owner[snap.goroutines[i].id]
		if o != nil && o.kind == leakcheckOwnerTest {
			ix.byTest[o.test] = append(ix.byTest[o.test], i)
		} else {
			ix.unowned = append(ix.unowned, i)
		}
		if o == leakcheckOrphan || o != nil && o.ambiguous {
			ix.unsure = append(ix.unsure, i)
		}
	}
	snap.index = ix
	return ix
}

// candidates are the goroutines a check of test may report, in the look's
// order: its test's and those no test owns, and for a test that ran alone
// those of the other tests, which have ended or are parked in t.Parallel
// (a daemon one of them started may run a job this test handed it); every
// goroutine for the check after the last test (test nil).
func (snap *leakcheckSnapshot) candidates(test *leakcheckTest, alone bool) []int {
	all := make([]int, 0, len(snap.goroutines))
	if test == nil {
		for i := range snap.goroutines {
			all = append(all, i)
		}
		return all
	}
	ix := snap.indexed()
	own, rest := ix.byTest[test], ix.unowned
	if alone {
		// Serial tests: the tests owning goroutines are few (those that
		// leaked, and those parked in t.Parallel, which is what alone
		// allows), unlike under t.Parallel, where a look serves thousands.
		var others []int
		for other, gs := range ix.byTest {
			if other != test {
				others = append(others, gs...)
			}
		}
		if len(others) > 0 {
			rest = append(append([]int(nil), rest...), others...)
			leakchecksort.Ints(rest)
		}
	}
	for len(own) > 0 || len(rest) > 0 {
		if len(rest) == 0 || len(own) > 0 && own[0] < rest[0] {
			all, own = append(all, own[0]), own[1:]
		} else {
			all, rest = append(all, rest[0]), rest[1:]
		}
	}
	return all
}

// unsettle marks stack key unsettled.
func (snap *leakcheckSnapshot) unsettle(key string) {
	if snap.unsettled == nil {
		snap.unsettled = map[string]bool{}
	}
	snap.unsettled[key] = true
}

func (snap leakcheckSnapshot) ids() map[uint64]bool {
	ids := make(map[uint64]bool, len(snap.goroutines))
	for i := range snap.goroutines {
		ids[snap.goroutines[i].id] = true
	}
	return ids
}

// Who a goroutine belongs to.
const (
	leakcheckOwnerNone     = iota // not known (yet)
	leakcheckOwnerTest            // a test (and maybe one of its subtests)
	leakcheckOwnerFixture         // TestMain's setup, or an object it made
	leakcheckOwnerBaseline        // alive before TestMain, or started by such
	leakcheckOwnerBench           // a benchmark
	leakcheckOwnerMain            // the main goroutine: its children are not told by their creator
)

// leakcheckOwner says who a goroutine belongs to.
type leakcheckOwner struct {
	kind int
	test *leakcheckTest
	sub  string
	// gen: the last look that saw it alive (or the look after which it
	// was registered); entries older than a look that did not see them
	// belong to goroutines that have exited.
	gen uint64
	// byLabel: told by its label, not by its creator chain.
	byLabel bool
	// ambiguous: told by a label that other tests' goroutines of the same
	// stack carried too: which of them is whose was never told.
	ambiguous bool
	// early: told while the goroutine had not started; told again once
	// it runs, kept for the goroutines it starts.
	early bool
}

// labelName is the leakcheck label the goroutine carries when it is told
// by its creator chain: its subtest's name, or its test's, with the run.
func (o *leakcheckOwner) labelName() string {
	if o.sub != "" {
		return leakcheckLabelKey(o.sub, o.test.run)
	}
	return leakcheckLabelKey(o.test.name, o.test.run)
}

// leakcheckLabelKey is how a label is told: the test's name, and from its
// second run on, the run.
func leakcheckLabelKey(name string, run int) string {
	if run <= 1 {
		return name
	}
	return name + "\x00" + leakcheckItoa(run)
}

// leakcheckLabelOf is the label key of a goroutine's labels, "" without a
// leakcheck label.
func leakcheckLabelOf(kv []string) string {
	name, run := "", 1
	for i := 0; i+1 < len(kv); i += 2 {
		switch kv[i] {
		case "leakcheck":
			name = kv[i+1]
		case "leakcheckrun":
			if n, err := leakcheckstrconv.Atoi(kv[i+1]); err == nil {
				run = n
			}
		}
	}
	if name == "" {
		return ""
	}
	return leakcheckLabelKey(name, run)
}

// leakcheckTopLabel is the label key of the top-level test (the same run)
// of a label key.
func leakcheckTopLabel(label string) string {
	name, run, _ := leakcheckstrings.Cut(label, "\x00")
	top := leakcheckTopName(name)
	if run == "" {
		return top
	}
	return top + "\x00" + run
}

// look takes one snapshot of every goroutine.
func (s *leakcheckSession) look() leakcheckSnapshot {
	counter, ok := leakcheckCreated()
	s.mu.Lock()
	s.gen++
	gen := s.gen
	s.mu.Unlock()
	return leakcheckSnapshot{
		goroutines: leakcheckParseDump(leakcheckStack()),
		counter:    counter,
		counterOK:  ok && !s.cfg.AlwaysLook,
		gen:        gen,
	}
}

func (s *leakcheckSession) setKnownLocked(snap leakcheckSnapshot) {
	s.known = snap.ids()
	s.knownCounter = snap.counter
	s.knownOK = snap.counterOK
	s.knownStale = false
	s.daemons = false
	for i := range snap.goroutines {
		if s.daemonLocked(&snap.goroutines[i], &snap) {
			s.daemons = true
			break
		}
	}
}

// daemonLocked reports whether g may start a goroutine on a test's behalf
// when the test wakes it (hands it a job): one that neither a running
// test, a benchmark nor the main goroutine owns (an init daemon, a fixture
// of TestMain's, one an earlier test left, one nobody can be told to own).
// Until a look has told it, any goroutine but the main one. Only
// goroutines alive at a look can: a goroutine created since is told by the
// next glance or look, and one a running test's goroutine created is that
// test's.
func (s *leakcheckSession) daemonLocked(g *leakcheckGoroutine, snap *leakcheckSnapshot) bool {
	if g.id == s.mainID {
		return false
	}
	o := snap.owner[g.id]
	if o == nil {
		return true
	}
	switch o.kind {
	case leakcheckOwnerTest:
		return !s.active[o.test]
	case leakcheckOwnerBench, leakcheckOwnerMain:
		return false
	}
	return true
}

// attributeLocked decides who each goroutine of the snapshot belongs to,
// by its creator chain first: a goroutine created by a test's goroutine, or
// by one of its goroutines, is the test's, whatever labels it carries; a
// goroutine whose method runs on an object a fixture's goroutine runs on is
// the fixture's. Labels decide only where the chain is broken (its creator
// exited before any look saw it). Entries of exited goroutines are dropped.
// Caller holds s.mu.
func (s *leakcheckSession) attributeLocked(snap *leakcheckSnapshot) {
	alive := make(map[uint64]*leakcheckGoroutine, len(snap.goroutines))
	for i := range snap.goroutines {
		alive[snap.goroutines[i].id] = &snap.goroutines[i]
	}
	snap.byID = alive
	snap.owner = make(map[uint64]*leakcheckOwner, len(snap.goroutines))
	for i := range snap.goroutines {
		s.ownerLocked(&snap.goroutines[i], alive, snap, 0)
	}
	// The creators of goroutines told again at the next look are kept.
	keep := map[uint64]bool{}
	for i := range snap.goroutines {
		if g := &snap.goroutines[i]; s.owners[g.id] == nil && g.createdIn != 0 {
			keep[g.createdIn] = true
		}
	}
	for id, o := range s.owners {
		if alive[id] == nil && o.gen <= snap.gen && !keep[id] {
			delete(s.owners, id)
		}
	}
}

var leakcheckOrphan = &leakcheckOwner{kind: leakcheckOwnerNone}

// leakcheckCreatedByHelper: the helper started g (its looker).
func leakcheckCreatedByHelper(g *leakcheckGoroutine) bool {
	g.parseStack()
	return leakcheckstrings.HasSuffix(g.createdBy, "(*leakcheckSession).toLooker")
}

func (s *leakcheckSession) ownerLocked(g *leakcheckGoroutine, alive map[uint64]*leakcheckGoroutine, snap *leakcheckSnapshot, depth int) *leakcheckOwner {
	if o := snap.owner[g.id]; o != nil {
		return o
	}
	o := s.owners[g.id]
	if o != nil && o.early && g.state != "runnable" {
		// Told again now that it runs.
		o = nil
	}
	switch {
	case o != nil:
	case g.id == s.mainID:
		o = &leakcheckOwner{kind: leakcheckOwnerMain}
	case s.baseline[g.id]:
		o = &leakcheckOwner{kind: leakcheckOwnerBaseline}
	case s.setup[g.id] || s.fixtureReceiverLocked(g, alive, snap):
		o = &leakcheckOwner{kind: leakcheckOwnerFixture}
	case leakcheckCreatedByHelper(g):
		// The looker, before it could say so itself.
		o = &leakcheckOwner{kind: leakcheckOwnerBaseline}
	default:
		parent := s.owners[g.createdIn]
		if parent == nil && depth < 64 {
			if p := alive[g.createdIn]; p != nil && p != g {
				parent = s.ownerLocked(p, alive, snap, depth+1)
			}
		}
		if parent != nil && parent.kind != leakcheckOwnerNone && parent.kind != leakcheckOwnerMain && g.createdIn != 0 {
			o = &leakcheckOwner{kind: parent.kind, test: parent.test, sub: parent.sub, byLabel: parent.byLabel, ambiguous: parent.ambiguous}
		} else {
			o = s.labelOwnerLocked(g.label, false)
		}
	}
	if o == nil {
		// Not known now; labels from the profile may tell later.
		snap.owner[g.id] = leakcheckOrphan
		return leakcheckOrphan
	}
	o.gen = snap.gen
	snap.owner[g.id] = o
	if g.state != "runnable" {
		// A goroutine that has not started yet shows neither its function
		// nor its arguments (only runtime.goexit), so whose object it runs
		// a method on is told once it runs.
		s.owners[g.id] = o
	} else if s.owners[g.id] == nil {
		// Kept meanwhile for what it starts: it may start a goroutine
		// and exit before the next look (a worker handed to pprof.Do),
		// whose creator would be unknown then.
		early := *o
		early.early = true
		s.owners[g.id] = &early
	}
	return o
}

// labelOwnerLocked is the owner a label key names (nil when it names no
// test leakcheck knows): a test's or subtest's, ambiguous when other tests'
// goroutines of the same stack carry other labels, or a benchmark's.
func (s *leakcheckSession) labelOwnerLocked(label string, ambiguous bool) *leakcheckOwner {
	if label == leakcheckInitLabel && label != "" {
		// Package initialization started its lineage (an init daemon's
		// connection, whose dialing goroutine exited).
		return &leakcheckOwner{kind: leakcheckOwnerBaseline, byLabel: true}
	}
	tc, sub := s.byLabelLocked(label)
	switch {
	case tc == nil:
		return nil
	case tc.bench:
		return &leakcheckOwner{kind: leakcheckOwnerBench, test: tc, byLabel: true}
	}
	return &leakcheckOwner{kind: leakcheckOwnerTest, test: tc, sub: sub, byLabel: true, ambiguous: ambiguous}
}

// byLabelLocked is the test (the run) a label key names, and the subtest
// when it names one (a top-level test's name has no slash).
func (s *leakcheckSession) byLabelLocked(label string) (*leakcheckTest, string) {
	if label == "" {
		return nil, ""
	}
	tc := s.byLabel[leakcheckTopLabel(label)]
	if name, _, _ := leakcheckstrings.Cut(label, "\x00"); leakcheckTopName(name) != name {
		return tc, name
	}
	return tc, ""
}

// fixtureReceiverLocked: g runs a method on an object that one of TestMain's
// fixtures, still alive, also runs a method on (database/sql's connection
// cleaner, started lazily by the first test using a pool TestMain opened,
// runs on the same *DB as the opener sql.Open started). The fixtures'
// objects are read from this snapshot: a goroutine that has not started
// yet shows no arguments.
func (s *leakcheckSession) fixtureReceiverLocked(g *leakcheckGoroutine, alive map[uint64]*leakcheckGoroutine, snap *leakcheckSnapshot) bool {
	if len(s.setup) == 0 {
		return false
	}
	key := g.receiverKey()
	if key == "" {
		return false
	}
	if snap.receivers == nil {
		snap.receivers = map[string]bool{}
		for id := range s.setup {
			if f := alive[id]; f != nil && f != g {
				if k := f.receiverKey(); k != "" {
					snap.receivers[k] = true
				}
			}
		}
	}
	return snap.receivers[key]
}

// labelOrphans tells the orphans of a snapshot (goroutines whose creator
// chain is broken) by the labels in pprof's goroutine profile, which prints
// labels per group of identical stacks, by count. The goroutines already
// told (by their chain, or by a label only one test's goroutines of that
// stack carry) are taken out of their label's count first.
//
// Where goroutines of several tests share a stack, which of them is whose
// cannot be told: each check takes its test's count of them, marked
// ambiguous and told for this look only; a check that reports them claims
// them (claimLocked), and while they live the claims spend their label's
// count and keep them from other checks.
//
// The profile is read after the dump, so it may count goroutines the dump
// lacks (created since). The tests being checked (the waits' tests; none
// after the last test) take their count first: their goroutines were all
// created before their checks began, so a newer goroutine of another test
// cannot take their place.
//
// The profile is read only when an orphan not yet reported is there that
// some check may claim: one not alive when its test began (known).
func (s *leakcheckSession) labelOrphans(snap *leakcheckSnapshot, waits []*leakcheckWait) {
	checking := map[string]bool{}
	for _, w := range waits {
		if w.test != nil {
			checking[leakcheckLabelKey(w.test.name, w.test.run)] = true
		}
	}
	s.mu.Lock()
	var orphans []*leakcheckGoroutine
	needed := false
	for i := range snap.goroutines {
		if g := &snap.goroutines[i]; snap.owner[g.id] == leakcheckOrphan {
			orphans = append(orphans, g)
			if s.reported[g.id] || needed {
				continue
			}
			for _, w := range waits {
				if w.test == nil || !w.test.known[g.id] {
					needed = true
					break
				}
			}
		}
	}
	s.mu.Unlock()
	if !needed || s.labelsInDump {
		return
	}
	var buf leakcheckbytes.Buffer
	if p := leakcheckpprof.Lookup("goroutine"); p == nil || p.WriteTo(&buf, 1) != nil {
		return
	}
	byKey := map[string][]*leakcheckGoroutine{}
	for _, g := range orphans {
		g.parseStack()
		k := leakcheckStackKey(g.funcs)
		byKey[k] = append(byKey[k], g)
	}
	// counts: every stack's, by label (a told goroutine is looked for
	// where the dump shows it, whatever stack that is).
	counts := map[string]map[string]int{}
	inProfile := map[string]int{}
	for _, grp := range leakcheckParseProfile(buf.Bytes()) {
		if byKey[grp.key] != nil {
			inProfile[grp.key] += grp.count
		}
		if grp.label == "" {
			continue
		}
		if counts[grp.key] == nil {
			counts[grp.key] = map[string]int{}
		}
		counts[grp.key][grp.label] += grp.count
	}
	// keys: every goroutine's stack key, by its index in the dump.
	keys := make([]string, len(snap.goroutines))
	inDump := map[string]int{}
	for i := range snap.goroutines {
		g := &snap.goroutines[i]
		g.parseStack()
		keys[i] = leakcheckStackKey(g.funcs)
		if byKey[keys[i]] != nil {
			inDump[keys[i]]++
		}
	}
	for key := range byKey {
		if inProfile[key] != inDump[key] {
			snap.unsettle(key)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Labels of told goroutines the profile does not count where the dump
	// shows them: they moved in between, and may be counted on an orphans'
	// stack in the place of an orphan that moved the other way (two
	// pollers trading stacks leave every stack's total as it was), whose
	// label they would then give away. The looking goroutine is left out:
	// the dump shows it first, at runtime.Stack, and the profile where it
	// reads the profile. So is one that most likely does not carry its
	// test's label (pprof.Do with a context of its own replaced it, for
	// good once it returns) rather than moved: never counted under it and
	// missing at the same stack twice, or missing at three looks in a row.
	var moved []string
	for id := range s.unmatched {
		if snap.byID[id] == nil {
			delete(s.unmatched, id)
		}
	}
	// others: by stack, the goroutines the chain did not tell to a test,
	// which may carry what the profile counts there beyond the told ones.
	others := map[string]int{}
	var movedKeys []string
	for i := range snap.goroutines {
		g := &snap.goroutines[i]
		key := keys[i]
		o := snap.owner[g.id]
		if o == leakcheckOrphan {
			// Told since, by a check that looked at the same time.
			if o = s.owners[g.id]; o == nil {
				others[key]++
				continue
			}
			snap.owner[g.id] = o
		}
		if o.test == nil {
			// One of package initialization's lineage, most likely,
			// where the profile counts its label: its count is not an
			// orphan's. (Where it is not, an orphan of the same stack
			// that carries the label is left untold.)
			if c := counts[key]; leakcheckInitLabel != "" && c[leakcheckInitLabel] > 0 {
				c[leakcheckInitLabel]--
				continue
			}
			others[key]++
			continue
		}
		label := o.labelName()
		seen := s.unmatched[g.id]
		if c := counts[key]; c[label] > 0 {
			c[label]--
			s.unmatched[g.id] = leakcheckLabelSeen{counted: true}
		} else if i > 0 {
			seen.misses++
			relabelled := !seen.counted && seen.missedAt == key || seen.misses >= 3
			seen.missedAt = key
			s.unmatched[g.id] = seen
			if relabelled {
				continue
			}
			moved = append(moved, label)
			movedKeys = append(movedKeys, key)
		}
	}
	// A moved goroutine that still carries its label is counted under it
	// where the dump does not explain it: a stack with more of the tests'
	// labels than goroutines the chain did not tell. Where every stack is
	// explained, what moved lost its label on the way (pprof.Do) and gave
	// none away.
	if len(moved) > 0 && !leakcheckUnexplained(counts, others) {
		moved, movedKeys = nil, nil
	}
	for _, key := range movedKeys {
		// What the profile counts in its place may be an orphan that
		// moved there.
		if byKey[key] != nil {
			snap.unsettle(key)
		}
	}
	// Once every told goroutine was taken out of the counts: what is left
	// of a moved label on orphans' stacks may be the moved goroutine, so
	// those stacks are unsettled too (which orphan of them is whose is not
	// told by this look).
	for _, label := range moved {
		for key := range byKey {
			if counts[key][label] > 0 {
				snap.unsettle(key)
			}
		}
	}
	for key, list := range byKey {
		labels := counts[key]
		if labels == nil {
			// (Claims are kept on an unsettled stack the profile counts
			// no label on.)
			labels = map[string]int{}
		}
		held, claims := s.holdClaimsLocked(key, snap, list, labels)
		for label, n := range claims {
			labels[label] -= n
		}
		// A goroutine already reported is never reported again: a label's
		// count given to it would be lost to the label's check. (One whose
		// claim is spent while the dump still shows it: it woke to exit,
		// and the profile, read later, counts it under another stack.)
		var pool []*leakcheckGoroutine
		for _, g := range list {
			if snap.owner[g.id] == leakcheckOrphan && !held[g.id] && !s.reported[g.id] {
				pool = append(pool, g)
			}
		}
		// Two tests' labels on the stack: which identical goroutine is
		// whose is told by count, for this look only, and the count is
		// all that is known (ambiguous). Two subtests' of one test: their
		// counts are exact, but which goroutine is whose is told for this
		// look only too (stored for good, a table test's clean row whose
		// goroutine was still exiting kept the leaking row's goroutine,
		// and the leaking row passed).
		tops := map[string]bool{}
		carried := 0
		for label, n := range labels {
			if n > 0 {
				tops[leakcheckTopLabel(label)] = true
				carried++
			}
		}
		shared := len(tops) > 1 || len(held) > 0 || snap.unsettled[key]
		for _, label := range leakcheckLabelOrder(labels, checking) {
			for n := labels[label]; n > 0 && len(pool) > 0; n-- {
				g := pool[0]
				pool = pool[1:]
				o := s.labelOwnerLocked(label, shared)
				if o == nil {
					continue
				}
				o.gen = snap.gen
				snap.owner[g.id] = o
				// (The init label on a stack tests' goroutines share:
				// which is which is told for this look only, as for a
				// test's label.)
				if !o.ambiguous && !(o.test == nil && shared) && carried == 1 {
					s.owners[g.id] = o
				}
			}
		}
	}
}

// leakcheckUnexplained reports whether the profile counts, on some stack,
// more goroutines under the tests' labels (what is left once the told ones
// were taken out) than the dump shows goroutines there that the chain did
// not tell. The profile-reading goroutines are left out: the dump shows
// them elsewhere.
func leakcheckUnexplained(counts map[string]map[string]int, others map[string]int) bool {
	for key, labels := range counts {
		if leakcheckstrings.Contains(key, "leakcheckSession).labelOrphans") {
			continue
		}
		n := 0
		for _, c := range labels {
			if c > 0 {
				n += c
			}
		}
		if n > others[key] {
			return true
		}
	}
	return false
}

// leakcheckLabelSeen is what the profiles said of a told goroutine's label.
type leakcheckLabelSeen struct {
	// counted: a profile counted it under its test's label, where the dump
	// showed it.
	counted bool
	// missedAt: where the dump showed it when the last profile missed it;
	// misses: how many looks in a row did.
	missedAt string
	misses   int
}

// leakcheckClaimRecord is a goroutine a check reported, told only by a
// label (label) that other tests' goroutines of the same stack carried too.
// Which of them it really was is not known; what is known is the count: the
// test had that many goroutines of that stack, and they were reported.
type leakcheckClaimRecord struct {
	label string
	id    uint64
	// alive: the goroutines of the stack alive when it was claimed, among
	// which the label's really is; a goroutine created since is not what
	// the claim stands for.
	alive map[uint64]bool
}

// holdClaimsLocked brings the claims on stack key up to date with this look
// and returns the goroutines they hold, and how many claims each label has.
// A label's claims never outnumber its goroutines alive (labels, from the
// profile): when some exited, what was reported exited, and the claims
// that stood for them are spent, those whose goroutine is gone first. A
// claim whose goroutine exited while its label still has as many alive
// stands for one of the others, one that no claim holds (orphans: the
// look's goroutines of that stack) and that was alive when it was claimed
// (a later run's goroutine of the same stack is not the label's).
func (s *leakcheckSession) holdClaimsLocked(key string, snap *leakcheckSnapshot, orphans []*leakcheckGoroutine, labels map[string]int) (map[uint64]bool, map[string]int) {
	all := s.claimed[key]
	var alive, gone []*leakcheckClaimRecord
	for _, c := range all {
		if snap.byID[c.id] != nil {
			alive = append(alive, c)
		} else {
			gone = append(gone, c)
		}
	}
	held := map[uint64]bool{}
	count := map[string]int{}
	var kept []*leakcheckClaimRecord
	for _, c := range append(alive, gone...) {
		// (Not by the counts of a look the profile did not settle while
		// its goroutine is alive: they may be short of one that moved.)
		if count[c.label] >= labels[c.label] && (snap.byID[c.id] == nil || !snap.unsettled[key]) {
			continue // spent
		}
		count[c.label]++
		kept = append(kept, c)
		if snap.byID[c.id] != nil {
			held[c.id] = true
		}
	}
	final := kept[:0]
	for _, c := range kept {
		if snap.byID[c.id] == nil {
			c.id = 0
			for _, g := range orphans {
				if !held[g.id] && snap.owner[g.id] == leakcheckOrphan && c.alive[g.id] {
					c.id = g.id
					held[g.id] = true
					s.reported[g.id] = true // reported, as the one it stands for
					break
				}
			}
			if c.id == 0 {
				count[c.label]--
				continue
			}
		}
		final = append(final, c)
	}
	if len(final) == 0 {
		delete(s.claimed, key)
	} else {
		s.claimed[key] = final
	}
	return held, count
}

// claimLocked records what a check reports that was told only by a label
// other tests' goroutines of the same stack carry too. A goroutine another
// check claimed since this check looked is swapped for one of the same
// stack nobody claimed, if there is one: it returns the goroutine claimed,
// or nil.
func (s *leakcheckSession) claimLocked(g *leakcheckGoroutine, label string, snap *leakcheckSnapshot, taken map[uint64]bool) *leakcheckGoroutine {
	key := leakcheckStackKey(g.funcs)
	held := map[uint64]bool{}
	for _, c := range s.claimed[key] {
		held[c.id] = true
	}
	alive := map[uint64]bool{}
	for i := range snap.goroutines {
		h := &snap.goroutines[i]
		if h.parseStack(); leakcheckStackKey(h.funcs) == key {
			alive[h.id] = true
		}
	}
	if held[g.id] || s.reported[g.id] {
		// Another of the goroutines labels alone could tell, if any. (One
		// reported, not held: a look after the caller's told it for good.)
		g = nil
		for i := range snap.goroutines {
			h := &snap.goroutines[i]
			o := snap.owner[h.id]
			// (Nor one a later look told for good: its chain, or a label
			// only one test's goroutines of its stack carried.)
			if held[h.id] || taken[h.id] || s.reported[h.id] || o != leakcheckOrphan && !o.ambiguous || s.owners[h.id] != nil {
				continue
			}
			if alive[h.id] {
				g = h
				break
			}
		}
		if g == nil {
			return nil
		}
	}
	s.claimed[key] = append(s.claimed[key], &leakcheckClaimRecord{label: label, id: g.id, alive: alive})
	return g
}

// leakcheckLabelOrder is the order in which labels take goroutines: the
// checked tests' (and their subtests') first (checking: their label keys),
// then by name.
func leakcheckLabelOrder(labels map[string]int, checking map[string]bool) []string {
	var first, rest []string
	for label := range labels {
		if checking[leakcheckTopLabel(label)] {
			first = append(first, label)
		} else {
			rest = append(rest, label)
		}
	}
	leakchecksort.Strings(first)
	leakchecksort.Strings(rest)
	return append(first, rest...)
}

// leakcheckTopName is the top-level test a label names.
func leakcheckTopName(label string) string {
	if i := leakcheckstrings.IndexByte(label, '/'); i >= 0 {
		return label[:i]
	}
	return label
}
