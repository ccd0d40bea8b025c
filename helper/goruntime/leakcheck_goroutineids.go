//go:build ignore

// This file is not built here: leakcheck adds it to the toolchain's own
// runtime package (GOROOT's src/runtime, through go test's -overlay,
// without the constraint above) for Go 1.26 and 1.27, the versions whose
// runtime it was checked against, and only where go can overlay GOROOT.
// .ci/run vets it inside the runtime.
//
// It gives the helper the ids of the goroutines alive without stopping the
// world or unwinding a stack. A serial test that started goroutines is
// checked for new ones at its end: the runtime's goroutine profile (the
// glance) stops the world twice and unwinds every goroutine's stack, some
// 100µs at 100 goroutines alive and 8ms at 10,000; this walk reads three
// words a goroutine. And it tells the helper when nothing can end a test's
// leftover goroutines before its grace period is over
// (leakcheckQuietUntil). Nothing here writes to the runtime's state but
// the stop of the world that one takes.

package runtime

import (
	"internal/abi"
	"internal/runtime/atomic"
	"unsafe"
)

// leakcheckGoroutineIDs writes the ids of the user goroutines alive into
// ids, as many as fit, and returns how many there are. It holds the lock
// that guards the list of goroutines, so none is added to the list
// meanwhile; a dead goroutine taken up again is not (its id changes): the
// caller reads the creation counter before and after, and trusts the ids
// only when no goroutine was created in between.
// A goroutine that exits meanwhile may or may not be listed.
//
//go:linkname leakcheckGoroutineIDs
func leakcheckGoroutineIDs(ids []uint64) (n int) {
	// On the system stack: the walk holds a runtime lock, under which
	// the caller's stack must not grow.
	systemstack(func() {
		forEachG(func(gp *g) {
			status := readgstatus(gp) &^ _Gscan
			if status == _Gdead || status == _Gdeadextra || status == _Gidle {
				return
			}
			if isSystemGoroutine(gp, false) {
				return
			}
			if n < len(ids) {
				ids[n] = gp.goid
			}
			n++
		})
	})
	return n
}

// leakcheckQuietUntil reports whether no goroutine can run before left
// nanoseconds have passed, unless something outside the process wakes one
// (a signal, a cgo thread): every goroutine but the caller waits, none for
// the network or a file (IO wait) or in a system call, and none for the
// world to start again (one that stops it itself, as ReadMemStats does,
// waits for this stop to end: helper-139), no timer is due before then, no
// garbage collection is under way or forced before then (sysmon starts one
// when none ran for two minutes, and its finalizers may end a goroutine),
// no finalizer or cleanup is queued, and no execution trace runs (go test
// -trace: its reader is woken by polling). That is the runtime's own test
// for a deadlock (checkdead), bounded by a deadline. A test whose leftover goroutines are
// all blocked then keeps them for the rest of its grace period: the
// helper reports them now instead of sleeping until it ends (the cost of
// every leaking test, 500ms by default). It stops the world, so that what
// it reads is one moment: some 10µs at 100 goroutines, far less than the
// look it spares.
//
//go:linkname leakcheckQuietUntil
func leakcheckQuietUntil(left int64) bool {
	if leakcheckExportsToC() {
		return false
	}
	self := getg()
	stw := stopTheWorld(stwGoroutineProfile)
	quiet := true
	systemstack(func() {
		until := nanotime() + left
		// (An execution trace's reader is woken by the scheduler's polling,
		// not made runnable: helper-140.)
		if gcphase != _GCoff || fingStatus.Load()&(fingWake|fingRunningFinalizer) != 0 || gcCleanups.workUnits.Load() != 0 || traceEnabled() || traceShuttingDown() {
			quiet = false
			return
		}
		if lastgc := int64(atomic.Load64(&memstats.last_gc_nanotime)); lastgc != 0 && gcController.gcPercent.Load() >= 0 && lastgc+forcegcperiod < until {
			quiet = false
			return
		}
		if leakcheckSemaWaited(&worldsema) || leakcheckSemaWaited(&gcsema) {
			quiet = false
			return
		}
		lock(&finlock)
		if finq != nil {
			quiet = false
		}
		unlock(&finlock)
		for _, pp := range allp {
			if when := pp.timers.wakeTime(); when != 0 && when < until || pp.cleanups != nil {
				quiet = false
			}
		}
		if !quiet {
			return
		}
		forEachG(func(gp *g) {
			if gp == self {
				return
			}
			switch readgstatus(gp) &^ _Gscan {
			case _Gdead, _Gdeadextra, _Gidle, _Gleaked:
			case _Gwaiting:
				if gp.waitreason == waitReasonIOWait {
					quiet = false
				}
			default:
				quiet = false
			}
		})
	})
	startTheWorld(stw)
	return quiet
}

// leakcheckCgoExports is 1 when the program exports Go functions to C
// (cgo's //export), 2 when it exports none, 0 until leakcheckExportsToC
// first looks.
var leakcheckCgoExports atomic.Uint32

// leakcheckExportsToC reports whether a thread of C code may call into Go:
// the program exports a Go function to C (cgo names its wrapper
// _cgoexp_<hash>_<name>). Such a call may wake a goroutine at any moment
// (a native library's completion callback), and C's threads are none of
// the runtime's: a quiet check said nothing could run, and a goroutine the
// callback would have ended 200ms later was reported leaked at once
// (helper-147). Found once, by the functions' names.
func leakcheckExportsToC() bool {
	switch leakcheckCgoExports.Load() {
	case 1:
		return true
	case 2:
		return false
	}
	found := false
	if iscgo {
		const prefix = "_cgoexp_"
		for datap := &firstmoduledata; datap != nil && !found; datap = datap.next {
			for i := 0; i+1 < len(datap.ftab); i++ {
				name := funcname(funcInfo{(*_func)(unsafe.Pointer(&datap.pclntable[datap.ftab[i].funcoff])), datap})
				if len(name) >= len(prefix) && name[:len(prefix)] == prefix {
					found = true
					break
				}
			}
		}
	}
	if found {
		leakcheckCgoExports.Store(1)
	} else {
		leakcheckCgoExports.Store(2)
	}
	return found
}

// leakcheckSemaWaited reports whether a goroutine is parked on the
// semaphore at addr. Its bucket's count of waiters is not enough: the
// runtime hashes semaphores into 251 buckets, and one of a sync.Mutex in
// the same bucket as the world's (a parked goroutine of a test waiting for
// a lock) kept every later check waiting out its grace period. Called with
// the world stopped: nobody holds the bucket's lock, and a goroutine on its
// way into or out of the tree runs, which says not quiet by itself.
func leakcheckSemaWaited(addr *uint32) bool {
	root := semtable.rootFor(addr)
	if root.nwait.Load() == 0 {
		return false
	}
	want := uintptr(unsafe.Pointer(addr))
	for t := root.treap; t != nil; {
		switch at := t.elem.uintptr(); {
		case want == at:
			return true
		case want < at:
			t = t.prev
		default:
			t = t.next
		}
	}
	return false
}

// leakcheckCurrentID is the calling goroutine's id. Every test's start
// needs its goroutine's id; runtime.Stack formats the goroutine's whole
// stack for it (a fifth of the helper's time in a suite of 20,000 short
// tests).
//
//go:linkname leakcheckCurrentID
func leakcheckCurrentID() uint64 {
	return getg().goid
}

// leakcheckCreator is what the last lines of the calling goroutine's stack
// trace say: the goroutine that created it and the function it was
// created in ("created by testing.(*T).Run in goroutine 7"); 0 and "" where
// the trace has no such line. Every subtest's start needs them, and
// formatted the subtest's whole stack for them.
//
//go:linkname leakcheckCreator
func leakcheckCreator() (parent uint64, fn string) {
	gp := getg()
	// As printcreatedby decides.
	f := findfunc(gp.gopc)
	if !f.valid() || !showframe(f.srcFunc(), gp, false, abi.FuncIDNormal) || gp.goid == 1 {
		return 0, ""
	}
	return gp.parentGoid, funcNameForPrint(funcname(f))
}

// leakcheckOthersActive reports whether a user goroutine other than the
// caller runs or waits to run (a job's goroutine the caller woke, one on
// its way out): the helper waits for those to settle before it looks,
// which the scheduler's counts cannot tell it (they count a processor
// whose thread looks for work as running, and the garbage collector's
// workers). It asks the symbol table whether a goroutine is the runtime's
// only of those that run (leakcheckGoroutineIDs must ask it of all).
//
//go:linkname leakcheckOthersActive
func leakcheckOthersActive() bool {
	self := getg()
	active := false
	systemstack(func() {
		forEachG(func(gp *g) {
			if active || gp == self {
				return
			}
			switch readgstatus(gp) &^ _Gscan {
			case _Grunnable, _Grunning, _Gpreempted, _Gcopystack:
				if !isSystemGoroutine(gp, false) {
					active = true
				}
			}
		})
	})
	return active
}

// leakcheckCreatedCount is the sum the helper reads through runtime/metrics
// at every test's start and end (goroutines created, finalizers and
// cleanups queued and executed), read as those metrics read it, without
// the metrics package's lock, its tables and its stack (a test's goroutine
// starts small, and grew its stack for it at every test).
//
//go:linkname leakcheckCreatedCount
func leakcheckCreatedCount() uint64 {
	var sum uint64
	systemstack(func() {
		lock(&sched.lock)
		sum = sched.goroutinesCreated.Load()
		for _, pp := range allp {
			if pp == nil || pp.status == _Pdead {
				break
			}
			sum += pp.goroutinesCreated
		}
		unlock(&sched.lock)
		fq, fe := finReadQueueStats()
		cq, ce := gcCleanups.readQueueStats()
		sum += fq + fe + cq + ce
	})
	return sum
}
