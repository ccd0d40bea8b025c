package helper

import "testing"

// Names the compiler gave closures written in inlined functions (Go 1.21,
// 1.22 and 1.26 alike), as leakcheckSourceName reads them: only the code's
// own function tells whose code it is.
func TestSourceNames(t *testing.T) {
	const p = "leakcheck.invalid/helper."
	here := leakcheckPackageDir + "cache.go"
	for _, c := range []struct{ fn, file, want string }{
		// New's closure, New inlined into TestMain, a test, a closure of a
		// test, init (a package variable's initializer) and glob.
		{p + "TestMain.New.func1", here, p + "New.func1"},
		{p + "TestA.New.func3", here, p + "New.func3"},
		{p + "TestA.func1.New.1", here, p + "New.1"},
		{p + "TestA.func2.New.func1", here, p + "New.func1"},
		{p + "init.New.func4", here, p + "New.func4"},
		{p + "glob..New.func1", here, p + "New.func1"},
		{p + "TestA.(*C).M.func2", here, p + "(*C).M.func2"},
		{p + "TestA.G[...].func3", here, p + "G[...].func3"},
		{p + "TestA.Outer.Inner.func6", here, p + "Outer.Inner.func6"},
		// Another package's, inlined here: no package's.
		{p + "TestA.New.func3", "/elsewhere/other/o.go", "(inlined).New.func3"},
		// Not a test's, init's or TestMain's name: as named, whatever the
		// file (a //line directive, a method's closure).
		{p + "All.New.func2", "/elsewhere/other/o.go", p + "All.New.func2"},
		{p + "(*Bus).Subscribe.func1", "bus.tmpl", p + "(*Bus).Subscribe.func1"},
		{p + "TestA.New.func3", leakcheckPackageDir + "sub/o.go", "(inlined).New.func3"},
		// With -trimpath, files are spelled by import path.
		{p + "TestMain.New.func1", leakcheckImportPath + "/cache.go", p + "New.func1"},
		// Without -trimpath (this test's build), any relative name is a
		// //line directive's: the package's.
		{p + "TestMain.New.func1", "example.com/other/o.go", p + "New.func1"},
		// A //line directive's file, relative: the package's.
		{p + "TestA.(*Bus).Subscribe.func1", "tmpl/bus.tmpl", p + "(*Bus).Subscribe.func1"},
		{p + "TestA.(*Bus).Subscribe.func1", "./bus.tmpl", p + "(*Bus).Subscribe.func1"},
		// A //line directive's file without a directory: the package's.
		{p + "TestA.(*Bus).Subscribe.func1", "bus.tmpl", p + "(*Bus).Subscribe.func1"},
		// The file unknown: the package's.
		{p + "TestMain.New.func1", "", p + "New.func1"},
		// Not inlined, or not told apart from a method's closure: as named.
		{p + "TestA.func2", here, p + "TestA.func2"},
		{p + "TestA.func2.3", here, p + "TestA.func2.3"},
		{p + "TestA.gowrap1", here, p + "TestA.gowrap1"},
		{p + "init.0.func1", here, p + "init.0.func1"},
		{p + "TestA", here, p + "TestA"},
		{p + "(*C).M.func1", here, p + "(*C).M.func1"},
		{p + "All.New.func2", here, p + "All.New.func2"},
		{"example.com/other.TestA.New.func1", here, "example.com/other.TestA.New.func1"},
		{"testing.tRunner", "/usr/local/go/src/testing/testing.go", "testing.tRunner"},
	} {
		if got := leakcheckSourceName(c.fn, c.file); got != c.want {
			t.Errorf("leakcheckSourceName(%q, %q) = %q, want %q", c.fn, c.file, got, c.want)
		}
	}
}
