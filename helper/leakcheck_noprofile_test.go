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

const leakcheckCanReadLabelSet = false

func leakcheckLabelSet() leakcheckunsafe.Pointer { return nil }
