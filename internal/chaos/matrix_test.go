package chaos

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/vigilbot/vigil/internal/dendrite"
	"github.com/vigilbot/vigil/internal/pgtest"
)

const leaseLine = "this replica holds the Matrix lease"

// TestReplicaMatrixLease runs two replicas on one database with Matrix, against a real
// Dendrite behind a proxy that can lose a reply. Only the replica holding the Matrix lease
// runs the Matrix client. An alert's send reaches the homeserver but its reply is held,
// and the replica that sent it is killed with SIGKILL: the other replica must take the
// lease, post new alerts, and — once River has rescued the dead replica's delivery and the
// new holder has sent it again with the same transaction id — the room must hold every
// alert exactly once.
func TestReplicaMatrixLease(t *testing.T) {
	skipUnderRace(t)
	t.Parallel()
	db := pgtest.Fresh(t)
	hs := dendrite.Start(t)
	bin := vigil(t)
	ctx := t.Context()
	botUser := hs.CreateUser(t, "vigil")
	alice := hs.CreateUser(t, "alice")
	cli, err := mautrix.NewClient(hs.URL, id.UserID(alice.ID), alice.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	room, err := cli.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", Name: "compliance", Invite: []id.UserID{id.UserID(botUser.ID)}})
	if err != nil {
		t.Fatal(err)
	}
	proxy := NewProxy(hs.URL)
	defer proxy.Close()
	stream := NewStream("mx", 1)
	defer stream.Close()

	dbURL, _, err := ConfigURL(db)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	channel := "matrix:" + room.RoomID.String()
	config := filepath.Join(dir, "vigil.yaml")
	yaml := fmt.Sprintf(`database:
  url: %s
sources:
  - name: news
    type: feed
    url: %s
    schedule: "@every 1s"
channels:
  - id: "%s"
    watches:
%smatrix:
  homeserver: %s
  user_id: "%s"
  password: "%s"
  pickle_key: chaos-pickle-key
  recovery_key_file: %s
  allowed_inviters: ["%s"]
`, dbURL, stream.URL(), channel, watchYAML, proxy.URL(), botUser.ID, botUser.Password,
		filepath.Join(dir, "recovery-key"), hs.ServerName)
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := StartCluster(ctx, bin, config, db, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\nstderr tail:\n%s", append(args, strings.Join(c.stderrTail(25), "\n"))...)
	}
	holders := func() []*Replica {
		var out []*Replica
		for _, r := range c.Replicas {
			if strings.Contains(r.Errs.String(), leaseLine) {
				out = append(out, r)
			}
		}
		return out
	}
	// count returns, for each item, the bot's messages in the room naming it.
	count := func() map[string]int {
		resp, err := cli.Messages(ctx, room.RoomID, "", "", mautrix.DirectionBackward, nil, 200)
		if err != nil {
			t.Fatalf("messages: %v", err)
		}
		n := map[string]int{}
		for _, ev := range resp.Chunk {
			if ev.Sender != id.UserID(botUser.ID) || ev.Type != event.EventMessage {
				continue
			}
			if err := ev.Content.ParseRaw(ev.Type); err != nil {
				t.Fatalf("parse %s: %v", ev.ID, err)
			}
			for _, item := range (Alert{Header: ev.Content.AsMessage().Body}).ItemsIn("mx") {
				n[item]++
			}
		}
		return n
	}
	wait := func(what string, limit time.Duration, cond func() bool) {
		t.Helper()
		if err := waitForEvery(ctx, limit, 300*time.Millisecond, func() (bool, error) { return cond(), nil }); err != nil {
			fail("%s: %v", what, err)
		}
	}

	wait("a replica to take the Matrix lease", time.Minute, func() bool { return len(holders()) > 0 })
	first := holders()
	if len(first) != 1 {
		fail("%d replicas hold the Matrix lease, want 1", len(first))
	}
	holder := first[0]
	wait("the bot to join the room", time.Minute, func() bool {
		m, err := cli.JoinedMembers(ctx, room.RoomID)
		if err != nil {
			return false
		}
		_, in := m.Joined[id.UserID(botUser.ID)]
		return in
	})
	wait("the baseline", time.Minute, func() bool {
		srcs, err := c.Sources(ctx)
		return err == nil && srcs["news"].Baselined
	})
	before := stream.Add(true)
	wait("the first alert in the room", time.Minute, func() bool { return count()[before.ID] > 0 })

	// The next alert's send reaches Dendrite; its reply is held until the sender is dead.
	type held struct {
		from *Replica
		at   time.Time
		path string // PUT …/send/TYPE/TXNID
	}
	heldc := make(chan held, 1)
	release := make(chan struct{})
	var (
		mu    sync.Mutex
		taken bool
	)
	proxy.SetGate(func(r *http.Request) <-chan struct{} {
		if r.Method != http.MethodPut || !strings.Contains(r.URL.Path, "/send/m.room.") {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if taken {
			return nil
		}
		rep, err := c.Owner(r)
		if err != nil {
			t.Logf("the sender of %s: %v", r.URL.Path, err)
			return nil
		}
		taken = true
		heldc <- held{from: rep, at: time.Now(), path: r.URL.Path}
		return release
	})
	during := stream.Add(true)
	var h held
	select {
	case h = <-heldc:
	case <-time.After(time.Minute):
		fail("no send of %s held within a minute", during.ID)
	}
	if h.from != holder {
		fail("replica %d sent to Matrix, but replica %d holds the lease", h.from.N, holder.N)
	}
	killed := time.Now()
	h.from.Kill()
	proxy.SetGate(nil)
	close(release)
	t.Logf("replica %d (pid %d), the lease holder, killed with the reply to its send of %s held; Dendrite has the event", h.from.N, h.from.PID(), during.ID)

	wait("the other replica to take the Matrix lease", time.Minute, func() bool { return len(holders()) == 2 })
	moved := time.Since(killed)
	after := stream.Add(true)
	wait("an alert published after the kill", 2*time.Minute, func() bool { return count()[after.ID] > 0 })
	afterPosted := time.Since(after.Added)

	// The killed replica's delivery of `during` is rescued by River after its
	// RescueStuckJobsAfter and sent again by the new holder: with the same transaction
	// id it must not show twice.
	err = waitForEvery(ctx, 3*time.Minute, time.Second, func() (bool, error) {
		st, err := c.inspect(ctx, channel, []string{during.ID})
		return err == nil && st[during.ID].delivered, err
	})
	if err != nil {
		fail("the delivery of %s, which the killed replica was sending, was not recorded within 3 min of the kill "+
			"(River rescues a dead replica's running job after RescueStuckJobsAfter: is it over 2.5 min in app/jobs.go?): %v", during.ID, err)
	}
	redelivered := time.Since(killed)
	time.Sleep(2 * time.Second)
	got := count()
	// The new holder sent the interrupted alert again, under the same transaction id.
	resent := 0
	for _, r := range proxy.Requests() {
		if r.Method == http.MethodPut && r.Path == h.path && r.At.After(killed) {
			resent++
		}
	}
	t.Logf("lease moved %s after the kill; %s (published after it) posted %s after its publication; the interrupted delivery recorded %s after the kill, after %d sends again with its transaction id; messages per item: %v",
		moved.Round(100*time.Millisecond), after.ID, afterPosted.Round(100*time.Millisecond), redelivered.Round(time.Second), resent, got)
	if resent == 0 {
		t.Errorf("the new lease holder did not send %s again with transaction %s: the test did not exercise the transaction id", during.ID, h.path[strings.LastIndexByte(h.path, '/')+1:])
	}
	for _, it := range []Item{before, during, after} {
		if got[it.ID] != 1 {
			t.Errorf("%s: %d messages in the room, want exactly 1", it.ID, got[it.ID])
		}
	}
}
