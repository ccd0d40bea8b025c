// Command stwcost measures what the runtime calls that stop the world cost
// with one P and with several, in a process like a test binary under
// leakcheck: goroutines parked by init, and each measured call made either
// back to back or right after five short goroutines ran and were joined
// (what a test of concurrent code does before its check).
//
// A goroutine profile (what the helper's glance asks for) stops the world
// twice and starts it twice. With one P that is cheap; with more, starting
// the world wakes an idle P's thread to look for work, and the next stop
// waits for that thread to notice, which on a virtual machine costs tens to
// hundreds of microseconds per stop. runtime.ReadMemStats, one stop and
// almost no work, shows that cost alone. It prints a markdown table.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

var quit = make(chan struct{})

// operation is one runtime call whose cost is measured.
type operation struct {
	name string
	call func()
}

func main() {
	parked := flag.Int("goroutines", 100, "goroutines parked for the whole run")
	calls := flag.Int("calls", 2000, "calls measured per operation and setting")
	procs := flag.String("procs", "1,"+strconv.Itoa(runtime.NumCPU()), "GOMAXPROCS values, comma-separated")
	flag.Parse()

	for i := 0; i < *parked; i++ {
		go func() { <-quit }()
	}
	records := make([]runtime.StackRecord, *parked+64)
	buf := make([]byte, 1<<20)
	var stats runtime.MemStats
	ops := []operation{
		{"runtime.GoroutineProfile (two stops)", func() { runtime.GoroutineProfile(records) }},
		{"runtime.ReadMemStats (one stop)", func() { runtime.ReadMemStats(&stats) }},
		{"runtime.Stack(buf, true) (one stop, formats every goroutine)", func() { runtime.Stack(buf, true) }},
		{"runtime.Stack(buf, false) (no stop)", func() { runtime.Stack(buf, false) }},
	}

	var settings []int
	for _, s := range strings.Split(*procs, ",") {
		p, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || p < 1 {
			fmt.Fprintf(os.Stderr, "stwcost: bad -procs value %q\n", s)
			os.Exit(2)
		}
		settings = append(settings, p)
	}

	header := "| call |"
	rule := "|---|"
	for _, p := range settings {
		header += fmt.Sprintf(" GOMAXPROCS=%d, back to back | GOMAXPROCS=%d, after 5 goroutines |", p, p)
		rule += "---:|---:|"
	}
	fmt.Printf("%d goroutines parked, %d calls each; µs per call (mean)\n\n%s\n%s\n", *parked, *calls, header, rule)
	for _, op := range ops {
		row := "| " + op.name + " |"
		for _, p := range settings {
			runtime.GOMAXPROCS(p)
			for _, burst := range []bool{false, true} {
				row += fmt.Sprintf(" %.1f |", perCall(op.call, *calls, burst).Seconds()*1e6)
			}
		}
		fmt.Println(row)
	}
	close(quit)
}

// perCall is the mean time of one call, each made after five goroutines
// were started and joined when burst is set.
func perCall(call func(), calls int, burst bool) time.Duration {
	var total time.Duration
	for i := 0; i < calls; i++ {
		if burst {
			var wg sync.WaitGroup
			for k := 0; k < 5; k++ {
				wg.Add(1)
				go func() { defer wg.Done() }()
			}
			wg.Wait()
		}
		start := time.Now()
		call()
		total += time.Since(start)
	}
	return total / time.Duration(calls)
}
