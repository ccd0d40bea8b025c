package helper

import (
	"os"
	"testing"
)

// A top-level parallel test caught in t.Parallel while it moves (runnable,
// running): while the serial tests run it has released the runner and not
// yet parked at the barrier, and is parked all the same; once they are
// over it is on its way to a parallel slot. The dumps are real
// (tools/dumpgen/parking). Seen once in CI: a serial test's check taken
// while the parallel test was still moving was not alone, and a job the
// serial test had handed the parallel test's daemon was blamed on the
// parallel test.
func TestParkingParallelTests(t *testing.T) {
	for _, c := range []struct {
		dump   string
		serial bool
	}{
		{"go1.22.12-parking-serial.txt", true},
		{"go1.26.8-parking-serial.txt", true},
		{"go1.22.12-parking-released.txt", false},
		{"go1.26.8-parking-released.txt", false},
	} {
		snap := capturedSnapshot(t, c.dump)
		tops := map[uint64]bool{}
		var moving *leakcheckGoroutine
		for i := range snap.goroutines {
			g := &snap.goroutines[i]
			if g.hasFrame("testing.(*T).Parallel") {
				tops[g.id] = true
				if leakcheckMoving(g) {
					moving = g
				}
			}
		}
		if moving == nil {
			t.Fatalf("%s: no test moving in t.Parallel", c.dump)
		}
		if got := snap.serialPhase(); got != c.serial {
			t.Errorf("%s: serialPhase() = %v, want %v", c.dump, got, c.serial)
		}
		if got := leakcheckParked(moving, &snap); got != c.serial {
			t.Errorf("%s: goroutine %d parked = %v, want %v", c.dump, moving.id, got, c.serial)
		}
		if wanted, _ := leakcheckSlots(&snap, tops); wanted == c.serial {
			t.Errorf("%s: a slot wanted = %v, want %v", c.dump, wanted, !c.serial)
		}
	}
}

// capturedSnapshot is a look at a real dump of tests/fixtures/dumps, its
// goroutines indexed by id (owners are the test's to set).
func capturedSnapshot(t *testing.T, dump string) leakcheckSnapshot {
	t.Helper()
	b, err := os.ReadFile("../tests/fixtures/dumps/" + dump)
	if err != nil {
		t.Fatal(err)
	}
	snap := leakcheckSnapshot{
		goroutines: leakcheckParseDump(b),
		byID:       map[uint64]*leakcheckGoroutine{},
		owner:      map[uint64]*leakcheckOwner{},
	}
	for i := range snap.goroutines {
		snap.byID[snap.goroutines[i].id] = &snap.goroutines[i]
	}
	return snap
}
