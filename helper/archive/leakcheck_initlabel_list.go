//go:build go1.24
// +build go1.24

package archive

import "unsafe"

// leakcheckLabelSet has the layout of runtime/pprof's labelMap from Go 1.24
// on (internal/runtime/pprof/label.Set from Go 1.26), which pprof reads
// when it writes a profile and the runtime when it prints a goroutine's
// labels: a list of key, value pairs sorted by key.
type leakcheckLabelSet struct {
	list []struct{ key, value string }
}

// leakcheckInitLabels is the label leakcheck=(init).
var leakcheckInitLabels = leakcheckLabelSet{list: []struct{ key, value string }{{"leakcheck", LeakcheckInitLabel}}}

func init() {
	leakcheckSetProfLabel(unsafe.Pointer(&leakcheckInitLabels))
}

// LeakcheckEndInit takes the init label off the calling goroutine (the main
// goroutine, when TestMain starts), if it still carries it.
func LeakcheckEndInit() {
	if leakcheckGetProfLabel() == unsafe.Pointer(&leakcheckInitLabels) {
		leakcheckSetProfLabel(nil)
	}
}
