//go:build go1.25

// synctest needs the Go 1.23+ timer channels; this module says go 1.21.
//go:debug asynctimerchan=0

package synctestdump

import (
	"os"
	"testing"

	"example.com/dumpgen/gen"
)

func TestSynctestDump(t *testing.T) {
	out := os.Getenv("DUMPGEN_SYNCTEST_OUT")
	if out == "" {
		t.Skip("set DUMPGEN_SYNCTEST_OUT (and DUMPGEN_SYNCTEST_EXPECT) to capture a dump from inside a synctest bubble")
	}
	gen.RunSynctest(t, out, os.Getenv("DUMPGEN_SYNCTEST_EXPECT"))
}
