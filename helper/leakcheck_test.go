// Package helper is the Go half of leakcheck.
//
// leakcheck adds this file to every package it tests, through
// `go test -overlay`, with the package clause below replaced by the package's
// own. Nothing is written into the user's tree. The file defines TestMain;
// when the package has its own, leakcheck overlays a copy of that file with
// the function renamed to leakcheckUserTestMain, and an init function in the
// copy hands it to leakcheckUserMain so it still runs, unchanged.
//
// What it does, per top-level test: labels the test's goroutine with
// pprof label leakcheck=<test name> (every goroutine the test starts inherits
// it), registers a cleanup first so it runs last, and in that cleanup looks
// for goroutines that still carry the label. A leak fails the test with one
// short t.Errorf line and leaves a record (the raw goroutine dump sections) in
// the directory named by LEAKCHECK_DIR; the Rust side parses and reports it.
// After the last test, the goroutines no test accounts for are checked too.
//
// The file must compile under every Go from 1.21 and under the language
// version of any go.mod, so it avoids generics and other newer syntax, and it
// must stay vet-clean because `go test` vets it with the package.
//
// See docs/how-it-works.md in the leakcheck repository.
package helper

import (
	leakcheckbytes "bytes"
	leakcheckcontext "context"
	leakcheckhex "encoding/hex"
	leakcheckjson "encoding/json"
	leakcheckflag "flag"
	leakcheckfmt "fmt"
	leakcheckio "io"
	leakcheckos "os"
	leakcheckreflect "reflect"
	leakcheckregexp "regexp"
	leakcheckruntime "runtime"
	leakcheckmetrics "runtime/metrics"
	leakcheckpprof "runtime/pprof"
	leakchecksort "sort"
	leakcheckstrconv "strconv"
	leakcheckstrings "strings"
	leakchecksync "sync"
	leakchecksyscall "syscall"
	leakchecktesting "testing"
	leakchecktime "time"
	leakcheckunsafe "unsafe"
)

// leakcheckUserMain is the package's own TestMain, when it has one.
var leakcheckUserMain func(*leakchecktesting.M)

// leakcheckActive is the running session; nil when the binary does not run
// under leakcheck (LEAKCHECK_DIR unset), and then this file does nothing.
var leakcheckActive *leakcheckSession

// TestMain wraps every test, then runs the package's own TestMain if it has
// one, else m.Run, and checks what is left before the binary exits.
func TestMain(m *leakchecktesting.M) {
	leakcheckActive = leakcheckStart(m)
	if leakcheckUserMain != nil {
		leakcheckUserMain(m)
		// A TestMain that returns makes the binary exit with m.Run's code.
		leakcheckos.Exit(leakcheckAtExit(leakcheckExitCode(m)))
	}
	leakcheckos.Exit(leakcheckAtExit(m.Run()))
}

// leakcheckAtExit runs the package-level check once and turns a passing exit
// code into a failing one when it finds leaks. leakcheck rewrites
// `os.Exit(X)` in the package's own TestMain file to
// `os.Exit(leakcheckAtExit(X))`, so the check also runs when TestMain exits
// without returning.
func leakcheckAtExit(code int) int {
	s := leakcheckActive
	if s == nil {
		return code
	}
	s.exitOnce.Do(func() { s.exitLeaked = s.checkPackage() })
	s.mu.Lock()
	failed := s.exitLeaked || s.hookLeaked
	s.mu.Unlock()
	if failed && code == 0 {
		return 1
	}
	return code
}

// leakcheckAtExitAfterRun replaces leakcheckAtExit in `os.Exit(m.Run())`:
// a TestMain of that form has no teardown, the process exit is its
// teardown, so what its setup started before the tests is the package's
// fixtures, not a leak.
func leakcheckAtExitAfterRun(code int) int {
	if s := leakcheckActive; s != nil {
		s.mu.Lock()
		s.keepSetup = true
		s.mu.Unlock()
	}
	return leakcheckAtExit(code)
}

func leakcheckExitCode(m *leakchecktesting.M) int {
	f := leakcheckreflect.ValueOf(m).Elem().FieldByName("exitCode")
	if !f.IsValid() || f.Kind() != leakcheckreflect.Int {
		return 0
	}
	return int(f.Int())
}

// leakcheckConfig is what leakcheck passes in LEAKCHECK_CONFIG. It is read
// with os.Getenv on purpose (see testStarted): go test's result cache keys
// on the environment a test reads, so a cached pass is a pass under the same
// grace and rules.
type leakcheckConfig struct {
	GraceMillis int64           `json:"grace_ms"`
	Rules       []leakcheckRule `json:"rules"`
	Proof       bool            `json:"proof"`
	// AlwaysLook turns off the goroutine-creation counter shortcut, so
	// that a test can show the shortcut changes no verdict.
	AlwaysLook bool `json:"always_look"`
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

// leakcheckGoroutine is one goroutine of a dump, parsed just enough to
// attribute it and apply rules. The Rust side parses the text again, fully.
type leakcheckGoroutine struct {
	id        uint64
	proven    bool // marked (leaked) by the goroutineleak profile
	state     string
	label     string // value of the leakcheck label; "" when it has none
	sub       string // value of the leakchecksub label: the subtest
	funcs     []string
	createdBy string
	createdIn uint64 // the goroutine that started it, when the dump says
	text      []byte
	// funcs, createdBy and createdIn are read from text on demand.
	stackParsed bool
}

// leakcheckParseDump splits runtime.Stack(buf, true) output into goroutines.
func leakcheckParseDump(dump []byte) []leakcheckGoroutine {
	var out []leakcheckGoroutine
	for len(dump) > 0 {
		var section []byte
		if i := leakcheckbytes.Index(dump, []byte("\n\n")); i >= 0 {
			section, dump = dump[:i], dump[i+2:]
		} else {
			section, dump = dump, nil
		}
		section = leakcheckbytes.TrimRight(section, "\n")
		if g, ok := leakcheckParseGoroutine(section); ok {
			out = append(out, g)
		}
	}
	return out
}

// leakcheckParseGoroutine reads the header only: most goroutines of a look
// are someone else's, and their frames are never needed (at 10,000
// goroutines, splitting every frame was a quarter of a look).
func leakcheckParseGoroutine(section []byte) (leakcheckGoroutine, bool) {
	g := leakcheckGoroutine{text: section}
	header := section
	if i := leakcheckbytes.IndexByte(section, '\n'); i >= 0 {
		header = section[:i]
	}
	return g, leakcheckParseHeader(string(header), &g)
}

// parseStack fills funcs, createdBy and createdIn from the frames, once.
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
		}
	}
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
	g.label = leakcheckLabelValue(labels, "leakcheck")
	g.sub = leakcheckLabelValue(labels, "leakchecksub")
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

// leakcheckLabelValue finds key in `{k: v, "k 2": "v 2"}` (quoted with
// escapes, or bare).
func leakcheckLabelValue(labels, key string) string {
	s := leakcheckstrings.TrimSuffix(leakcheckstrings.TrimPrefix(labels, "{"), "}")
	for s != "" {
		k, rest := leakcheckLabelToken(s, ':')
		rest = leakcheckstrings.TrimPrefix(leakcheckstrings.TrimPrefix(rest, ":"), " ")
		v, rest := leakcheckLabelToken(rest, ',')
		if k == key {
			return v
		}
		s = leakcheckstrings.TrimPrefix(leakcheckstrings.TrimPrefix(rest, ","), " ")
	}
	return ""
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

// leakcheckProfileGroup is one group of the debug=1 goroutine profile: a stack
// shared by count goroutines carrying the same labels.
type leakcheckProfileGroup struct {
	count int
	label string
	sub   string
	key   string
}

// leakcheckParseProfile reads pprof's debug=1 goroutine profile. Before Go
// 1.26 it is the only place that shows labels.
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
				labels := leakcheckstrings.TrimPrefix(line, "# labels: ")
				cur.label = leakcheckProfileLabel(labels, "leakcheck")
				cur.sub = leakcheckProfileLabel(labels, "leakchecksub")
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

// leakcheckProfileLabel reads pprof's `{"k":"v", "k2":"v2"}` (Go-quoted).
func leakcheckProfileLabel(labels, key string) string {
	s := leakcheckstrings.TrimSuffix(leakcheckstrings.TrimPrefix(labels, "{"), "}")
	for s != "" {
		k, rest := leakcheckLabelToken(s, ':')
		v, rest := leakcheckLabelToken(leakcheckstrings.TrimPrefix(rest, ":"), ',')
		if k == key {
			return v
		}
		s = leakcheckstrings.TrimPrefix(leakcheckstrings.TrimPrefix(rest, ","), " ")
	}
	return ""
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

// leakcheckSnapshot is one look at every goroutine.
type leakcheckSnapshot struct {
	goroutines []leakcheckGoroutine
	counter    uint64 // goroutines created so far, read just before the look
	counterOK  bool
}

// leakcheckSession is the state of one test binary.
type leakcheckSession struct {
	dir        string
	pkg        string
	cfg        leakcheckConfig
	graceLimit leakchecktime.Duration
	// labelsInDump: the runtime prints labels in goroutine headers (Go 1.26+
	// with GODEBUG=tracebacklabels=1). Otherwise labels come from the profile.
	labelsInDump bool
	// proofProfile is the goroutineleak profile, when this Go has it and
	// leakcheck asked for proof.
	proofProfile *leakcheckpprof.Profile

	mu       leakchecksync.Mutex
	seq      int
	runs     map[string]int
	baseline map[uint64]bool // alive when TestMain started: init daemons
	// setup holds what TestMain started before the first test; keepSetup
	// says TestMain ended in os.Exit(m.Run()), with no teardown.
	setup     map[uint64]bool
	keepSetup bool
	reported  map[uint64]bool // already in a record: never report twice
	// known holds every goroutine alive when the current serial test started
	// (valid while the creation counter equals knownCounter): what a serial
	// test may not be blamed for.
	known        map[uint64]bool
	knownCounter uint64
	knownOK      bool
	// testOf maps goroutine ids of tests and subtests to their names, so a
	// leak can name the subtest that started it.
	testOf map[uint64]string

	// tests aliases m.tests; originals holds the test functions as the
	// package declared them. Once the hook on testing's chatty printer is
	// in place, the entries get their originals back (see bootstrap).
	tests     []leakchecktesting.InternalTest
	originals map[string]func(*leakchecktesting.T)
	hookOnce  leakchecksync.Once
	// wrapped: a test the wrapper checks (the first one to run); the hook
	// leaves it alone. hookRuns, parallel: the hook's view of each
	// top-level test. hookLeaked: some test the hook checked leaked.
	wrapped    map[string]bool
	hookRuns   map[string]leakcheckHookRun
	parallel   map[string]bool
	hookLeaked bool

	exitOnce     leakchecksync.Once
	exitLeaked   bool
	cacheKeyOnce leakchecksync.Once
}

func leakcheckStart(m *leakchecktesting.M) *leakcheckSession {
	// syscall.Getenv, unlike os.Getenv, is not recorded by go test's result
	// cache: the record directory changes every run and must not defeat it.
	dir, ok := leakchecksyscall.Getenv("LEAKCHECK_DIR")
	if !ok || dir == "" {
		return nil
	}
	s := &leakcheckSession{
		dir:      dir,
		runs:     map[string]int{},
		reported: map[uint64]bool{},
		testOf:   map[uint64]string{},
		wrapped:  map[string]bool{},
		hookRuns: map[string]leakcheckHookRun{},
		parallel: map[string]bool{},
	}
	s.pkg = leakcheckImportPath(m)
	var problems []string
	if err := leakcheckjson.Unmarshal([]byte(leakcheckos.Getenv("LEAKCHECK_CONFIG")), &s.cfg); err != nil {
		problems = append(problems, "bad LEAKCHECK_CONFIG: "+err.Error())
	}
	for i := range s.cfg.Rules {
		r := &s.cfg.Rules[i]
		for _, mt := range []*leakcheckMatcher{r.TopFunction, r.AnyFunction, r.CreatedBy, r.State, r.Package, r.Test} {
			if mt != nil {
				if err := mt.compile(); err != nil {
					problems = append(problems, "rule "+r.Name+": "+err.Error())
				}
			}
		}
	}
	s.graceLimit = leakchecktime.Duration(s.cfg.GraceMillis) * leakchecktime.Millisecond
	s.labelsInDump = leakcheckProbeLabels()
	if s.cfg.Proof {
		s.proofProfile = leakcheckpprof.Lookup("goroutineleak")
	}
	snap := s.look()
	s.baseline = snap.ids()
	s.setKnown(snap)
	wrapped, err := leakcheckWrapTests(m, s)
	if err != nil {
		problems = append(problems, err.Error())
	}
	source := "profile"
	if s.labelsInDump {
		source = "dump"
	}
	s.writeRecord(leakcheckRecordHeader{
		Kind:        "start",
		Go:          leakcheckruntime.Version(),
		LabelSource: source,
		Counter:     snap.counterOK,
		Proof:       s.proofProfile != nil,
		Wrapped:     wrapped,
		UserMain:    leakcheckUserMain != nil,
		Problems:    problems,
	}, leakcheckOutcome{})
	return s
}

// leakcheckImportPath asks testing's unexported deps, which know the package.
// A type assertion, not reflect's MethodByName: a binary that calls
// MethodByName keeps every exported method of every type it links, which
// made each test binary bigger and slower to link.
func leakcheckImportPath(m *leakchecktesting.M) string {
	f := leakcheckreflect.ValueOf(m).Elem().FieldByName("deps")
	if !f.IsValid() || f.Kind() != leakcheckreflect.Interface {
		return ""
	}
	deps := leakcheckreflect.NewAt(f.Type(), leakcheckunsafe.Pointer(f.UnsafeAddr())).Elem()
	if deps.IsNil() {
		return ""
	}
	if d, ok := deps.Interface().(interface{ ImportPath() string }); ok {
		return d.ImportPath()
	}
	return ""
}

// leakcheckWrapTests replaces every entry of m.tests (unexported since Go 1.4)
// by a wrapper that labels and checks the test.
func leakcheckWrapTests(m *leakchecktesting.M, s *leakcheckSession) (int, error) {
	f := leakcheckreflect.ValueOf(m).Elem().FieldByName("tests")
	if !f.IsValid() || f.Type() != leakcheckreflect.TypeOf([]leakchecktesting.InternalTest(nil)) {
		return 0, leakcheckfmt.Errorf("testing.M has no tests field: tests are not checked")
	}
	tests := *(*[]leakchecktesting.InternalTest)(leakcheckunsafe.Pointer(f.UnsafeAddr()))
	s.tests = tests
	s.originals = make(map[string]func(*leakchecktesting.T), len(tests))
	for i := range tests {
		s.originals[tests[i].Name] = tests[i].F
		tests[i].F = s.wrap(tests[i].Name, tests[i].F)
	}
	n := len(tests)
	// Fuzz targets run their seed corpus as tests; examples with output
	// run too. Both are checked the same way.
	if f := leakcheckreflect.ValueOf(m).Elem().FieldByName("fuzzTargets"); f.IsValid() && f.Type() == leakcheckreflect.TypeOf([]leakchecktesting.InternalFuzzTarget(nil)) {
		targets := *(*[]leakchecktesting.InternalFuzzTarget)(leakcheckunsafe.Pointer(f.UnsafeAddr()))
		for i := range targets {
			targets[i].Fn = s.wrapFuzz(targets[i].Name, targets[i].Fn)
		}
		n += len(targets)
	}
	if f := leakcheckreflect.ValueOf(m).Elem().FieldByName("examples"); f.IsValid() && f.Type() == leakcheckreflect.TypeOf([]leakchecktesting.InternalExample(nil)) {
		examples := *(*[]leakchecktesting.InternalExample)(leakcheckunsafe.Pointer(f.UnsafeAddr()))
		for i := range examples {
			examples[i].F = s.wrapExample(examples[i].Name, examples[i].F)
		}
		n += len(examples)
	}
	return n, nil
}

// leakcheckTestStart is what a test's check needs from the moment it began.
type leakcheckTestStart struct {
	counter   uint64
	counterOK bool
	// created: goroutines the test itself must create to run at all (its
	// own, when the start is taken before it exists).
	created uint64
}

// How a test's start relates to its goroutine (see testStarted).
const (
	leakcheckOnOwnGoroutine    = iota // taken in the test's goroutine
	leakcheckBeforeGoroutine          // taken just before it is created
	leakcheckOnSharedGoroutine        // examples: no goroutine of their own
)

// wrap is how the first test to run is checked, and every test when the
// hook cannot be installed: the wrapper labels the test's goroutine and
// checks in a cleanup registered first. The wrapper is a frame on the test's
// stack (visible to runtime.Caller), so once the hook is in place the other
// tests run as the package declared them.
func (s *leakcheckSession) wrap(name string, body func(*leakchecktesting.T)) func(*leakchecktesting.T) {
	return func(t *leakchecktesting.T) {
		s.bootstrap(t)
		s.mu.Lock()
		s.wrapped[name] = true
		s.mu.Unlock()
		start := s.testStarted(leakcheckOnOwnGoroutine)
		run := s.nextRun(name)
		// Registered first, so it runs last: after the body, every other
		// cleanup and all parallel subtests.
		t.Cleanup(func() {
			failed := t.Failed()
			if n := s.check(name, run, start, !leakcheckIsParallel(t), failed); n > 0 {
				t.Errorf("leakcheck: %s leaked after %s returned", leakcheckCount(n), name)
			}
		})
		// Not pprof.Do: the label stays on this goroutine through the
		// cleanups too, so what they start is the test's as well.
		leakcheckpprof.SetGoroutineLabels(leakcheckpprof.WithLabels(leakcheckcontext.Background(), leakcheckpprof.Labels("leakcheck", name)))
		body(t)
	}
}

// wrapFuzz checks a fuzz target the way wrap checks a test: its seed
// corpus entries run as subtests under its label.
func (s *leakcheckSession) wrapFuzz(name string, body func(*leakchecktesting.F)) func(*leakchecktesting.F) {
	return func(f *leakchecktesting.F) {
		start := s.testStarted(leakcheckOnOwnGoroutine)
		run := s.nextRun(name)
		f.Cleanup(func() {
			if n := s.check(name, run, start, true, f.Failed()); n > 0 {
				f.Errorf("leakcheck: %s leaked after %s returned", leakcheckCount(n), name)
			}
		})
		leakcheckpprof.SetGoroutineLabels(leakcheckpprof.WithLabels(leakcheckcontext.Background(), leakcheckpprof.Labels("leakcheck", name)))
		body(f)
	}
}

// wrapExample checks an example. Examples run on the main goroutine, so the
// label is set with pprof.Do, which restores it. An example cannot call
// t.Errorf: a leak is printed, and the printed line fails the example's
// output comparison.
func (s *leakcheckSession) wrapExample(name string, body func()) func() {
	return func() {
		start := s.testStarted(leakcheckOnSharedGoroutine)
		run := s.nextRun(name)
		leakcheckpprof.Do(leakcheckcontext.Background(), leakcheckpprof.Labels("leakcheck", name), func(leakcheckcontext.Context) { body() })
		if n := s.check(name, run, start, true, false); n > 0 {
			leakcheckfmt.Printf("leakcheck: %s leaked after %s returned\n", leakcheckCount(n), name)
		}
	}
}

func (s *leakcheckSession) nextRun(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[name]++
	return s.runs[name]
}

// testStarted keeps the known set current for a serial test: when nothing
// was created since the last look but the test's own goroutine (where the
// start is taken inside it), no look is needed. where is one of the
// leakcheckOn… constants.
func (s *leakcheckSession) testStarted(where int) leakcheckTestStart {
	// go test's result cache keys on the environment a test reads, but only
	// records it once m.Run has started: read the settings again here, so
	// a cached pass is one under the same grace and rules.
	s.cacheKeyOnce.Do(func() { _ = leakcheckos.Getenv("LEAKCHECK_CONFIG") })
	c, ok := leakcheckCreated()
	s.mu.Lock()
	defer s.mu.Unlock()
	first := s.setup == nil
	if first {
		s.setup = map[uint64]bool{}
	}
	var created uint64
	if where == leakcheckBeforeGoroutine {
		created = 1
	}
	if where == leakcheckOnOwnGoroutine && ok && s.knownOK && c == s.knownCounter+1 {
		s.known[leakcheckSelfID()] = true
		s.knownCounter = c
		return leakcheckTestStart{counter: c, counterOK: true}
	}
	if !(ok && s.knownOK && c == s.knownCounter) {
		snap := s.look()
		s.setKnownLocked(snap)
		if first {
			// What TestMain started between the baseline and the first test.
			self := leakcheckSelfID()
			for i := range snap.goroutines {
				if id := snap.goroutines[i].id; !s.baseline[id] && id != self {
					s.setup[id] = true
				}
			}
		}
	}
	return leakcheckTestStart{counter: s.knownCounter, counterOK: s.knownOK && ok, created: created}
}

func (s *leakcheckSession) setKnown(snap leakcheckSnapshot) {
	s.mu.Lock()
	s.setKnownLocked(snap)
	s.mu.Unlock()
}

func (s *leakcheckSession) setKnownLocked(snap leakcheckSnapshot) {
	s.known = snap.ids()
	s.knownCounter = snap.counter
	s.knownOK = snap.counterOK
}

func (snap leakcheckSnapshot) ids() map[uint64]bool {
	ids := make(map[uint64]bool, len(snap.goroutines))
	for i := range snap.goroutines {
		ids[snap.goroutines[i].id] = true
	}
	return ids
}

// checkTest runs in the test's first-registered cleanup.
// check looks for what the test (or fuzz target, or example) left behind
// and records it; it returns how many goroutines leaked. serial says no
// other test body ran meanwhile; failed, that the test had failed on its own.
func (s *leakcheckSession) check(name string, run int, start leakcheckTestStart, serial, failed bool) int {
	if serial && start.counterOK {
		if c, ok := leakcheckCreated(); ok && c == start.counter+start.created {
			// Nothing was started while the test ran: no look at all. The
			// known set stays current without one: the only goroutine
			// created since it was taken is the test's own (this one,
			// labelled, and about to exit), so the next test's start needs
			// no look either.
			s.mu.Lock()
			if s.knownOK && s.knownCounter == start.counter {
				s.knownCounter = c
			}
			s.mu.Unlock()
			return 0
		}
	}
	self := leakcheckSelfID()
	var known map[uint64]bool
	if serial {
		s.mu.Lock()
		known = s.known
		s.mu.Unlock()
	}
	owned := func(g *leakcheckGoroutine) bool {
		// Not the checking goroutine, and nothing that existed before
		// TestMain: the main goroutine, which starts the top-level tests,
		// carries each one's label while it runs.
		if g.id == self || s.baseline[g.id] {
			return false
		}
		// A serial test runs alone: an unlabelled goroutine that appeared
		// meanwhile is its own (a time.AfterFunc callback, say).
		mine := g.label == name || serial && g.label == "" && !known[g.id]
		return mine && !leakcheckWaitsOnTestingLock(g)
	}
	out := s.waitForExit(name, owned)
	if serial {
		s.setKnown(out.snap)
	}
	if len(out.leaked) > 0 || len(out.ignored) > 0 {
		s.writeRecord(leakcheckRecordHeader{Kind: "test", Test: name, Run: run, Failed: failed}, out)
	}
	return len(out.leaked)
}

// leakcheckWaitsOnTestingLock reports whether g is blocked on a lock of
// package testing: a goroutine the test started calling t.Helper, t.Log or
// t.Errorf (testify's assertions call t.Helper) after the test returned.
// testing holds the test's lock while it prints the `--- PASS` line, and the
// hook checks the test from inside that print: such a goroutine cannot move
// until the check is over, and would be reported as stuck on a mutex. It is
// not this test's verdict to give: if it stays, the check after the last
// test reports it, with the test's label.
func leakcheckWaitsOnTestingLock(g *leakcheckGoroutine) bool {
	if !leakcheckstrings.Contains(g.state, "Mutex") && !leakcheckstrings.HasPrefix(g.state, "semacquire") {
		return false
	}
	g.parseStack()
	for _, f := range g.funcs {
		switch {
		case leakcheckstrings.HasPrefix(f, "sync."), leakcheckstrings.HasPrefix(f, "internal/sync."),
			leakcheckstrings.HasPrefix(f, "runtime."):
			continue
		}
		return leakcheckstrings.HasPrefix(f, "testing.")
	}
	return false
}

// checkPackage looks, after the last test, for goroutines that were not
// alive when TestMain started and that no test's check reported.
func (s *leakcheckSession) checkPackage() bool {
	self := leakcheckSelfID()
	s.mu.Lock()
	keepSetup := s.keepSetup
	s.mu.Unlock()
	owned := func(g *leakcheckGoroutine) bool {
		return g.id != self && !s.baseline[g.id] && !(keepSetup && s.setup[g.id])
	}
	out := s.waitForExit("", owned)
	// Written even when clean: it tells leakcheck the check ran.
	s.writeRecord(leakcheckRecordHeader{Kind: "package"}, out)
	if len(out.leaked) == 0 {
		return false
	}
	leakcheckfmt.Printf("leakcheck: %s left running after the last test (reported as TestMain)\n", leakcheckCount(len(out.leaked)))
	return true
}

// leakcheckOutcome is what a check found in its final look.
type leakcheckOutcome struct {
	leaked  []leakcheckGoroutine
	ignored []leakcheckGoroutine // owned, but a rule lets them be
	snap    leakcheckSnapshot
	looks   int
}

// waitForExit looks until no goroutine that owned accepts is left, or the
// grace period is over. A goroutine that is exiting right now is not a leak;
// a clean test costs one look and no sleep (the second look comes after a
// yield, the third after 100µs), and goroutines a rule ignores never make
// it wait.
func (s *leakcheckSession) waitForExit(test string, owned func(*leakcheckGoroutine) bool) leakcheckOutcome {
	deadline := leakchecktime.Now().Add(s.graceLimit)
	pause := 100 * leakchecktime.Microsecond
	var out leakcheckOutcome
	proofs, lastProof := 0, leakchecktime.Time{}
	for {
		out.looks++
		out.snap = s.look()
		out.leaked, out.ignored = nil, nil
		for i := range out.snap.goroutines {
			g := &out.snap.goroutines[i]
			if !owned(g) || s.isReported(g.id) {
				continue
			}
			attributed := test
			if attributed == "" {
				attributed = g.label
			}
			if s.ignored(g, attributed) {
				out.ignored = append(out.ignored, *g)
				continue
			}
			out.leaked = append(out.leaked, *g)
		}
		left := leakchecktime.Until(deadline)
		if s.proofProfile != nil && proofs < 6 && leakcheckProvable(out.leaked) && (proofs == 0 || leakchecktime.Since(lastProof) >= 20*leakchecktime.Millisecond || left <= 0) {
			// Let the GC prove what it can; the marks show in the next look.
			// Again later if goroutines that were still moving block.
			proofs++
			lastProof = leakchecktime.Now()
			s.prove()
			continue
		}
		if len(out.leaked) == 0 || left <= 0 || leakcheckAllProven(out.leaked) {
			s.markReported(out.leaked)
			s.markReported(out.ignored)
			return out
		}
		if out.looks == 1 {
			// Most often what is left has handed over its result and is
			// returning: let it run before the second look, without a sleep.
			leakcheckruntime.Gosched()
			continue
		}
		if pause > left {
			pause = left
		}
		leakchecktime.Sleep(pause)
		if pause *= 2; pause > 100*leakchecktime.Millisecond {
			pause = 100 * leakchecktime.Millisecond
		}
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
func leakcheckProvable(gs []leakcheckGoroutine) bool {
	for i := range gs {
		if gs[i].proven {
			continue
		}
		switch st := gs[i].state; {
		case leakcheckstrings.HasPrefix(st, "chan "), leakcheckstrings.HasPrefix(st, "select"),
			leakcheckstrings.HasPrefix(st, "sync."), st == "semacquire":
			return true
		}
	}
	return false
}

func leakcheckAllProven(gs []leakcheckGoroutine) bool {
	for i := range gs {
		if !gs[i].proven {
			return false
		}
	}
	return true
}

func (s *leakcheckSession) ignored(g *leakcheckGoroutine, test string) bool {
	for i := range s.cfg.Rules {
		if s.cfg.Rules[i].matches(g, test, s.pkg) {
			return true
		}
	}
	return false
}

func (s *leakcheckSession) isReported(id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reported[id]
}

func (s *leakcheckSession) markReported(gs []leakcheckGoroutine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range gs {
		s.reported[gs[i].id] = true
	}
}

// look takes one snapshot of every goroutine, with labels attributed.
func (s *leakcheckSession) look() leakcheckSnapshot {
	counter, ok := leakcheckCreated()
	snap := leakcheckSnapshot{counter: counter, counterOK: ok && !s.cfg.AlwaysLook}
	snap.goroutines = leakcheckParseDump(leakcheckStack())
	if !s.labelsInDump {
		leakcheckLabelFromProfile(snap.goroutines)
	}
	return snap
}

// leakcheckLabelFromProfile gives dump goroutines the labels that only the
// profile shows (Go before 1.26), matching stacks; among goroutines with the
// same stack the newest take the labels.
func leakcheckLabelFromProfile(gs []leakcheckGoroutine) {
	var buf leakcheckbytes.Buffer
	if p := leakcheckpprof.Lookup("goroutine"); p == nil || p.WriteTo(&buf, 1) != nil {
		return
	}
	byKey := map[string][]*leakcheckGoroutine{}
	for i := range gs {
		gs[i].parseStack()
		k := leakcheckStackKey(gs[i].funcs)
		byKey[k] = append(byKey[k], &gs[i])
	}
	for _, list := range byKey {
		leakchecksort.Slice(list, func(a, b int) bool { return list[a].id > list[b].id })
	}
	for _, grp := range leakcheckParseProfile(buf.Bytes()) {
		if grp.label == "" {
			continue
		}
		n := grp.count
		for _, g := range byKey[grp.key] {
			if n == 0 {
				break
			}
			if g.label == "" {
				g.label, g.sub = grp.label, grp.sub
				n--
			}
		}
	}
}

// leakcheckProbeLabels reports whether this runtime prints labels in
// goroutine headers.
func leakcheckProbeLabels() bool {
	found := false
	leakcheckpprof.Do(leakcheckcontext.Background(), leakcheckpprof.Labels("leakcheck", "probe"), func(leakcheckcontext.Context) {
		leakcheckWithLabels(func() {
			buf := make([]byte, 256)
			buf = buf[:leakcheckruntime.Stack(buf, false)]
			header := buf
			if i := leakcheckbytes.IndexByte(buf, '\n'); i >= 0 {
				header = buf[:i]
			}
			found = leakcheckbytes.Contains(header, []byte("leakcheck"))
		})
	})
	return found
}

// leakcheckLabelsMu serialises the moments labels are switched on.
var leakcheckLabelsMu leakchecksync.Mutex

// leakcheckWithLabels runs f with GODEBUG=tracebacklabels=1, which Go 1.26+
// honours when it changes at run time, and puts GODEBUG back after. Labels
// are on only for leakcheck's own looks: the tests' own stacks (debug.Stack,
// panics) keep the header they would have without leakcheck.
func leakcheckWithLabels(f func()) {
	leakcheckLabelsMu.Lock()
	defer leakcheckLabelsMu.Unlock()
	orig, had := leakchecksyscall.Getenv("GODEBUG")
	on := "tracebacklabels=1"
	if orig != "" {
		on = orig + "," + on
	}
	_ = leakchecksyscall.Setenv("GODEBUG", on)
	defer func() {
		if had {
			_ = leakchecksyscall.Setenv("GODEBUG", orig)
		} else {
			_ = leakchecksyscall.Unsetenv("GODEBUG")
		}
	}()
	f()
}

// leakcheckDumpBytes is the size of the last full dump (guarded by
// leakcheckLabelsMu, which every dump holds).
var leakcheckDumpBytes, leakcheckDumpGoroutines int

// leakcheckStack is runtime.Stack(buf, true), labels shown where the runtime
// can show them. A call whose buffer is too small still walks and formats
// every goroutine, so the buffer starts at the size the last dump needed,
// scaled to today's goroutine count: one call per look, not one per
// doubling (at 10,000 goroutines, seven calls from 64 KiB).
func leakcheckStack() []byte {
	var out []byte
	leakcheckWithLabels(func() {
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
				out = buf[:n]
				break
			}
			buf = make([]byte, 2*len(buf))
		}
		leakcheckDumpBytes = len(out)
		leakcheckDumpGoroutines = leakcheckbytes.Count(out, []byte("\ngoroutine ")) + 1
	})
	return out
}

func leakcheckSelfID() uint64 {
	var buf [64]byte
	b := buf[:leakcheckruntime.Stack(buf[:], false)]
	b = leakcheckbytes.TrimPrefix(b, []byte("goroutine "))
	if i := leakcheckbytes.IndexByte(b, ' '); i > 0 {
		id, _ := leakcheckstrconv.ParseUint(string(b[:i]), 10, 64)
		return id
	}
	return 0
}

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

func leakcheckIsParallel(t *leakchecktesting.T) bool {
	f := leakcheckreflect.ValueOf(t).Elem().FieldByName("isParallel")
	if !f.IsValid() || f.Kind() != leakcheckreflect.Bool {
		return true // unknown: the safer answer blames fewer goroutines
	}
	return f.Bool()
}

// bootstrap puts a writer in front of testing's chatty printer, which
// prints every test's framing lines from the right goroutine (go test -json
// always runs tests in that mode): `=== RUN   X` from the goroutine about to
// start X, `=== NAME`/`=== CONT` when a goroutine goes back to a test,
// `--- PASS: X` from X's own goroutine once X, its cleanups and its
// subtests are done. Then every test gets its original function back:
// testing reads m.tests as it goes, so all tests but the first run without
// a leakcheck frame on their stack. Once, from the first test to run.
func (s *leakcheckSession) bootstrap(t *leakchecktesting.T) {
	s.hookOnce.Do(func() {
		// testing makes a new chatty printer for each -count iteration and
		// each -cpu setting: the hook would see only the first. Then every
		// test keeps its wrapper.
		if !leakcheckOneIteration() {
			return
		}
		chatty := leakcheckreflect.ValueOf(t).Elem().FieldByName("chatty")
		if !chatty.IsValid() || chatty.Kind() != leakcheckreflect.Ptr || chatty.IsNil() {
			return
		}
		printer := chatty.Elem()
		w, isJSON := printer.FieldByName("w"), printer.FieldByName("json")
		if !w.IsValid() || w.Kind() != leakcheckreflect.Interface || !isJSON.IsValid() || isJSON.Kind() != leakcheckreflect.Bool || !isJSON.Bool() {
			return
		}
		field := leakcheckreflect.NewAt(w.Type(), leakcheckunsafe.Pointer(w.UnsafeAddr())).Elem()
		orig, ok := field.Interface().(leakcheckio.Writer)
		if !ok {
			return
		}
		field.Set(leakcheckreflect.ValueOf(&leakcheckHook{w: orig, s: s}))
		// By name: -test.shuffle reorders m.tests after leakcheck wrapped it.
		for i := range s.tests {
			s.tests[i].F = s.originals[s.tests[i].Name]
		}
	})
}

// leakcheckOneIteration reports whether testing runs the tests once
// (-test.count=1 and at most one -test.cpu value); m.Run has parsed the
// flags by the time a test runs.
func leakcheckOneIteration() bool {
	count := leakcheckflag.Lookup("test.count")
	cpu := leakcheckflag.Lookup("test.cpu")
	if count == nil || cpu == nil {
		return false
	}
	return count.Value.String() == "1" && !leakcheckstrings.Contains(cpu.Value.String(), ",")
}

// leakcheckHookRun is a top-level test the hook saw start.
type leakcheckHookRun struct {
	start leakcheckTestStart
	run   int
}

// leakcheckHook reads the chatty printer's lines on their way out.
type leakcheckHook struct {
	w leakcheckio.Writer
	s *leakcheckSession
}

func (h *leakcheckHook) Write(p []byte) (int, error) {
	line := p
	if i := leakcheckbytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = leakcheckbytes.TrimLeft(line, "\x16")
	s := h.s
	switch {
	case leakcheckbytes.HasPrefix(line, []byte("=== RUN   ")):
		s.hookRun(string(line[len("=== RUN   "):]))
	case leakcheckbytes.HasPrefix(line, []byte("=== NAME  ")), leakcheckbytes.HasPrefix(line, []byte("=== CONT  ")):
		leakcheckSetLabels(string(line[len("=== NAME  "):]))
	case leakcheckbytes.HasPrefix(line, []byte("=== PAUSE ")):
		s.mu.Lock()
		s.parallel[string(line[len("=== PAUSE "):])] = true
		s.mu.Unlock()
	case leakcheckbytes.HasPrefix(line, []byte("--- ")):
		verdict, name := leakcheckVerdictLine(line)
		if name == "" {
			break
		}
		if leakcheckstrings.Contains(name, "/") {
			// Which goroutine ran a subtest, for goroutines it started
			// that carry no subtest label (see subtestNames). A top-level
			// name is never used there, and reading the goroutine's id
			// walks its whole stack.
			self := leakcheckSelfID()
			s.mu.Lock()
			s.testOf[self] = name
			s.mu.Unlock()
		}
		if n := s.hookEnd(name, verdict == "FAIL"); n > 0 {
			// The test passed by testing's count; leakcheck fails it:
			// its line, then the verdict turned into FAIL.
			note := "\x16=== NAME  " + name + "\n    leakcheck: " + leakcheckCount(n) + " leaked after " + name + " returned\n"
			if _, err := h.w.Write([]byte(note)); err != nil {
				return 0, err
			}
			if verdict != "FAIL" {
				failed := leakcheckbytes.Replace(p, []byte("--- "+verdict+": "), []byte("--- FAIL: "), 1)
				_, err := h.w.Write(failed)
				return len(p), err
			}
		}
	}
	return h.w.Write(p)
}

// leakcheckVerdictLine reads `--- PASS: TestA/sub (0.01s)`.
func leakcheckVerdictLine(line []byte) (string, string) {
	rest := leakcheckstrings.TrimPrefix(string(line), "--- ")
	i := leakcheckstrings.Index(rest, ": ")
	if i < 0 {
		return "", ""
	}
	name := rest[i+2:]
	if j := leakcheckstrings.LastIndex(name, " ("); j > 0 {
		name = name[:j]
	}
	return rest[:i], name
}

// leakcheckSetLabels gives the current goroutine the labels of test name
// (nothing for ""): leakcheck=<top-level test>, and leakchecksub=<name> for
// a subtest. Goroutines it starts from now on inherit them.
func leakcheckSetLabels(name string) {
	ctx := leakcheckcontext.Background()
	if name != "" {
		top := name
		if i := leakcheckstrings.IndexByte(name, '/'); i >= 0 {
			top = name[:i]
			ctx = leakcheckpprof.WithLabels(ctx, leakcheckpprof.Labels("leakcheck", top, "leakchecksub", name))
		} else {
			ctx = leakcheckpprof.WithLabels(ctx, leakcheckpprof.Labels("leakcheck", top))
		}
	}
	leakcheckpprof.SetGoroutineLabels(ctx)
}

// hookRun: a test is about to start, on a goroutine created right after
// this, from this goroutine, which hands it its labels.
func (s *leakcheckSession) hookRun(name string) {
	if !leakcheckstrings.Contains(name, "/") {
		start := s.testStarted(leakcheckBeforeGoroutine)
		run := s.nextRun(name)
		s.mu.Lock()
		s.hookRuns[name] = leakcheckHookRun{start: start, run: run}
		s.mu.Unlock()
	}
	leakcheckSetLabels(name)
}

// hookEnd: test name is done, cleanups and subtests included; check a
// top-level test (not one the wrapper checks) and return what it leaked.
func (s *leakcheckSession) hookEnd(name string, failed bool) int {
	s.mu.Lock()
	run, started := s.hookRuns[name]
	delete(s.hookRuns, name)
	serial := !s.parallel[name]
	delete(s.parallel, name)
	if s.wrapped[name] {
		delete(s.wrapped, name)
		started = false
	}
	s.mu.Unlock()
	if !started {
		return 0
	}
	n := s.check(name, run.run, run.start, serial, failed)
	if n > 0 {
		s.mu.Lock()
		s.hookLeaked = true
		s.mu.Unlock()
	}
	return n
}

// subtestNames names, for each leaked goroutine, the test or subtest that
// started it, following `created by ... in goroutine N` through goroutines
// still alive to one whose test is known.
func (s *leakcheckSession) subtestNames(leaked []leakcheckGoroutine, snap leakcheckSnapshot) map[string]string {
	alive := map[uint64]*leakcheckGoroutine{}
	for i := range snap.goroutines {
		alive[snap.goroutines[i].id] = &snap.goroutines[i]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for i := range leaked {
		if leaked[i].sub != "" {
			out[leakcheckstrconv.FormatUint(leaked[i].id, 10)] = leaked[i].sub
			continue
		}
		leaked[i].parseStack()
		parent := leaked[i].createdIn
		for hops := 0; parent != 0 && hops < 64; hops++ {
			if name, ok := s.testOf[parent]; ok {
				if leakcheckstrings.Contains(name, "/") {
					out[leakcheckstrconv.FormatUint(leaked[i].id, 10)] = name
				}
				break
			}
			g := alive[parent]
			if g == nil {
				break
			}
			g.parseStack()
			parent = g.createdIn
		}
	}
	return out
}

// leakcheckRecordHeader is the first line of a record file; the rest of the
// file is the raw dump text of the goroutines it names.
type leakcheckRecordHeader struct {
	Version     int               `json:"v"`
	Kind        string            `json:"kind"`
	Package     string            `json:"package"`
	Test        string            `json:"test,omitempty"`
	Run         int               `json:"run,omitempty"`
	Goroutines  []uint64          `json:"goroutines,omitempty"`
	Ignored     []uint64          `json:"ignored,omitempty"`
	Looks       int               `json:"looks,omitempty"`
	Failed      bool              `json:"failed,omitempty"`
	TestOf      map[string]string `json:"test_of,omitempty"`
	Go          string            `json:"go,omitempty"`
	LabelSource string            `json:"label_source,omitempty"`
	Counter     bool              `json:"counter,omitempty"`
	Proof       bool              `json:"proof,omitempty"`
	Wrapped     int               `json:"wrapped,omitempty"`
	UserMain    bool              `json:"user_main,omitempty"`
	Problems    []string          `json:"problems,omitempty"`
}

// writeRecord writes <dir>/<hex import path>/<pid>-<seq>.rec. It uses
// syscall directly: files opened through package os are recorded by go
// test's result cache, and these change every run.
func (s *leakcheckSession) writeRecord(h leakcheckRecordHeader, out leakcheckOutcome) {
	h.Version = 1
	h.Package = s.pkg
	h.Goroutines = leakcheckIDs(out.leaked)
	h.Ignored = leakcheckIDs(out.ignored)
	h.Looks = out.looks
	gs := append(append([]leakcheckGoroutine(nil), out.leaked...), out.ignored...)
	if len(gs) > 0 {
		h.TestOf = s.subtestNames(gs, out.snap)
	}
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.mu.Unlock()
	head, err := leakcheckjson.Marshal(h)
	if err != nil {
		return
	}
	var body leakcheckbytes.Buffer
	body.Write(head)
	body.WriteByte('\n')
	for i := range gs {
		body.WriteByte('\n')
		body.Write(gs[i].text)
		body.WriteByte('\n')
	}
	dir := s.dir + "/" + leakcheckhex.EncodeToString([]byte(s.pkg))
	if err := leakchecksyscall.Mkdir(dir, 0755); err != nil && err != leakchecksyscall.EEXIST {
		leakcheckfmt.Fprintf(leakcheckos.Stderr, "leakcheck: cannot create %s: %v\n", dir, err)
		return
	}
	path := leakcheckfmt.Sprintf("%s/%d-%06d.rec", dir, leakcheckos.Getpid(), seq)
	fd, err := leakchecksyscall.Open(path, leakchecksyscall.O_WRONLY|leakchecksyscall.O_CREAT|leakchecksyscall.O_TRUNC, 0644)
	if err != nil {
		leakcheckfmt.Fprintf(leakcheckos.Stderr, "leakcheck: cannot write %s: %v\n", path, err)
		return
	}
	defer leakchecksyscall.Close(fd)
	for b := body.Bytes(); len(b) > 0; {
		n, err := leakchecksyscall.Write(fd, b)
		if err != nil {
			leakcheckfmt.Fprintf(leakcheckos.Stderr, "leakcheck: cannot write %s: %v\n", path, err)
			return
		}
		b = b[n:]
	}
}

func leakcheckIDs(gs []leakcheckGoroutine) []uint64 {
	ids := make([]uint64, len(gs))
	for i := range gs {
		ids[i] = gs[i].id
	}
	return ids
}

func leakcheckCount(n int) string {
	if n == 1 {
		return "1 goroutine"
	}
	return leakcheckstrconv.Itoa(n) + " goroutines"
}
