package hang

import (
	"context"
	"os"
	"runtime/pprof"
	"sync"
	"testing"
	"time"
)

var never = make(chan int)

func TestHang(t *testing.T) {
	if os.Getenv("DUMPGEN_HANG") != "1" {
		t.Skip("set DUMPGEN_HANG=1 and run with a short -timeout to capture a test-timeout dump")
	}
	// A goroutine the test leaks.
	go func() {
		<-never
	}()
	// A leaked goroutine with pprof labels.
	pprof.Do(context.Background(), pprof.Labels("leakcheck", "TestHang", "other", "v a\"l"), func(context.Context) {
		go func() {
			var mu sync.Mutex
			mu.Lock()
			mu.Lock()
		}()
	})
	// A subtest that hangs, so "running tests:" lists two tests.
	t.Run("sub test", func(t *testing.T) {
		time.Sleep(time.Hour)
	})
}

func TestHangParallel(t *testing.T) {
	if os.Getenv("DUMPGEN_HANG") != "1" {
		t.Skip("set DUMPGEN_HANG=1 and run with a short -timeout to capture a test-timeout dump")
	}
	t.Parallel()
	select {}
}
