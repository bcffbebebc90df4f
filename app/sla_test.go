package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/config"
	"github.com/vigilbot/vigil/watchers"
)

func TestSLADue(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	day := config.SLA{BusinessDays: 1}
	tests := []struct {
		name  string
		start time.Time
		sla   config.SLA
		loc   *time.Location
		want  time.Time
	}{
		{"Tuesday to Wednesday", time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC), day, time.UTC, time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)},
		{"Friday to Monday", time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC), day, time.UTC, time.Date(2026, 3, 9, 15, 0, 0, 0, time.UTC)},
		{"Saturday: from Monday's start", time.Date(2026, 3, 7, 10, 0, 0, 0, time.UTC), day, time.UTC, time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)},
		{"Sunday night", time.Date(2026, 3, 8, 23, 59, 0, 0, time.UTC), day, time.UTC, time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)},
		{"three days over a weekend", time.Date(2026, 3, 5, 9, 30, 0, 0, time.UTC), config.SLA{BusinessDays: 3}, time.UTC, time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)},
		// Friday 23:30 UTC is Saturday 00:30 in Berlin: the weekend of the configured zone.
		{"the zone's weekend", time.Date(2026, 3, 6, 23, 30, 0, 0, time.UTC), day, berlin, time.Date(2026, 3, 10, 0, 0, 0, 0, berlin)},
		// Across the spring change of clocks in Berlin (29 March 2026): the same time of day.
		{"across daylight saving time", time.Date(2026, 3, 27, 9, 0, 0, 0, berlin), day, berlin, time.Date(2026, 3, 30, 9, 0, 0, 0, berlin)},
		{"calendar hours ignore weekends", time.Date(2026, 3, 7, 10, 0, 0, 0, time.UTC), config.SLA{Duration: 4 * time.Hour}, time.UTC, time.Date(2026, 3, 7, 14, 0, 0, 0, time.UTC)},
		{"off", time.Date(2026, 3, 7, 10, 0, 0, 0, time.UTC), config.SLA{}, time.UTC, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slaDue(tt.start, tt.sla, tt.loc); !got.Equal(tt.want) {
				t.Errorf("slaDue(%v, %v) = %v, want %v", tt.start, tt.sla, got, tt.want)
			}
		})
	}
}

// TestSLAReminder runs on SQLite, and on PostgreSQL when VIGIL_TEST_POSTGRES is set.
func TestSLAReminder(t *testing.T) {
	onEachDialect(t, testSLAReminder)
}

// An alert still undecided one business day after it was posted gets one reminder in its
// thread, naming its owner as plain text; Friday's alert is due on Monday, not over the
// weekend. A decided alert gets none, the reminder is not repeated, and an alert reopened
// for review gets one more after another business day.
func testSLAReminder(t *testing.T, dbURL string) {
	ctx := context.Background()
	friday := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: friday}
	news := &fixedSource{}
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: %s
sources:
  - {name: news, type: feed, url: "http://127.0.0.1:1/n", schedule: "@every 1h"}
channels:
  - id: console:a
    watches: [{name: Hikvision}, {name: Dahua}]
`, dbURL))
	chat := &recordingChat{}
	e, client := startEngine(t, Options{Config: cfg, Logger: testLogger(t), Now: clock.Now, pollers: map[string]poller{"news": news}}, chat)
	svc := e.service()
	say := func(text string) bot.Reply {
		return svc.Handle(ctx, bot.Request{Channel: "console:a", User: "alice", CanManage: true, Text: text})
	}
	poll := func() {
		t.Helper()
		res, err := e.poll(ctx, "news", false, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.waitJobs(ctx, client, res.JobIDs, 20*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// at runs the leader's schedule at a time and returns what it sent: it waits for want
	// messages, and a moment longer for any unexpected ones.
	at := func(now time.Time, want int) []sent {
		t.Helper()
		clock.Set(now)
		if err := e.schedule(ctx); err != nil {
			t.Fatal(err)
		}
		var got []sent
		waitFor(t, fmt.Sprintf("%d reminders", want), func() bool {
			got = append(got, chat.take()...)
			return len(got) >= want
		})
		time.Sleep(300 * time.Millisecond)
		return append(got, chat.take()...)
	}

	poll() // baseline
	news.set(
		watchers.Item{Source: "news", ID: "guid:1", Title: "Hikvision wins a contract", URL: "https://n.example/1"},
		watchers.Item{Source: "news", ID: "guid:2", Title: "Dahua shares fall", URL: "https://n.example/2"},
	)
	poll()
	got := chat.take()
	if len(got) != 2 {
		t.Fatalf("alerts: got %v, want 2", describe(got))
	}
	hik, dahua := got[0], got[1]
	if r := say(fmt.Sprintf("assign %d @room", hik.msg.AlertID)); r.Failed {
		t.Fatal(r.Text)
	}
	if r := say(fmt.Sprintf("resolve %d true_match", dahua.msg.AlertID)); r.Failed {
		t.Fatal(r.Text)
	}
	waitFor(t, "the decision's edit", func() bool { return len(chat.take()) > 0 })

	for _, now := range []time.Time{friday.Add(time.Minute), friday.Add(25 * time.Hour), friday.Add(50 * time.Hour), friday.Add(72*time.Hour - time.Minute)} {
		if got := at(now, 0); len(got) != 0 {
			t.Fatalf("at %v, before the SLA ran out: got %v", now, describe(got))
		}
	}
	if r := say("open"); !strings.Contains(r.Text, fmt.Sprintf("#%d", hik.msg.AlertID)) || strings.Contains(r.Text, "OVERDUE") ||
		!strings.Contains(r.Text, "due 2026-03-09 15:00 UTC") {
		t.Errorf("open before the SLA ran out:\n%s", r.Text)
	}
	monday := friday.Add(72*time.Hour + 5*time.Second)
	got = at(monday, 1)
	if len(got) != 1 {
		t.Fatalf("Monday after the SLA: got %v, want one reminder", describe(got))
	}
	rem := got[0]
	if rem.msg.Kind != watchers.KindFollowup || rem.msg.ThreadOf != hik.ref || rem.msg.AlertID != hik.msg.AlertID {
		t.Errorf("reminder: got %s %q in thread %q, want a reply in the thread of %q", rem.msg.Kind, rem.msg.Headline, rem.msg.ThreadOf, hik.ref)
	}
	text := rem.msg.Text()
	for _, want := range []string{"Reminder: alert #", "after its SLA of 1 business day", "open since 2026-03-06 15:00 UTC", "due 2026-03-09 15:00 UTC", "Owner: room."} {
		if !strings.Contains(text, want) {
			t.Errorf("reminder:\n%s\nwant it to contain %q", text, want)
		}
	}
	if strings.Contains(text, "@room") {
		t.Errorf("the reminder mentions everyone:\n%s", text)
	}
	if r := say("open"); !strings.Contains(r.Text, fmt.Sprintf("OVERDUE #%d", hik.msg.AlertID)) || !strings.Contains(r.Text, "decision was due 2026-03-09 15:00 UTC") {
		t.Errorf("open after the SLA ran out:\n%s", r.Text)
	}
	for _, now := range []time.Time{monday.Add(time.Hour), monday.Add(48 * time.Hour)} {
		if got := at(now, 0); len(got) != 0 {
			t.Fatalf("at %v, after the reminder: got %v, want no second one", now, describe(got))
		}
	}

	// Reopened for review (as a material change does): one more reminder a business day later.
	reopened := monday.Add(48*time.Hour + time.Hour) // Wednesday
	clock.Set(reopened)
	if err := e.store.Decide(ctx, "console:a", watchers.Decision{AlertID: dahua.msg.AlertID, State: watchers.DispOpen, Reason: "review again: test", By: "vigil"}); err != nil {
		t.Fatal(err)
	}
	if got := at(reopened.Add(23*time.Hour), 0); len(got) != 0 {
		t.Fatalf("before the reopened alert's SLA: got %v", describe(got))
	}
	got = at(reopened.Add(24*time.Hour), 1)
	if len(got) != 1 || got[0].msg.AlertID != dahua.msg.AlertID || got[0].msg.ThreadOf != dahua.ref ||
		!strings.Contains(got[0].msg.Text(), "No one owns it yet") {
		t.Fatalf("after reopening: got %v %+v, want one reminder for #%d", describe(got), got, dahua.msg.AlertID)
	}
}

// alertedWithSLAOff starts an engine with triage.sla off and one alert delivered in
// console:a on Friday 15:00, for the tests of a channel without reminders.
func alertedWithSLAOff(t *testing.T) (*engine, *fakeClock, *recordingChat, time.Time) {
	t.Helper()
	ctx := context.Background()
	friday := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: friday}
	news := &fixedSource{}
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - {name: news, type: feed, url: "http://127.0.0.1:1/n", schedule: "@every 1h"}
channels:
  - id: console:a
    watches: [{name: Hikvision}]
triage: {sla: "off"}
`, filepath.Join(t.TempDir(), "vigil.db")))
	chat := &recordingChat{}
	e, client := startEngine(t, Options{Config: cfg, Logger: testLogger(t), Now: clock.Now, pollers: map[string]poller{"news": news}}, chat)
	for _, items := range [][]watchers.Item{nil, {{Source: "news", ID: "guid:1", Title: "Hikvision wins", URL: "https://n.example/1"}}} {
		news.set(items...)
		res, err := e.poll(ctx, "news", false, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.waitJobs(ctx, client, res.JobIDs, 20*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if got := chat.take(); len(got) != 1 {
		t.Fatalf("alert: got %v", describe(got))
	}
	return e, clock, chat, friday
}

// With triage.sla off, nothing is reminded.
func TestSLAOff(t *testing.T) {
	ctx := context.Background()
	e, clock, chat, friday := alertedWithSLAOff(t)
	clock.Set(friday.Add(30 * 24 * time.Hour))
	if err := e.schedule(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if got := chat.take(); len(got) != 0 {
		t.Errorf("with the SLA off: got %v", describe(got))
	}
}

// TestChannelSLAByChat runs on SQLite, and on PostgreSQL when VIGIL_TEST_POSTGRES is set.
func TestChannelSLAByChat(t *testing.T) {
	onEachDialect(t, testChannelSLAByChat)
}

// A channel's SLA set by chat command decides when its reminder fires, for alerts already
// open too: console:a shortens its SLA from one business day to 2h; console:b overrides its
// file's 4h with three business days, and `sla default` brings the file's 4h back. At the
// next start the file's SLA applies again in console:b, and console:a keeps its own.
func testChannelSLAByChat(t *testing.T, dbURL string) {
	ctx := context.Background()
	friday := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: friday}
	news := &fixedSource{}
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: %s
sources:
  - {name: news, type: feed, url: "http://127.0.0.1:1/n", schedule: "@every 1h"}
channels:
  - id: console:a
    watches: [{name: Hikvision}]
  - id: console:b
    watches: [{name: Hikvision}]
    sla: 4h
`, dbURL))
	chat := &recordingChat{}
	e, client := startEngine(t, Options{Config: cfg, Logger: testLogger(t), Now: clock.Now, pollers: map[string]poller{"news": news}}, chat)
	svc := e.service()
	say := func(channel, text string) bot.Reply {
		return svc.Handle(ctx, bot.Request{Channel: channel, User: "alice", CanManage: true, Text: text})
	}
	at := func(now time.Time, want int) []sent {
		t.Helper()
		clock.Set(now)
		if err := e.schedule(ctx); err != nil {
			t.Fatal(err)
		}
		var got []sent
		waitFor(t, fmt.Sprintf("%d reminders", want), func() bool {
			got = append(got, chat.take()...)
			return len(got) >= want
		})
		time.Sleep(300 * time.Millisecond)
		return append(got, chat.take()...)
	}
	for _, items := range [][]watchers.Item{nil, {{Source: "news", ID: "guid:1", Title: "Hikvision wins a contract", URL: "https://n.example/1"}}} {
		news.set(items...)
		res, err := e.poll(ctx, "news", false, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.waitJobs(ctx, client, res.JobIDs, 20*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	alerts := map[string]sent{}
	for _, s := range chat.take() {
		alerts[s.channel] = s
	}
	if len(alerts) != 2 {
		t.Fatalf("alerts: got %v, want one in each channel", alerts)
	}

	for text, want := range map[string]string{
		"sla 1 working day":    `"1 working day" is not an SLA.`,
		"sla 66 business days": `"66 business days" is not an SLA: give 1 to 65 business days.`,
		"sla -4h":              `"-4h" is not an SLA.`,
		`sla "default please"`: `"default please" is not an SLA.`,
	} {
		if r := say("console:a", text); !r.Failed || !strings.Contains(r.Text, want) || !strings.Contains(r.Text, "Usage: sla") {
			t.Errorf("%s: got %+v, want a refusal containing %q and the usage", text, r, want)
		}
	}
	if r := say("console:a", "sla 2H"); r.Failed || !strings.Contains(r.Text, "within 2h") {
		t.Fatalf("sla 2H: %+v", r)
	}
	if r := say("console:b", "sla 3 Business Days"); r.Failed || !strings.Contains(r.Text, "within 3 business days") ||
		!strings.Contains(r.Text, "sets this channel's SLA to 4h, which applies again at the next restart") {
		t.Fatalf("sla over the file's: %+v", r)
	}
	if r := say("console:a", "open"); !strings.Contains(r.Text, "due 2026-03-06 17:00 UTC") {
		t.Errorf("open in console:a after sla 2h:\n%s", r.Text)
	}

	if got := at(friday.Add(2*time.Hour-time.Minute), 0); len(got) != 0 {
		t.Fatalf("before the chat-set SLA ran out: got %v", describe(got))
	}
	got := at(friday.Add(2*time.Hour+5*time.Second), 1)
	if len(got) != 1 || got[0].channel != "console:a" || got[0].msg.ThreadOf != alerts["console:a"].ref ||
		!strings.Contains(got[0].msg.Text(), "after its SLA of 2h") {
		t.Fatalf("after the chat-set 2h: got %v, want one reminder in console:a", describe(got))
	}
	// console:b's file SLA of 4h no longer applies: the chat's three business days do.
	if got := at(friday.Add(5*time.Hour), 0); len(got) != 0 {
		t.Fatalf("past the file's 4h, under the chat's SLA: got %v", describe(got))
	}
	if r := say("console:b", "sla default"); r.Failed || !strings.Contains(r.Text, "configured SLA: 4h (its sla in the configuration file)") {
		t.Fatalf("sla default: %+v", r)
	}
	got = at(friday.Add(5*time.Hour+2*time.Minute), 1)
	if len(got) != 1 || got[0].channel != "console:b" || !strings.Contains(got[0].msg.Text(), "after its SLA of 4h") {
		t.Fatalf("back on the file's 4h: got %v, want one reminder in console:b", describe(got))
	}

	// A start applies the file again: console:b's chat SLA goes, console:a's stays.
	say("console:b", "sla off")
	if err := e.seed(ctx); err != nil {
		t.Fatal(err)
	}
	for ch, want := range map[string]string{
		"console:a": "due for a decision within 2h (set by chat command)",
		"console:b": "due for a decision within 4h (set in the configuration file)",
	} {
		if r := say(ch, "list"); !strings.Contains(r.Text, want) {
			t.Errorf("list in %s after a start:\n%s\nwant it to contain %q", ch, r.Text, want)
		}
	}
}

// With triage.sla off, a channel that sets its own SLA by chat gets its reminder.
func TestChatSLAWithTriageOff(t *testing.T) {
	ctx := context.Background()
	e, clock, chat, friday := alertedWithSLAOff(t)
	if r := e.service().Handle(ctx, bot.Request{Channel: "console:a", User: "alice", CanManage: true, Text: "sla 1h"}); r.Failed {
		t.Fatal(r.Text)
	}
	clock.Set(friday.Add(time.Hour + time.Minute))
	if err := e.schedule(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reminder", func() bool {
		got := chat.take()
		return len(got) == 1 && strings.Contains(got[0].msg.Text(), "after its SLA of 1h")
	})
}

// TestAliasRoomSLA runs on SQLite, and on PostgreSQL when VIGIL_TEST_POSTGRES is set.
func TestAliasRoomSLA(t *testing.T) {
	onEachDialect(t, testAliasRoomSLA)
}

// A Matrix room configured by its alias takes the file's sla once the alias resolves to
// it: list says it comes from the file, sla default falls back to it (not triage.sla),
// and the reminders use it — on the replica that resolved the alias and on another.
func testAliasRoomSLA(t *testing.T, dbURL string) {
	ctx := context.Background()
	const room = "matrix:!abc:example.org"
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: %s
matrix:
  homeserver: http://127.0.0.1:1
  user_id: '@vigil:example.org'
  access_token: t
  pickle_key: k
triage:
  sla: 2 business days
channels:
  - id: matrix:#ops:example.org
    watches: [{name: Hikvision}]
    sla: 4h
`, dbURL))
	opts := Options{Config: cfg, Logger: testLogger(t)}
	opts.defaults()
	e, err := open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	if err := e.adoptRoom(ctx, cfg.Channels[0], room); err != nil {
		t.Fatal(err)
	}
	want := bot.SLAInfo{SLA: "4h", From: bot.SLAFromFile, File: "4h"}
	if got, err := e.ChannelSLA(ctx, room); err != nil || got != want {
		t.Errorf("after the alias resolved: got %+v, %v; want %+v", got, err, want)
	}
	if got, err := e.SetSLA(ctx, room, "1h", "alice"); err != nil || got != (bot.SLAInfo{SLA: "1h", From: bot.SLAFromChat, File: "4h"}) {
		t.Errorf("sla 1h: got %+v, %v; want 1h by chat, the file's 4h", got, err)
	}
	if got, err := e.SetSLA(ctx, room, "", "alice"); err != nil || got != want {
		t.Errorf("sla default: got %+v, %v; want %+v", got, err, want)
	}

	// Another replica, which never resolved the alias, reads the same.
	other, err := open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer other.close()
	if got, err := other.ChannelSLA(ctx, room); err != nil || got != want {
		t.Errorf("on another replica: got %+v, %v; want %+v", got, err, want)
	}
	slas, err := other.loadSLAs(ctx, other.store)
	if err != nil {
		t.Fatal(err)
	}
	if got := slas.of(room); got.String() != "4h" {
		t.Errorf("the reminders' SLA of the room: got %s, want the file's 4h", got)
	}
}
