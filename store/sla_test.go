package store

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

// An undecided alert is remindable once its first message is delivered, once per open
// period: marking it reminded takes it off the list, a decision keeps it off, and
// reopening it for review starts its clock and its reminder again.
func TestRemindable(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC) // a Friday
	clock := func() time.Time { return now }
	s := openTest(t, WithClock(clock))
	newAlert := func(key string, deliver bool) int64 {
		t.Helper()
		id, err := s.SaveAlert(ctx, "c", key, watchers.Item{Title: key}, []string{"Dahua"}, []string{"Dahua"}, true)
		if err != nil {
			t.Fatal(err)
		}
		a := watchers.Alert{ID: id, Channel: "c", Kind: watchers.KindNew, Item: watchers.Item{Title: key}}
		if _, err := s.InsertPost(ctx, &a, ""); err != nil {
			t.Fatal(err)
		}
		if deliver {
			if err := s.RecordDelivery(ctx, a.PostID, "c", "ts-"+key); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	delivered := newAlert("news:1", true)
	newAlert("news:2", false) // its message is still held or pending: nobody saw it yet
	decided := newAlert("news:3", true)
	if err := s.Decide(ctx, "c", watchers.Decision{AlertID: decided, State: watchers.DispTrueMatch, By: "alice"}); err != nil {
		t.Fatal(err)
	}
	ids := func(startedBy time.Time) []int64 {
		t.Helper()
		got, err := s.Remindable(ctx, startedBy, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, a := range got {
			out = append(out, a.ID)
			if a.Channel != "c" || !a.OpenSince.Equal(now) {
				t.Errorf("alert %d: channel %q, open since %v; want c, %v", a.ID, a.Channel, a.OpenSince, now)
			}
		}
		return out
	}
	if got := ids(now.Add(-time.Minute)); len(got) != 0 {
		t.Errorf("started before its creation: got %v, want none", got)
	}
	if got := ids(now); len(got) != 1 || got[0] != delivered {
		t.Fatalf("remindable: got %v, want [%d]", got, delivered)
	}
	if page, err := s.Remindable(ctx, now, delivered, 10); err != nil || len(page) != 0 {
		t.Errorf("the page after it: got %+v, %v; want none", page, err)
	}
	later := now.Add(24 * time.Hour)
	if ok, err := s.MarkReminded(ctx, delivered, later); err != nil || !ok {
		t.Fatalf("MarkReminded: %v, %v", ok, err)
	}
	if ok, _ := s.MarkReminded(ctx, delivered, later); ok {
		t.Error("MarkReminded twice: reported true again")
	}
	if got := ids(later); len(got) != 0 {
		t.Errorf("after the reminder: got %v, want none", got)
	}

	// Reopened for review: a new clock, and one more reminder.
	now = now.Add(72 * time.Hour)
	if err := s.Decide(ctx, "c", watchers.Decision{AlertID: delivered, State: watchers.DispNotOurEntity, Reason: "shop", By: "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Decide(ctx, "c", watchers.Decision{AlertID: delivered, State: watchers.DispOpen, Reason: "review again", By: "vigil"}); err != nil {
		t.Fatal(err)
	}
	if got := ids(now); len(got) != 1 || got[0] != delivered {
		t.Fatalf("after reopening: got %v, want [%d]", got, delivered)
	}
	open, err := s.OpenAlerts(ctx, "c", 10)
	if err != nil || len(open) != 2 || !open[0].OpenSince.Equal(now) || open[1].OpenSince.Equal(now) {
		t.Errorf("OpenAlerts: got %+v, %v; want the reopened one open since %v", open, err, now)
	}
}

// A channel's passing-mention setting is kept beside its digest, and a channel that sends
// passing mentions to the digest has a digest due even with digests off.
func TestPassingSetting(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if d, err := s.Digest(ctx, "c"); err != nil || d.Passing != watchers.PassingAlert {
		t.Fatalf("default: got %+v, %v", d, err)
	}
	if err := s.SetPassing(ctx, "c", watchers.PassingDigest, "test"); err != nil {
		t.Fatal(err)
	}
	d, err := s.Digest(ctx, "c")
	if err != nil || d.Passing != watchers.PassingDigest || d.Mode != watchers.DigestOff {
		t.Fatalf("after SetPassing: got %+v, %v", d, err)
	}
	due, err := s.DueDigests(ctx, time.Now())
	if err != nil || len(due) != 1 || due[0].Channel != "c" {
		t.Fatalf("DueDigests: got %+v, %v; want c, whose next digest is to be computed", due, err)
	}
	if err := s.SetNextDigest(ctx, "c", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueDigests(ctx, time.Now()); len(due) != 0 {
		t.Errorf("DueDigests before the time: got %+v", due)
	}
	// Setting the digest keeps the passing setting.
	if err := s.SetDigest(ctx, "c", watchers.DigestHourly, "", "UTC", "test"); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Digest(ctx, "c"); d.Passing != watchers.PassingDigest || d.Mode != watchers.DigestHourly {
		t.Errorf("after SetDigest: got %+v", d)
	}
}

// A channel's own SLA is kept beside its digest settings without disturbing them (nor
// making a digest due), "" removes it, and a channel move carries it.
func TestChannelSLA(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if got, err := s.SLA(ctx, "c"); err != nil || got != "" {
		t.Fatalf("SLA of a channel without settings: got %q, %v; want none", got, err)
	}
	if err := s.SetSLA(ctx, "c", "4h", "test"); err != nil {
		t.Fatal(err)
	}
	if due, err := s.DueDigests(ctx, time.Now()); err != nil || len(due) != 0 {
		t.Errorf("DueDigests after setting only the SLA: got %+v, %v; want none", due, err)
	}
	// The digest and passing settings leave the SLA alone, and the SLA them.
	if err := s.SetDigest(ctx, "c", watchers.DigestDaily, "08:30", "Europe/Berlin", "test"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassing(ctx, "c", watchers.PassingDigest, "test"); err != nil {
		t.Fatal(err)
	}
	next := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	if err := s.SetNextDigest(ctx, "c", next); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSLA(ctx, "c", "2 business days", "test"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SLA(ctx, "c"); got != "2 business days" {
		t.Errorf("SLA after setting the digest: got %q, want 2 business days", got)
	}
	d, err := s.Digest(ctx, "c")
	if err != nil || d.Mode != watchers.DigestDaily || d.At != "08:30" || d.TZ != "Europe/Berlin" || d.Passing != watchers.PassingDigest || !d.Next.Equal(next) {
		t.Errorf("digest after SetSLA: got %+v, %v; want daily 08:30 Europe/Berlin, passing digest, next %v", d, err, next)
	}
	if err := s.SetSLA(ctx, "d", "off", "test"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSLA(ctx, "e", "", "test"); err != nil {
		t.Fatal(err)
	}
	own, err := s.OwnSLAs(ctx)
	if want := map[string]string{"c": "2 business days", "d": "off"}; err != nil || !maps.Equal(own, want) {
		t.Errorf("OwnSLAs: got %v, %v; want %v", own, err, want)
	}

	// A move carries the SLA; what the new channel already has is kept.
	if err := s.MoveChannel(ctx, "c", "c2"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SLA(ctx, "c2"); got != "2 business days" {
		t.Errorf("SLA after the move: got %q, want 2 business days", got)
	}
	if err := s.MoveChannel(ctx, "d", "c2"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SLA(ctx, "c2"); got != "2 business days" {
		t.Errorf("SLA after a move onto a channel with settings: got %q, want its own kept", got)
	}
	if err := s.SetSLA(ctx, "c2", "", "test"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SLA(ctx, "c2"); got != "" {
		t.Errorf("SLA after removing it: got %q, want none", got)
	}
}
