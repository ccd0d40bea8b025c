package gen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFixtures checks every captured dump in tests/fixtures/dumps against
// the expectation file written with it.
func TestFixtures(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "tests", "fixtures", "dumps")
	expects, err := filepath.Glob(filepath.Join(dir, "*.expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(expects) == 0 {
		t.Skip("no fixtures in " + dir)
	}
	for _, exp := range expects {
		dump := strings.TrimSuffix(exp, ".expect.json") + ".txt"
		t.Run(filepath.Base(dump), func(t *testing.T) {
			if _, err := os.Stat(dump); err != nil {
				t.Fatal(err)
			}
			if err := verify(dump, exp); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestQuoting(t *testing.T) {
	for _, c := range []struct{ in, go126, go127 string }{
		{"TestLeaky", `"TestLeaky"`, `TestLeaky`},
		{"v a\"l", `"v a\"l"`, `"v a\"l"`},
		{"", `""`, ``},
		{"\xff", `"\ufffd"`, `"\xff"`},
		{"\uFFFD", `"\ufffd"`, `"\ufffd"`},
		{"a.b/c_1", `"a.b/c_1"`, `a.b/c_1`},
		{"ü😀\x7f\x01\t", `"\u00fc\U0001f600\u007f\x01\t"`, `"\u00fc\U0001f600\u007f\x01\t"`},
	} {
		if got := runtimeQuote(c.in, false); got != c.go126 {
			t.Errorf("runtimeQuote(%q) = %s, want %s", c.in, got, c.go126)
		}
		if got := quoteIfNeeded(c.in); got != c.go127 {
			t.Errorf("quoteIfNeeded(%q) = %s, want %s", c.in, got, c.go127)
		}
	}
}
