package gen

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// runSigquit parks the same goroutines as -mode states, checks them with
// runtime.Stack, writes expectations for the dump the runtime prints when
// the process gets SIGQUIT (GOTRACEBACK=crash level: " gp=... m=..." in
// headers, runtime frames, "goroutine 0" blocks of idle threads, register
// dumps), prints a line and waits for the signal.
func runSigquit(expect string, deep int, timeout time.Duration) error {
	e := newEnv()
	e.main = e.add(Expect{
		Name:          "main-waiting-for-SIGQUIT",
		State:         "running",
		TopFunction:   pkg + ".stackAll",
		FramesInclude: []string{pkg + ".stackAll", pkg + ".(*env).settle", pkg + ".runSigquit", pkg + ".Main", "main.main"},
		noAncCkck:     true,
	})
	e.main.ID = e.mainID
	e.pending--
	e.parkAll(deep)
	if err := e.waitReady(timeout); err != nil {
		return err
	}
	e.finish(0)
	if _, problems := e.settle(timeout); len(problems) > 0 {
		return fmt.Errorf("goroutines did not park:\n  %s", strings.Join(problems, "\n  "))
	}

	// What the SIGQUIT dump will show.
	e.main.State = "select (no cases)"
	e.main.FramesInclude = []string{pkg + ".runSigquit", pkg + ".Main", "main.main", "runtime.main", "runtime.goexit"}
	e.main.Notes = "the main goroutine, blocked in select {} until SIGQUIT"
	var kept []*Expect
	for _, x := range e.exps {
		switch {
		case x.State == "runnable":
			// It may be running on another thread when the signal
			// arrives; its state is not predictable.
			continue
		case x.State == "syscall":
			x.TopFunction, x.TopFile = "", ""
		case x.Name == "finalizer":
			// Runtime functions are printed, so is the creator.
			x.CreatedBy, x.CreatedByGoroutine = "runtime.createfing", e.mainID
		case x.Name == "cleanup":
			x.CreatedBy, x.CreatedByGoroutine = "runtime.(*cleanupQueue).createGs", e.mainID
		case x.ElidedFrames > 0:
			// runtime.gopark, runtime.chanrecv, runtime.chanrecv1
			// and runtime.goexit are printed too.
			x.ElidedFrames += 4
		}
		kept = append(kept, x)
	}
	e.exps = kept
	e.system = true
	e.finish(0)
	e.notes = append(e.notes,
		"the dump is the stderr of the process killed with SIGQUIT; runtime frames are shown, so top_function is runtime.gopark for blocked goroutines and not asserted (\"\") for [syscall] ones",
		"the busy-looping goroutine is left out: it may be running on another thread when the signal arrives")
	if expect != "" {
		if err := writeJSON(expect, e.file("sigquit", "stderr after SIGQUIT")); err != nil {
			return err
		}
	}
	fmt.Printf("dumpgen: parked; send SIGQUIT to pid %d\n", os.Getpid())
	select {}
}
