package dedup

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// labelledPair is one line of testdata/neardup.jsonl: two stories and whether they are
// the same story.
type labelledPair struct {
	ATitle string `json:"a_title"`
	ALead  string `json:"a_lead"`
	BTitle string `json:"b_title"`
	BLead  string `json:"b_lead"`
	Same   *bool  `json:"same"`
	Note   string `json:"note"`
}

func loadLabelledPairs(t testing.TB) []labelledPair {
	return loadPairsFile(t, "testdata/neardup.jsonl")
}

func loadPairsFile(t testing.TB, name string) []labelledPair {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []labelledPair
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var p labelledPair
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("%s:%d: %v", name, line, err)
		}
		if p.ATitle == "" || p.BTitle == "" || p.Same == nil || p.Note == "" {
			t.Fatalf("%s:%d: a_title, b_title, same and note are required", name, line)
		}
		pairs = append(pairs, p)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return pairs
}

// scored is a labelled pair with the distance between its fingerprints.
type scored struct {
	labelledPair
	dist int
}

// scorePairs fingerprints the pairs with the feature hashes salted by seed; seed 0 is
// Fingerprint itself.
func scorePairs(pairs []labelledPair, seed uint64) []scored {
	out := make([]scored, len(pairs))
	for i, p := range pairs {
		out[i] = scored{p, Distance(fingerprint(p.ATitle, p.ALead, seed), fingerprint(p.BTitle, p.BLead, seed))}
	}
	return out
}

// confusion counts the decisions "same story" (distance ≤ threshold) against the labels.
type confusion struct{ tp, fp, fn, tn int }

func classify(pairs []scored, threshold int) confusion {
	var c confusion
	for _, p := range pairs {
		switch got := p.dist <= threshold; {
		case got && *p.Same:
			c.tp++
		case got:
			c.fp++
		case *p.Same:
			c.fn++
		default:
			c.tn++
		}
	}
	return c
}

// precision is 1 when nothing is called a duplicate: no claim, no wrong claim.
func (c confusion) precision() float64 {
	if c.tp+c.fp == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.tp+c.fp)
}

func (c confusion) recall() float64 {
	if c.tp+c.fn == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.tp+c.fn)
}

// logTable logs the precision and recall of every threshold from 0 to 20, and the pairs
// that NearDuplicateDistance gets wrong.
func logTable(t *testing.T, pairs []scored) {
	t.Helper()
	var table strings.Builder
	fmt.Fprintf(&table, "\n%9s %4s %4s %4s %4s %9s %6s\n", "threshold", "tp", "fp", "fn", "tn", "precision", "recall")
	for th := 0; th <= 20; th++ {
		c := classify(pairs, th)
		mark := ""
		if th == NearDuplicateDistance {
			mark = " <- NearDuplicateDistance"
		}
		fmt.Fprintf(&table, "%9d %4d %4d %4d %4d %9.3f %6.3f%s\n", th, c.tp, c.fp, c.fn, c.tn, c.precision(), c.recall(), mark)
	}
	t.Log(table.String())
	for _, p := range pairs {
		if got := p.dist <= NearDuplicateDistance; got != *p.Same {
			t.Logf("wrong at %d: distance %2d, same %v: %s (%q / %q)", NearDuplicateDistance, p.dist, *p.Same, p.Note, p.ATitle, p.BTitle)
		}
	}
}

// TestNearDuplicateLabelledSet measures NearDuplicateDistance on the labelled pairs it
// was chosen on, and logs the table of thresholds 0 to 20 (go test -v).
func TestNearDuplicateLabelledSet(t *testing.T) {
	pairs := scorePairs(loadLabelledPairs(t), 0)
	if len(pairs) < 60 {
		t.Fatalf("labelled set has %d pairs, want at least 60", len(pairs))
	}
	logTable(t, pairs)
	c := classify(pairs, NearDuplicateDistance)
	t.Logf("%d pairs (%d same, %d different); at distance ≤ %d: precision %.3f, recall %.3f",
		len(pairs), c.tp+c.fn, c.fp+c.tn, NearDuplicateDistance, c.precision(), c.recall())
	// 39 of 41 pairs called the same are, so one more false match fails this: see
	// NEARDUP.md for why the held-out figures are the ones to expect.
	if c.precision() < 0.95 {
		t.Errorf("precision at %d = %.3f, want ≥ 0.95", NearDuplicateDistance, c.precision())
	}
	if c.recall() < 0.8 {
		t.Errorf("recall at %d = %.3f, want ≥ 0.8", NearDuplicateDistance, c.recall())
	}
}

// TestNearDuplicateHoldout measures NearDuplicateDistance on pairs written after the
// features, weights and threshold were fixed, and never used to choose them.
func TestNearDuplicateHoldout(t *testing.T) {
	pairs := scorePairs(loadPairsFile(t, "testdata/neardup_holdout.jsonl"), 0)
	logTable(t, pairs)
	c := classify(pairs, NearDuplicateDistance)
	t.Logf("%d held-out pairs (%d same, %d different); at distance ≤ %d: precision %.3f, recall %.3f",
		len(pairs), c.tp+c.fn, c.fp+c.tn, NearDuplicateDistance, c.precision(), c.recall())
	// The figures measured when the set was written (16 of 18, 16 of 20): a floor
	// against regressions, not a target.
	if c.precision() < 0.88 {
		t.Errorf("precision at %d = %.3f, want ≥ 0.88", NearDuplicateDistance, c.precision())
	}
	if c.recall() < 0.8 {
		t.Errorf("recall at %d = %.3f, want ≥ 0.8", NearDuplicateDistance, c.recall())
	}
}

// TestNearDuplicateHashLuck measures how much of the labelled set's figures is the luck
// of one hash function: with 64 bits, the distance between two fingerprints scatters by
// about ±4 around what the stories' similarity predicts, and a set of 88 pairs feels it.
// It salts the feature hashes with other seeds and logs the mean precision and recall.
func TestNearDuplicateHashLuck(t *testing.T) {
	if testing.Short() {
		t.Skip("slow-ish: fingerprints every pair once per seed")
	}
	const seeds = 100
	for _, set := range []string{"testdata/neardup.jsonl", "testdata/neardup_holdout.jsonl"} {
		pairs := loadPairsFile(t, set)
		var p, r float64
		for s := range uint64(seeds) {
			c := classify(scorePairs(pairs, mix(s+1)), NearDuplicateDistance)
			p += c.precision() / seeds
			r += c.recall() / seeds
		}
		t.Logf("%s: mean over %d salted hashes at distance ≤ %d: precision %.3f, recall %.3f", set, seeds, NearDuplicateDistance, p, r)
		// Far below these, the features have lost what tells stories apart, whatever the
		// luck of the shipped hash.
		if p < 0.8 || r < 0.75 {
			t.Errorf("%s: mean precision %.3f, recall %.3f, want ≥ 0.8 and ≥ 0.75", set, p, r)
		}
	}
}
