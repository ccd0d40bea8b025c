package helper

import leakcheckarchive "leakcheck.invalid/helper/archive"

// leakcheck adds this file to the helper when it can add the package that
// labels the goroutines package initialization starts (helper/archive) to
// the toolchain's standard library: not when the toolchain lives in the
// module cache (GOTOOLCHAIN downloaded it), whose files go refuses to
// overlay. It imports that package as "archive".

func init() {
	leakcheckInitLabel = leakcheckarchive.LeakcheckInitLabel
	leakcheckEndInit = leakcheckarchive.LeakcheckEndInit
}
