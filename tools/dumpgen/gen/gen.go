// Package gen parks goroutines in many wait states, writes a goroutine dump
// and a JSON expectation file describing each goroutine it parked on purpose.
//
// Every parked goroutine learns its own id by parsing the header of
// runtime.Stack(b, false) before it parks, and reports it over a channel.
// The expectations (state, top function, created-by function, labels, ...)
// are derived from the Go version the program runs on and from the GODEBUG
// settings in effect; before writing anything the program checks its own
// dump against them, so a fixture and its expectation always agree.
package gen

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// pkg is the import path of this package as it appears in function names.
const pkg = "example.com/dumpgen/gen"

// Label is one pprof label (key/value pair).
type Label struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	// ValueHex holds the raw bytes of Value when it is not valid UTF-8:
	// JSON cannot carry such bytes (Value then has U+FFFD instead, which
	// is also what Go 1.26 prints; Go 1.27 prints \xNN escapes).
	ValueHex string `json:"value_hex,omitempty"`
}

// Expect describes one goroutine parked on purpose.
type Expect struct {
	// Name identifies the scenario.
	Name string `json:"name"`
	// ID is the goroutine id (reported by the goroutine itself).
	ID uint64 `json:"id"`
	// State is the exact text between "[" and the first ", " or "]"
	// (it includes " (leaked)" and " (durable)" suffixes).
	State string `json:"state"`
	// WaitMinutes is the ", N minutes" value; 0 means the part is absent.
	WaitMinutes int `json:"wait_minutes"`
	// LockedToThread reports whether ", locked to thread" is printed.
	LockedToThread bool `json:"locked_to_thread"`
	// SynctestBubble is the ", synctest bubble N" value; 0 means absent.
	SynctestBubble int `json:"synctest_bubble,omitempty"`
	// Labels are the pprof labels the goroutine carries, sorted by key.
	Labels []Label `json:"labels"`
	// LabelsPrinted reports whether this Go version prints the labels in
	// the header with the GODEBUG in effect.
	LabelsPrinted bool `json:"labels_printed"`
	// Header is the complete expected header line. When HeaderGPM is
	// set, the dump's header also has " gp=0x... m=..." after the id,
	// which Header leaves out.
	Header string `json:"header"`
	// HeaderGPM: from Go 1.22 on, GOTRACEBACK=system (or crash, or a
	// SIGQUIT dump, or the goroutine that hit a fatal runtime error)
	// prints "goroutine N gp=0x... m=N mp=0x... [" or
	// "goroutine N gp=0x... m=nil [".
	HeaderGPM bool `json:"header_has_gp_m,omitempty"`
	// TopFunction is the function of the first frame printed ("": not
	// asserted).
	TopFunction string `json:"top_function"`
	// TopFile is a suffix of the file path printed for the first frame.
	TopFile string `json:"top_file_suffix,omitempty"`
	// TopInlined reports whether the first frame is printed with "(...)".
	TopInlined bool `json:"top_inlined"`
	// FramesInclude are functions that must appear (in this order, not
	// necessarily adjacent) in the frames before "created by".
	FramesInclude []string `json:"frames_include,omitempty"`
	// InlinedFrames are functions printed with "(...)" arguments.
	InlinedFrames []string `json:"inlined_frames,omitempty"`
	// ElidedFrames is N in "...N frames elided..." (0: no such line).
	ElidedFrames int `json:"elided_frames,omitempty"`
	// CreatedBy is the function in the "created by" line ("" if none).
	CreatedBy string `json:"created_by"`
	// CreatedByGoroutine is N in "created by F in goroutine N" (0: absent).
	CreatedByGoroutine uint64 `json:"created_by_goroutine"`
	// Ancestors lists the goroutine ids of the "[originating from
	// goroutine N]:" sections, in order; only set when
	// GODEBUG=tracebackancestors is in effect.
	Ancestors []uint64 `json:"ancestors,omitempty"`
	// AncestorsElided reports whether an ancestor section ends with
	// "...additional frames elided...".
	AncestorsElided bool `json:"ancestors_elided,omitempty"`
	// Notes is free text for humans.
	Notes string `json:"notes,omitempty"`

	parent    *Expect
	noAncCkck bool
}

// File is the JSON expectation file.
type File struct {
	GoVersion    string    `json:"go_version"`
	GOOS         string    `json:"goos"`
	GOARCH       string    `json:"goarch"`
	Mode         string    `json:"mode"`
	Dump         string    `json:"dump"`
	Godebug      string    `json:"godebug_env"`
	DefaultDebug string    `json:"default_godebug"`
	Goexperiment string    `json:"goexperiment,omitempty"`
	Cgo          bool      `json:"cgo"`
	Notes        []string  `json:"notes,omitempty"`
	Goroutines   []*Expect `json:"goroutines"`
}

type readyMsg struct {
	x  *Expect
	id uint64
}

// env holds the state of one run.
type env struct {
	v        goVersion
	labelsOn bool
	ancDepth int
	system   bool // GOTRACEBACK=system or crash: runtime frames, gp=/m= in headers
	mainID   uint64
	main     *Expect

	mu      sync.Mutex
	exps    []*Expect
	pending int
	readyCh chan readyMsg
	notes   []string
}

func newEnv() *env {
	e := &env{
		v:        parseVersion(runtime.Version()),
		readyCh:  make(chan readyMsg, 64),
		ancDepth: godebugInt("tracebackancestors", 0),
	}
	e.labelsOn = e.tracebackLabels()
	switch os.Getenv("GOTRACEBACK") {
	case "system", "crash", "2":
		e.system = true
	}
	e.mainID = goid()
	return e
}

// add registers an expectation; the goroutine must later call ready.
func (e *env) add(x Expect) *Expect {
	p := new(Expect)
	*p = x
	if p.Labels == nil {
		p.Labels = []Label{}
	}
	e.mu.Lock()
	e.exps = append(e.exps, p)
	e.pending++
	e.mu.Unlock()
	return p
}

// ready is called by a parked goroutine right before it parks.
func (e *env) ready(x *Expect) {
	e.readyCh <- readyMsg{x, goid()}
}

// waitReady waits until every registered goroutine has reported its id.
// It polls with time.Sleep rather than waiting on a timer channel: a
// pending timer would keep -mode deadlock from being detected.
func (e *env) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		e.mu.Lock()
		n := e.pending
		e.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case m := <-e.readyCh:
			e.mu.Lock()
			m.x.ID = m.id
			e.pending--
			e.mu.Unlock()
			continue
		default:
		}
		if time.Now().After(deadline) {
			var missing []string
			e.mu.Lock()
			for _, x := range e.exps {
				if x.ID == 0 {
					missing = append(missing, x.Name)
				}
			}
			e.mu.Unlock()
			return fmt.Errorf("goroutines never reported: %v", missing)
		}
		time.Sleep(time.Millisecond)
	}
}

// goid returns the current goroutine's id, parsed from the header of
// runtime.Stack(b, false): "goroutine 18 [running]:".
func goid() uint64 {
	var b [64]byte
	n := runtime.Stack(b[:], false)
	s := strings.TrimPrefix(string(b[:n]), "goroutine ")
	if i := strings.IndexByte(s, ' '); i > 0 {
		id, err := strconv.ParseUint(s[:i], 10, 64)
		if err == nil {
			return id
		}
	}
	panic("cannot parse goroutine id from " + strconv.Quote(string(b[:n])))
}

// stackAll returns runtime.Stack(buf, true), growing buf until it fits.
//
//go:noinline
func stackAll() []byte {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// goVersion is the minor version of the running Go (1.N).
type goVersion struct {
	minor int
	full  string
}

func parseVersion(s string) goVersion {
	v := goVersion{minor: 99, full: s}
	if strings.HasPrefix(s, "go1.") {
		rest := s[len("go1."):]
		end := 0
		for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
		if n, err := strconv.Atoi(rest[:end]); err == nil {
			v.minor = n
		}
	}
	return v
}

func (v goVersion) atLeast(minor int) bool { return v.minor >= minor }

// godebugValue returns the effective value of a GODEBUG setting: the
// GODEBUG environment variable wins over the binary's DefaultGODEBUG.
func godebugValue(key string) (string, bool) {
	val, found := "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "DefaultGODEBUG" {
				if v, ok := lookupKV(s.Value, key); ok {
					val, found = v, true
				}
			}
		}
	}
	if v, ok := lookupKV(os.Getenv("GODEBUG"), key); ok {
		val, found = v, true
	}
	return val, found
}

func defaultGodebug() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "DefaultGODEBUG" {
				return s.Value
			}
		}
	}
	return ""
}

// lookupKV finds key in a comma-separated k=v list; the last one wins.
func lookupKV(list, key string) (string, bool) {
	val, found := "", false
	for _, kv := range strings.Split(list, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == key {
			val, found = v, true
		}
	}
	return val, found
}

func godebugInt(key string, def int) int {
	if v, ok := godebugValue(key); ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

// tracebackLabels reports whether goroutine headers include pprof labels.
// Go 1.26 added GODEBUG=tracebacklabels (default 0); Go 1.27 turned it on
// by default for modules whose go.mod says go 1.27 or later.
func (e *env) tracebackLabels() bool {
	if !e.v.atLeast(26) {
		return false
	}
	def := "0"
	if e.v.atLeast(27) {
		def = "1"
	}
	if v, ok := godebugValue("tracebacklabels"); ok {
		def = v
	}
	return def == "1"
}

// header builds the expected header line of x.
func (e *env) header(x *Expect) string {
	var b strings.Builder
	fmt.Fprintf(&b, "goroutine %d [%s", x.ID, x.State)
	if x.WaitMinutes > 0 {
		fmt.Fprintf(&b, ", %d minutes", x.WaitMinutes)
	}
	if x.LockedToThread {
		b.WriteString(", locked to thread")
	}
	if x.SynctestBubble > 0 {
		fmt.Fprintf(&b, ", synctest bubble %d", x.SynctestBubble)
	}
	if x.LabelsPrinted && len(x.Labels) > 0 && !e.v.atLeast(27) {
		// Go 1.26: [state labels:{"k": "v", "k2": "v2"}]
		b.WriteString(" labels:{")
		for i, l := range x.Labels {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(runtimeQuote(l.Key, false))
			b.WriteString(": ")
			b.WriteString(runtimeQuote(l.Value, false))
		}
		b.WriteString("}")
	}
	b.WriteString("]")
	if x.LabelsPrinted && len(x.Labels) > 0 && e.v.atLeast(27) {
		// Go 1.27: [state] {k: v, "k 2": "v 2"}
		b.WriteString(" {")
		for i, l := range x.Labels {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteIfNeeded(l.Key))
			b.WriteString(": ")
			b.WriteString(quoteIfNeeded(l.Value))
		}
		b.WriteString("}")
	}
	b.WriteString(":")
	return b.String()
}

// runtimeQuote mimics runtime.printquoted. Before Go 1.27 an invalid UTF-8
// byte prints as \ufffd; from 1.27 on as \xNN.
func runtimeQuote(s string, rawInvalid bool) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch r {
		case '\n':
			b.WriteString(`\n`)
			continue
		case '\r':
			b.WriteString(`\r`)
			continue
		case '\t':
			b.WriteString(`\t`)
			continue
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteRune(r)
			continue
		case 0xFFFD:
			if rawInvalid && !strings.HasPrefix(s[i:], "\uFFFD") {
				fmt.Fprintf(&b, `\x%02x`, s[i])
				continue
			}
		}
		switch {
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		case r < 127:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// quoteIfNeeded mimics Go 1.27's label printing: quote only when a rune
// other than [a-zA-Z0-9./_] occurs (the empty string is not quoted).
func quoteIfNeeded(s string) string {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' ||
			'0' <= r && r <= '9' || r == '.' || r == '/' || r == '_') {
			return runtimeQuote(s, true)
		}
	}
	return s
}

// sortedLabels turns k, v, k, v... into a key-sorted list.
func sortedLabels(kv ...string) []Label {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	var ls []Label
	for k, v := range m {
		l := Label{Key: k, Value: v}
		if !utf8.ValidString(v) {
			l.ValueHex = hex.EncodeToString([]byte(v))
		}
		ls = append(ls, l)
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Key < ls[j].Key })
	return ls
}

// finish fills in the derived fields of every expectation.
func (e *env) finish(minutes int) {
	for _, x := range e.exps {
		x.LabelsPrinted = e.labelsOn && len(x.Labels) > 0
		if minutes > 0 && x.State != "runnable" && x.State != "running" {
			x.WaitMinutes = minutes
		}
		if e.ancDepth > 0 && !x.noAncCkck {
			x.Ancestors = nil
			for p := x.parent; p != nil && len(x.Ancestors) < e.ancDepth; p = p.parent {
				x.Ancestors = append(x.Ancestors, p.ID)
			}
		}
		x.Header = e.header(x)
		if e.system {
			// GOTRACEBACK=system shows runtime frames: blocked
			// goroutines start at runtime.gopark.
			// " gp=0x... m=..." after the id: Go 1.22+.
			x.HeaderGPM = e.v.atLeast(22)
			switch x.State {
			case "running", "runnable", "syscall":
			case "coroutine":
				x.TopFunction, x.TopInlined, x.TopFile = "runtime.coroswitch", false, ""
			default:
				x.TopFunction, x.TopInlined, x.TopFile = "runtime.gopark", false, ""
			}
		}
	}
}

func (e *env) file(mode, dump string) *File {
	return &File{
		GoVersion:    runtime.Version(),
		GOOS:         runtime.GOOS,
		GOARCH:       runtime.GOARCH,
		Mode:         mode,
		Dump:         dump,
		Godebug:      os.Getenv("GODEBUG"),
		DefaultDebug: defaultGodebug(),
		Goexperiment: os.Getenv("GOEXPERIMENT"),
		Cgo:          cgoEnabled,
		Notes:        e.notes,
		Goroutines:   e.exps,
	}
}

func writeJSON(path string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// Main runs the program with the given arguments and returns the exit code.
func Main(args []string) int {
	fs := flag.NewFlagSet("dumpgen", flag.ContinueOnError)
	mode := fs.String("mode", "states", "states: park goroutines and dump them\nleaked: goroutineleak profile (Go 1.26 with GOEXPERIMENT=goroutineleakprofile, 1.27+)\ndeadlock: write -expect, then block main so the runtime dies with \"all goroutines are asleep - deadlock!\" (the dump goes to stderr; build with CGO_ENABLED=0, cgo disables deadlock detection)\nsigquit: park like states, write -expect, print a line and wait for SIGQUIT (the dump goes to stderr)\nverify: check the dump in -out against the expectations in -expect")
	out := fs.String("out", "", "write the goroutine dump (runtime.Stack(buf, true)) to this file; in -mode leaked: the goroutineleak profile with debug=2; in -mode verify: the dump to check")
	expect := fs.String("expect", "", "write the JSON expectations to this file")
	profile1 := fs.String("profile1", "", "also write pprof.Lookup(\"goroutine\").WriteTo(w, 1) to this file (-mode states) or the goroutineleak profile with debug=1 (-mode leaked)")
	after := fs.String("after", "", "-mode leaked: also write runtime.Stack(buf, true) taken after the leak profile")
	wait := fs.Duration("wait", 0, "run a GC after parking, then wait this long before dumping (61s or more makes headers show \", N minutes\")")
	deep := fs.Int("deep", 150, "recursion depth of the deep-recursion goroutine (over ~100 gives elided frames)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the goroutines to park")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: dumpgen [flags]\n\nParks goroutines in many wait states and writes a goroutine dump plus JSON expectations.\nBuild with -tags dumpgen_cgo (and CGO_ENABLED=1) to add a goroutine blocked in a C call.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" && *mode != "deadlock" && *mode != "sigquit" {
		fmt.Fprintln(os.Stderr, "dumpgen: -out is required")
		return 2
	}
	var err error
	switch *mode {
	case "states":
		err = runStates(*out, *expect, *profile1, *wait, *deep, *timeout)
	case "leaked":
		err = runLeaked(*out, *expect, *profile1, *after, *timeout)
	case "deadlock":
		err = runDeadlock(*expect, *timeout)
	case "sigquit":
		err = runSigquit(*expect, *deep, *timeout)
	case "verify":
		err = verify(*out, *expect)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dumpgen:", err)
		return 1
	}
	return 0
}

// settle takes dumps until every expectation matches (goroutines report
// their id right before parking, so the first dump may be too early).
func (e *env) settle(timeout time.Duration) ([]byte, []string) {
	deadline := time.Now().Add(timeout)
	for {
		dump := stackAll()
		problems := e.check(dump)
		if len(problems) == 0 || time.Now().After(deadline) {
			return dump, problems
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func runStates(out, expect, profile1 string, wait time.Duration, deep int, timeout time.Duration) error {
	e := newEnv()
	e.main = e.add(Expect{
		Name:          "main-dumping",
		State:         "running",
		TopFunction:   pkg + ".stackAll",
		FramesInclude: []string{pkg + ".stackAll", pkg + ".(*env).settle", pkg + ".runStates", pkg + ".Main", "main.main"},
		Notes:         "the goroutine calling runtime.Stack; main goroutine: no created-by line",
		noAncCkck:     true,
	})
	e.main.ID = e.mainID
	e.pending--
	e.parkAll(deep)
	if err := e.waitReady(timeout); err != nil {
		return err
	}
	minutes := 0
	if wait > 0 {
		// Settle first, so every goroutine is parked when the GC records
		// the wait start (g.waitsince is set by the GC's stack scan).
		e.finish(0)
		if _, problems := e.settle(timeout); len(problems) > 0 {
			return fmt.Errorf("goroutines did not park:\n  %s", strings.Join(problems, "\n  "))
		}
		runtime.GC()
		time.Sleep(wait)
		minutes = int(wait / time.Minute)
		e.notes = append(e.notes, fmt.Sprintf("ran a GC after parking, then waited %v before dumping", wait))
	}
	e.finish(minutes)
	dump, problems := e.settle(timeout)
	var prof []byte
	if profile1 != "" {
		var err error
		if prof, err = goroutineProfile(1); err != nil {
			return err
		}
	}
	if err := os.WriteFile(out, dump, 0o644); err != nil {
		return err
	}
	if profile1 != "" {
		if err := os.WriteFile(profile1, prof, 0o644); err != nil {
			return err
		}
	}
	if expect != "" {
		if err := writeJSON(expect, e.file("states", "runtime.Stack(buf, true)")); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("dump does not match expectations:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}
