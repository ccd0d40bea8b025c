// Command dumpgen parks goroutines in as many wait states as it can, then
// writes a full goroutine dump (runtime.Stack(buf, true)) and a JSON file
// describing every goroutine it parked on purpose. The output is used as
// test fixtures for leakcheck's goroutine-dump parser.
//
// Run "dumpgen -h" for the flags.
package main

import (
	"os"

	"example.com/dumpgen/gen"
)

func main() {
	os.Exit(gen.Main(os.Args[1:]))
}
