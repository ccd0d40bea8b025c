package helper_test

// leakcheck adds this file to the test package of a package that the
// helper does not join (the external `_test` package, usually), when some
// of its test files call into the helper, or when the helper's TestMain
// joins it: the same entry points, forwarded.
// leakcheck replaces the package clause and the import path below.

import (
	leakcheckcore "leakcheck.invalid/helper"
	leakchecktesting "testing"
)

func leakcheckBegin(t *leakchecktesting.T) {
	t.Helper()
	leakcheckcore.LeakcheckInternalBegin(t)
}

func leakcheckBeginParallel(t *leakchecktesting.T) {
	t.Helper()
	leakcheckcore.LeakcheckInternalBeginParallel(t)
}

func leakcheckBeginFuzz(f *leakchecktesting.F) {
	f.Helper()
	leakcheckcore.LeakcheckInternalBeginFuzz(f)
}

func leakcheckSub(t *leakchecktesting.T) { leakcheckcore.LeakcheckInternalSub(t) }

func leakcheckSuiteSub(suite interface{}) { leakcheckcore.LeakcheckInternalSuiteSub(suite) }

func leakcheckRunSub(tb leakchecktesting.TB) { leakcheckcore.LeakcheckInternalRunSub(tb) }

func leakcheckBench(b *leakchecktesting.B) { leakcheckcore.LeakcheckInternalBench(b) }

func leakcheckExample(name string) func() { return leakcheckcore.LeakcheckInternalExample(name) }

func leakcheckRun(m *leakchecktesting.M) int { return leakcheckcore.LeakcheckInternalRun(m) }

func leakcheckAtExit(code int) int { return leakcheckcore.LeakcheckInternalAtExit(code) }

func leakcheckGoleakM(m *leakchecktesting.M) interface{ Run() int } {
	return leakcheckcore.LeakcheckInternalGoleakM(m)
}

func leakcheckMain() func() { return leakcheckcore.LeakcheckInternalMain() }

func leakcheckOwnMain() func() { return leakcheckcore.LeakcheckInternalOwnMain() }
