package store

import (
	"context"
	"errors"
	"strings"
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

// WatchChanges lists a channel's watch changes, and only those, in SettingChange's shape.
func TestWatchChanges(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	now := t0
	s := openTest(t, WithClock(func() time.Time { return now }))
	if _, err := s.AddWatch(ctx, watchers.Watch{Channel: "c", Name: "Dahua", Aliases: []string{"Zhejiang Dahua"}, CreatedBy: "alice"}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	if err := s.SetSLA(ctx, "c", "4h", "bob"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	if err := s.RemoveWatch(ctx, "c", "dahua", "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddWatch(ctx, watchers.Watch{Channel: "other", Name: "ZTE", CreatedBy: "dave"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.WatchChanges(ctx, "c", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Setting != "watch:Dahua" || got[0].Action != "add" || got[0].By != "alice" || !got[0].At.Equal(t0) ||
		!strings.Contains(got[0].New, "Zhejiang Dahua") || got[1].Action != "remove" || got[1].By != "carol" {
		t.Fatalf("WatchChanges(c) = %+v", got)
	}
	if all, err := s.WatchChanges(ctx, "", t0.Add(time.Minute)); err != nil || len(all) != 2 {
		t.Fatalf("WatchChanges(all, since) = %+v, %v; want the remove and ZTE's add", all, err)
	}
}
