module leakcheck.invalid/helper

// The helper is compiled as part of the user's package, under the language
// version of the user's go.mod. Keeping this module at an old version makes
// `go vet` reject language features that would break those builds.
go 1.12
