package helper

import leakcheckarchive "leakcheck.invalid/helper/archive"

// leakcheck adds this file to the helper when it adds the package that
// labels the goroutines package initialization starts (helper/archive) to
// the toolchain's standard library, where go sees it
// (discover::Toolchain::overlayable_goroot, session::write_overlay): not
// for a toolchain in the module cache (GOTOOLCHAIN downloaded it), whose
// files go refuses to overlay, among others. It imports that package as
// "archive".

func init() {
	leakcheckInitLabel = leakcheckarchive.LeakcheckInitLabel
	leakcheckEndInit = leakcheckarchive.LeakcheckEndInit
	leakcheckGoroutineIDs = leakcheckarchive.LeakcheckGoroutineIDs
	leakcheckQuietUntil = leakcheckarchive.LeakcheckQuietUntil
	leakcheckCurrentID = leakcheckarchive.LeakcheckCurrentID
	leakcheckOthersActive = leakcheckarchive.LeakcheckOthersActive
	leakcheckCreatedCount = leakcheckarchive.LeakcheckCreatedCount
	leakcheckCreator = leakcheckarchive.LeakcheckCreator
}
