package helper

import (
	leakcheckos "os"
	leakchecksort "sort"
	leakcheckstrconv "strconv"
	leakchecksync "sync"
	leakchecksyscall "syscall"
	leakcheckutf8 "unicode/utf8"
)

// leakcheckRecordHeader is the first line of a record; the `len` bytes after
// it are the raw dump sections of the goroutines it names, each followed by
// a blank line. A binary writes `start` first, `end` for every top-level
// test, fuzz target and example it checked, and `exit` after the check
// after the last test. `seq` numbers the records from 1, so that leakcheck
// notices one missing.
type leakcheckRecordHeader struct {
	Version int    `json:"v"`
	Seq     int    `json:"seq"`
	Kind    string `json:"kind"`
	Len     int    `json:"len"`
	// Sum is the FNV-1a hash of the len bytes, so that a record damaged
	// after it was written is noticed.
	Sum string `json:"sum"`
	// start
	Package      string   `json:"package,omitempty"`
	Go           string   `json:"go,omitempty"`
	PID          int      `json:"pid,omitempty"`
	PPID         int      `json:"ppid,omitempty"`
	LabelsInDump bool     `json:"labels_in_dump,omitempty"`
	Counter      bool     `json:"counter,omitempty"`
	Proof        bool     `json:"proof,omitempty"`
	UserMain     bool     `json:"user_main,omitempty"`
	Problems     []string `json:"problems,omitempty"`
	// end
	Test      string   `json:"test,omitempty"`
	Run       int      `json:"run,omitempty"`
	Failed    bool     `json:"failed,omitempty"`
	Skipped   bool     `json:"skipped,omitempty"`
	Ambiguous []uint64 `json:"ambiguous,omitempty"`
	ByDiff    []uint64 `json:"by_difference,omitempty"`
	Alone     bool     `json:"alone,omitempty"`
	// Background: checked by the looker after the test returned; the
	// test itself was not failed.
	Background bool `json:"background,omitempty"`
	// CutShort: the -timeout alarm ended the wait before the grace
	// period did, in a check that did not fail the test (a background
	// check, -failfast) or of an example: a test that was failed says so
	// in its own log.
	CutShort bool `json:"cut_short,omitempty"`
	// EndedEarly: the check stopped waiting before its grace period was
	// over, because no goroutine could run before it was.
	EndedEarly bool `json:"ended_early,omitempty"`
	// end and exit
	Leaked  []uint64          `json:"leaked,omitempty"`
	Ignored []uint64          `json:"ignored,omitempty"`
	Looks   int               `json:"looks,omitempty"`
	TestOf  map[string]string `json:"test_of,omitempty"`
	Owners  map[string]string `json:"owners,omitempty"`
	NoTests bool              `json:"no_tests,omitempty"`
	// exit: everything written before this record (its length, its hash)
	// and the file's inode, so that a file replaced or rewritten is noticed.
	FileLen int    `json:"file_len,omitempty"`
	FileSum string `json:"file_sum,omitempty"`
	Inode   uint64 `json:"inode,omitempty"`
}

// leakcheckRecords is this binary's record file,
// <LEAKCHECK_DIR>/<records key>/<pid>.rec, written with syscall calls:
// files opened through package os are recorded by go test's result cache,
// and this one changes every run.
type leakcheckRecords struct {
	mu   leakchecksync.Mutex
	fd   int
	path string
	seq  int
	// written and sum: the bytes written so far and their FNV-1a hash.
	written int
	sum     uint64
	// broken: a write failed (a full disk); nothing more is written, and
	// leakcheck reports the package as not fully checked.
	broken bool
}

func leakcheckOpenRecords(dir string) *leakcheckRecords {
	r := &leakcheckRecords{fd: -1, sum: leakcheckFNVStart}
	sub := dir + "/" + leakcheckRecordsKey
	if err := leakchecksyscall.Mkdir(sub, 0755); err != nil && err != leakchecksyscall.EEXIST {
		r.fail(sub, err)
		return r
	}
	r.path = sub + "/" + leakcheckItoa(leakcheckos.Getpid()) + ".rec"
	fd, err := leakchecksyscall.Open(r.path, leakchecksyscall.O_WRONLY|leakchecksyscall.O_CREAT|leakchecksyscall.O_EXCL|leakchecksyscall.O_APPEND|leakchecksyscall.O_CLOEXEC, 0644)
	if err != nil {
		r.fail(r.path, err)
		return r
	}
	r.fd = leakcheckHighFD(fd)
	return r
}

func (r *leakcheckRecords) fail(path string, err error) {
	r.broken = true
	leakcheckos.Stderr.WriteString("leakcheck: cannot write its record file " + path + ": " + err.Error() + "\n")
}

// write appends one record.
func (r *leakcheckRecords) write(h leakcheckRecordHeader, sections [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.broken {
		return
	}
	r.seq++
	h.Version, h.Seq = 2, r.seq
	var body []byte
	for _, b := range sections {
		body = append(append(body, b...), '\n', '\n')
	}
	h.Len = len(body)
	h.Sum = leakcheckHex(leakcheckFNVAdd(leakcheckFNVStart, body))
	if h.Kind == "exit" {
		h.FileLen, h.FileSum = r.written, leakcheckHex(r.sum)
		var st leakchecksyscall.Stat_t
		if leakchecksyscall.Fstat(r.fd, &st) == nil {
			h.Inode = uint64(st.Ino)
		}
	}
	buf := make([]byte, 0, 256+len(body))
	buf = append(append(h.appendJSON(buf), '\n'), body...)
	for len(buf) > 0 {
		n, err := leakchecksyscall.Write(r.fd, buf)
		if err == leakchecksyscall.EINTR {
			continue
		}
		if err != nil {
			r.fail(r.path, err)
			return
		}
		r.sum = leakcheckFNVAdd(r.sum, buf[:n])
		r.written += n
		buf = buf[n:]
	}
}

func (r *leakcheckRecords) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fd >= 0 {
		_ = leakchecksyscall.Close(r.fd)
		r.fd = -1
		r.broken = true
	}
}

// leakcheckFNVStart is the 64-bit FNV-1a hash of nothing.
const leakcheckFNVStart = uint64(14695981039346656037)

// leakcheckFNVAdd continues the 64-bit FNV-1a hash h over b.
func leakcheckFNVAdd(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// leakcheckHex is h in 16 hexadecimal digits.
func leakcheckHex(h uint64) string {
	const digits = "0123456789abcdef"
	var out [16]byte
	for i := 15; i >= 0; i-- {
		out[i] = digits[h&15]
		h >>= 4
	}
	return string(out[:])
}

// appendJSON appends the header as encoding/json would marshal it (the
// field names and omitempty of the struct tags, the same order). Written
// out by hand: a record is written at every test's end, and reflection
// cost more than the rest of writing it.
func (h *leakcheckRecordHeader) appendJSON(b []byte) []byte {
	w := leakcheckJSONObject{b: append(b, '{')}
	w.int("v", h.Version, false)
	w.int("seq", h.Seq, false)
	w.str("kind", h.Kind, false)
	w.int("len", h.Len, false)
	w.str("sum", h.Sum, false)
	w.str("package", h.Package, true)
	w.str("go", h.Go, true)
	w.int("pid", h.PID, true)
	w.int("ppid", h.PPID, true)
	w.bool("labels_in_dump", h.LabelsInDump)
	w.bool("counter", h.Counter)
	w.bool("proof", h.Proof)
	w.bool("user_main", h.UserMain)
	w.strs("problems", h.Problems)
	w.str("test", h.Test, true)
	w.int("run", h.Run, true)
	w.bool("failed", h.Failed)
	w.bool("skipped", h.Skipped)
	w.ids("ambiguous", h.Ambiguous)
	w.ids("by_difference", h.ByDiff)
	w.bool("alone", h.Alone)
	w.bool("background", h.Background)
	w.bool("cut_short", h.CutShort)
	w.bool("ended_early", h.EndedEarly)
	w.ids("leaked", h.Leaked)
	w.ids("ignored", h.Ignored)
	w.int("looks", h.Looks, true)
	w.strMap("test_of", h.TestOf)
	w.strMap("owners", h.Owners)
	w.bool("no_tests", h.NoTests)
	w.int("file_len", h.FileLen, true)
	w.str("file_sum", h.FileSum, true)
	if h.Inode != 0 {
		w.key("inode")
		w.b = leakcheckstrconv.AppendUint(w.b, h.Inode, 10)
	}
	return append(w.b, '}')
}

// leakcheckJSONObject appends the members of a JSON object.
type leakcheckJSONObject struct {
	b    []byte
	more bool
}

func (w *leakcheckJSONObject) key(k string) {
	if w.more {
		w.b = append(w.b, ',')
	}
	w.more = true
	w.b = leakcheckAppendJSONString(w.b, k)
	w.b = append(w.b, ':')
}

func (w *leakcheckJSONObject) int(k string, v int, omitEmpty bool) {
	if v == 0 && omitEmpty {
		return
	}
	w.key(k)
	w.b = leakcheckstrconv.AppendInt(w.b, int64(v), 10)
}

func (w *leakcheckJSONObject) str(k, v string, omitEmpty bool) {
	if v == "" && omitEmpty {
		return
	}
	w.key(k)
	w.b = leakcheckAppendJSONString(w.b, v)
}

func (w *leakcheckJSONObject) bool(k string, v bool) {
	if v {
		w.key(k)
		w.b = append(w.b, "true"...)
	}
}

func (w *leakcheckJSONObject) strs(k string, v []string) {
	w.array(k, len(v), func(b []byte, i int) []byte { return leakcheckAppendJSONString(b, v[i]) })
}

func (w *leakcheckJSONObject) ids(k string, v []uint64) {
	w.array(k, len(v), func(b []byte, i int) []byte { return leakcheckstrconv.AppendUint(b, v[i], 10) })
}

// array writes n elements, each appended by elem; nothing when n is 0.
func (w *leakcheckJSONObject) array(k string, n int, elem func(b []byte, i int) []byte) {
	if n == 0 {
		return
	}
	w.key(k)
	w.b = append(w.b, '[')
	for i := 0; i < n; i++ {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = elem(w.b, i)
	}
	w.b = append(w.b, ']')
}

// strMap writes the keys sorted, as encoding/json does.
func (w *leakcheckJSONObject) strMap(k string, v map[string]string) {
	if len(v) == 0 {
		return
	}
	keys := make([]string, 0, len(v))
	for key := range v {
		keys = append(keys, key)
	}
	leakchecksort.Strings(keys)
	w.key(k)
	w.b = append(w.b, '{')
	for i, key := range keys {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = leakcheckAppendJSONString(w.b, key)
		w.b = append(w.b, ':')
		w.b = leakcheckAppendJSONString(w.b, v[key])
	}
	w.b = append(w.b, '}')
}

// leakcheckAppendJSONString appends s as a JSON string: quotes, backslashes
// and control characters escaped, bytes that are not UTF-8 replaced by
// U+FFFD (as encoding/json does).
func leakcheckAppendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < leakcheckutf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := leakcheckutf8.DecodeRuneInString(s[i:])
		if r == leakcheckutf8.RuneError && size == 1 {
			b = append(b, "\\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
