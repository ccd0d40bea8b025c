//go:build go1.25

package gen

import (
	"runtime"
	"sync"
)

func init() {
	versionSpecific = append(versionSpecific, parkWaitGroupGo, parkCleanup)
}

// parkWaitGroupGo starts a goroutine with sync.WaitGroup.Go (Go 1.25+):
// it is "created by sync.(*WaitGroup).Go in goroutine N".
func parkWaitGroupGo(e *env) {
	c := make(chan int)
	wg := new(sync.WaitGroup)
	hold(c, wg)
	x := e.byMain(Expect{
		Name:          "waitgroup-go",
		State:         "chan receive",
		TopFunction:   pkg + ".parkWaitGroupGo.func1",
		FramesInclude: []string{pkg + ".parkWaitGroupGo.func1", "sync.(*WaitGroup).Go.func1"},
		CreatedBy:     "sync.(*WaitGroup).Go",
	})
	wg.Go(func() {
		e.ready(x)
		<-c
	})
}

type cleanupObj struct{ _ [64]byte }

// parkCleanup blocks inside a runtime.AddCleanup function, so a cleanup
// goroutine shows up in the dump.
func parkCleanup(e *env) {
	c := make(chan int)
	hold(c)
	x := e.add(Expect{
		Name:          "cleanup",
		State:         "chan receive",
		TopFunction:   pkg + ".parkCleanup.func1",
		FramesInclude: []string{pkg + ".parkCleanup.func1", "runtime.runCleanups"},
		Notes:         "a runtime cleanup goroutine running a user cleanup",
		noAncCkck:     true,
	})
	o := &cleanupObj{}
	runtime.AddCleanup(o, func(int) {
		e.ready(x)
		<-c
	}, 0)
	o = nil
	hold(o)
	runtime.GC()
	runtime.GC()
}
