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

// leakcheckCanDecodeLabelSet: leakcheckLabelSetPairs reads label sets.
const leakcheckCanDecodeLabelSet = true

// leakcheckLabelMap has the layout of runtime/pprof's labelMap, the label
// set a goroutine's labels point to: an internal/runtime/pprof/label.Set,
// whose List holds label.Label{Key, Value string}, sorted by key (Go 1.26
// and 1.27).
type leakcheckLabelMap struct {
	list []struct{ key, value string }
}

// leakcheckLabelSetPairs is a label set's labels as key, value pairs.
func leakcheckLabelSetPairs(set leakcheckunsafe.Pointer) []string {
	m := (*leakcheckLabelMap)(set)
	kv := make([]string, 0, 2*len(m.list))
	for _, l := range m.list {
		kv = append(kv, l.key, l.value)
	}
	return kv
}
