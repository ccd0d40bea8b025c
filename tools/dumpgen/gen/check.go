package gen

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// block is a minimal parse of one goroutine in a dump, used only to check
// the dump against the expectations before anything is written.
type block struct {
	header     string
	funcs      []string // function of each frame before "created by"
	topFile    string   // file path of the first frame
	inlined    map[string]bool
	elided     []string // "...N frames elided..." lines
	createdBy  string
	createdByG uint64
	ancestors  []uint64
	ancElided  bool
}

// parseDump splits a dump into goroutine blocks keyed by id.
func parseDump(dump []byte) map[uint64]*block {
	blocks := map[uint64]*block{}
	for _, chunk := range strings.Split(string(dump), "\n\n") {
		lines := strings.Split(strings.TrimRight(chunk, "\n"), "\n")
		if len(lines) == 0 || !strings.HasPrefix(lines[0], "goroutine ") {
			continue
		}
		rest := strings.TrimPrefix(lines[0], "goroutine ")
		sp := strings.IndexByte(rest, ' ')
		if sp < 0 {
			continue
		}
		id, err := strconv.ParseUint(rest[:sp], 10, 64)
		if err != nil {
			continue
		}
		b := &block{header: lines[0], inlined: map[string]bool{}}
		inAncestor := false
		for _, l := range lines[1:] {
			switch {
			case strings.HasPrefix(l, "\t"):
				if len(b.funcs) == 1 && b.topFile == "" && !inAncestor {
					f := strings.TrimPrefix(l, "\t")
					if i := strings.LastIndex(f, ":"); i >= 0 {
						f = f[:i]
					}
					b.topFile = f
				}
			case strings.HasPrefix(l, "[originating from goroutine "):
				inAncestor = true
				n := strings.TrimSuffix(strings.TrimPrefix(l, "[originating from goroutine "), "]:")
				a, _ := strconv.ParseUint(n, 10, 64)
				b.ancestors = append(b.ancestors, a)
			case l == "...additional frames elided...":
				if inAncestor {
					b.ancElided = true
				}
			case strings.HasPrefix(l, "..."):
				if !inAncestor {
					b.elided = append(b.elided, l)
				}
			case strings.HasPrefix(l, "created by "):
				if inAncestor {
					continue
				}
				s := strings.TrimPrefix(l, "created by ")
				if i := strings.Index(s, " in goroutine "); i >= 0 {
					b.createdByG, _ = strconv.ParseUint(s[i+len(" in goroutine "):], 10, 64)
					s = s[:i]
				}
				b.createdBy = s
			default:
				if inAncestor {
					continue
				}
				i := strings.LastIndex(l, "(")
				if i < 0 {
					continue
				}
				fn := l[:i]
				b.funcs = append(b.funcs, fn)
				if l[i:] == "(...)" {
					b.inlined[fn] = true
				}
			}
		}
		blocks[id] = b
	}
	return blocks
}

// check compares a dump with the expectations and returns the problems.
func (e *env) check(dump []byte) []string {
	return checkAgainst(parseDump(dump), e.exps)
}

func checkAgainst(blocks map[uint64]*block, exps []*Expect) []string {
	var problems []string
	bad := func(x *Expect, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s (goroutine %d): %s", x.Name, x.ID, fmt.Sprintf(format, args...)))
	}
	for _, x := range exps {
		b := blocks[x.ID]
		if b == nil {
			bad(x, "not in dump")
			continue
		}
		if x.HeaderGPM != strings.Contains(b.header, " gp=") {
			bad(x, "header %q: \" gp=\" part present=%v, want %v", b.header, !x.HeaderGPM, x.HeaderGPM)
		}
		if h := stripGPM(b.header); h != x.Header {
			bad(x, "header %q, want %q", b.header, x.Header)
		}
		if x.TopFunction == "" {
			// not asserted
		} else if len(b.funcs) == 0 || b.funcs[0] != x.TopFunction {
			bad(x, "top function %q, want %q (frames %q)", first(b.funcs), x.TopFunction, b.funcs)
		} else if b.inlined[x.TopFunction] != x.TopInlined {
			bad(x, "top frame inlined=%v, want %v", b.inlined[x.TopFunction], x.TopInlined)
		}
		if x.TopFile != "" && !strings.HasSuffix(b.topFile, x.TopFile) {
			bad(x, "top frame file %q, want suffix %q", b.topFile, x.TopFile)
		}
		j := 0
		for _, f := range b.funcs {
			if j < len(x.FramesInclude) && f == x.FramesInclude[j] {
				j++
			}
		}
		if j < len(x.FramesInclude) {
			bad(x, "frame %q missing (in order) from %q", x.FramesInclude[j], b.funcs)
		}
		for _, f := range x.InlinedFrames {
			if !b.inlined[f] {
				bad(x, "frame %q not printed as inlined (...)", f)
			}
		}
		wantElided := ""
		if x.ElidedFrames > 0 {
			wantElided = fmt.Sprintf("...%d frames elided...", x.ElidedFrames)
		}
		if got := strings.Join(b.elided, "|"); got != wantElided {
			bad(x, "elided line %q, want %q", got, wantElided)
		}
		if b.createdBy != x.CreatedBy || b.createdByG != x.CreatedByGoroutine {
			bad(x, "created by %q in goroutine %d, want %q in goroutine %d", b.createdBy, b.createdByG, x.CreatedBy, x.CreatedByGoroutine)
		}
		if x.Ancestors != nil {
			if fmt.Sprint(b.ancestors) != fmt.Sprint(x.Ancestors) {
				bad(x, "ancestors %v, want %v", b.ancestors, x.Ancestors)
			}
			if b.ancElided != x.AncestorsElided {
				bad(x, "ancestors elided=%v, want %v", b.ancElided, x.AncestorsElided)
			}
		}
	}
	return problems
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// stripGPM removes the " gp=0x... m=N mp=0x..." (or " m=nil") part that
// GOTRACEBACK=system and fatal errors add after the goroutine id.
func stripGPM(h string) string {
	i := strings.Index(h, " gp=")
	j := strings.Index(h, " [")
	if i < 0 || j < i {
		return h
	}
	return h[:i] + h[j:]
}

// verify checks a dump file against an expectation file.
func verify(dumpPath, expectPath string) error {
	dump, err := os.ReadFile(dumpPath)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(expectPath)
	if err != nil {
		return err
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	if problems := checkAgainst(parseDump(dump), f.Goroutines); len(problems) > 0 {
		return fmt.Errorf("%s does not match %s:\n  %s", dumpPath, expectPath, strings.Join(problems, "\n  "))
	}
	return nil
}
