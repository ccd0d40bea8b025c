//go:build go1.26 && !go1.28
// +build go1.26,!go1.28

package helper

import leakcheckunsafe "unsafe"

// leakcheckCanGlance: this Go version's runtime has the function below with
// the signature declared here (checked for Go 1.26 and 1.27; other
// versions build leakcheck_noprofile and take full looks only).
const leakcheckCanGlance = true

// leakcheckStackRecord has the layout of the runtime's
// internal/profilerecord.StackRecord.
type leakcheckStackRecord struct {
	Stack []uintptr
}

// leakcheckGoroutineProfileWithLabels is the runtime function behind
// runtime/pprof's goroutine profile (the runtime marks it for linking):
// every goroutine's stack and label set, the caller's first; n and false
// when p is shorter than n.
//
//go:linkname leakcheckGoroutineProfileWithLabels runtime.pprof_goroutineProfileWithLabels
func leakcheckGoroutineProfileWithLabels(p []leakcheckStackRecord, labels []leakcheckunsafe.Pointer) (n int, ok bool)

// leakcheckCanReadLabelSet: leakcheckLabelSet is the runtime's.
const leakcheckCanReadLabelSet = true

// leakcheckLabelSet is the current goroutine's label set, as
// runtime/pprof's goroutine labels keep it (nil: none); a goroutine starts
// with its creator's. The runtime marks the function for linking and keeps
// its signature (go.dev/issue/67401).
//
//go:linkname leakcheckLabelSet runtime/pprof.runtime_getProfLabel
func leakcheckLabelSet() leakcheckunsafe.Pointer
