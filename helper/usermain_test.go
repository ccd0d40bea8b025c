package helper

import (
	"os"
	"testing"
)

// leakcheckUserTestMain stands for a package's own TestMain as leakcheck
// rewrites it: renamed, and with os.Exit's argument passed through
// leakcheckAtExit. Here it makes the helper's tests run the same path.
func leakcheckUserTestMain(m *testing.M) {
	os.Exit(leakcheckAtExit(m.Run()))
}
