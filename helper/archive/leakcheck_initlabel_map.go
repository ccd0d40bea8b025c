//go:build !go1.24
// +build !go1.24

package archive

import "unsafe"

// leakcheckInitLabels has the layout of runtime/pprof's labelMap before Go
// 1.24 (map[string]string), which pprof reads when it writes a profile: the
// label leakcheck=(init).
var leakcheckInitLabels = map[string]string{"leakcheck": LeakcheckInitLabel}

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
