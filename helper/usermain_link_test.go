package helper

// leakcheck adds this file beside a package's own TestMain, which it renames
// to leakcheckUserTestMain, so that the helper's TestMain can run it.
func init() { leakcheckUserMain = leakcheckUserTestMain }
