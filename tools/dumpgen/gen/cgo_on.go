//go:build dumpgen_cgo && cgo

package gen

/*
#include <unistd.h>

// dumpgen_block_read blocks in read(2) until fd has data or is closed.
static void dumpgen_block_read(int fd) {
	char b;
	(void)read(fd, &b, 1);
}
*/
import "C"

import "syscall"

const cgoEnabled = true

// parkCgo blocks a goroutine inside a C function; it shows as [syscall].
func parkCgo(e *env) {
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		e.notes = append(e.notes, "no pipe: "+err.Error())
		return
	}
	hold(p)
	x := e.byMain(Expect{
		Name:          "cgo-call",
		State:         "syscall",
		TopFunction:   pkg + "._Cfunc_dumpgen_block_read",
		TopFile:       "_cgo_gotypes.go",
		FramesInclude: []string{pkg + "._Cfunc_dumpgen_block_read", pkg + ".parkCgo.func1"},
		Notes:         "runtime.cgocall is hidden; the cgo stub's file is the relative path _cgo_gotypes.go",
		CreatedBy:     pkg + ".parkCgo",
	})
	go func() {
		e.ready(x)
		C.dumpgen_block_read(C.int(p[0]))
	}()
}
