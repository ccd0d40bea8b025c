package hang

import (
	"os"
	"testing"
)

//go:noinline
func index(s []int, i int) int {
	return s[i]
}

func TestPanic(t *testing.T) {
	if os.Getenv("DUMPGEN_PANIC") != "1" {
		t.Skip("set DUMPGEN_PANIC=1 to capture a test panic")
	}
	go func() {
		<-never
	}()
	t.Log(index([]int{1, 2, 3}, len(os.Args)+4))
}
