package gen

// versionSpecific holds scenarios that exist only on newer Go versions;
// files with //go:build go1.N constraints add to it from init.
var versionSpecific []func(*env)

func parkVersionSpecific(e *env) {
	for _, f := range versionSpecific {
		f(e)
	}
}
