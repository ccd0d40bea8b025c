package gen

import (
	"context"
	"net"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"
)

// held keeps everything the parked goroutines block on reachable, so that
// nothing is collected (and, in -mode leaked, nothing is reported leaked
// unless it is meant to be).
var (
	heldMu sync.Mutex
	held   []any
)

func hold(v ...any) {
	heldMu.Lock()
	held = append(held, v...)
	heldMu.Unlock()
}

// byMain registers a goroutine started by the main goroutine.
func (e *env) byMain(x Expect) *Expect {
	x.parent = e.main
	x.CreatedByGoroutine = e.mainID
	return e.add(x)
}

// byCurrent registers a goroutine started by the calling goroutine, whose
// own expectation is parent (nil if it has none).
func (e *env) byCurrent(parent *Expect, x Expect) *Expect {
	x.parent = parent
	x.CreatedByGoroutine = goid()
	return e.add(x)
}

// parkAll starts every scenario of -mode states.
func (e *env) parkAll(deep int) {
	parkChanReceive(e)
	parkChanSend(e)
	parkSelect(e)
	parkSelectNoCases(e)
	parkNilChans(e)
	parkNet(e)
	parkSleep(e)
	parkSync(e)
	parkSyscall(e)
	parkRunnable(e)
	parkLocked(e)
	parkGenericScenario(e)
	parkMethodValue(e)
	parkMethods(e)
	parkGoWithArgs(e)
	parkNested(e)
	parkInlined(e)
	parkDeep(e, deep)
	parkChained(e)
	parkOrphan(e)
	parkLabels(e)
	parkPanicking(e)
	parkGoexit(e)
	parkSpacedFile(e)
	parkGrüße(e)
	parkDotted(e)
	parkFinalizer(e)
	parkCgo(e)
	parkVersionSpecific(e)
}

func parkChanReceive(e *env) {
	c := make(chan int)
	hold(c)
	x := e.byMain(Expect{
		Name:        "chan-receive",
		State:       "chan receive",
		TopFunction: pkg + ".parkChanReceive.func1",
		CreatedBy:   pkg + ".parkChanReceive",
	})
	go func() {
		e.ready(x)
		<-c
	}()
}

func parkChanSend(e *env) {
	c := make(chan int)
	hold(c)
	x := e.byMain(Expect{
		Name:        "chan-send",
		State:       "chan send",
		TopFunction: pkg + ".parkChanSend.func1",
		CreatedBy:   pkg + ".parkChanSend",
	})
	go func() {
		e.ready(x)
		c <- 1
	}()
}

func parkSelect(e *env) {
	c1, c2 := make(chan int), make(chan int)
	hold(c1, c2)
	x := e.byMain(Expect{
		Name:        "select",
		State:       "select",
		TopFunction: pkg + ".parkSelect.func1",
		CreatedBy:   pkg + ".parkSelect",
	})
	go func() {
		e.ready(x)
		select {
		case <-c1:
		case c2 <- 1:
		}
	}()
}

func parkSelectNoCases(e *env) {
	x := e.byMain(Expect{
		Name:        "select-no-cases",
		State:       "select (no cases)",
		TopFunction: pkg + ".parkSelectNoCases.func1",
		CreatedBy:   pkg + ".parkSelectNoCases",
	})
	go func() {
		e.ready(x)
		select {}
	}()
}

func parkNilChans(e *env) {
	x := e.byMain(Expect{
		Name:        "chan-receive-nil",
		State:       "chan receive (nil chan)",
		TopFunction: pkg + ".parkNilChans.func1",
		CreatedBy:   pkg + ".parkNilChans",
	})
	go func() {
		var c chan int
		e.ready(x)
		<-c
	}()
	y := e.byMain(Expect{
		Name:        "chan-send-nil",
		State:       "chan send (nil chan)",
		TopFunction: pkg + ".parkNilChans.func2",
		CreatedBy:   pkg + ".parkNilChans",
	})
	go func() {
		var c chan int
		e.ready(y)
		c <- 1
	}()
}

// parkNet parks a goroutine in Accept, one in Read on a loopback TCP
// connection ([IO wait]) and a second reader of the same connection, which
// waits for the first one's read lock ([semacquire] in every version).
func parkNet(e *env) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.notes = append(e.notes, "no loopback TCP: "+err.Error())
		return
	}
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		e.notes = append(e.notes, "no loopback TCP: "+err.Error())
		return
	}
	server, err := ln.Accept()
	if err != nil {
		e.notes = append(e.notes, "no loopback TCP: "+err.Error())
		return
	}
	hold(ln, client, server)
	a := e.byMain(Expect{
		Name:          "io-wait-accept",
		State:         "IO wait",
		TopFunction:   "internal/poll.runtime_pollWait",
		FramesInclude: []string{"internal/poll.runtime_pollWait", "net.(*TCPListener).Accept", pkg + ".parkNet.func1"},
		CreatedBy:     pkg + ".parkNet",
	})
	go func() {
		e.ready(a)
		c, err := ln.Accept()
		hold(c, err)
	}()
	r := e.byMain(Expect{
		Name:          "io-wait-read",
		State:         "IO wait",
		TopFunction:   "internal/poll.runtime_pollWait",
		FramesInclude: []string{"internal/poll.runtime_pollWait", "net.(*conn).Read", pkg + ".parkNet.func2"},
		CreatedBy:     pkg + ".parkNet",
	})
	go func() {
		e.ready(r)
		var b [1]byte
		_, err := server.Read(b[:])
		hold(err)
	}()
	// The second reader must come after the first one holds the lock.
	e.waitParked(r, "IO wait")
	s := e.byMain(Expect{
		Name:          "semacquire",
		State:         "semacquire",
		TopFunction:   "internal/poll.runtime_Semacquire",
		FramesInclude: []string{"internal/poll.runtime_Semacquire", "net.(*conn).Read", pkg + ".parkNet.func3"},
		CreatedBy:     pkg + ".parkNet",
		Notes:         "second concurrent Read on the same net.Conn waits for the fd read lock",
	})
	go func() {
		e.ready(s)
		var b [1]byte
		_, err := server.Read(b[:])
		hold(err)
	}()
}

// waitParked waits (up to 5s) until x has reported its id and its header
// shows state.
func (e *env) waitParked(x *Expect, state string) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		id := x.ID
		e.mu.Unlock()
		if id == 0 {
			select {
			case m := <-e.readyCh:
				e.mu.Lock()
				m.x.ID = m.id
				e.pending--
				e.mu.Unlock()
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		if b := parseDump(stackAll())[id]; b != nil && hasStatePrefix(b.header, id, state) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func hasStatePrefix(header string, id uint64, state string) bool {
	p := "goroutine " + itoa(id) + " [" + state
	return len(header) >= len(p) && header[:len(p)] == p
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func parkSleep(e *env) {
	x := e.byMain(Expect{
		Name:          "sleep",
		State:         "sleep",
		TopFunction:   "time.Sleep",
		FramesInclude: []string{"time.Sleep", pkg + ".parkSleep.func1"},
		CreatedBy:     pkg + ".parkSleep",
	})
	go func() {
		e.ready(x)
		time.Sleep(24 * time.Hour)
	}()
}

func parkSync(e *env) {
	v := e.v
	mutexTop := "sync.runtime_SemacquireMutex"
	if v.atLeast(24) {
		mutexTop = "internal/sync.runtime_SemacquireMutex"
	}
	mu := new(sync.Mutex)
	mu.Lock()
	hold(mu)
	m := e.byMain(Expect{
		Name:          "mutex-lock",
		State:         "sync.Mutex.Lock",
		TopFunction:   mutexTop,
		FramesInclude: []string{mutexTop, "sync.(*Mutex).Lock", pkg + ".parkSync.func1"},
		InlinedFrames: []string{"sync.(*Mutex).Lock"},
		CreatedBy:     pkg + ".parkSync",
	})
	go func() {
		e.ready(m)
		mu.Lock()
	}()

	rw1 := new(sync.RWMutex)
	rw1.RLock()
	hold(rw1)
	w := e.byMain(Expect{
		Name:          "rwmutex-lock",
		State:         "sync.RWMutex.Lock",
		TopFunction:   "sync.runtime_SemacquireRWMutex",
		FramesInclude: []string{"sync.runtime_SemacquireRWMutex", "sync.(*RWMutex).Lock", pkg + ".parkSync.func2"},
		CreatedBy:     pkg + ".parkSync",
	})
	go func() {
		e.ready(w)
		rw1.Lock()
	}()

	rw2 := new(sync.RWMutex)
	rw2.Lock()
	hold(rw2)
	r := e.byMain(Expect{
		Name:          "rwmutex-rlock",
		State:         "sync.RWMutex.RLock",
		TopFunction:   "sync.runtime_SemacquireRWMutexR",
		FramesInclude: []string{"sync.runtime_SemacquireRWMutexR", "sync.(*RWMutex).RLock", pkg + ".parkSync.func3"},
		InlinedFrames: []string{"sync.(*RWMutex).RLock"},
		CreatedBy:     pkg + ".parkSync",
	})
	go func() {
		e.ready(r)
		rw2.RLock()
	}()

	wg := new(sync.WaitGroup)
	wg.Add(1)
	hold(wg)
	wgState, wgTop := "semacquire", "sync.runtime_Semacquire"
	if v.atLeast(24) {
		wgState, wgTop = "sync.WaitGroup.Wait", "sync.runtime_SemacquireWaitGroup"
	}
	g := e.byMain(Expect{
		Name:          "waitgroup-wait",
		State:         wgState,
		TopFunction:   wgTop,
		FramesInclude: []string{wgTop, "sync.(*WaitGroup).Wait", pkg + ".parkSync.func4"},
		CreatedBy:     pkg + ".parkSync",
	})
	go func() {
		e.ready(g)
		wg.Wait()
	}()

	cmu := new(sync.Mutex)
	cond := sync.NewCond(cmu)
	hold(cond)
	c := e.byMain(Expect{
		Name:          "cond-wait",
		State:         "sync.Cond.Wait",
		TopFunction:   "sync.runtime_notifyListWait",
		FramesInclude: []string{"sync.runtime_notifyListWait", "sync.(*Cond).Wait", pkg + ".parkSync.func5"},
		CreatedBy:     pkg + ".parkSync",
	})
	go func() {
		cmu.Lock()
		e.ready(c)
		cond.Wait()
		cmu.Unlock()
	}()
}

// parkSyscall blocks in read(2) on a pipe whose fds are in blocking mode
// (syscall.Pipe, not os.Pipe), so the goroutine stays in [syscall].
func parkSyscall(e *env) {
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		e.notes = append(e.notes, "no pipe: "+err.Error())
		return
	}
	hold(p)
	x := e.byMain(Expect{
		Name:          "syscall-read",
		State:         "syscall",
		TopFunction:   "syscall.Syscall",
		FramesInclude: []string{"syscall.Syscall", "syscall.read", "syscall.Read", pkg + ".parkSyscall.func1"},
		CreatedBy:     pkg + ".parkSyscall",
	})
	go func() {
		e.ready(x)
		var b [1]byte
		_, err := syscall.Read(p[0], b[:])
		hold(err)
	}()
}

var spinCount uint64

// parkRunnable busy-loops; runtime.Stack stops the world, which preempts
// it, so it shows as [runnable].
func parkRunnable(e *env) {
	x := e.byMain(Expect{
		Name:        "runnable-spinner",
		State:       "runnable",
		TopFunction: pkg + ".parkRunnable.func1",
		CreatedBy:   pkg + ".parkRunnable",
	})
	go func() {
		e.ready(x)
		for {
			spinCount++
		}
	}()
}

func parkLocked(e *env) {
	c := make(chan int)
	hold(c)
	x := e.byMain(Expect{
		Name:           "locked-to-thread",
		State:          "chan receive",
		LockedToThread: true,
		TopFunction:    pkg + ".parkLocked.func1",
		CreatedBy:      pkg + ".parkLocked",
	})
	go func() {
		runtime.LockOSThread()
		e.ready(x)
		<-c
	}()
}

//go:noinline
func parkGeneric[T any](e *env, x *Expect, c chan T) T {
	e.ready(x)
	return <-c
}

func parkGenericScenario(e *env) {
	c := make(chan struct{ a, b int })
	hold(c)
	x := e.byMain(Expect{
		Name:          "generic-function",
		State:         "chan receive",
		TopFunction:   pkg + ".parkGeneric[...]",
		FramesInclude: []string{pkg + ".parkGeneric[...]", pkg + ".parkGenericScenario.func1"},
		CreatedBy:     pkg + ".parkGenericScenario",
	})
	go func() {
		parkGeneric(e, x, c)
	}()
}

// parker has methods with pointer and value receivers.
type parker struct {
	e *env
	x *Expect
	c chan int
}

//go:noinline
func (p *parker) block() {
	p.e.ready(p.x)
	<-p.c
}

//go:noinline
func (p parker) blockValue() {
	p.e.ready(p.x)
	<-p.c
}

//go:noinline
func callFunc(f func()) {
	f()
}

func parkMethodValue(e *env) {
	// A method value started directly: the goroutine's entry is the
	// (*parker).block-fm wrapper, which tracebacks hide (it only shows
	// with GOTRACEBACK=system).
	p := &parker{e: e, c: make(chan int)}
	hold(p)
	p.x = e.byMain(Expect{
		Name:        "method-value-go",
		State:       "chan receive",
		TopFunction: pkg + ".(*parker).block",
		CreatedBy:   pkg + ".parkMethodValue",
		Notes:       "go f() with f := p.block: the (*parker).block-fm wrapper is the goroutine's entry but wrapper frames are not printed",
	})
	f := p.block
	go f()

	// A method value called through a func parameter.
	q := &parker{e: e, c: make(chan int)}
	hold(q)
	q.x = e.byMain(Expect{
		Name:          "method-value-called",
		State:         "chan receive",
		TopFunction:   pkg + ".(*parker).block",
		FramesInclude: []string{pkg + ".(*parker).block", pkg + ".callFunc", pkg + ".parkMethodValue.func1"},
		CreatedBy:     pkg + ".parkMethodValue",
	})
	g := q.block
	go func() {
		callFunc(g)
	}()
}

func parkMethods(e *env) {
	p := &parker{e: e, c: make(chan int)}
	hold(p)
	p.x = e.byMain(Expect{
		Name:        "pointer-receiver-method",
		State:       "chan receive",
		TopFunction: pkg + ".(*parker).block",
		CreatedBy:   pkg + ".parkMethods",
	})
	go p.block()

	v := parker{e: e, c: make(chan int)}
	hold(v)
	v.x = e.byMain(Expect{
		Name:        "value-receiver-method",
		State:       "chan receive",
		TopFunction: pkg + ".parker.blockValue",
		CreatedBy:   pkg + ".parkMethods",
	})
	go v.blockValue()
}

func parkNested(e *env) {
	c := make(chan int)
	hold(c)
	x := e.byMain(Expect{
		Name:          "nested-closure",
		State:         "chan receive",
		TopFunction:   pkg + ".parkNested.func1.2.1",
		FramesInclude: []string{pkg + ".parkNested.func1.2.1", pkg + ".parkNested.func1.2", pkg + ".parkNested.func1"},
		CreatedBy:     pkg + ".parkNested",
	})
	go func() {
		fs := []func(){
			func() { hold(1) },
			func() {
				inner := []func(){func() {
					e.ready(x)
					<-c
				}}
				inner[0]()
			},
		}
		fs[0]()
		fs[1]()
	}()
}

// recvInline is small enough to be inlined into its caller, so its frame
// is printed with "(...)" instead of arguments.
func recvInline(c chan int) int {
	return <-c
}

func parkInlined(e *env) {
	c := make(chan int)
	hold(c)
	x := e.byMain(Expect{
		Name:          "inlined-frame",
		State:         "chan receive",
		TopFunction:   pkg + ".recvInline",
		TopInlined:    true,
		FramesInclude: []string{pkg + ".recvInline", pkg + ".parkInlined.func1"},
		InlinedFrames: []string{pkg + ".recvInline"},
		CreatedBy:     pkg + ".parkInlined",
	})
	go func() {
		e.ready(x)
		recvInline(c)
	}()
}

type deepState struct {
	e *env
	x *Expect
	c chan int
}

// recurse calls itself n times, then starts a child goroutine (whose
// ancestor traceback is cut at 50 frames) and blocks.
//
//go:noinline
func recurse(d *deepState, n int) int {
	if n == 0 {
		child := d.e.byCurrent(d.x, Expect{
			Name:            "created-by-deep-recursion",
			State:           "chan receive",
			TopFunction:     pkg + ".recurse.func1",
			CreatedBy:       pkg + ".recurse",
			AncestorsElided: d.e.ancDepth > 0,
			Notes:           "its creator had more than 50 frames when it started this goroutine",
		})
		go func() {
			d.e.ready(child)
			<-d.c
		}()
		d.e.ready(d.x)
		return <-d.c
	}
	return recurse(d, n-1) + 1
}

func parkDeep(e *env, deep int) {
	c := make(chan int)
	hold(c)
	total := deep + 2 // recurse frames (deep+1) + the goroutine's closure
	elided := 0
	if total > 100 {
		elided = total - 100
	}
	d := &deepState{e: e, c: c}
	d.x = e.byMain(Expect{
		Name:         "deep-recursion",
		State:        "chan receive",
		TopFunction:  pkg + ".recurse",
		ElidedFrames: elided,
		CreatedBy:    pkg + ".parkDeep",
		Notes:        "50 innermost frames, the elided line, then the 50 outermost frames",
	})
	go func() {
		recurse(d, deep)
	}()
}

// parkChained: main -> A -> B -> C, each blocked on a channel.
func parkChained(e *env) {
	c := make(chan int)
	hold(c)
	a := e.byMain(Expect{
		Name:        "chain-a",
		State:       "chan receive",
		TopFunction: pkg + ".parkChained.func1",
		CreatedBy:   pkg + ".parkChained",
	})
	go func() {
		b := e.byCurrent(a, Expect{
			Name:        "chain-b",
			State:       "chan receive",
			TopFunction: pkg + ".parkChained.func1.1",
			CreatedBy:   pkg + ".parkChained.func1",
		})
		go func() {
			cc := e.byCurrent(b, Expect{
				Name:        "chain-c",
				State:       "chan receive",
				TopFunction: pkg + ".parkChained.func1.1.1",
				CreatedBy:   pkg + ".parkChained.func1.1",
			})
			go func() {
				e.ready(cc)
				<-c
			}()
			e.ready(b)
			<-c
		}()
		e.ready(a)
		<-c
	}()
}

// parkOrphan: the creating goroutine exits, so "created by ... in
// goroutine N" names a goroutine that is not in the dump.
func parkOrphan(e *env) {
	c := make(chan int)
	hold(c)
	done := make(chan struct{})
	go func() {
		ghost := &Expect{Name: "orphan-parent (exited)", ID: goid(), parent: e.main}
		x := e.byCurrent(ghost, Expect{
			Name:        "orphan",
			State:       "chan receive",
			TopFunction: pkg + ".parkOrphan.func1.1",
			CreatedBy:   pkg + ".parkOrphan.func1",
			Notes:       "its creator has exited and is not in the dump",
		})
		go func() {
			e.ready(x)
			<-c
		}()
		close(done)
	}()
	<-done
}

// leakcheckLabels are the labels from the leakcheck brief.
var leakcheckLabels = []string{"leakcheck", "TestLeaky", "other", "v a\"l"}

// trickyLabels exercise quoting: spaces, quotes, commas, braces, "]:",
// non-ASCII, control characters, invalid UTF-8 and the empty string.
var trickyLabels = []string{
	"k,ey", "v}a{l",
	"a b", "x: y, z",
	"end", "}]:",
	"uni", "grüße ✓ 😀",
	"ws", "tab\there\nnl\\bs\r",
	"bad", "\xff\xfe",
	"ctrl", "\x01\x7f",
	"empty", "",
	"dotted.key/x_y", "plain.value/ok_1",
}

func parkLabels(e *env) {
	c, c2 := make(chan int), make(chan int)
	hold(c, c2)
	x := e.byMain(Expect{
		Name:          "labels",
		State:         "chan receive",
		Labels:        sortedLabels(leakcheckLabels...),
		TopFunction:   pkg + ".parkLabels.func1.1",
		FramesInclude: []string{pkg + ".parkLabels.func1.1", "runtime/pprof.Do", pkg + ".parkLabels.func1"},
		CreatedBy:     pkg + ".parkLabels",
	})
	go func() {
		pprof.Do(context.Background(), pprof.Labels(leakcheckLabels...), func(context.Context) {
			child := e.byCurrent(x, Expect{
				Name:        "labels-inherited",
				State:       "chan receive",
				Labels:      sortedLabels(leakcheckLabels...),
				TopFunction: pkg + ".parkLabels.func1.1.1",
				CreatedBy:   pkg + ".parkLabels.func1.1",
				Notes:       "inherits the labels of the goroutine that created it",
			})
			go func() {
				e.ready(child)
				<-c
			}()
			e.ready(x)
			<-c
		})
	}()

	y := e.byMain(Expect{
		Name:          "labels-tricky",
		State:         "select",
		Labels:        sortedLabels(trickyLabels...),
		TopFunction:   pkg + ".parkLabels.func2.1",
		FramesInclude: []string{pkg + ".parkLabels.func2.1", "runtime/pprof.Do", pkg + ".parkLabels.func2"},
		CreatedBy:     pkg + ".parkLabels",
	})
	go func() {
		pprof.Do(context.Background(), pprof.Labels(trickyLabels...), func(context.Context) {
			e.ready(y)
			select {
			case <-c2:
			case c2 <- 1:
			}
		})
	}()

	z := e.byMain(Expect{
		Name:           "labels-locked-sleep",
		State:          "sleep",
		LockedToThread: true,
		Labels:         sortedLabels("leakcheck", "TestOnly"),
		TopFunction:    "time.Sleep",
		FramesInclude:  []string{"time.Sleep", pkg + ".parkLabels.func3.1", "runtime/pprof.Do", pkg + ".parkLabels.func3"},
		CreatedBy:      pkg + ".parkLabels",
	})
	go func() {
		runtime.LockOSThread()
		pprof.Do(context.Background(), pprof.Labels("leakcheck", "TestOnly"), func(context.Context) {
			e.ready(z)
			time.Sleep(24 * time.Hour)
		})
	}()
}

// parkPanicking blocks in a deferred call while panicking: the stack shows
// a "panic(...)" frame between the deferred closure and the panicking one.
func parkPanicking(e *env) {
	c := make(chan int)
	hold(c)
	x := e.byMain(Expect{
		Name:          "deferred-while-panicking",
		State:         "chan receive",
		TopFunction:   pkg + ".parkPanicking.func1.1",
		FramesInclude: []string{pkg + ".parkPanicking.func1.1", "panic", pkg + ".parkPanicking.func1"},
		CreatedBy:     pkg + ".parkPanicking",
	})
	go func() {
		defer func() {
			e.ready(x)
			<-c
		}()
		panic("dumpgen: parked in a deferred call while panicking")
	}()
}

// parkGoexit blocks in a deferred call run by runtime.Goexit.
func parkGoexit(e *env) {
	c := make(chan int)
	hold(c)
	x := e.byMain(Expect{
		Name:          "deferred-in-goexit",
		State:         "chan receive",
		TopFunction:   pkg + ".parkGoexit.func1.1",
		FramesInclude: []string{pkg + ".parkGoexit.func1.1", "runtime.Goexit", pkg + ".parkGoexit.func1"},
		CreatedBy:     pkg + ".parkGoexit",
	})
	go func() {
		defer func() {
			e.ready(x)
			<-c
		}()
		runtime.Goexit()
	}()
}

type finObj struct{ _ [64]byte }

// parkFinalizer blocks inside a finalizer, so the runtime's finalizer
// goroutine shows up in the dump (it is hidden while idle).
func parkFinalizer(e *env) {
	c := make(chan int)
	hold(c)
	x := e.add(Expect{
		Name:        "finalizer",
		State:       "chan receive",
		TopFunction: pkg + ".parkFinalizer.func1",
		Notes:       "the runtime's finalizer goroutine running a user finalizer; created by a runtime function, which is not printed",
		noAncCkck:   true,
	})
	if e.v.atLeast(25) {
		x.FramesInclude = []string{x.TopFunction, "runtime.runFinalizers"}
	}
	o := &finObj{}
	runtime.SetFinalizer(o, func(*finObj) {
		e.ready(x)
		<-c
	})
	o = nil
	hold(o)
	runtime.GC()
	runtime.GC()
}

//go:noinline
func blockWithArgs(e *env, x *Expect, c chan int, n int) int {
	e.ready(x)
	return <-c + n
}

// parkGoWithArgs uses "go f(args)": the compiler wraps the call in a
// closure (parkGoWithArgs.gowrap1 since Go 1.22), a wrapper that tracebacks
// do not print.
func parkGoWithArgs(e *env) {
	c := make(chan int)
	hold(c)
	x := e.byMain(Expect{
		Name:        "go-statement-with-args",
		State:       "chan receive",
		TopFunction: pkg + ".blockWithArgs",
		CreatedBy:   pkg + ".parkGoWithArgs",
	})
	go blockWithArgs(e, x, c, 42)
}
