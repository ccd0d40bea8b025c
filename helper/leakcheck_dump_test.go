package helper

import (
	leakcheckbytes "bytes"
	leakcheckruntime "runtime"
	leakcheckmetrics "runtime/metrics"
	leakcheckstrconv "strconv"
	leakcheckstrings "strings"
	leakchecksync "sync"
)

// Reading the runtime: the goroutine dump and its parsing, pprof's goroutine
// profile, and the creation counter. What each goroutine is, not whose.

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
	files       []string // the file of each of funcs' frames, "" when not shown
	entry       string
	createdBy   string
	createdFile string // the file of the go statement that created it
	createdIn   uint64
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
	// Which name the next "\t" line gives the file of.
	const (
		none = iota
		frame
		creation
	)
	fileOf := none
	for _, line := range lines[1:] {
		switch {
		case leakcheckstrings.HasPrefix(line, "\t"):
			switch fileOf {
			case frame:
				g.files[len(g.files)-1] = leakcheckFileOf(line)
			case creation:
				g.createdFile = leakcheckFileOf(line)
			}
			fileOf = none
		case leakcheckstrings.HasPrefix(line, "..."):
			fileOf = none
		case leakcheckstrings.HasPrefix(line, "[originating from goroutine"):
			return
		case leakcheckstrings.HasPrefix(line, "created by "):
			name := leakcheckstrings.TrimPrefix(line, "created by ")
			if i := leakcheckstrings.Index(name, " in goroutine "); i >= 0 {
				g.createdIn, _ = leakcheckstrconv.ParseUint(name[i+len(" in goroutine "):], 10, 64)
				name = name[:i]
			}
			g.createdBy = name
			fileOf = creation
		default:
			g.funcs = append(g.funcs, leakcheckFuncName(line))
			g.files = append(g.files, "")
			g.entry = line
			fileOf = frame
		}
	}
}

// leakcheckFileOf is the file a stack trace's "\t/path/file.go:12 +0x1f"
// line names.
func leakcheckFileOf(line string) string {
	line = leakcheckstrings.TrimPrefix(line, "\t")
	if i := leakcheckstrings.LastIndexByte(line, ' '); i >= 0 && leakcheckstrings.HasPrefix(line[i:], " +0x") {
		line = line[:i]
	}
	if i := leakcheckstrings.LastIndexByte(line, ':'); i >= 0 {
		line = line[:i]
	}
	return line
}

// leakcheckSignatureFrames is how many frames a signature holds: the
// innermost ones, which a dump (50 innermost, 50 outermost) and a glance
// (128 innermost) both have, however deep the stack.
const leakcheckSignatureFrames = 16

// signature is the goroutine's innermost frames outside package runtime,
// one per line: what a glance's stack shows of it too
// (leakcheckGlance.untold).
func (g *leakcheckGoroutine) signature() string {
	g.parseStack()
	return leakcheckSignatureOf(g.funcs)
}

// leakcheckSignatureOf is the signature of a stack whose frames run funcs,
// innermost first: its leakcheckSignatureFrames innermost functions outside
// package runtime, one per line.
func leakcheckSignatureOf(funcs []string) string {
	var b leakcheckstrings.Builder
	n := 0
	for _, fn := range funcs {
		if n == leakcheckSignatureFrames {
			break
		}
		if fn != "" && !leakcheckstrings.HasPrefix(fn, "runtime.") {
			b.WriteString(fn)
			b.WriteByte('\n')
			n++
		}
	}
	return b.String()
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
// The first look has no last dump: it guesses from the goroutine count, and
// a guess too small is corrected from the goroutines the full buffer holds
// (a package's first look at 10,000 goroutines took seven calls, 90 ms,
// before any test ran).
func leakcheckStack() []byte {
	leakcheckDumpMu.Lock()
	defer leakcheckDumpMu.Unlock()
	perGoroutine := 256
	if leakcheckDumpGoroutines > 0 {
		perGoroutine = leakcheckDumpBytes / leakcheckDumpGoroutines
	}
	buf := make([]byte, leakcheckStackSize(perGoroutine, leakcheckruntime.NumGoroutine()))
	for {
		n := leakcheckruntime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		size := 2 * len(buf)
		if held := leakcheckbytes.Count(buf, []byte("\ngoroutine ")); held > 0 {
			if want := leakcheckStackSize(len(buf)/held, leakcheckruntime.NumGoroutine()); want > size {
				size = want
			}
		}
		buf = make([]byte, size)
	}
	leakcheckDumpBytes = len(buf)
	leakcheckDumpGoroutines = leakcheckbytes.Count(buf, []byte("\ngoroutine ")) + 1
	return buf
}

// leakcheckStackSize is a dump buffer for alive goroutines of about
// perGoroutine bytes each, with room for a quarter more (goroutines start
// between the count and the dump).
func leakcheckStackSize(perGoroutine, alive int) int {
	size := perGoroutine*(alive+alive/4+16) + 4<<10
	if size < 64<<10 {
		size = 64 << 10
	}
	return size
}

func leakcheckRuntimeStack(buf []byte) int { return leakcheckruntime.Stack(buf, false) }

func leakcheckGoVersion() string { return leakcheckruntime.Version() }

// leakcheckCreated reads the cumulative count of goroutines created, plus
// the finalizers and cleanups queued and run (Go 1.26+). When it has not
// moved, nothing can have leaked and no look is needed. (The goroutine
// that runs finalizers, and each that runs cleanups, is the runtime's and
// hidden from dumps until it runs one: one stuck in a test's finalizer
// shows up without a goroutine being created.)
func leakcheckCreated() (uint64, bool) {
	if leakcheckCreatedCount != nil {
		return leakcheckCreatedCount(), true
	}
	return leakcheckCreatedFromMetrics()
}

// leakcheckCreatedFromMetrics is leakcheckCreated through runtime/metrics,
// where the runtime has no leakcheckCreatedCount.
func leakcheckCreatedFromMetrics() (uint64, bool) {
	sample := []leakcheckmetrics.Sample{
		{Name: "/sched/goroutines-created:goroutines"},
		{Name: "/gc/finalizers/queued:finalizers"},
		{Name: "/gc/finalizers/executed:finalizers"},
		{Name: "/gc/cleanups/queued:cleanups"},
		{Name: "/gc/cleanups/executed:cleanups"},
	}
	leakcheckmetrics.Read(sample)
	var sum uint64
	for i, s := range sample {
		if s.Value.Kind() != leakcheckmetrics.KindUint64 {
			if i == 0 {
				return 0, false
			}
			continue
		}
		sum += s.Value.Uint64()
	}
	return sum, true
}

// leakcheckSchedActive says how many goroutines are running (the caller
// among them) and how many are ready to run, waiting for a P (Go 1.26+;
// false where the runtime cannot say).
func leakcheckSchedActive() (running, runnable uint64, ok bool) {
	sample := []leakcheckmetrics.Sample{
		{Name: "/sched/goroutines/running:goroutines"},
		{Name: "/sched/goroutines/runnable:goroutines"},
	}
	leakcheckmetrics.Read(sample)
	if sample[0].Value.Kind() != leakcheckmetrics.KindUint64 || sample[1].Value.Kind() != leakcheckmetrics.KindUint64 {
		return 0, 0, false
	}
	return sample[0].Value.Uint64(), sample[1].Value.Uint64(), true
}
