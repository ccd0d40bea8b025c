package gen

import dotted "example.com/dumpgen/gen/dotted.v2"

// dottedPkg is how the runtime prints the import path
// example.com/dumpgen/gen/dotted.v2 in function names.
const dottedPkg = "example.com/dumpgen/gen/dotted%2ev2"

func parkDotted(e *env) {
	c := make(chan int)
	hold(c)
	x := e.byMain(Expect{
		Name:        "dotted-import-path",
		State:       "chan receive",
		TopFunction: dottedPkg + ".Spawn.func1",
		CreatedBy:   dottedPkg + ".Spawn",
		Notes:       "package path example.com/dumpgen/gen/dotted.v2",
	})
	dotted.Spawn(func() { e.ready(x) }, c)
}
