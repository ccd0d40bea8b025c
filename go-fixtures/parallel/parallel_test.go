package parallel

import (
	"reflect"
	"testing"
	"time"
)

// work does a little real concurrent work, so that the parallel tests are
// in flight at the same time.
func work(t *testing.T) {
	t.Helper()
	items := []string{"a", "b", "c", "d", "e", "f"}
	got := Process(items, 3, 5*time.Millisecond)
	if want := []string{"A", "B", "C", "D", "E", "F"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Process() = %v, want %v", got, want)
	}
}

func TestParallelA(t *testing.T) {
	t.Parallel()
	work(t)
}

func TestParallelB(t *testing.T) {
	t.Parallel()
	work(t)
	w := Watch()
	w.Notify("b")
	w.Stop()
	if got := w.Seen(); len(got) != 1 {
		t.Fatalf("Seen() = %v, want one event", got)
	}
}

func TestParallelLeaks(t *testing.T) {
	t.Parallel()
	w := Watch()
	w.Notify("x")
	work(t)
	w.Notify("y")
	// No w.Stop(): the watcher goroutine waits for events forever.
}

func TestParallelC(t *testing.T) {
	t.Parallel()
	work(t)
}
