package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

// memStore is an in-memory WatchStore, MuteStore, SourceLister and Previewer.
type memStore struct {
	watches []watchers.Watch
	mutes   map[string]watchers.Mute
	sources []watchers.Source
	recent  []watchers.Item
	fail    bool
}

func (m *memStore) Mute(_ context.Context, channel, name string, until time.Time, by string) error {
	if m.mutes == nil {
		m.mutes = map[string]watchers.Mute{}
	}
	m.mutes[strings.ToLower(name)] = watchers.Mute{Channel: channel, Name: name, Until: until, CreatedBy: by}
	return nil
}

func (m *memStore) Unmute(_ context.Context, _, name, _ string) error {
	if _, ok := m.mutes[strings.ToLower(name)]; !ok {
		return watchers.ErrNotFound
	}
	delete(m.mutes, strings.ToLower(name))
	return nil
}

func (m *memStore) Mutes(context.Context, string) (map[string]watchers.Mute, error) {
	return m.mutes, nil
}

func (m *memStore) Sources(context.Context) ([]watchers.Source, error) { return m.sources, nil }

func (m *memStore) Preview(_ context.Context, w watchers.Watch, n int) ([]watchers.Item, error) {
	var out []watchers.Item
	for _, it := range m.recent {
		if strings.Contains(it.Title, w.Name) && len(out) < n {
			out = append(out, it)
		}
	}
	return out, nil
}

func (m *memStore) AddWatch(_ context.Context, w watchers.Watch) (watchers.Watch, error) {
	if m.fail {
		return w, errors.New("disk on fire: secret-detail")
	}
	for _, x := range m.watches {
		if x.Channel == w.Channel && strings.EqualFold(x.Name, w.Name) {
			return w, watchers.ErrExists
		}
	}
	w.ID, w.CreatedAt = int64(len(m.watches)+1), time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	m.watches = append(m.watches, w)
	return w, nil
}

func (m *memStore) RemoveWatch(_ context.Context, channel, name, _ string) error {
	for i, x := range m.watches {
		if x.Channel == channel && strings.EqualFold(x.Name, name) {
			m.watches = append(m.watches[:i], m.watches[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("watch: %w", watchers.ErrNotFound)
}

func (m *memStore) Watches(_ context.Context, channel string) ([]watchers.Watch, error) {
	var out []watchers.Watch
	for _, x := range m.watches {
		if x.Channel == channel {
			out = append(out, x)
		}
	}
	return out, nil
}

func TestServiceConversation(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	st := &memStore{
		sources: []watchers.Source{
			{Name: "fedreg", Type: "federalregister", LastPollAt: now, LastSuccessAt: now},
			{Name: "news", Type: "feed", LastPollAt: now, Failures: 3, LastErrorAt: now, LastError: "fetch: HTTP 503\u202e"},
		},
		recent: []watchers.Item{
			{Source: "news", Title: "Hangzhou Hikvision wins a contract", URL: "https://e.org/1"},
			{Source: "news", Title: "Hangzhou Hikvision again", Published: now},
			{Source: "news", Title: "Other"},
		},
	}
	svc := NewService(Deps{Watches: st, Mutes: st, Sources: st, Preview: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }})
	ctx := context.Background()
	say := func(text string, manage bool) string {
		return svc.Handle(ctx, Request{Channel: "console:main", User: "alice", CanManage: manage, Text: text}).Text
	}
	steps := []struct {
		name, in string
		manage   bool
		want     []string
	}{
		{"empty list", "list", false, []string{"watches nothing"}},
		{"add", `add "Hangzhou Hikvision" aka Hikvision not "Hikvision Road"`, true, []string{`Now watching "Hangzhou Hikvision"`, `"Hikvision"`, `Not inside: "Hikvision Road"`,
			"Recent items it would have matched (not alerted):\n• Hangzhou Hikvision wins a contract (news) https://e.org/1\n• Hangzhou Hikvision again (news, 2026-11-27)"}},
		{"add again", "add hangzhou hikvision", true, []string{"already watches"}},
		{"not allowed", "add Dahua", false, []string{"Only this channel's managers"}},
		{"list", "list", false, []string{"1 entity", "• Hangzhou Hikvision", `aka "Hikvision"`, "added by alice on 2026-11-27"}},
		{"mute unknown", "mute Dahua 1d", true, []string{`does not watch "Dahua"`}},
		{"mute not allowed", "mute all 1d", false, []string{"Only this channel's managers"}},
		{"mute bad duration", "mute all soon", true, []string{`"soon" is not a duration`, "Usage: mute"}},
		{"mute", "mute hangzhou hikvision 1d12h", true, []string{`Muted "hangzhou hikvision" until 2026-11-28 21:00 UTC`}},
		{"list shows mute", "list", false, []string{"— muted until 2026-11-28 21:00 UTC"}},
		{"mute all", "mute all 2h", true, []string{"Muted every alert in this channel until 2026-11-27 11:00 UTC"}},
		{"list shows mute all", "list", false, []string{"Every alert here is muted until 2026-11-27 11:00 UTC"}},
		{"unmute all", "unmute all", true, []string{`Unmuted "all"`}},
		{"unmute", "unmute Hangzhou Hikvision", true, []string{`Unmuted "Hangzhou Hikvision"`}},
		{"unmute again", "unmute Hangzhou Hikvision", true, []string{"is not muted here"}},
		{"sources", "sources", false, []string{"2 sources:", "• fedreg (federalregister): ok, last success 2026-11-27 09:00 UTC", "• news (feed): FAILING for 3 polls, last error 2026-11-27 09:00 UTC: fetch: HTTP 503"}},
		{"remove unknown", "remove Dahua", true, []string{`does not watch "Dahua"`}},
		{"remove", "remove Hangzhou Hikvision", true, []string{"Stopped watching"}},
		{"bad input", "watch it", true, []string{`Unknown command "watch"`, "Commands:"}},
		{"help", "help", false, []string{"add <name>"}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			got := say(s.in, s.manage)
			for _, w := range s.want {
				if !strings.Contains(got, w) {
					t.Errorf("reply to %q:\n%s\nwant it to contain %q", s.in, got, w)
				}
			}
		})
	}
	if got := say("sources", false); strings.Contains(got, "\u202e") {
		t.Errorf("sources reply keeps a bidi override: %q", got)
	}
	if len(st.watches) != 0 {
		t.Errorf("store after the conversation: got %v, want empty", st.watches)
	}
	st.fail = true
	if got := say("add X", true); strings.Contains(got, "secret-detail") || !strings.Contains(got, "Sorry") {
		t.Errorf("store failure reply: got %q, want an apology without the detail", got)
	}
}

func TestRender(t *testing.T) {
	a := watchers.Alert{
		ID: 7, Channel: "console:main", Kind: watchers.KindNew, Entities: []string{"Hikvision", "Dahua"},
		Item:    watchers.Item{Source: "news", Title: "US adds firms to list", URL: "https://e.org/a", Published: time.Date(2019, 10, 8, 0, 0, 0, 0, time.UTC)},
		Summary: "The US added 28 firms.",
		Matches: []watchers.Match{
			{Entity: "Hikvision", Alias: "Hikvision", Field: watchers.FieldBody, Snippet: "It names Hikvision today.", MarkStart: 9, MarkEnd: 18},
			{Entity: "Hikvision", Alias: "Hikvision", Field: watchers.FieldBody, Snippet: "Hikvision again.", MarkStart: 0, MarkEnd: 9},
			{Entity: "Dahua", Alias: "Dahua", Field: watchers.FieldTableRow, Snippet: "Dahua", MarkStart: 0, MarkEnd: 5},
		},
	}
	m := Render(a)
	if want := "Hikvision and Dahua named in “US adds firms to list” (news)"; m.Headline != want {
		t.Errorf("Headline: got %q, want %q", m.Headline, want)
	}
	if len(m.Evidence) != 2 {
		t.Errorf("Evidence: got %d lines, want one per entity and place (2)", len(m.Evidence))
	}
	text := m.Text()
	for _, want := range []string{"The US added 28 firms.", "Published: 2019-10-08", `Matched "Hikvision" in body: It names »Hikvision« today.`, `in table row: »Dahua«`, "https://e.org/a"} {
		if !strings.Contains(text, want) {
			t.Errorf("Text():\n%s\nwant it to contain %q", text, want)
		}
	}
	bad := Evidence{Snippet: "abc", MarkStart: 2, MarkEnd: 9}
	if got := bad.Marked("[", "]"); got != "abc" {
		t.Errorf("Marked with bad offsets: got %q, want the snippet unmarked", got)
	}
}

func TestWatchLimit(t *testing.T) {
	st := &memStore{}
	for i := range MaxWatches {
		st.watches = append(st.watches, watchers.Watch{Channel: "c:1", Name: fmt.Sprintf("E%d", i)})
	}
	svc := NewService(Deps{Watches: st, Mutes: st, Sources: st})
	r := svc.Handle(context.Background(), Request{Channel: "c:1", User: "u", CanManage: true, Text: "add One More"})
	if !r.Failed || !strings.Contains(r.Text, "vigil watch import") {
		t.Errorf("add past the limit: got %+v", r)
	}
	if r := svc.Handle(context.Background(), Request{Channel: "c:2", User: "u", CanManage: true, Text: "add One More"}); r.Failed {
		t.Errorf("add in another channel: got %+v", r)
	}
}

// memTriage records decisions; alert 404 does not exist.
type memTriage struct{ decided []watchers.Decision }

func (m *memTriage) Decide(_ context.Context, _ string, d watchers.Decision) error {
	if d.AlertID == 404 {
		return fmt.Errorf("alert 404: %w", watchers.ErrNotFound)
	}
	m.decided = append(m.decided, d)
	return nil
}

func (m *memTriage) Assign(context.Context, string, int64, string, string) error { return nil }

func (m *memTriage) OpenAlerts(context.Context, string, int) ([]watchers.AlertSummary, error) {
	return nil, nil
}

// Decide, for buttons, forms and reactions, keeps the rules of the resolve command.
func TestServiceDecide(t *testing.T) {
	tests := []struct {
		name    string
		manage  bool
		alert   int64
		state   watchers.Disposition
		reason  string
		want    string
		decided *watchers.Decision
	}{
		{"true match, no reason needed", true, 7, watchers.DispTrueMatch, "", "Alert #7 is marked true match.",
			&watchers.Decision{AlertID: 7, State: watchers.DispTrueMatch, By: "alice"}},
		{"escalated", true, 7, watchers.DispEscalated, "", "Alert #7 is marked escalated.",
			&watchers.Decision{AlertID: 7, State: watchers.DispEscalated, By: "alice"}},
		{"cleared with a reason, cleaned to one line", true, 8, watchers.DispNotOurEntity, "  Dahua Road Trading,\n a Lagos\u202e shop ",
			"Alert #8 is marked not our entity. It stays quiet",
			&watchers.Decision{AlertID: 8, State: watchers.DispNotOurEntity, Reason: "Dahua Road Trading, a Lagos shop", By: "alice"}},
		{"clearing needs a reason", true, 8, watchers.DispNotRelevant, " \n ", "a reason is required", nil},
		{"a reason too long", true, 8, watchers.DispNotRelevant, strings.Repeat("x", MaxReason+1), "too long", nil},
		{"not a manager", false, 7, watchers.DispTrueMatch, "", TriageRefusal, nil},
		{"not a decision", true, 7, "maybe", "", "Usage: resolve", nil},
		{"no such alert", true, 404, watchers.DispTrueMatch, "", "no alert #404", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &memTriage{}
			svc := NewService(Deps{Triage: tr})
			r := svc.Decide(context.Background(), Request{Channel: "slack:C1", User: "alice", CanManage: tt.manage}, tt.alert, tt.state, tt.reason)
			if !strings.Contains(r.Text, tt.want) || r.Failed != (tt.decided == nil) {
				t.Errorf("reply = %+v, want %q (failed: %v)", r, tt.want, tt.decided == nil)
			}
			switch {
			case tt.decided == nil && len(tr.decided) != 0:
				t.Errorf("recorded %+v, want nothing", tr.decided)
			case tt.decided != nil && (len(tr.decided) != 1 || tr.decided[0] != *tt.decided):
				t.Errorf("recorded %+v, want %+v", tr.decided, *tt.decided)
			}
		})
	}
}

func TestPlainName(t *testing.T) {
	tests := map[string]string{
		"@bob":                "bob",
		"bob":                 "bob",
		"<@U0123ABC>":         "U0123ABC",
		"<@U0123ABC|bob>":     "bob",
		"@room":               "room",
		"<!channel>":          "channel",
		"@here and @everyone": "here and everyone",
		"@alice:example.org":  "alice:example.org",
		" Jane\u202e Doe ":    "Jane Doe",
		"<a href=x>@all</a>":  "a href=xall/a",
		"":                    "",
	}
	for in, want := range tests {
		if got := PlainName(in); got != want {
			t.Errorf("PlainName(%q) = %q, want %q", in, got, want)
		}
	}
}
