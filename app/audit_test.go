package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/bot"
)

// TestAuditExportSettings runs on SQLite, and on PostgreSQL when VIGIL_TEST_POSTGRES is set.
func TestAuditExportSettings(t *testing.T) {
	onEachDialect(t, testAuditExportSettings)
}

// Changes of a channel's settings by chat command, and the file's when a start writes it
// again over them, are in the audit export with who made them and the old and new value;
// a start that changes nothing records nothing.
func testAuditExportSettings(t *testing.T, dbURL string) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: %s
sources:
  - {name: news, type: feed, url: "http://127.0.0.1:1/n", schedule: "@every 1h"}
channels:
  - id: console:a
    watches: [{name: Hikvision}]
    sla: 2h
    passing: alert
  - id: console:b
    watches: [{name: Dahua}]
`, dbURL))
	e, _ := startEngine(t, Options{Config: cfg, Logger: testLogger(t), Now: clock.Now}, &recordingChat{})
	svc := e.service()
	for _, text := range []string{"digest daily 09:00 Europe/Berlin", "passing digest", "sla 4h"} {
		clock.Set(clock.Now().Add(time.Minute))
		if r := svc.Handle(ctx, bot.Request{Channel: "console:a", User: "alice", CanManage: true, Text: text}); r.Failed {
			t.Fatalf("%s: %+v", text, r)
		}
	}
	clock.Set(clock.Now().Add(time.Minute))
	if err := e.seed(ctx); err != nil {
		t.Fatal(err)
	}

	export := func(output string, channel string) string {
		t.Helper()
		var out bytes.Buffer
		opts := Options{Config: cfg, Logger: testLogger(t), Now: clock.Now, Stdout: &out}
		if err := AuditExport(ctx, opts, AuditOptions{Output: output, Channel: channel}); err != nil {
			t.Fatalf("audit export %s: %v", output, err)
		}
		return out.String()
	}
	want := []string{
		"console:a sla set config default → 2h 2026-03-02T08:00:00Z",
		"console:a digest set alice off → daily 09:00 Europe/Berlin 2026-03-02T08:01:00Z",
		"console:a passing set alice alert → digest 2026-03-02T08:02:00Z",
		"console:a sla set alice 2h → 4h 2026-03-02T08:03:00Z",
		"console:a sla set config 4h → 2h 2026-03-02T08:04:00Z",
		"console:a passing set config digest → alert 2026-03-02T08:04:00Z",
	}
	var got, watches []string
	for _, line := range strings.Split(strings.TrimSpace(export("jsonl", "")), "\n") {
		var r settingRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		if r.Kind == recordWatch {
			watches = append(watches, fmt.Sprintf("%s %s %s %s", r.Channel, r.Setting, r.Action, r.By))
			continue
		}
		if r.Kind != recordSetting {
			t.Errorf("line %q: kind %q, want %q", line, r.Kind, recordSetting)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s %s → %s %s", r.Channel, r.Setting, r.Action, r.By, r.Old, r.New, r.At))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("jsonl setting changes:\ngot\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The configuration's watches, added at the first start, are in the trail too.
	if want := "console:a watch:Hikvision add config\nconsole:b watch:Dahua add config"; strings.Join(watches, "\n") != want {
		t.Errorf("jsonl watch changes:\ngot\n%s\nwant\n%s", strings.Join(watches, "\n"), want)
	}

	all, err := csv.NewReader(strings.NewReader(export("csv", "console:a"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows := all[:1]
	for _, row := range all[1:] {
		if row[len(row)-6] != recordWatch {
			rows = append(rows, row)
		}
	}
	if len(rows) != len(want)+1 {
		t.Fatalf("csv: got %d rows, want a header and %d:\n%v", len(rows), len(want), rows)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for i, row := range rows[1:] {
		line := fmt.Sprintf("%s %s %s %s %s → %s %s", row[col["channel"]], row[col["setting"]], row[col["action"]],
			row[col["by"]], row[col["old"]], row[col["new"]], row[col["created"]])
		if row[col["kind"]] != recordSetting || line != want[i] {
			t.Errorf("csv row %d: got kind %q, %q; want %q, %q", i, row[col["kind"]], line, recordSetting, want[i])
		}
	}
	if out := export("jsonl", "console:b"); strings.Contains(out, recordSetting) || strings.Count(out, "\n") != 1 {
		t.Errorf("console:b changed no setting; its export (its watch only):\n%s", out)
	}
}
