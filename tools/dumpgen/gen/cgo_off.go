//go:build !(dumpgen_cgo && cgo)

package gen

const cgoEnabled = false

// parkCgo does nothing without -tags dumpgen_cgo (and CGO_ENABLED=1).
func parkCgo(e *env) {
	e.notes = append(e.notes, "built without -tags dumpgen_cgo: no goroutine in a C call")
}
