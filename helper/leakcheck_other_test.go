//go:build !linux
// +build !linux

package helper

// leakcheckDieWithParent does nothing where the kernel cannot tie a
// process's life to its parent's.
func leakcheckDieWithParent() {}

// leakcheckYieldCPU does nothing here: the wait that calls it spins.
func leakcheckYieldCPU() {}

// leakcheckHighFD leaves fd where it is.
func leakcheckHighFD(fd int) int { return fd }
