// Package dotted lives in a directory whose name contains a dot
// (import path example.com/dumpgen/gen/dotted.v2), like gopkg.in/yaml.v3.
// The linker escapes that dot in symbol names, so its functions print as
// "example.com/dumpgen/gen/dotted%2ev2.Spawn.func1".
package dotted

// Spawn starts a goroutine that calls ready and then receives from c.
func Spawn(ready func(), c chan int) {
	go func() {
		ready()
		<-c
	}()
}
