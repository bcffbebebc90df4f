package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/vigilbot/vigil/internal/dendrite"
)

// TestMatrixWholeProgram runs the daemon in-process against a real Dendrite homeserver: a
// person invites the bot into a room, adds a watch with !watch, and a new item in a local
// feed arrives in the room as a formatted notice that pings nobody; a ✅ reaction on it
// marks it a true match, and the alert is edited to say so.
func TestMatrixWholeProgram(t *testing.T) {
	hs := dendrite.Start(t)
	botUser := hs.CreateUser(t, "vigil")
	alice := hs.CreateUser(t, "alice")
	feed := newFeedServer(t, "feeds/rss-parser/guardian.rss")
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - {name: guardian, type: feed, url: "%s/feed", schedule: "@every 1s"}
matrix:
  homeserver: %s
  user_id: "%s"
  password: "%s"
  pickle_key: test-pickle-key
  recovery_key_file: %s
  allowed_inviters: ["%s"]
`, filepath.Join(t.TempDir(), "vigil.db"), feed.URL, hs.URL, botUser.ID, botUser.Password,
		filepath.Join(t.TempDir(), "recovery-key"), hs.ServerName))

	ctx := context.Background()
	cli, err := mautrix.NewClient(hs.URL, id.UserID(alice.ID), alice.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	room, err := cli.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", Name: "compliance", Invite: []id.UserID{id.UserID(botUser.ID)}})
	if err != nil {
		t.Fatal(err)
	}

	startDaemon(t, cfg)
	// messages returns the bot's messages in the room, oldest first.
	messages := func() []*event.Event {
		resp, err := cli.Messages(ctx, room.RoomID, "", "", mautrix.DirectionBackward, nil, 100)
		if err != nil {
			t.Fatalf("messages: %v", err)
		}
		var out []*event.Event
		for i := len(resp.Chunk) - 1; i >= 0; i-- {
			ev := resp.Chunk[i]
			if ev.Sender == id.UserID(botUser.ID) && ev.Type == event.EventMessage {
				if err := ev.Content.ParseRaw(ev.Type); err != nil {
					t.Fatalf("parse %s: %v", ev.ID, err)
				}
				out = append(out, ev)
			}
		}
		return out
	}
	waitFor(t, "the bot to join", func() bool {
		members, err := cli.JoinedMembers(ctx, room.RoomID)
		return err == nil && members.Joined[id.UserID(botUser.ID)].DisplayName != "" || (err == nil && len(members.Joined) == 2)
	})
	if _, err := cli.SendText(ctx, room.RoomID, "!watch add Puigdemont"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reply", func() bool {
		for _, ev := range messages() {
			if strings.Contains(ev.Content.AsMessage().Body, `Now watching "Puigdemont"`) {
				return true
			}
		}
		return false
	})
	feed.waitHits(t, 2) // the baseline is behind us
	feed.add("m-1", "Puigdemont @room returns", "https://www.theguardian.com/world/m-1", "Carles Puigdemont returned.")
	var (
		alert   *event.MessageEventContent
		alertID id.EventID
	)
	waitFor(t, "the alert in the room", func() bool {
		for _, ev := range messages() {
			if m := ev.Content.AsMessage(); strings.Contains(m.Body, "Puigdemont named in") {
				alert, alertID = m, ev.ID
				return true
			}
		}
		return false
	})
	if alert.MsgType != event.MsgNotice || alert.Format != event.FormatHTML || !strings.Contains(alert.FormattedBody, "Puigdemont") {
		t.Errorf("alert: type %s format %s body %q", alert.MsgType, alert.Format, alert.FormattedBody)
	}
	if alert.Mentions == nil || alert.Mentions.Room || len(alert.Mentions.UserIDs) != 0 {
		t.Errorf("alert mentions: %+v, want none", alert.Mentions)
	}
	time.Sleep(2 * time.Second)
	n := 0
	for _, ev := range messages() {
		if strings.Contains(ev.Content.AsMessage().Body, "Puigdemont named in") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("alerts in the room: got %d, want 1", n)
	}

	if !strings.Contains(alert.Body, "Decide by reacting: ✅ true match") {
		t.Errorf("alert body %q, want how to decide by reacting", alert.Body)
	}
	if _, err := cli.SendReaction(ctx, room.RoomID, alertID, "✅"); err != nil {
		t.Fatal(err)
	}
	var edit *event.MessageEventContent
	waitFor(t, "the alert edited with the decision", func() bool {
		for _, ev := range messages() {
			if m := ev.Content.AsMessage(); m.RelatesTo.GetReplaceID() == alertID && m.NewContent != nil &&
				strings.Contains(m.NewContent.Body, "Marked true match by "+alice.ID) {
				edit = m.NewContent
				return true
			}
		}
		return false
	})
	if strings.Contains(edit.Body, "Decide by reacting") {
		t.Errorf("the decided alert still says how to decide: %q", edit.Body)
	}
}
