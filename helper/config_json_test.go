package helper

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The settings reader says what encoding/json would: the same config and
// the same variables to restore, for what leakcheck writes and for odder
// JSON; and it refuses broken JSON.
func TestConfigReaderIsEncodingJSONs(t *testing.T) {
	configs := []string{
		`{"grace_ms":500,"rules":[{"name":"builtin:test-runner","top_function":{"regex":"^testing\\.(RunTests|\\(\\*T\\)\\.Run)$"},"state":{"exact":"chan receive"}},{"name":"builtin:test-alarm","top_function":{"exact":"testing.(*M).startAlarm.func1"}}],"proof":false,"always_look":false}`,
		`{"grace_ms":0,"rules":[],"proof":true,"always_look":true}`,
		` { "grace_ms" : 12 , "rules" : [ { "name" : "a\"b\\c\u00e9\ud83d\ude00\t\n\/" , "any_function" : { "regex" : "x" } , "created_by" : {"exact":""}, "package":{"exact":"p"}, "test":{"regex":"^TestA$"}, "state": null } ] , "unknown" : [1, {"x": [true, false, null]}, -2.5e3] } `,
		`{"rules":[{"name":"\u0000\u001f"}]}`,
		`{}`,
	}
	for _, c := range configs {
		var want leakcheckConfig
		if err := json.Unmarshal([]byte(c), &want); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		got, err := leakcheckParseConfig(c)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c, got, want)
		}
	}
	for _, bad := range []string{``, `{`, `{"grace_ms":}`, `{"rules":[{]}`, `{"a":"b`, `[1,2`, `{} x`, `{"a" 1}`, `{"grace_ms":1.5}`, `tru`, `{"rules":[1]}`, strings.Repeat("[", 100)} {
		if _, err := leakcheckParseConfig(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	restores := []string{`{"GOTMPDIR":null}`, `{"GOEXPERIMENT":"goroutineleakprofile","GOTMPDIR":"/tmp/a b\\c"}`, `{}`}
	for _, r := range restores {
		var want map[string]*string
		if err := json.Unmarshal([]byte(r), &want); err != nil {
			t.Fatal(err)
		}
		got, err := leakcheckParseRestore(r)
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", r, got, want)
		}
	}
}
