// Package parking captures dumps of top-level parallel tests caught in
// t.Parallel while moving: one that has released the test runner and not
// yet parked at the barrier (the serial tests still run), and one released
// after the serial tests (on its way to a parallel slot).
//
//	DUMPGEN_PARKING_OUT=dir go test -count=200 -run '^TestPark' ./parking
package parking

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func init() {
	out := os.Getenv("DUMPGEN_PARKING_OUT")
	if out == "" {
		return
	}
	go capture(out)
}

// capture takes dumps until it has one of each kind, and writes them to
// dir as parking-serial.txt and parking-released.txt.
func capture(dir string) {
	buf := make([]byte, 1<<22)
	want := map[string]bool{"parking-serial.txt": true, "parking-released.txt": true}
	for len(want) > 0 {
		dump := buf[:runtime.Stack(buf, true)]
		var runner []byte
		moving := false
		for _, g := range bytes.Split(dump, []byte("\n\n")) {
			switch {
			case bytes.HasPrefix(g, []byte("goroutine 1 [")):
				runner = g
			case isMoving(g) && bytes.Contains(g, []byte("testing.(*T).Parallel(")) &&
				!bytes.Contains(g, []byte("waitParallel(")):
				moving = true
			}
		}
		if !moving || runner == nil {
			continue
		}
		name := "parking-released.txt"
		if bytes.Contains(runner, []byte("testing.runTests.func")) {
			// The runner, woken by the moving test's release, has not
			// yet started the next test.
			if !bytes.HasPrefix(runner, []byte("goroutine 1 [runnable]")) {
				continue
			}
			name = "parking-serial.txt"
		}
		if want[name] {
			if err := os.WriteFile(filepath.Join(dir, name), dump, 0o644); err != nil {
				panic(err)
			}
			delete(want, name)
		}
	}
}

func isMoving(g []byte) bool {
	for _, state := range []string{"running", "runnable", "syscall"} {
		if bytes.Contains(g, []byte("["+state)) {
			return true
		}
	}
	return false
}

func TestPark1(t *testing.T)      { t.Parallel() }
func TestPark2(t *testing.T)      { t.Parallel() }
func TestPark3(t *testing.T)      { t.Parallel() }
func TestPark4(t *testing.T)      { t.Parallel() }
func TestPark5(t *testing.T)      { t.Parallel() }
func TestPark6(t *testing.T)      { t.Parallel() }
func TestPark7(t *testing.T)      { t.Parallel() }
func TestPark8(t *testing.T)      { t.Parallel() }
func TestParkSerial(t *testing.T) {}
