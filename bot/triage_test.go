package bot

import (
	"context"
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

func (f *fakeDigests) SetDigest(_ context.Context, ch, mode, at, tz string) error {
	f.d.Channel, f.d.Mode, f.d.At, f.d.TZ = ch, mode, at, tz
	return nil
}

func (f *fakeDigests) SetPassing(_ context.Context, ch, passing string) error {
	f.d.Channel, f.d.Passing = ch, passing
	return nil
}

func (f *fakeDigests) Digest(context.Context, string) (watchers.DigestSetting, error) {
	return f.d, nil
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
