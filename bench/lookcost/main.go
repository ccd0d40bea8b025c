// Command lookcost measures what one leak-check "look" costs at a given
// number of live goroutines: runtime.Stack(buf, true) with the buffer grown
// by doubling from 64 KiB (what leakcheck's helper and goleak do), against a
// single call with a buffer already big enough, and against the goroutine
// profile (pprof debug=1 text, which groups identical stacks and prints
// their labels; debug=0 protobuf; runtime.GoroutineProfile). It prints one
// JSON object per goroutine count, for scripts/bench.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

var quit = make(chan struct{})

//go:noinline
func worker(i int) {
	if i%2 == 0 {
		serve(i)
		return
	}
	idle(i)
}

//go:noinline
func serve(i int) {
	select {
	case <-quit:
	case <-time.After(time.Hour):
	}
	_ = i
}

//go:noinline
func idle(i int) {
	<-quit
	_ = i
}

type result struct {
	Goroutines   int     `json:"goroutines"`
	DumpBytes    int     `json:"dump_bytes"`
	DoublingMs   float64 `json:"doubling_ms"`
	DoublingCall int     `json:"doubling_calls"`
	OneCallMs    float64 `json:"one_call_ms"`
	ProfileMs    float64 `json:"profile_debug1_ms"`
	ProfileBytes int     `json:"profile_debug1_bytes"`
	Profile0Ms   float64 `json:"profile_debug0_ms"`
	CountMs      float64 `json:"goroutine_profile_ms"`
}

func doubling() ([]byte, int) {
	calls := 0
	buf := make([]byte, 64<<10)
	for {
		calls++
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n], calls
		}
		buf = make([]byte, 2*len(buf))
	}
}

func main() {
	counts := flag.String("goroutines", "100,1000,10000", "comma-separated goroutine counts")
	reps := flag.Int("n", 10, "looks per measurement")
	flag.Parse()
	for _, c := range strings.Split(*counts, ",") {
		n, err := strconv.Atoi(c)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad count:", c)
			os.Exit(2)
		}
		for i := runtime.NumGoroutine(); i < n; i++ {
			go worker(i)
		}
		time.Sleep(20 * time.Millisecond)
		var r result
		r.Goroutines = runtime.NumGoroutine()
		start := time.Now()
		var dump []byte
		for i := 0; i < *reps; i++ {
			dump, r.DoublingCall = doubling()
		}
		r.DoublingMs = float64(time.Since(start).Microseconds()) / 1000 / float64(*reps)
		r.DumpBytes = len(dump)
		big := make([]byte, 2*len(dump)+(64<<10))
		start = time.Now()
		for i := 0; i < *reps; i++ {
			runtime.Stack(big, true)
		}
		r.OneCallMs = float64(time.Since(start).Microseconds()) / 1000 / float64(*reps)
		// The goroutine profile groups identical stacks (labels shown per
		// group): it walks every goroutine but formats each stack once.
		var b bytes.Buffer
		start = time.Now()
		for i := 0; i < *reps; i++ {
			b.Reset()
			_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
		}
		r.ProfileMs = float64(time.Since(start).Microseconds()) / 1000 / float64(*reps)
		r.ProfileBytes = b.Len()
		start = time.Now()
		for i := 0; i < *reps; i++ {
			_ = pprof.Lookup("goroutine").WriteTo(io.Discard, 0)
		}
		r.Profile0Ms = float64(time.Since(start).Microseconds()) / 1000 / float64(*reps)
		recs := make([]runtime.StackRecord, r.Goroutines+1000)
		start = time.Now()
		for i := 0; i < *reps; i++ {
			_, _ = runtime.GoroutineProfile(recs)
		}
		r.CountMs = float64(time.Since(start).Microseconds()) / 1000 / float64(*reps)
		if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
			os.Exit(1)
		}
	}
}
