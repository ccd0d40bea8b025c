package helper

import (
	leakcheckjson "encoding/json"
	leakcheckos "os"
	leakchecksync "sync"
	leakchecksyscall "syscall"
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
	r.fd = fd
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
	head, err := leakcheckjson.Marshal(h)
	if err != nil {
		r.fail(r.path, err)
		return
	}
	buf := make([]byte, 0, len(head)+1+len(body))
	buf = append(append(append(buf, head...), '\n'), body...)
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
