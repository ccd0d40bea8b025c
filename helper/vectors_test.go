package helper

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// The shared rule vectors: the Rust side checks the same file
// (tests/vectors.rs), so both apply one semantics.
type leakcheckVectors struct {
	Dump       string `json:"dump"`
	Goroutines []struct {
		ID        uint64 `json:"id"`
		State     string `json:"state"`
		Label     string `json:"label"`
		Top       string `json:"top"`
		CreatedBy string `json:"created_by"`
	} `json:"goroutines"`
	Cases []struct {
		Name    string          `json:"name"`
		Rules   []leakcheckRule `json:"rules"`
		Test    string          `json:"test"`
		Package string          `json:"package"`
		Ignored []uint64        `json:"ignored"`
	} `json:"cases"`
}

func loadVectors(t *testing.T) leakcheckVectors {
	t.Helper()
	b, err := os.ReadFile("../tests/vectors/rules.json")
	if err != nil {
		t.Fatal(err)
	}
	var v leakcheckVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVectorsDumpParses(t *testing.T) {
	v := loadVectors(t)
	gs := leakcheckParseDump([]byte(v.Dump))
	if len(gs) != len(v.Goroutines) {
		t.Fatalf("parsed %d goroutines, want %d", len(gs), len(v.Goroutines))
	}
	for i, want := range v.Goroutines {
		g := gs[i]
		g.parseStack()
		top := ""
		if len(g.funcs) > 0 {
			top = g.funcs[0]
		}
		got := []interface{}{g.id, g.state, g.label, top, g.createdBy}
		exp := []interface{}{want.ID, want.State, want.Label, want.Top, want.CreatedBy}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("goroutine %d: got %v, want %v", want.ID, got, exp)
		}
	}
}

func TestVectorsRules(t *testing.T) {
	v := loadVectors(t)
	gs := leakcheckParseDump([]byte(v.Dump))
	for _, c := range v.Cases {
		rules := c.Rules
		for i := range rules {
			if err := rules[i].compile(); err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
		}
		ignored := []uint64{}
		for i := range gs {
			test := c.Test
			if test == "" {
				test = gs[i].label
			}
			matched := false
			for j := range rules {
				matched = matched || rules[j].matches(&gs[i], test, c.Package)
			}
			if matched {
				ignored = append(ignored, gs[i].id)
			}
		}
		want := c.Ignored
		if want == nil {
			want = []uint64{}
		}
		if !reflect.DeepEqual(ignored, want) {
			t.Errorf("%s: ignored %v, want %v", c.Name, ignored, want)
		}
	}
}
