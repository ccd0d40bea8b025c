// Package sharedstack captures a dump of goroutines that labels alone can
// tell apart: three orphans (their creator exited) blocked at one stack,
// each started by another parallel test.
//
//	DUMPGEN_SHAREDSTACK_OUT=dir go test ./sharedstack
package sharedstack

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	stop    = make(chan struct{})
	started sync.WaitGroup
)

func wait() {
	started.Done()
	<-stop
}

// startOrphan starts wait in a goroutine whose creator has exited.
func startOrphan() {
	done := make(chan struct{})
	go func() {
		go wait()
		close(done)
	}()
	<-done
}

func TestMain(m *testing.M) {
	out := os.Getenv("DUMPGEN_SHAREDSTACK_OUT")
	if out == "" {
		return
	}
	started.Add(3)
	code := m.Run()
	started.Wait()
	buf := make([]byte, 1<<20)
	for {
		dump := buf[:runtime.Stack(buf, true)]
		if bytes.Count(dump, []byte("[chan receive]:\nexample.com/dumpgen/sharedstack.wait()")) == 3 {
			if err := os.WriteFile(filepath.Join(out, "shared-stack.txt"), dump, 0o644); err != nil {
				panic(err)
			}
			break
		}
		runtime.Gosched()
	}
	close(stop)
	os.Exit(code)
}

func TestA(t *testing.T) { t.Parallel(); startOrphan() }
func TestB(t *testing.T) { t.Parallel(); startOrphan() }
func TestC(t *testing.T) { t.Parallel(); startOrphan() }
