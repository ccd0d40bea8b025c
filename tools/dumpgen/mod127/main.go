// Command mod127 is dumpgen built as the main package of a module whose
// go.mod says "go 1.27". With Go 1.27 the default of GODEBUG
// tracebacklabels depends on the main module's go version: 0 for older
// modules, 1 from go 1.27 on, so this binary prints labels in goroutine
// headers without any GODEBUG. Build it only with Go 1.27 or later.
package main

import (
	"os"

	"example.com/dumpgen/gen"
)

func main() {
	os.Exit(gen.Main(os.Args[1:]))
}
