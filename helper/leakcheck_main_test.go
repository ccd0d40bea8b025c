package helper

import leakchecktesting "testing"

// TestMain is the package's TestMain when it has none of its own: leakcheck
// adds this file only then, to the test package that has no function named
// TestMain (a test may be named TestMain: `func TestMain(t *testing.T)`).
// It runs the tests and checks, when they are over, what is left.
func TestMain(m *leakchecktesting.M) {
	defer leakcheckOwnMain()()
	leakcheckRun(m)
}
