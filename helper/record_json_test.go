package helper

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"reflect"
	"testing"
)

// decodeJSON decodes b with numbers kept exact.
func decodeJSON(t *testing.T, b []byte) interface{} {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v interface{}
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return v
}

// The record header written by hand says what encoding/json would write:
// the same members and values, whatever bytes its strings hold.
func TestRecordHeaderJSONIsEncodingJSONs(t *testing.T) {
	headers := []leakcheckRecordHeader{
		{},
		{Version: 2, Seq: 1, Kind: "start", Len: 0, Sum: "cbf29ce484222325", Package: "example.com/p", Go: "go1.26.8", PID: 7, PPID: 1,
			LabelsInDump: true, Counter: true, Proof: true, UserMain: true,
			Problems: []string{"bad \"config\"\n", "\x00\x1f\x7f\xff<&>\u2028\u2029é\\"}},
		{Kind: "end", Test: "TestX/sub\t\"q\"", Run: 2, Failed: true, Skipped: true, Ambiguous: []uint64{1, 2},
			ByDiff: []uint64{3}, Alone: true, Background: true, CutShort: true, EndedEarly: true, Leaked: []uint64{18446744073709551615}, Ignored: []uint64{5},
			Looks: 3, TestOf: map[string]string{"9": "TestX/a", "10": "TestX/b\\", "": "\xc3"}},
		{Kind: "exit", Owners: map[string]string{"1": "TestA"}, NoTests: true, FileLen: 100, FileSum: "00ff", Inode: 1 << 40, Looks: -1},
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 300; i++ {
		b := make([]byte, rng.Intn(12))
		for j := range b {
			b[j] = byte(rng.Intn(256))
		}
		headers = append(headers, leakcheckRecordHeader{Kind: "end", Test: string(b), Problems: []string{string(b[len(b)/2:])}})
	}
	for _, h := range headers {
		want, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		got := h.appendJSON(nil)
		if !json.Valid(got) {
			t.Fatalf("not JSON: %q", got)
		}
		if !reflect.DeepEqual(decodeJSON(t, got), decodeJSON(t, want)) {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	}
}
