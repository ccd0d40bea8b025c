package gen

// This file's name contains a space, so frames from it print a file path
// with a space: "\t/.../gen/with space.go:NN +0x..".

func parkSpacedFile(e *env) {
	c := make(chan int)
	hold(c)
	x := e.byMain(Expect{
		Name:        "file-with-space",
		State:       "chan receive",
		TopFunction: pkg + ".parkSpacedFile.func1",
		TopFile:     "gen/with space.go",
		CreatedBy:   pkg + ".parkSpacedFile",
	})
	go func() {
		e.ready(x)
		<-c
	}()
}
