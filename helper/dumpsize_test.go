package helper

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
)

// A package's first look has no earlier dump to size its buffer from. With
// thousands of goroutines alive it takes one call of runtime.Stack to learn
// how big a goroutine is and one more to read them all (each call formats
// every goroutine: doubling from 64 KiB took seven at 10,000).
func TestFirstDumpSizesItsBuffer(t *testing.T) {
	const parked = 3000
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < parked; i++ {
		wg.Add(1)
		go parkUntil(stop, &wg, 3)
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()
	leakcheckDumpMu.Lock()
	leakcheckDumpBytes, leakcheckDumpGoroutines = 0, 0
	leakcheckDumpMu.Unlock()

	dump := leakcheckStack()
	if got := len(leakcheckParseDump(dump)); got < parked {
		t.Fatalf("the first dump has %d goroutines, want at least %d", got, parked)
	}
	first := leakcheckStackSize(256, runtime.NumGoroutine())
	if first >= len(dump) {
		t.Fatalf("the first guess (%d bytes) already holds the dump (%d bytes): the case tests nothing", first, len(dump))
	}
	held := bytes.Count(dump[:first], []byte("\ngoroutine "))
	if second := leakcheckStackSize(first/held, runtime.NumGoroutine()); second <= len(dump) {
		t.Errorf("the buffer sized from a full first guess is %d bytes, the dump %d: a third call", second, len(dump))
	}
	if leakcheckDumpGoroutines < parked || leakcheckDumpBytes != len(dump) {
		t.Errorf("the next look is sized from %d goroutines in %d bytes, the dump had %d bytes", leakcheckDumpGoroutines, leakcheckDumpBytes, len(dump))
	}
}

// parkUntil waits for stop a few calls deep, as a worker of real code does.
func parkUntil(stop chan struct{}, wg *sync.WaitGroup, depth int) {
	if depth > 0 {
		parkUntil(stop, wg, depth-1)
		return
	}
	defer wg.Done()
	<-stop
}
