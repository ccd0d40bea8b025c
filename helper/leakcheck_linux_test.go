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

// leakcheckYieldCPU lets another thread run on this CPU (sched_yield): a
// goroutine running on another P whose thread the system has not given a
// CPU meanwhile.
func leakcheckYieldCPU() {
	_, _, _ = leakchecksyscall.Syscall(leakchecksyscall.SYS_SCHED_YIELD, 0, 0, 0)
}

// leakcheckHighFD moves the record file's descriptor fd above those a
// process opens first: opened before anything else, it took fd 3, which
// code under test may write to or close as its own (helper-131: its
// records were unreadable, or lost and the binary said to have exited).
// fd itself when it cannot.
func leakcheckHighFD(fd int) int {
	high, _, errno := leakchecksyscall.Syscall(leakchecksyscall.SYS_FCNTL, uintptr(fd), leakchecksyscall.F_DUPFD_CLOEXEC, 100)
	if errno != 0 {
		return fd
	}
	_ = leakchecksyscall.Close(fd)
	return int(high)
}
