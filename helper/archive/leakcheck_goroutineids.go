//go:build ignore

// This file is not built here: leakcheck adds it to this package, without
// the constraint above, when it adds helper/goruntime's file to the
// runtime (Go 1.26 and 1.27, where go can overlay GOROOT), and only then:
// the function it links to exists only in that runtime. .ci/run vets it
// in this package.

package archive

import _ "unsafe" // for go:linkname

// runtimeGoroutineIDs is the runtime's leakcheckGoroutineIDs
// (helper/goruntime), which marks itself for linking.
//
//go:linkname runtimeGoroutineIDs runtime.leakcheckGoroutineIDs
func runtimeGoroutineIDs(ids []uint64) (n int)

// runtimeQuietUntil is the runtime's leakcheckQuietUntil
// (helper/goruntime).
//
//go:linkname runtimeQuietUntil runtime.leakcheckQuietUntil
func runtimeQuietUntil(left int64) bool

// runtimeCurrentID, runtimeOthersActive and runtimeCreatedCount are the
// runtime's leakcheckCurrentID, leakcheckOthersActive and
// leakcheckCreatedCount (helper/goruntime).
//
//go:linkname runtimeCurrentID runtime.leakcheckCurrentID
func runtimeCurrentID() uint64

//go:linkname runtimeOthersActive runtime.leakcheckOthersActive
func runtimeOthersActive() bool

//go:linkname runtimeCreatedCount runtime.leakcheckCreatedCount
func runtimeCreatedCount() uint64

// runtimeCreator is the runtime's leakcheckCreator (helper/goruntime).
//
//go:linkname runtimeCreator runtime.leakcheckCreator
func runtimeCreator() (parent uint64, fn string)

func init() {
	LeakcheckGoroutineIDs = runtimeGoroutineIDs
	LeakcheckQuietUntil = runtimeQuietUntil
	LeakcheckCurrentID = runtimeCurrentID
	LeakcheckOthersActive = runtimeOthersActive
	LeakcheckCreatedCount = runtimeCreatedCount
	LeakcheckCreator = runtimeCreator
}
