// Package archive labels every goroutine that package initialization
// starts, so that leakcheck can tell an init daemon's goroutines from a
// test's even when the goroutine that created them has exited (an HTTP
// reporter started in init dials a connection through a goroutine that
// exits, and the connection's goroutines outlive it).
//
// leakcheck adds these files to the standard library's archive directory
// (which has no Go files of its own) through go test's -overlay, and the
// helper imports the package. Go initializes packages in the order of
// their import paths, each once every package it imports is: this package
// imports only the runtime, and "archive" sorts before every other
// standard library package and almost every module's path, so its init
// runs before any init that could start a goroutine. It gives the main
// goroutine, which runs every package's init, the pprof label
// leakcheck=(init); every goroutine inherits its creator's labels, so an
// init daemon's goroutines carry it, and so do the goroutines they start,
// unless code gives them labels of its own. The helper takes the label off
// the main goroutine when TestMain starts.
//
// A label set is runtime/pprof's own type, which this package cannot
// import (its imports initialize first); its layout is copied for each Go
// version (leakcheck_initlabel_map, leakcheck_initlabel_list).
package archive

import "unsafe"

// LeakcheckInitLabel is the value of the leakcheck label that package
// initialization gives its goroutines: no test's name (those start with
// Test, Benchmark, Fuzz or Example).
const LeakcheckInitLabel = "(init)"

// LeakcheckGoroutineIDs writes the ids of the user goroutines alive into
// ids, as many as fit, and returns how many there are, without stopping
// the world (helper/goruntime): nil unless leakcheck added that file to
// the runtime, and leakcheck_goroutineids to this package.
var LeakcheckGoroutineIDs func(ids []uint64) (n int)

// LeakcheckQuietUntil reports whether no goroutine can run in the next
// left nanoseconds (helper/goruntime): nil unless leakcheck added that
// file to the runtime, and leakcheck_goroutineids to this package.
var LeakcheckQuietUntil func(left int64) bool

// LeakcheckCurrentID is the calling goroutine's id, LeakcheckOthersActive
// whether a user goroutine other than the caller runs or waits to run, and
// LeakcheckCreatedCount the goroutines created plus the finalizers and
// cleanups queued and executed, LeakcheckCreator the calling goroutine's
// creator and the function it was created in (helper/goruntime): nil, like
// LeakcheckGoroutineIDs, unless leakcheck added that file to the runtime.
var (
	LeakcheckCurrentID    func() uint64
	LeakcheckOthersActive func() bool
	LeakcheckCreatedCount func() uint64
	LeakcheckCreator      func() (parent uint64, fn string)
)

// leakcheckSetProfLabel sets the calling goroutine's label set. The runtime
// marks the function for linking (Go 1.23 and later) and keeps its
// signature (go.dev/issue/67401).
//
//go:linkname leakcheckSetProfLabel runtime/pprof.runtime_setProfLabel
func leakcheckSetProfLabel(labels unsafe.Pointer)

// leakcheckGetProfLabel is the calling goroutine's label set.
//
//go:linkname leakcheckGetProfLabel runtime/pprof.runtime_getProfLabel
func leakcheckGetProfLabel() unsafe.Pointer
