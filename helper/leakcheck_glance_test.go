package helper

import (
	leakcheckruntime "runtime"
	leakchecksync "sync"
	leakchecktime "time"
	leakcheckunsafe "unsafe"
)

// A glance is the cheap look a serial test's check takes first: every
// goroutine's label set and stack, as of one stop of the world, read from
// the runtime without formatting anything (about a third of a look's
// cost). It has no goroutine ids, so it cannot say whose a goroutine is;
// it can only say that nothing is alive that was not alive when the test
// began: each goroutine matched to one of the glance taken before the test
// with the same label set and the same stack. A goroutine the test started
// carries the test's label set, which no goroutine had before, so it is
// never matched; anything unmatched (a goroutine still exiting, one that
// moved, one a timer started) sends the check to a full look, as before.

// leakcheckGlanceKey is what a glance tells a goroutine by: its label set
// (pprof's, compared by identity: a goroutine inherits its creator's) and
// a hash of its stack's program counters.
type leakcheckGlanceKey struct {
	labels leakcheckunsafe.Pointer
	stack  uint64
}

// leakcheckGlance is how many goroutines of each key were alive, the
// caller's goroutine left out, and one stack of each key. Holding the label
// pointers keeps their label sets alive, so that no new label set can take
// an address it holds.
type leakcheckGlance struct {
	counts map[leakcheckGlanceKey]int
	stacks map[leakcheckGlanceKey][]uintptr
	// seq tells glances apart: two with the same seq are one glance, taken
	// again.
	seq uint64
}

// leakcheckGlancer takes glances, reusing its buffers.
type leakcheckGlancer struct {
	mu      leakchecksync.Mutex
	records []leakcheckStackRecord
	labels  []leakcheckunsafe.Pointer
	// last is the last glance taken and lastKeys its goroutines' keys in
	// the runtime's order. Between two serial tests that leave nothing the
	// same goroutines are most often found in the same order: the glance
	// is then the last one again, and its maps are not built anew (they
	// are never written once taken).
	last     leakcheckGlance
	lastKeys []leakcheckGlanceKey
	keys     []leakcheckGlanceKey
	seq      uint64
}

// take glances at every goroutine; false when the runtime cannot (this Go
// version is not one leakcheckGoroutineProfileWithLabels was checked
// against) or the goroutines kept multiplying.
func (g *leakcheckGlancer) take() (leakcheckGlance, bool) {
	if !leakcheckCanGlance {
		return leakcheckGlance{}, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	n := leakcheckruntime.NumGoroutine() + 16
	for tries := 0; tries < 4; tries++ {
		if len(g.records) < n {
			g.records = make([]leakcheckStackRecord, n)
			g.labels = make([]leakcheckunsafe.Pointer, n)
		}
		got, ok := leakcheckGoroutineProfileWithLabels(g.records, g.labels)
		if !ok {
			n = got + got/4 + 16
			continue
		}
		// The first record is the caller's own goroutine. Each record's
		// stack is a slice the runtime allocated for this call.
		keys := g.keys[:0]
		for i := 1; i < got; i++ {
			keys = append(keys, leakcheckGlanceKey{g.labels[i], leakcheckHashPCs(g.records[i].Stack)})
		}
		if g.last.counts == nil || !leakcheckSameKeys(keys, g.lastKeys) {
			g.seq++
			glance := leakcheckGlance{
				counts: make(map[leakcheckGlanceKey]int, len(keys)),
				stacks: make(map[leakcheckGlanceKey][]uintptr),
				seq:    g.seq,
			}
			for i, key := range keys {
				if glance.counts[key] == 0 {
					glance.stacks[key] = g.records[i+1].Stack
				}
				glance.counts[key]++
			}
			g.last = glance
			g.keys, g.lastKeys = g.lastKeys, keys
		} else {
			g.keys = keys
		}
		for i := 0; i < got; i++ {
			g.records[i].Stack, g.labels[i] = nil, nil
		}
		return g.last, true
	}
	return leakcheckGlance{}, false
}

// leakcheckSameKeys reports whether a and b are the same keys in the same
// order.
func leakcheckSameKeys(a, b []leakcheckGlanceKey) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// covers reports whether every goroutine of now can be matched to one of
// g (same label set, same stack), each used once.
func (g leakcheckGlance) covers(now leakcheckGlance) bool {
	if g.seq == now.seq && g.counts != nil {
		return true
	}
	for k, n := range now.counts {
		if n > g.counts[k] {
			return false
		}
	}
	return true
}

// untold counts the goroutines that no test's label tells, by their
// innermost frames outside package runtime (leakcheckGoroutine.signature:
// what a dump shows of them): those without labels, and those whose labels
// are not leakcheck's (a goroutine that set labels of its own, made from
// context.Background, passes none of its test's on to what it starts; a
// look takes those for orphans too).
func (g leakcheckGlance) untold() map[string]int {
	out := map[string]int{}
	for k, n := range g.counts {
		if k.labels != nil && leakcheckLabelOf(leakcheckLabelSetPairs(k.labels)) != "" {
			continue
		}
		var funcs []string
		frames := leakcheckruntime.CallersFrames(g.stacks[k])
		for more := true; more; {
			var f leakcheckruntime.Frame
			f, more = frames.Next()
			funcs = append(funcs, f.Function)
		}
		out[leakcheckSignatureOf(funcs)] += n
	}
	return out
}

// leakcheckStaleQuota says, for a test that began with a stale known set
// (an earlier test passed on a glance, which has no ids), how many
// goroutines that no test's label tells appeared of each kind while it
// ran: its end glance's count minus its start glance's. A goroutine it
// could blame by difference (not in the known set, no creator chain, no
// test's label) may instead have appeared before it began, in the place of
// an identical one that exited (a timer's callback for another's: the
// glance took one for the other); only as many of each kind as appeared
// are its. Empty when a glance is missing.
func leakcheckStaleQuota(tc *leakcheckTest) map[string]int {
	quota := map[string]int{}
	if tc.startGlance.counts == nil || tc.endGlance.counts == nil {
		return quota
	}
	for sig, n := range tc.endGlance.untold() {
		quota[sig] += n
	}
	for sig, n := range tc.startGlance.untold() {
		quota[sig] -= n
	}
	return quota
}

// leakcheckHashPCs hashes a stack's program counters (FNV-1a over the
// words, and the depth).
func leakcheckHashPCs(pcs []uintptr) uint64 {
	h := uint64(14695981039346656037)
	for _, pc := range pcs {
		h ^= uint64(pc)
		h *= 1099511628211
	}
	h ^= uint64(len(pcs))
	h *= 1099511628211
	return h
}

// leakcheckGoroutineIDs lists the ids of the goroutines alive without
// stopping the world or unwinding a stack (helper/goruntime): set when
// leakcheck added that function to the runtime (Go 1.26 and 1.27, a
// toolchain whose GOROOT go overlays), nil otherwise. Where it is set, a
// serial test's check takes it instead of a glance: some 2µs at 100
// goroutines alive against a glance's 100µs or more (two stops of the
// world, every stack unwound), and it has ids, so it tells exactly what
// the known set holds.
var leakcheckGoroutineIDs func(ids []uint64) (n int)

// leakcheckQuietUntil reports whether no goroutine can run in the next
// left nanoseconds (helper/goruntime): set, and nil, with
// leakcheckGoroutineIDs.
var leakcheckQuietUntil func(left int64) bool

// leakcheckCurrentID, leakcheckOthersActive, leakcheckCreatedCount and
// leakcheckCreator (helper/goruntime) are set, and nil, with
// leakcheckGoroutineIDs: the calling goroutine's id without formatting its
// stack (every test's start needs it), whether another user goroutine runs
// or waits to run without listing them all, what leakcheckCreated reads
// without runtime/metrics, and the "created by" line of the calling
// goroutine's stack trace without the rest (every subtest's start needs it).
var (
	leakcheckCurrentID    func() uint64
	leakcheckOthersActive func() bool
	leakcheckCreatedCount func() uint64
	leakcheckCreator      func() (parent uint64, fn string)
)

// leakcheckQuietBefore reports whether no goroutine can run before
// deadline (leakcheckQuietUntil), and the creation counter as of then: a
// look taken next that reads the same counter saw what stays until then.
// Not when the deadline is the -timeout alarm's: that wait is reported cut
// short.
func leakcheckQuietBefore(deadline leakchecktime.Time, atTheAlarm bool) (bool, uint64) {
	left := leakchecktime.Until(deadline)
	if leakcheckQuietUntil == nil || atTheAlarm || left <= 0 {
		return false, 0
	}
	before, ok := leakcheckCreated()
	if !ok || !leakcheckQuietUntil(int64(left)) {
		return false, 0
	}
	if after, ok := leakcheckCreated(); !ok || after != before {
		return false, 0
	}
	return true, before
}

// leakcheckIDLister lists the goroutines alive, reusing its buffer.
type leakcheckIDLister struct {
	mu  leakchecksync.Mutex
	ids []uint64
}

// allKnown reports whether every goroutine alive but self is in known, as
// of one moment, and counter, the creation counter then; ok false: the runtime
// cannot list them, or goroutines kept being created while it did. A
// goroutine created while the runtime lists them may be left out (one
// taken from the dead ones is not added to the list, which the runtime
// only locks against additions): the counter, read before and after,
// tells, and the list is taken again. A goroutine that exits meanwhile
// may be listed; it was alive at the first read of the counter.
func (l *leakcheckIDLister) allKnown(known map[uint64]bool, self uint64) (all bool, counter uint64, ok bool) {
	if leakcheckGoroutineIDs == nil {
		return false, 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ids) == 0 {
		l.ids = make([]uint64, leakcheckruntime.NumGoroutine()+64)
	}
	for tries := 0; tries < 4; tries++ {
		before, ok := leakcheckCreated()
		if !ok {
			return false, 0, false
		}
		n := leakcheckGoroutineIDs(l.ids)
		if n > len(l.ids) {
			l.ids = make([]uint64, n+n/4+64)
			continue
		}
		if after, ok := leakcheckCreated(); !ok || after != before {
			continue
		}
		for _, id := range l.ids[:n] {
			if !known[id] && id != self {
				return false, before, true
			}
		}
		return true, before, true
	}
	return false, 0, false
}

// leakcheckOthersRun reports whether a goroutine other than the caller
// runs or waits to run; ok false: the runtime cannot tell.
func leakcheckOthersRun() (active, ok bool) {
	if leakcheckOthersActive == nil {
		return false, false
	}
	return leakcheckOthersActive(), true
}
