//go:build !go1.26 || go1.28
// +build !go1.26 go1.28

package helper

import leakcheckunsafe "unsafe"

// leakcheckCanGlance: no glance on Go versions the runtime function behind
// it was not checked against (leakcheck_profile): every check takes full
// looks.
const leakcheckCanGlance = false

type leakcheckStackRecord struct {
	Stack []uintptr
}

func leakcheckGoroutineProfileWithLabels([]leakcheckStackRecord, []leakcheckunsafe.Pointer) (int, bool) {
	return 0, false
}

// leakcheckCanDecodeLabelSet: label sets are read from goroutine profiles
// (the layout of runtime/pprof's was checked for Go 1.26 and 1.27 only).
const leakcheckCanDecodeLabelSet = false

func leakcheckLabelSetPairs(leakcheckunsafe.Pointer) []string { return nil }
