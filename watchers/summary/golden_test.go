package summary

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilbot/vigil/watchers"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden summarises each testdata/*.json case ({"item": …, "matches": […]}) and
// compares with its .golden file; run with -update after checking a change by eye.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var c struct {
				Item    watchers.Item
				Matches []watchers.Match
			}
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatal(err)
			}
			got := Summarize(c.Item, c.Matches) + "\n"
			golden := strings.TrimSuffix(path, ".json") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("summary:\n got %q\nwant %q", got, want)
			}
			if len([]rune(got)) > maxLen+2 {
				t.Errorf("summary has %d characters, want at most %d", len([]rune(got)), maxLen)
			}
		})
	}
}
