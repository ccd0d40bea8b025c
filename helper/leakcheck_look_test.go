package helper

import (
	leakcheckbytes "bytes"
	leakcheckruntime "runtime"
	leakcheckmetrics "runtime/metrics"
	leakcheckpprof "runtime/pprof"
	leakchecksort "sort"
	leakcheckstrconv "strconv"
	leakcheckstrings "strings"
	leakchecksync "sync"
)

// leakcheckGoroutine is one goroutine of a dump, parsed just enough to
// attribute it and apply rules. The Rust side parses the text again, fully.
type leakcheckGoroutine struct {
	id     uint64
	proven bool // marked (leaked) by the goroutineleak profile
	state  string
	labels string // the header's label block, "" when it has none
	label  string // the value of the leakcheck label, with its run (leakcheckLabelKey)
	text   []byte
	// Read from text on demand: the frames' functions, the outermost
	// frame as printed (with its arguments), and the creation line.
	stackParsed bool
	funcs       []string
	entry       string
	createdBy   string
	createdIn   uint64
}

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

func (s *leakcheckSession) ownerLocked(g *leakcheckGoroutine, alive map[uint64]*leakcheckGoroutine, snap *leakcheckSnapshot, depth int) *leakcheckOwner {
	if o := snap.owner[g.id]; o != nil {
		return o
	}
	o := s.owners[g.id]
	switch {
	case o != nil:
	case g.id == s.mainID:
		o = &leakcheckOwner{kind: leakcheckOwnerMain}
	case s.baseline[g.id]:
		o = &leakcheckOwner{kind: leakcheckOwnerBaseline}
	case s.setup[g.id] || s.fixtureReceiverLocked(g, alive, snap):
		o = &leakcheckOwner{kind: leakcheckOwnerFixture}
	default:
		g.parseStack()
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
	}
	return o
}

// labelOwnerLocked is the owner a label key names (nil when it names no
// test leakcheck knows): a test's or subtest's, ambiguous when other tests'
// goroutines of the same stack carry other labels, or a benchmark's.
func (s *leakcheckSession) labelOwnerLocked(label string, ambiguous bool) *leakcheckOwner {
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

// receiverKey is `pkg.(*T)@0xADDR` when the goroutine's outermost function
// is a method with a pointer receiver, else "".
func (g *leakcheckGoroutine) receiverKey() string {
	g.parseStack()
	e := g.entry
	star := leakcheckstrings.Index(e, ".(*")
	if star < 0 {
		return ""
	}
	close := leakcheckstrings.Index(e[star:], ").")
	open := leakcheckstrings.LastIndexByte(e, '(')
	if close < 0 || open < star+close {
		return ""
	}
	arg := e[open+1:]
	if i := leakcheckstrings.IndexAny(arg, ",)"); i >= 0 {
		arg = arg[:i]
	}
	arg = leakcheckstrings.TrimSuffix(arg, "?")
	if !leakcheckstrings.HasPrefix(arg, "0x") || arg == "0x0" {
		return ""
	}
	return e[:star+close+1] + "@" + arg
}

// leakcheckParseDump splits runtime.Stack(buf, true) output into goroutines.
func leakcheckParseDump(dump []byte) []leakcheckGoroutine {
	out := make([]leakcheckGoroutine, 0, leakcheckbytes.Count(dump, []byte("\n\n"))+1)
	for len(dump) > 0 {
		var section []byte
		if i := leakcheckbytes.Index(dump, []byte("\n\n")); i >= 0 {
			section, dump = dump[:i], dump[i+2:]
		} else {
			section, dump = dump, nil
		}
		section = leakcheckbytes.TrimRight(section, "\n")
		g := leakcheckGoroutine{text: section}
		header := section
		if i := leakcheckbytes.IndexByte(section, '\n'); i >= 0 {
			header = section[:i]
		}
		if leakcheckParseHeader(string(header), &g) {
			out = append(out, g)
		}
	}
	return out
}

// parseStack fills funcs, entry, createdBy and createdIn, once.
func (g *leakcheckGoroutine) parseStack() {
	if g.stackParsed {
		return
	}
	g.stackParsed = true
	lines := leakcheckstrings.Split(string(g.text), "\n")
	for _, line := range lines[1:] {
		switch {
		case leakcheckstrings.HasPrefix(line, "\t"), leakcheckstrings.HasPrefix(line, "..."):
		case leakcheckstrings.HasPrefix(line, "[originating from goroutine"):
			return
		case leakcheckstrings.HasPrefix(line, "created by "):
			name := leakcheckstrings.TrimPrefix(line, "created by ")
			if i := leakcheckstrings.Index(name, " in goroutine "); i >= 0 {
				g.createdIn, _ = leakcheckstrconv.ParseUint(name[i+len(" in goroutine "):], 10, 64)
				name = name[:i]
			}
			g.createdBy = name
		default:
			g.funcs = append(g.funcs, leakcheckFuncName(line))
			g.entry = line
		}
	}
}

// hasFrame reports whether some frame runs function f.
func (g *leakcheckGoroutine) hasFrame(f string) bool {
	g.parseStack()
	for _, fn := range g.funcs {
		if fn == f {
			return true
		}
	}
	return false
}

// leakcheckFuncName drops the argument list from a frame line such as
// `example.com/p.(*T).run(0xc000010000, {0x5a, 0x5})`.
func leakcheckFuncName(line string) string {
	if leakcheckstrings.HasSuffix(line, ")") {
		if i := leakcheckstrings.LastIndex(line, "("); i > 0 {
			return line[:i]
		}
	}
	return line
}

// leakcheckParseHeader reads `goroutine 7 [chan receive, 2 minutes]:` and
// its label forms: Go 1.26 puts ` labels:{"k": "v"}` inside the brackets,
// Go 1.27 puts ` {k: v}` after them. Label strings may hold `]`, `}` and
// commas; the state text holds none, so it locates the label block.
func leakcheckParseHeader(line string, g *leakcheckGoroutine) bool {
	if !leakcheckstrings.HasPrefix(line, "goroutine ") || !leakcheckstrings.HasSuffix(line, ":") {
		return false
	}
	rest := line[len("goroutine "):]
	sp := leakcheckstrings.IndexByte(rest, ' ')
	if sp < 0 {
		return false
	}
	id, err := leakcheckstrconv.ParseUint(rest[:sp], 10, 64)
	if err != nil {
		return false
	}
	g.id = id
	open := leakcheckstrings.IndexByte(rest, '[')
	if open < 0 {
		return false
	}
	body := rest[open+1:]
	closing := leakcheckstrings.IndexByte(body, ']')
	if closing < 0 {
		return false
	}
	inside, labels := body[:closing], ""
	if at := leakcheckstrings.Index(body[:closing], " labels:{"); at >= 0 {
		block := body[at+len(" labels:"):]
		end := leakcheckBlockEnd(block)
		if end < 0 {
			return false
		}
		inside, labels = body[:at], block[:end]
	} else if after := leakcheckstrings.TrimSpace(leakcheckstrings.TrimSuffix(body[closing+1:], ":")); leakcheckstrings.HasPrefix(after, "{") {
		labels = after
	}
	state := inside
	if i := leakcheckstrings.Index(state, ", "); i >= 0 {
		state = state[:i]
	}
	g.proven = leakcheckstrings.Contains(state, " (leaked)")
	for _, mark := range []string{" (leaked)", " (scan)", " (durable)"} {
		state = leakcheckstrings.Replace(state, mark, "", 1)
	}
	g.state = state
	g.labels = labels
	if labels != "" {
		g.label = leakcheckLabelOf(leakcheckLabelPairs(labels))
	}
	return true
}

// leakcheckBlockEnd is the length of the `{...}` block s starts with,
// quotes respected; -1 when it does not close.
func leakcheckBlockEnd(s string) int {
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && inQuote:
			i++
		case s[i] == '"':
			inQuote = !inQuote
		case s[i] == '}' && !inQuote:
			return i + 1
		}
	}
	return -1
}

// leakcheckLabelPairs reads a label block as key, value pairs: Go 1.26's
// `{"k": "v"}`, Go 1.27's `{k: v}`, pprof's `{"k":"v", "k2":"v2"}`
// (quoted with Go's escapes, or bare).
func leakcheckLabelPairs(labels string) []string {
	s := leakcheckstrings.TrimSuffix(leakcheckstrings.TrimPrefix(leakcheckstrings.TrimSpace(labels), "{"), "}")
	var out []string
	for s != "" {
		k, rest := leakcheckLabelToken(s, ':')
		rest = leakcheckstrings.TrimPrefix(leakcheckstrings.TrimPrefix(rest, ":"), " ")
		v, rest := leakcheckLabelToken(rest, ',')
		out = append(out, k, v)
		s = leakcheckstrings.TrimPrefix(leakcheckstrings.TrimPrefix(rest, ","), " ")
	}
	return out
}

func leakcheckLabelToken(s string, stop byte) (string, string) {
	if leakcheckstrings.HasPrefix(s, `"`) {
		for i := 1; i < len(s); i++ {
			if s[i] == '\\' {
				i++
				continue
			}
			if s[i] == '"' {
				v, err := leakcheckstrconv.Unquote(s[:i+1])
				if err != nil {
					v = s[1:i]
				}
				return v, s[i+1:]
			}
		}
		return s[1:], ""
	}
	if i := leakcheckstrings.IndexByte(s, stop); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// leakcheckProfileGroup is one group of the debug=1 goroutine profile: a
// stack shared by count goroutines carrying the same labels.
type leakcheckProfileGroup struct {
	count int
	label string
	key   string
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
	counts := map[string]map[string]int{}
	for _, grp := range leakcheckParseProfile(buf.Bytes()) {
		if byKey[grp.key] == nil || grp.label == "" {
			continue
		}
		if counts[grp.key] == nil {
			counts[grp.key] = map[string]int{}
		}
		counts[grp.key][grp.label] += grp.count
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range snap.goroutines {
		g := &snap.goroutines[i]
		o := snap.owner[g.id]
		if o == leakcheckOrphan {
			// Told since, by a check that looked at the same time.
			if o = s.owners[g.id]; o == nil {
				continue
			}
			snap.owner[g.id] = o
		}
		if o.test == nil {
			continue
		}
		g.parseStack()
		if c := counts[leakcheckStackKey(g.funcs)]; c[o.labelName()] > 0 {
			c[o.labelName()]--
		}
	}
	for key, list := range byKey {
		labels := counts[key]
		held, claims := s.holdClaimsLocked(key, snap, list, labels)
		for label, n := range claims {
			labels[label] -= n
		}
		var pool []*leakcheckGoroutine
		for _, g := range list {
			if snap.owner[g.id] == leakcheckOrphan && !held[g.id] {
				pool = append(pool, g)
			}
		}
		// Labels of subtests of one test tell the test apart: which of
		// identical goroutines is which subtest's changes no count.
		tops := map[string]bool{}
		for label, n := range labels {
			if n > 0 {
				tops[leakcheckTopLabel(label)] = true
			}
		}
		shared := len(tops) > 1 || len(held) > 0
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
				if !o.ambiguous {
					s.owners[g.id] = o
				}
			}
		}
	}
}

// leakcheckClaimRecord is a goroutine a check reported, told only by a
// label (label) that other tests' goroutines of the same stack carried too.
// Which of them it really was is not known; what is known is the count: the
// test had that many goroutines of that stack, and they were reported.
type leakcheckClaimRecord struct {
	label string
	id    uint64
}

// holdClaimsLocked brings the claims on stack key up to date with this look
// and returns the goroutines they hold, and how many claims each label has.
// A label's claims never outnumber its goroutines alive (labels, from the
// profile): when some exited, what was reported exited, and the claims
// that stood for them are spent, those whose goroutine is gone first. A
// claim whose goroutine exited while its label still has as many alive
// stands for one of the others, one that no claim holds (orphans: the
// look's goroutines of that stack).
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
		if count[c.label] >= labels[c.label] {
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
				if !held[g.id] && snap.owner[g.id] == leakcheckOrphan {
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
	if held[g.id] {
		// Another of the goroutines labels alone could tell, if any.
		g = nil
		for i := range snap.goroutines {
			h := &snap.goroutines[i]
			o := snap.owner[h.id]
			if held[h.id] || taken[h.id] || s.reported[h.id] || o != leakcheckOrphan && !o.ambiguous {
				continue
			}
			if h.parseStack(); leakcheckStackKey(h.funcs) == key {
				g = h
				break
			}
		}
		if g == nil {
			return nil
		}
	}
	s.claimed[key] = append(s.claimed[key], &leakcheckClaimRecord{label: label, id: g.id})
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

// leakcheckParseProfile reads pprof's debug=1 goroutine profile.
func leakcheckParseProfile(p []byte) []leakcheckProfileGroup {
	var out []leakcheckProfileGroup
	var cur *leakcheckProfileGroup
	var funcs []string
	flush := func() {
		if cur != nil {
			cur.key = leakcheckStackKey(funcs)
			out = append(out, *cur)
		}
		cur, funcs = nil, nil
	}
	for _, line := range leakcheckstrings.Split(string(p), "\n") {
		switch {
		case leakcheckstrings.HasPrefix(line, "# labels: "):
			if cur != nil {
				cur.label = leakcheckLabelOf(leakcheckLabelPairs(leakcheckstrings.TrimPrefix(line, "# labels: ")))
			}
		case leakcheckstrings.HasPrefix(line, "#\t"):
			fields := leakcheckstrings.Split(line, "\t")
			if cur != nil && len(fields) >= 3 {
				name := leakcheckstrings.TrimSpace(fields[2])
				if i := leakcheckstrings.LastIndex(name, "+0x"); i > 0 {
					name = name[:i]
				}
				funcs = append(funcs, name)
			}
		case leakcheckstrings.Contains(line, " @ "):
			flush()
			n, err := leakcheckstrconv.Atoi(line[:leakcheckstrings.Index(line, " @ ")])
			if err == nil {
				cur = &leakcheckProfileGroup{count: n}
			}
		}
	}
	flush()
	return out
}

// leakcheckStackKey identifies a stack in both the dump and the profile: the
// function names outside package runtime, which the two print differently.
func leakcheckStackKey(funcs []string) string {
	var b leakcheckstrings.Builder
	n := 0
	for _, f := range funcs {
		if leakcheckstrings.HasPrefix(f, "runtime.") {
			continue
		}
		if n == 16 {
			break
		}
		b.WriteString(f)
		b.WriteByte('\n')
		n++
	}
	return b.String()
}

// leakcheckDumpMu serialises full dumps, which also guards the size of the
// last one.
var leakcheckDumpMu leakchecksync.Mutex

// leakcheckDumpBytes is the size of the last full dump.
var leakcheckDumpBytes, leakcheckDumpGoroutines int

// leakcheckStack is runtime.Stack(buf, true). A call whose buffer is too
// small still walks and formats every goroutine, so the buffer starts at the
// size the last dump needed, scaled to today's goroutine count: one call per
// look, not one per doubling (at 10,000 goroutines, seven calls from 64 KiB).
func leakcheckStack() []byte {
	leakcheckDumpMu.Lock()
	defer leakcheckDumpMu.Unlock()
	size := 64 << 10
	if n := leakcheckruntime.NumGoroutine(); leakcheckDumpGoroutines > 0 {
		if want := leakcheckDumpBytes/leakcheckDumpGoroutines*(n+n/4+16) + 4<<10; want > size {
			size = want
		}
	}
	buf := make([]byte, size)
	for {
		n := leakcheckruntime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	leakcheckDumpBytes = len(buf)
	leakcheckDumpGoroutines = leakcheckbytes.Count(buf, []byte("\ngoroutine ")) + 1
	return buf
}

func leakcheckRuntimeStack(buf []byte) int { return leakcheckruntime.Stack(buf, false) }

func leakcheckGoVersion() string { return leakcheckruntime.Version() }

// leakcheckCreated reads the cumulative count of goroutines created (Go 1.26+).
// When it has not moved, nothing can have leaked and no look is needed.
func leakcheckCreated() (uint64, bool) {
	sample := []leakcheckmetrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	leakcheckmetrics.Read(sample)
	if sample[0].Value.Kind() != leakcheckmetrics.KindUint64 {
		return 0, false
	}
	return sample[0].Value.Uint64(), true
}
