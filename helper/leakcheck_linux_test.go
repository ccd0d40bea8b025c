//go:build linux
// +build linux

package helper

import leakchecksyscall "syscall"

// leakcheckDieWithParent asks Linux to kill this test binary when go test,
// its parent, dies: leakcheck's go test dies with leakcheck (the same
// request), so no test binary outlives a killed leakcheck.
func leakcheckDieWithParent() {
	_, _, _ = leakchecksyscall.RawSyscall(leakchecksyscall.SYS_PRCTL, leakchecksyscall.PR_SET_PDEATHSIG, uintptr(leakchecksyscall.SIGKILL), 0)
}
