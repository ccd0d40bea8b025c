//go:build go1.23

package gen

import "iter"

func init() {
	versionSpecific = append(versionSpecific, parkCoroutine)
}

// parkCoroutine leaves an iter.Pull coroutine suspended in yield: its
// goroutine shows as [coroutine] and was created by iter.Pull[...].
func parkCoroutine(e *env) {
	x := e.byMain(Expect{
		Name:          "iter-pull-coroutine",
		State:         "coroutine",
		TopFunction:   "iter.Pull[...].func1.1",
		FramesInclude: []string{"iter.Pull[...].func1.1", pkg + ".parkCoroutine.func1", "iter.Pull[...].func1"},
		CreatedBy:     "iter.Pull[...]",
	})
	next, stop := iter.Pull(iter.Seq[int](func(yield func(int) bool) {
		e.ready(x)
		for i := 0; yield(i); i++ {
		}
	}))
	next()
	hold(next, stop)
}
