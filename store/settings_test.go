package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

// Every change of a channel's settings and mutes is recorded with who made it and the
// old and new values; setting the value a channel already has records nothing, and a
// failed change records nothing either.
func TestSettingChangesAudited(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	now := t0
	s := openTest(t, WithClock(func() time.Time { return now }))
	step := func(f func() error) {
		t.Helper()
		now = now.Add(time.Minute)
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	v0, err := s.WatchVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	until := t0.Add(24 * time.Hour)
	step(func() error { return s.SetDigest(ctx, "c", watchers.DigestDaily, "09:00", "Europe/Berlin", "alice") })
	step(func() error { return s.SetDigest(ctx, "c", watchers.DigestDaily, "09:00", "Europe/Berlin", "alice") }) // no change
	step(func() error { return s.SetPassing(ctx, "c", watchers.PassingDigest, "bob") })
	step(func() error { return s.SetSLA(ctx, "c", "4h", "bob") })
	step(func() error { return s.SetSLA(ctx, "c", "", "carol") })
	step(func() error { return s.SetSLA(ctx, "other", "off", "config") })
	step(func() error { return s.Mute(ctx, "c", "Dahua", until, "dave") })
	step(func() error { return s.Unmute(ctx, "c", "dahua", "erin") })
	if err := s.Unmute(ctx, "c", "dahua", "erin"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unmute again: got %v, want ErrNotFound", err)
	}
	step(func() error { return s.Mute(ctx, "c", AllEntities, until, "dave") })

	got, err := s.SettingChanges(ctx, "c", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	at := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	want := []SettingChange{
		{Channel: "c", Setting: SettingDigest, Action: ActionSet, By: "alice", Old: "off", New: "daily 09:00 Europe/Berlin", At: at(1)},
		{Channel: "c", Setting: SettingPassing, Action: ActionSet, By: "bob", Old: "alert", New: "digest", At: at(3)},
		{Channel: "c", Setting: SettingSLA, Action: ActionSet, By: "bob", Old: "default", New: "4h", At: at(4)},
		{Channel: "c", Setting: SettingSLA, Action: ActionSet, By: "carol", Old: "4h", New: "default", At: at(5)},
		{Channel: "c", Setting: "mute:Dahua", Action: ActionMute, By: "dave", Old: "", New: "until 2026-03-03T10:00:00Z", At: at(7)},
		{Channel: "c", Setting: "mute:dahua", Action: ActionUnmute, By: "erin", Old: "until 2026-03-03T10:00:00Z", New: "", At: at(8)},
		{Channel: "c", Setting: "mute:all", Action: ActionMute, By: "dave", Old: "", New: "until 2026-03-03T10:00:00Z", At: at(9)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d changes, want %d:\n%+v", len(got), len(want), got)
	}
	for i := range want {
		g := got[i]
		g.ID = 0
		if g != want[i] {
			t.Errorf("change %d: got %+v, want %+v", i, g, want[i])
		}
	}
	all, err := s.SettingChanges(ctx, "", at(6))
	if err != nil || len(all) != 4 || all[0].Channel != "other" || all[0].Old != "default" || all[0].New != "off" {
		t.Errorf("every channel since the sixth minute: got %+v, %v; want other's sla first, then c's mutes", all, err)
	}
	// Setting changes are not watch changes: the matchers have nothing to reload.
	if v, err := s.WatchVersion(ctx); err != nil || v != v0 {
		t.Errorf("watch version: got %d, %v; want %d, as before", v, err, v0)
	}
}
