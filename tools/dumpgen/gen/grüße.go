package gen

// This file's name and the function below are non-ASCII UTF-8: frames
// print "gen.parkGrüße.func1.1()", "gen.blockÜber(...)" and ".../gen/grüße.go:NN".

func parkGrüße(e *env) {
	c := make(chan int)
	hold(c)
	x := e.byMain(Expect{
		Name:          "non-ascii",
		State:         "chan receive",
		TopFunction:   pkg + ".parkGrüße.func1.1",
		TopFile:       "gen/grüße.go",
		FramesInclude: []string{pkg + ".parkGrüße.func1.1", pkg + ".blockÜber", pkg + ".parkGrüße.func1"},
		CreatedBy:     pkg + ".parkGrüße",
	})
	go func() {
		blockÜber(func() {
			e.ready(x)
			<-c
		})
	}()
}

//go:noinline
func blockÜber(f func()) {
	f()
}
