package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

// fakeTriage lists fixed open alerts.
type fakeTriage struct{ open []watchers.AlertSummary }

func (f *fakeTriage) Decide(context.Context, string, watchers.Decision) error { return nil }
func (f *fakeTriage) Assign(context.Context, string, int64, string, string) error {
	return nil
}

func (f *fakeTriage) OpenAlerts(context.Context, string, int) ([]watchers.AlertSummary, error) {
	return f.open, nil
}

// fakeDigests keeps one channel's digest setting.
type fakeDigests struct{ d watchers.DigestSetting }

func (f *fakeDigests) SetDigest(_ context.Context, ch, mode, at, tz, _ string) error {
	f.d.Channel, f.d.Mode, f.d.At, f.d.TZ = ch, mode, at, tz
	return nil
}

func (f *fakeDigests) SetPassing(_ context.Context, ch, passing, _ string) error {
	f.d.Channel, f.d.Passing = ch, passing
	return nil
}

func (f *fakeDigests) Digest(context.Context, string) (watchers.DigestSetting, error) {
	return f.d, nil
}

// fakeSLAs keeps channels' own SLAs over a default of one business day and a file that
// sets "2 business days" for console:file. Like the app, it takes durations and "N
// business days" and refuses anything else.
type fakeSLAs struct{ own map[string]string }

func (f *fakeSLAs) SetSLA(ctx context.Context, channel, value, _ string) (SLAInfo, error) {
	v := strings.ToLower(value)
	if value != "" && v != "off" && !strings.HasSuffix(v, "business days") && !strings.HasSuffix(v, "h") {
		return SLAInfo{}, &UsageError{Msg: fmt.Sprintf("%q is not an SLA.", value)}
	}
	if f.own == nil {
		f.own = map[string]string{}
	}
	f.own[channel] = v
	return f.ChannelSLA(ctx, channel)
}

func (f *fakeSLAs) ChannelSLA(_ context.Context, channel string) (SLAInfo, error) {
	var file string
	if channel == "console:file" {
		file = "2 business days"
	}
	switch own := f.own[channel]; {
	case own != "" && own != file:
		return SLAInfo{SLA: own, From: SLAFromChat, File: file}, nil
	case file != "":
		return SLAInfo{SLA: file, From: SLAFromFile, File: file}, nil
	}
	return SLAInfo{SLA: "1 business day", From: SLAFromDefault}, nil
}

// The sla command: managers only; the value reaches the app as typed, the app's refusal
// reaches the user with the usage line; the reply says what now applies, and when the
// configuration file will set it back; list shows it.
func TestSLACommand(t *testing.T) {
	ctx := context.Background()
	slas := &fakeSLAs{}
	svc := NewService(Deps{Watches: &memStore{}, Mutes: &memStore{}, SLAs: slas})
	say := func(channel, text string, manage bool) Reply {
		return svc.Handle(ctx, Request{Channel: channel, User: "u", CanManage: manage, Text: text})
	}
	if r := say("console:a", "sla 4h", false); !r.Failed || !strings.Contains(r.Text, "Only this channel's managers") || slas.own["console:a"] != "" {
		t.Errorf("a non-manager set the SLA: %+v, stored %q", r, slas.own["console:a"])
	}
	tests := []struct {
		name, channel, text string
		failed              bool
		want                []string
		stored              string
	}{
		{"duration", "console:a", "sla 4h", false, []string{"Alerts here are now due for a decision within 4h", "applies to the alerts already open too"}, "4h"},
		{"business days", "console:a", "sla 3 business days", false, []string{"within 3 business days"}, "3 business days"},
		{"not an SLA", "console:a", "sla 3 working days", true, []string{`"3 working days" is not an SLA.`, "\nUsage: sla N business days"}, "3 business days"},
		{"off", "console:a", "sla off", false, []string{"SLA reminders are off in this channel"}, "off"},
		{"default", "console:a", "sla default", false, []string{"This channel now has the configured SLA: 1 business day (triage.sla)."}, ""},
		{"over the file", "console:file", "sla 8h", false, []string{"within 8h", "The configuration file sets this channel's SLA to 2 business days, which applies again at the next restart."}, "8h"},
		{"back to the file", "console:file", "sla default", false, []string{"configured SLA: 2 business days (its sla in the configuration file)."}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := say(tt.channel, tt.text, true)
			if r.Failed != tt.failed {
				t.Errorf("%s: failed = %v, want %v: %q", tt.text, r.Failed, tt.failed, r.Text)
			}
			for _, want := range tt.want {
				if !strings.Contains(r.Text, want) {
					t.Errorf("%s:\n%s\nwant it to contain %q", tt.text, r.Text, want)
				}
			}
			if got := slas.own[tt.channel]; got != tt.stored {
				t.Errorf("%s: stored %q, want %q", tt.text, got, tt.stored)
			}
		})
	}
	if r := say("console:b", "sla", true); !r.Failed || !strings.Contains(r.Text, "What SLA?") {
		t.Errorf("sla without a value: %+v", r)
	}
	if r := say("console:b", "help", false); !strings.Contains(r.Text, "sla <SLA>|default") {
		t.Errorf("help does not show sla:\n%s", r.Text)
	}

	say("console:a", "add Dahua", true)
	say("console:file", "add Dahua", true)
	for _, tt := range []struct{ channel, set, want string }{
		{"console:a", "sla default", "Alerts here are due for a decision within 1 business day (the default)."},
		{"console:a", "sla 2h", "Alerts here are due for a decision within 2h (set by chat command)."},
		{"console:a", "sla off", "SLA reminders are off here (set by chat command)."},
		{"console:file", "sla default", "Alerts here are due for a decision within 2 business days (set in the configuration file)."},
	} {
		say(tt.channel, tt.set, true)
		if r := say(tt.channel, "list", false); r.Failed || !strings.Contains(r.Text, tt.want) {
			t.Errorf("list after %s in %s:\n%s\nwant it to contain %q", tt.set, tt.channel, r.Text, tt.want)
		}
	}
}

// The open list shows which alerts are past their SLA, first in their line, and when the
// others are due; owners are named as plain text.
func TestOpenShowsOverdue(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	tr := &fakeTriage{open: []watchers.AlertSummary{
		{ID: 7, Entities: []string{"Dahua"}, Item: watchers.Item{Title: "Old rule"}, Assignee: "@room",
			CreatedAt: now.Add(-72 * time.Hour), Due: now.Add(-time.Hour)},
		{ID: 9, Entities: []string{"ZTE"}, Item: watchers.Item{Title: "New story"}, CreatedAt: now.Add(-time.Hour), Due: now.Add(23 * time.Hour)},
		{ID: 11, Entities: []string{"Huawei"}, Item: watchers.Item{Title: "No SLA"}, CreatedAt: now},
	}}
	svc := NewService(Deps{Watches: &memStore{}, Mutes: &memStore{}, Triage: tr, Now: func() time.Time { return now }})
	got := svc.Handle(context.Background(), Request{Channel: "console:a", User: "u", Text: "open"}).Text
	for _, want := range []string{
		"Undecided alerts, oldest first (1 past the SLA):",
		"• OVERDUE #7 2026-03-07 — Dahua: Old rule (assigned to room) — decision was due 2026-03-10 11:00 UTC",
		"• #9 2026-03-10 — ZTE: New story — due 2026-03-11 11:00 UTC",
		"• #11 2026-03-10 — Huawei: No SLA\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("open:\n%s\nwant it to contain %q", got, want)
		}
	}
	if strings.Contains(got, "@room") {
		t.Errorf("open names the owner as a mention:\n%s", got)
	}
}

func TestPassingCommand(t *testing.T) {
	ctx := context.Background()
	dg := &fakeDigests{d: watchers.DigestSetting{Mode: watchers.DigestOff, TZ: "UTC", Passing: watchers.PassingAlert}}
	svc := NewService(Deps{Watches: &memStore{}, Mutes: &memStore{}, Digests: dg})
	say := func(text string, manage bool) Reply {
		return svc.Handle(ctx, Request{Channel: "console:a", User: "u", CanManage: manage, Text: text})
	}
	if r := say("passing digest", false); !r.Failed {
		t.Errorf("a non-manager set passing mentions: %+v", r)
	}
	if r := say("passing digest", true); r.Failed || !strings.Contains(r.Text, "a digest every day at 09:00 UTC") || dg.d.Passing != watchers.PassingDigest {
		t.Errorf("passing digest without a digest: %+v, setting %+v", r, dg.d)
	}
	if r := say("digest daily 08:30 Europe/Berlin", true); !strings.Contains(r.Text, "passing mentions come in a digest every day at 08:30 Europe/Berlin") {
		t.Errorf("digest daily with passing digest: %q", r.Text)
	}
	say("add Dahua", true)
	if r := say("list", true); !strings.Contains(r.Text, "Alerts that only mention an entity in passing come in a digest every day at 08:30 Europe/Berlin; the others are posted at once.") {
		t.Errorf("list: %q", r.Text)
	}
	if r := say("passing alert", true); !strings.Contains(r.Text, "all come in a digest every day at 08:30 Europe/Berlin") {
		t.Errorf("passing alert with a digest: %q", r.Text)
	}
	say("digest off", true)
	if r := say("passing alert", true); !strings.Contains(r.Text, "posted like any other alert again") {
		t.Errorf("passing alert without a digest: %q", r.Text)
	}
}

// Each line of evidence says whether the match names the item's subject or mentions it
// in passing; evidence recorded before the marking says neither.
func TestRenderMention(t *testing.T) {
	a := watchers.Alert{ID: 3, Kind: watchers.KindNew, Entities: []string{"Dahua"}, Item: watchers.Item{Source: "news", Title: "Camera makers"},
		Matches: []watchers.Match{
			{Entity: "Dahua", Alias: "Dahua", Field: watchers.FieldAbstract, Snippet: "Dahua leads.", MarkStart: 0, MarkEnd: 5, Mention: watchers.MentionSubject},
			{Entity: "Dahua", Alias: "Dahua", Field: watchers.FieldBody, Snippet: "Also Dahua.", MarkStart: 5, MarkEnd: 10, Mention: watchers.MentionPassing},
			{Entity: "ZTE", Alias: "ZTE", Field: watchers.FieldBody, Snippet: "ZTE too.", MarkStart: 0, MarkEnd: 3},
		}}
	text := Render(a).Text()
	for _, want := range []string{
		`Matched "Dahua" in abstract (subject): »Dahua« leads.`,
		`Matched "Dahua" in body (passing mention): Also »Dahua«.`,
		`Matched "ZTE" in body: »ZTE« too.`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered:\n%s\nwant it to contain %q", text, want)
		}
	}
}
