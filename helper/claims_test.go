package helper

import (
	"testing"
	"time"
)

// Three tests' orphans at one stack, each told only by its label's count
// (ambiguous). A look gave TestC the first of them; before TestC's check
// read that look, another check, served by a later look, reported that
// goroutine for TestB. TestC's goroutine is one of the other two: its
// check must report one of them, never pass, and never report TestB's
// again, whether that check claimed it by count or told it for good. (CI
// caught the check passing: rerun3 in tests/promises.rs.)
func TestClaimsOfASharedStack(t *testing.T) {
	for _, c := range []struct {
		dump    string
		claimed bool
		// toldSince: a look after this one told TestA's goroutine for
		// good (its check has not reported it yet): not one to swap in.
		toldSince bool
	}{
		{"go1.22.12-shared-stack.txt", true, false},
		{"go1.26.8-shared-stack.txt", true, false},
		{"go1.26.8-shared-stack.txt", false, false},
		{"go1.26.8-shared-stack.txt", true, true},
	} {
		dump := c.dump
		snap := capturedSnapshot(t, dump)
		s := &leakcheckSession{
			owners:   map[uint64]*leakcheckOwner{},
			reported: map[uint64]bool{},
			claimed:  map[string][]*leakcheckClaimRecord{},
			byLabel:  map[string]*leakcheckTest{},
		}
		tests := map[string]*leakcheckTest{}
		for _, name := range []string{"TestA", "TestB", "TestC"} {
			tests[name] = &leakcheckTest{name: name, run: 1}
			s.byLabel[name] = tests[name]
		}
		// The orphans in the look's order, given by label as the look gave
		// them: the first to TestC, then TestA, TestB.
		var orphans []*leakcheckGoroutine
		for i := range snap.goroutines {
			g := &snap.goroutines[i]
			// (TestMain's goroutine: the package's own.)
			snap.owner[g.id] = &leakcheckOwner{kind: leakcheckOwnerBaseline}
			if g.hasFrame("example.com/dumpgen/sharedstack.wait") {
				orphans = append(orphans, g)
			}
		}
		if len(orphans) != 3 {
			t.Fatalf("%s: %d goroutines in wait, want 3", dump, len(orphans))
		}
		for i, name := range []string{"TestC", "TestA", "TestB"} {
			snap.owner[orphans[i].id] = &leakcheckOwner{kind: leakcheckOwnerTest, test: tests[name], byLabel: true, ambiguous: true}
		}
		taken := orphans[0]
		s.reported[taken.id] = true
		taken.parseStack()
		key := leakcheckStackKey(taken.funcs)
		claims := 1
		if c.claimed {
			s.claimed[key] = []*leakcheckClaimRecord{{label: "TestB", id: taken.id}}
			claims = 2
		}

		if c.toldSince {
			s.owners[orphans[1].id] = &leakcheckOwner{kind: leakcheckOwnerTest, test: tests["TestA"]}
		}
		w := &leakcheckWait{
			claim:    func(*leakcheckSnapshot) leakcheckClaim { return leakcheckClaim{test: tests["TestC"]} },
			deadline: time.Now().Add(-time.Millisecond),
		}
		w.out.looks = 1
		if got := s.evaluate(w, &snap, false); got != leakcheckDone {
			t.Fatalf("%s: evaluate = %d, want done", dump, got)
		}
		if len(w.out.leaked) != 1 || w.out.leaked[0] == taken {
			t.Fatalf("%s: TestC's check reported %v, want one goroutine of wait other than %d", dump, leakcheckIDs(w.out.leaked), taken.id)
		}
		if c.toldSince && w.out.leaked[0] != orphans[2] {
			t.Errorf("%s: TestC's check reported %d, told to TestA since; want %d", dump, w.out.leaked[0].id, orphans[2].id)
		}
		if g := w.out.leaked[0]; !s.reported[g.id] || len(s.claimed[key]) != claims {
			t.Errorf("%s: goroutine %d reported %v, %d claims on the stack, want reported and %d", dump, g.id, s.reported[g.id], len(s.claimed[key]), claims)
		}
	}
}
