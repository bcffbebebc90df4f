package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

func openTest(t *testing.T, opts ...Option) *Store {
	t.Helper()
	url := testURL(t)
	s, err := Open(context.Background(), url, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	openedURLs.Store(s, url)
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	for _, u := range []string{"mysql://x", "sqlite:", "sqlite://host/path"} {
		t.Run(u, func(t *testing.T) {
			if _, err := Open(context.Background(), u); err == nil {
				t.Fatalf("Open(%q): got nil error, want one", u)
			}
		})
	}
}

func TestOpenTwiceKeepsData(t *testing.T) {
	ctx := context.Background()
	path := "sqlite://" + filepath.Join(t.TempDir(), "v.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddWatch(ctx, watchers.Watch{Channel: "console:main", Name: "ZTE", CreatedBy: "me"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	ws, err := s.Watches(ctx, "console:main")
	if err != nil || len(ws) != 1 || ws[0].Name != "ZTE" {
		t.Fatalf("Watches after reopen: got %v, %v; want [ZTE]", ws, err)
	}
}

func TestWatches(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	v0, _ := s.WatchVersion(ctx)
	w, err := s.AddWatch(ctx, watchers.Watch{Channel: "c:1", Name: "Hikvision", Aliases: []string{"海康威视"}, Exclude: []string{"Hikvision Road"}, CreatedBy: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if w.ID == 0 || w.CreatedAt.IsZero() {
		t.Errorf("AddWatch: got id %d created %v, want both set", w.ID, w.CreatedAt)
	}
	if _, err := s.AddWatch(ctx, watchers.Watch{Channel: "c:1", Name: "hikvision ", CreatedBy: "bob"}); !errors.Is(err, ErrExists) {
		t.Errorf("AddWatch duplicate: got %v, want ErrExists", err)
	}
	if _, err := s.AddWatch(ctx, watchers.Watch{Channel: "c:2", Name: "Hikvision", CreatedBy: "bob"}); err != nil {
		t.Errorf("AddWatch in another channel: %v", err)
	}
	ws, err := s.Watches(ctx, "c:1")
	if err != nil || len(ws) != 1 {
		t.Fatalf("Watches: got %v, %v", ws, err)
	}
	if got := ws[0]; got.Aliases[0] != "海康威视" || got.Exclude[0] != "Hikvision Road" || got.CreatedBy != "alice" {
		t.Errorf("Watches: got %+v", got)
	}
	v1, _ := s.WatchVersion(ctx)
	if v1 <= v0 {
		t.Errorf("watch version: got %d after add, want > %d", v1, v0)
	}
	if err := s.RemoveWatch(ctx, "c:1", "HIKVISION", "alice"); err != nil {
		t.Fatalf("RemoveWatch: %v", err)
	}
	if err := s.RemoveWatch(ctx, "c:1", "Hikvision", "alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RemoveWatch again: got %v, want ErrNotFound", err)
	}
	all, _, _ := s.AllWatches(ctx)
	if len(all) != 1 || all[0].Channel != "c:2" {
		t.Errorf("AllWatches: got %+v, want only c:2's", all)
	}
	var audit int
	if err := s.db.QueryRow(`SELECT count(*) FROM watch_audit`).Scan(&audit); err != nil || audit != 3 {
		t.Errorf("audit rows: got %d (%v), want 3", audit, err)
	}
}

func TestSeedWatchUpdatesTerms(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	w := watchers.Watch{Channel: "c:1", Name: "Dahua", CreatedBy: "config"}
	for _, want := range []string{Added, Unchanged} {
		if got, err := s.SeedWatch(ctx, w); err != nil || got != want {
			t.Fatalf("SeedWatch: got %q, %v; want %q", got, err, want)
		}
	}
	v1, _ := s.WatchVersion(ctx)
	w.Aliases = []string{"Zhejiang Dahua"}
	if got, err := s.SeedWatch(ctx, w); err != nil || got != Updated {
		t.Fatalf("SeedWatch with a new alias: got %q, %v; want updated", got, err)
	}
	v2, _ := s.WatchVersion(ctx)
	ws, _ := s.Watches(ctx, "c:1")
	if len(ws) != 1 || len(ws[0].Aliases) != 1 || v2 == v1 {
		t.Errorf("SeedWatch: got %+v version %d→%d, want one watch with the alias and a new version", ws, v1, v2)
	}
}

func TestSourcesAndHealth(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := openTest(t)
	src := watchers.Source{Name: "news", Type: watchers.SourceFeed, URL: "http://x/feed", Schedule: "@every 1m", Origin: "config"}
	if err := s.UpsertSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	due, err := s.DueSources(ctx, now)
	if err != nil || len(due) != 1 {
		t.Fatalf("DueSources on a new source: got %v, %v; want it due", due, err)
	}
	if err := s.SetNextPoll(ctx, "news", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueSources(ctx, now); len(due) != 0 {
		t.Errorf("DueSources before next poll: got %v, want none", due)
	}
	if err := s.MarkBaselined(ctx, "news"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordPollFailure(ctx, "news", now, "timeout", "boom"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordPollFailure(ctx, "news", now.Add(time.Minute), "dns", "boom again"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Source(ctx, "news")
	if got.Failures != 2 || got.LastError != "boom again" || got.LastErrorKind != "dns" || !got.LastErrorAt.Equal(now.Add(time.Minute)) ||
		!got.FailingSince.Equal(now) || !got.Baselined {
		t.Errorf("after failures: got %+v", got)
	}
	if err := s.SetOpsReported(ctx, "news", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveValidators(ctx, "news", `"e1"`, "Mon, 02 Jan 2006 15:04:05 GMT"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordPollSuccess(ctx, "news", now, 3); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Source(ctx, "news")
	if got.Failures != 0 || got.ItemsSeen != 3 || !got.LastSuccessAt.Equal(now) || !got.FailingSince.IsZero() ||
		!got.OpsReported || got.ETag != `"e1"` {
		t.Errorf("after success: got %+v", got)
	}
	// A changed URL starts from a new baseline.
	src.URL = "http://y/feed"
	if err := s.UpsertSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Source(ctx, "news")
	if got.Baselined || !got.NextPoll.IsZero() || got.ETag != "" || got.LastModified != "" {
		t.Errorf("after URL change: got %+v, want a fresh baseline due now, without validators", got)
	}
	if _, err := s.Source(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Source(nope): got %v, want ErrNotFound", err)
	}
}

func TestItemsAlertsDeliveriesAreUnique(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	it := watchers.Item{Source: "news", ID: "guid:1", Title: "ZTE fined", URL: "https://e.org/1"}
	err := s.InTx(ctx, func(tx *Tx) error {
		for i, want := range []bool{true, false} {
			got, err := tx.InsertItem(ctx, it)
			if err != nil {
				return err
			}
			if got != want {
				t.Errorf("InsertItem #%d: got %v, want %v", i, got, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := s.AlertState(ctx, "console:main", "url:https://e.org/1"); st != nil || err != nil {
		t.Fatalf("AlertState before: got %+v, %v; want nil, nil", st, err)
	}
	id, err := s.SaveAlert(ctx, "console:main", "url:https://e.org/1", it, []string{"ZTE"}, []string{"ZTE"}, false)
	if err != nil || id == 0 {
		t.Fatalf("SaveAlert: %d, %v", id, err)
	}
	st, err := s.AlertState(ctx, "console:main", "url:https://e.org/1")
	if err != nil || st.ID != id || st.Posted || st.Item.Title != "ZTE fined" || st.Entities[0] != "ZTE" {
		t.Fatalf("AlertState: got %+v, %v", st, err)
	}
	// The same event again is the same alert; posted, once set, stays set.
	for _, posted := range []bool{true, false} {
		again, err := s.SaveAlert(ctx, "console:main", "url:https://e.org/1", it, []string{"ZTE", "Huawei"}, nil, posted)
		if err != nil || again != id {
			t.Fatalf("SaveAlert again: got %d, %v; want id %d", again, err, id)
		}
	}
	if st, _ := s.AlertState(ctx, "console:main", "url:https://e.org/1"); !st.Posted || len(st.Entities) != 2 {
		t.Errorf("AlertState after: got %+v, want posted with two entities", st)
	}

	a := watchers.Alert{ID: id, Channel: "console:main", Kind: watchers.KindNew, Entities: []string{"ZTE"}, Item: it,
		Matches: []watchers.Match{{Entity: "ZTE", Alias: "ZTE", Field: watchers.FieldTitle, End: 3, Snippet: "ZTE fined", MarkEnd: 3}}}
	ok, err := s.InsertPost(ctx, &a, "")
	if err != nil || !ok || a.PostID == 0 {
		t.Fatalf("InsertPost: got %v, %v, id %d", ok, err, a.PostID)
	}
	b := a
	if ok, err := s.InsertPost(ctx, &b, ""); err != nil || ok {
		t.Errorf("InsertPost again: got %v, %v; want false, nil", ok, err)
	}
	f := a
	f.Kind, f.Note = watchers.KindFollowup, "Also reported by x"
	if ok, err := s.InsertPost(ctx, &f, "x|guid:2"); err != nil || !ok {
		t.Fatalf("InsertPost followup: %v, %v", ok, err)
	}
	got, err := s.Post(ctx, a.PostID)
	if err != nil || got.Item.Title != "ZTE fined" || got.Matches[0].Snippet != "ZTE fined" || got.Entities[0] != "ZTE" ||
		got.EventKey != "url:https://e.org/1" || got.Kind != watchers.KindNew || got.ID != id {
		t.Errorf("Post: got %+v, %v", got, err)
	}
	if got, _ := s.Post(ctx, f.PostID); got.Note != "Also reported by x" || got.Kind != watchers.KindFollowup {
		t.Errorf("Post followup: got %+v", got)
	}
	if _, err := s.RootRef(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("RootRef before delivery: got %v, want ErrNotFound", err)
	}
	if _, err := s.Delivery(ctx, a.PostID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delivery before: got %v, want ErrNotFound", err)
	}
	if err := s.RecordDelivery(ctx, a.PostID, a.Channel, "ref-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordDelivery(ctx, a.PostID, a.Channel, "ref-2"); err != nil {
		t.Fatal(err)
	}
	if ref, err := s.Delivery(ctx, a.PostID); err != nil || ref != "ref-1" {
		t.Errorf("Delivery: got %q, %v; want ref-1", ref, err)
	}
	if ref, err := s.RootRef(ctx, id); err != nil || ref != "ref-1" {
		t.Errorf("RootRef: got %q, %v; want ref-1", ref, err)
	}
	recent, err := s.RecentItems(ctx, 0, 10)
	if err != nil || len(recent) != 1 || recent[0].Title != "ZTE fined" {
		t.Errorf("RecentItems: got %+v, %v", recent, err)
	}
}

func TestMutes(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := openTest(t, WithClock(func() time.Time { return now }))
	if err := s.Mute(ctx, "c", "Hikvision", now.Add(time.Hour), "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.Mute(ctx, "c", AllEntities, now.Add(-time.Minute), "alice"); err != nil {
		t.Fatal(err)
	}
	m, err := s.Mutes(ctx, "c")
	if err != nil || len(m) != 1 || !watchers.Muted(m, "HIKVISION") || watchers.Muted(m, "Dahua") {
		t.Fatalf("Mutes: got %+v, %v; want only Hikvision (the channel mute expired)", m, err)
	}
	if other, _ := s.Mutes(ctx, "d"); len(other) != 0 {
		t.Errorf("Mutes of another channel: got %+v", other)
	}
	if err := s.Unmute(ctx, "c", "hikvision", "test"); err != nil {
		t.Fatal(err)
	}
	if err := s.Unmute(ctx, "c", "hikvision", "test"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Unmute again: got %v, want ErrNotFound", err)
	}
	if err := s.Unmute(ctx, "c", AllEntities, "test"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Unmute of an expired mute: got %v, want ErrNotFound", err)
	}
}

func TestInTxRollsBack(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.InsertItem(ctx, watchers.Item{Source: "a", ID: "x"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx: got %v, want boom", err)
	}
	ok, err := s.InsertItem(ctx, watchers.Item{Source: "a", ID: "x"})
	if err != nil || !ok {
		t.Errorf("InsertItem after rollback: got %v, %v; want true (the first was rolled back)", ok, err)
	}
}

func TestChatState(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if _, err := s.ChatState(ctx, "matrix.sync"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ChatState before: got %v, want ErrNotFound", err)
	}
	for _, v := range []string{"s1", "s2"} {
		if err := s.SetChatState(ctx, "matrix.sync", v); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := s.ChatState(ctx, "matrix.sync"); err != nil || v != "s2" {
		t.Errorf("ChatState: got %q, %v; want s2", v, err)
	}
}

func TestRecentAlerts(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	save := func(key string, posted bool, ents ...string) {
		if _, err := s.SaveAlert(ctx, "c", key, watchers.Item{Title: key}, ents, nil, posted); err != nil {
			t.Fatal(err)
		}
	}
	save("a", true, "Zhejiang Dahua", "Hikvision")
	save("b", true, "Hikvision")
	save("c", false, "Hikvision") // muted: never posted
	save("d", true, "Dahua_Road%")
	got, err := s.RecentAlerts(ctx, "c", "Hikvision", 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("RecentAlerts: got %d, %v; want the two posted ones", len(got), err)
	}
	if got, _ := s.RecentAlerts(ctx, "c", "Dahua", 10); len(got) != 0 {
		t.Errorf("RecentAlerts(Dahua): got %d, want 0 (names are matched whole)", len(got))
	}
	if got, _ := s.RecentAlerts(ctx, "c", "Dahua_Road%", 10); len(got) != 1 {
		t.Errorf("RecentAlerts with LIKE wildcards in the name: got %d, want 1", len(got))
	}
}

func TestClaim(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	for i, want := range []bool{true, false} {
		if got, err := s.Claim(ctx, "slack:event:Ev1"); err != nil || got != want {
			t.Errorf("Claim #%d: got %v, %v; want %v", i, got, err, want)
		}
	}
	if err := s.PurgeClaims(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Claim(ctx, "slack:event:Ev1"); !got {
		t.Error("Claim after purge: got false, want true")
	}
}

func TestFingerprints(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	big := uint64(0xfedcba9876543210) // above int64's range: stored as its bit pattern
	if err := s.AddFingerprint(ctx, big, "url:https://a/1"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddFingerprint(ctx, 42, "fr:2019-22210"); err != nil {
		t.Fatal(err)
	}
	got, err := s.FingerprintsSince(ctx, 0, time.Now().Add(-time.Hour))
	if err != nil || len(got) != 2 || got[0].FP != big || got[1].EventKey != "fr:2019-22210" {
		t.Fatalf("FingerprintsSince: got %+v, %v", got, err)
	}
	if more, _ := s.FingerprintsSince(ctx, got[1].ID, time.Time{}); len(more) != 0 {
		t.Errorf("FingerprintsSince the last id: got %+v, want none", more)
	}
	if err := s.PurgeFingerprints(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if left, _ := s.FingerprintsSince(ctx, 0, time.Time{}); len(left) != 0 {
		t.Errorf("after purge: got %+v", left)
	}
}

func TestTriage(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	id, err := s.SaveAlert(ctx, "c", "fr:1", watchers.Item{Title: "Rule"}, []string{"Dahua"}, []string{"Dahua"}, true)
	if err != nil {
		t.Fatal(err)
	}
	a := watchers.Alert{ID: id, Channel: "c", Kind: watchers.KindNew, Item: watchers.Item{Title: "Rule"}}
	if _, err := s.InsertPost(ctx, &a, ""); err != nil {
		t.Fatal(err)
	}
	if open, err := s.OpenAlerts(ctx, "c", 10); err != nil || len(open) != 1 || open[0].ID != id {
		t.Fatalf("OpenAlerts: got %+v, %v", open, err)
	}
	if err := s.Decide(ctx, "other", watchers.Decision{AlertID: id, State: watchers.DispTrueMatch, By: "u"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Decide in another channel: got %v, want ErrNotFound", err)
	}
	if err := s.Assign(ctx, "c", id, "@bob", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.Decide(ctx, "c", watchers.Decision{AlertID: id, State: watchers.DispNotOurEntity, Reason: "Dahua Road shop", By: "alice"}); err != nil {
		t.Fatal(err)
	}
	st, err := s.AlertState(ctx, "c", "fr:1")
	if err != nil || st.State != watchers.DispNotOurEntity || st.Decision.Reason != "Dahua Road shop" || st.Decision.By != "alice" || st.Aliases[0] != "Dahua" {
		t.Errorf("AlertState after the decision: got %+v, %v", st, err)
	}
	trail, _ := s.Decisions(ctx, id)
	if len(trail) != 2 || trail[0].State != "assigned" || trail[0].Reason != "@bob" {
		t.Errorf("Decisions: got %+v", trail)
	}
	if open, _ := s.OpenAlerts(ctx, "c", 10); len(open) != 0 {
		t.Errorf("OpenAlerts after clearing: got %+v", open)
	}
	if p, err := s.LatestPost(ctx, id); err != nil || p.PostID != a.PostID {
		t.Errorf("LatestPost: got %+v, %v", p, err)
	}
	if d, err := s.Disposition(ctx, id); err != nil || d != watchers.DispNotOurEntity {
		t.Errorf("Disposition: got %q, %v", d, err)
	}
	if _, err := s.Disposition(ctx, id+100); !errors.Is(err, ErrNotFound) {
		t.Errorf("Disposition of no alert: got %v, want ErrNotFound", err)
	}

	// A reaction names a message by its platform reference: the alert's own message counts,
	// a reply in its thread does not.
	reply := watchers.Alert{ID: id, Channel: "c", Kind: watchers.KindFollowup, Item: watchers.Item{Title: "Rule"}}
	if _, err := s.InsertPost(ctx, &reply, "news|1"); err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		post int64
		ref  string
	}{{a.PostID, "$root"}, {reply.PostID, "$reply"}} {
		if err := s.RecordDelivery(ctx, d.post, "c", d.ref); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.AlertByRef(ctx, "c", "$root"); err != nil || got != id {
		t.Errorf("AlertByRef of the alert's message: got %d, %v; want %d", got, err, id)
	}
	for _, tc := range []struct{ name, channel, ref string }{
		{"a thread reply", "c", "$reply"},
		{"another channel", "other", "$root"},
		{"an unknown message", "c", "$nope"},
	} {
		if _, err := s.AlertByRef(ctx, tc.channel, tc.ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("AlertByRef of %s: got %v, want ErrNotFound", tc.name, err)
		}
	}
}

func TestAudit(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	id, err := s.SaveAlert(ctx, "c", "fr:1", watchers.Item{Title: "Rule"}, []string{"Dahua"}, []string{"Dahua"}, true)
	if err != nil {
		t.Fatal(err)
	}
	a := watchers.Alert{ID: id, Channel: "c", Kind: watchers.KindNew, Matches: []watchers.Match{{Entity: "Dahua", Alias: "Dahua", Field: watchers.FieldBody}}}
	if _, err := s.InsertPost(ctx, &a, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordDelivery(ctx, a.PostID, "c", "ts-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Decide(ctx, "c", watchers.Decision{AlertID: id, State: watchers.DispTrueMatch, By: "u"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveAlert(ctx, "d", "fr:1", watchers.Item{}, []string{"Dahua"}, nil, false); err != nil {
		t.Fatal(err)
	}
	got, err := s.Audit(ctx, "c", time.Time{})
	if err != nil || len(got) != 1 || got[0].State != watchers.DispTrueMatch || len(got[0].Decisions) != 1 ||
		len(got[0].Messages) != 1 || got[0].Messages[0].Ref != "ts-1" || got[0].Messages[0].Matches[0].Alias != "Dahua" {
		t.Fatalf("Audit(c): got %+v, %v", got, err)
	}
	all, err := s.Audit(ctx, "", time.Time{})
	if err != nil || len(all) != 2 || all[1].Posted {
		t.Errorf("Audit(all): got %d records (%v), want 2 with the muted one not posted", len(all), err)
	}
}

func TestMoveChannel(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	for _, w := range []watchers.Watch{{Channel: "matrix:!old:x", Name: "Dahua"}, {Channel: "matrix:!old:x", Name: "ZTE"}, {Channel: "matrix:!new:x", Name: "zte"}} {
		w.CreatedBy = "u"
		if _, err := s.AddWatch(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Mute(ctx, "matrix:!old:x", "Dahua", time.Now().Add(time.Hour), "u"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDigest(ctx, "matrix:!old:x", watchers.DigestHourly, "", "UTC", "test"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.MoveChannel(ctx, "matrix:!old:x", "matrix:!new:x"); err != nil {
			t.Fatal(err)
		}
	}
	ws, _ := s.Watches(ctx, "matrix:!new:x")
	old, _ := s.Watches(ctx, "matrix:!old:x")
	if len(ws) != 2 || len(old) != 0 {
		t.Errorf("watches after the move: new %v, old %v", ws, old)
	}
	if m, _ := s.Mutes(ctx, "matrix:!new:x"); !watchers.Muted(m, "Dahua") {
		t.Errorf("mutes after the move: %v", m)
	}
	if d, _ := s.Digest(ctx, "matrix:!new:x"); d.Mode != watchers.DigestHourly {
		t.Errorf("digest after the move: %+v", d)
	}
}

func TestLease(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	release, err := s.AcquireLease(ctx, "matrix")
	if err != nil {
		t.Fatal(err)
	}
	if s.Dialect() == Postgres {
		other, err := Open(ctx, testURLOf(t, s))
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if _, err := other.AcquireLease(short, "matrix"); err == nil {
			t.Fatal("a second holder got the lease")
		}
		release()
		got, err := other.AcquireLease(ctx, "matrix")
		if err != nil {
			t.Fatalf("after release: %v", err)
		}
		got()
		return
	}
	release()
}

// TryLease: one holder at a time, in this process (both dialects) and across processes
// (PostgreSQL, where a second store stands for another replica).
func TestTryLease(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	release, ok, err := s.TryLease(ctx, "poll.news")
	if err != nil || !ok {
		t.Fatalf("first TryLease: %v, %v; want it held", ok, err)
	}
	if _, ok, err := s.TryLease(ctx, "poll.news"); err != nil || ok {
		t.Fatalf("second TryLease while held: %v, %v; want refused", ok, err)
	}
	other, ok, err := s.TryLease(ctx, "poll.other")
	if err != nil || !ok {
		t.Fatalf("another name: %v, %v; want it held", ok, err)
	}
	other()
	if s.Dialect() == Postgres {
		s2, err := Open(ctx, testURLOf(t, s))
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		if _, ok, err := s2.TryLease(ctx, "poll.news"); err != nil || ok {
			t.Fatalf("TryLease from another replica while held: %v, %v; want refused", ok, err)
		}
		release()
		again, ok, err := s2.TryLease(ctx, "poll.news")
		if err != nil || !ok {
			t.Fatalf("other replica after release: %v, %v; want it held", ok, err)
		}
		again()
		return
	}
	release()
	again, ok, err := s.TryLease(ctx, "poll.news")
	if err != nil || !ok {
		t.Fatalf("after release: %v, %v; want it held", ok, err)
	}
	again()
}
