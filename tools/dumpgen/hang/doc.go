// Package hang holds tests that fail on purpose, to capture what "go test"
// prints: TestHang blocks until "go test -timeout" kills the binary (a
// "panic: test timed out" followed by a goroutine dump), TestPanic panics
// with a runtime error. Both are skipped unless DUMPGEN_HANG=1 (TestHang)
// or DUMPGEN_PANIC=1 (TestPanic) is set, so "go test ./..." passes.
package hang
