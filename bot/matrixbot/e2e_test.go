package matrixbot

// End-to-end tests against a real Dendrite (internal/dendrite): the bot runs on the
// project's own store (SQLite, one connection) and people are plain mautrix clients — with
// a real Olm machine where the room is encrypted.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/crypto/signatures"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/internal/dendrite"
	"github.com/vigilbot/vigil/store"
	"github.com/vigilbot/vigil/watchers"
)

const waitFor = 30 * time.Second

// person is a plain mautrix client syncing in the background and recording what it sees.
type person struct {
	cli  *mautrix.Client
	mach *crypto.OlmMachine // nil for a client without encryption

	mu      sync.Mutex
	events  []*event.Event
	pending []*event.Event // encrypted, waiting for their key
	changed chan struct{}
}

func newPerson(t *testing.T, ctx context.Context, srv *dendrite.Server, u dendrite.User, withCrypto bool) *person {
	t.Helper()
	cli, err := mautrix.NewClient(srv.URL, id.UserID(u.ID), u.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	cli.Log = zerolog.Nop()
	who, err := cli.Whoami(ctx)
	if err != nil {
		t.Fatalf("whoami %s: %v", u.ID, err)
	}
	cli.DeviceID = who.DeviceID
	states := mautrix.NewMemoryStateStore()
	cli.StateStore = states
	s := mautrix.NewDefaultSyncer()
	cli.Syncer = s
	p := &person{cli: cli, changed: make(chan struct{})}
	s.OnEvent(cli.StateStoreSyncHandler)
	if withCrypto {
		nop := zerolog.Nop()
		p.mach = crypto.NewOlmMachine(cli, &nop, crypto.NewMemoryStore(nil), states.(crypto.StateStore))
		if err := p.mach.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if err := p.mach.ShareKeys(ctx, -1); err != nil {
			t.Fatal(err)
		}
		s.OnSync(p.mach.ProcessSyncResponse)
		s.OnSync(func(ctx context.Context, _ *mautrix.RespSync, _ string) bool { p.retryPending(ctx); return true })
		s.OnEventType(event.StateMember, p.mach.HandleMemberEvent)
		s.OnEventType(event.EventEncrypted, p.onEncrypted)
	}
	s.OnEventType(event.EventMessage, p.record)
	s.OnEventType(event.StateMember, p.record)
	syncCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = cli.SyncWithContext(syncCtx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

func (p *person) record(_ context.Context, evt *event.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, evt)
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *person) onEncrypted(ctx context.Context, evt *event.Event) {
	dec, err := p.mach.DecryptMegolmEvent(ctx, evt)
	if err != nil {
		p.mu.Lock()
		p.pending = append(p.pending, evt)
		p.mu.Unlock()
		return
	}
	p.record(ctx, dec)
}

func (p *person) retryPending(ctx context.Context) {
	p.mu.Lock()
	pending := p.pending
	p.pending = nil
	p.mu.Unlock()
	for _, evt := range pending {
		p.onEncrypted(ctx, evt)
	}
}

// waitEvent waits for an event that matches.
func (p *person) waitEvent(t *testing.T, what string, match func(*event.Event) bool) *event.Event {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		p.mu.Lock()
		for _, evt := range p.events {
			if match(evt) {
				p.mu.Unlock()
				return evt
			}
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			p.mu.Lock()
			var seen []string
			for _, evt := range p.events {
				seen = append(seen, fmt.Sprintf("%s %s %s from %s: %v", evt.RoomID, evt.Type.Type, evt.GetStateKey(), evt.Sender, evt.Content.Raw))
			}
			p.mu.Unlock()
			t.Fatalf("%s: timed out waiting for %s; saw:\n%s", p.cli.UserID, what, strings.Join(seen, "\n"))
			return nil
		}
	}
}

// count counts the events seen so far that match.
func (p *person) count(match func(*event.Event) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, evt := range p.events {
		if match(evt) {
			n++
		}
	}
	return n
}

// say sends an m.text (encrypted if the room is), optionally related to another event.
func (p *person) say(t *testing.T, ctx context.Context, room id.RoomID, text string, rel *event.RelatesTo) id.EventID {
	t.Helper()
	return p.send(t, ctx, room, event.EventMessage, &event.MessageEventContent{MsgType: event.MsgText, Body: text, RelatesTo: rel})
}

// react sends a reaction to target (encrypted if the room is, as clients do).
func (p *person) react(t *testing.T, ctx context.Context, room id.RoomID, target id.EventID, key string) id.EventID {
	t.Helper()
	return p.send(t, ctx, room, event.EventReaction, &event.ReactionEventContent{
		RelatesTo: event.RelatesTo{Type: event.RelAnnotation, EventID: target, Key: key},
	})
}

// send sends an event, encrypted if the room is.
func (p *person) send(t *testing.T, ctx context.Context, room id.RoomID, evtType event.Type, content any) id.EventID {
	t.Helper()
	var payload any = content
	if enc, _ := p.cli.StateStore.IsEncrypted(ctx, room); enc {
		if p.mach == nil {
			t.Fatalf("%s cannot encrypt", p.cli.UserID)
		}
		encrypted, err := p.mach.EncryptMegolmEvent(ctx, room, evtType, content)
		if errors.Is(err, crypto.ErrNoGroupSession) || errors.Is(err, crypto.ErrSessionNotShared) || errors.Is(err, crypto.ErrSessionExpired) {
			members, _ := p.cli.StateStore.GetRoomJoinedOrInvitedMembers(ctx, room)
			if err := p.mach.ShareGroupSession(ctx, room, members); err != nil {
				t.Fatalf("share room key: %v", err)
			}
			encrypted, err = p.mach.EncryptMegolmEvent(ctx, room, evtType, content)
		}
		if err != nil {
			t.Fatalf("encrypt: %v", err)
		}
		payload, evtType = encrypted, event.EventEncrypted
	}
	resp, err := p.cli.SendMessageEvent(ctx, room, evtType, payload)
	if err != nil {
		t.Fatalf("%s sends %s: %v", p.cli.UserID, evtType.Type, err)
	}
	return resp.EventID
}

func (p *person) createRoom(t *testing.T, ctx context.Context, req *mautrix.ReqCreateRoom) id.RoomID {
	t.Helper()
	resp, err := p.cli.CreateRoom(ctx, req)
	if err != nil {
		t.Fatalf("create room: %v", err)
	}
	return resp.RoomID
}

func (p *person) invite(t *testing.T, ctx context.Context, room id.RoomID, user id.UserID) {
	t.Helper()
	if _, err := p.cli.InviteUser(ctx, room, &mautrix.ReqInviteUser{UserID: user}); err != nil {
		t.Fatalf("invite %s: %v", user, err)
	}
}

func (p *person) join(t *testing.T, ctx context.Context, room id.RoomID) {
	t.Helper()
	if _, err := p.cli.JoinRoomByID(ctx, room); err != nil {
		t.Fatalf("join %s: %v", room, err)
	}
}

// Event matchers.

func membership(room id.RoomID, user id.UserID, m event.Membership) func(*event.Event) bool {
	return func(evt *event.Event) bool {
		// Raw, not Parsed: mautrix's memory state store keeps the parsed content and later
		// overwrites its membership (after CreateRoom with invites, for one).
		got, _ := evt.Content.Raw["membership"].(string)
		return evt.RoomID == room && evt.Type == event.StateMember && evt.GetStateKey() == user.String() &&
			got == string(m)
	}
}

func msg(evt *event.Event) *event.MessageEventContent {
	if evt.Type != event.EventMessage {
		return nil
	}
	c, _ := evt.Content.Parsed.(*event.MessageEventContent)
	return c
}

// replyTo matches the bot's notice answering cmd.
func replyTo(room id.RoomID, botID id.UserID, cmd id.EventID) func(*event.Event) bool {
	return func(evt *event.Event) bool {
		c := msg(evt)
		return c != nil && evt.RoomID == room && evt.Sender == botID && c.MsgType == event.MsgNotice &&
			c.RelatesTo.GetReplyTo() == cmd
	}
}

func fromBot(room id.RoomID, botID id.UserID, pred func(*event.Event, *event.MessageEventContent) bool) func(*event.Event) bool {
	return func(evt *event.Event) bool {
		c := msg(evt)
		return c != nil && evt.RoomID == room && evt.Sender == botID && pred(evt, c)
	}
}

// recorder passes requests to the real command service and keeps them.
type recorder struct {
	h    Handler
	mu   sync.Mutex
	reqs []bot.Request
}

func (r *recorder) Handle(ctx context.Context, req bot.Request) bot.Reply {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return r.h.Handle(ctx, req)
}

// Decide passes decisions from reactions to the real service.
func (r *recorder) Decide(ctx context.Context, req bot.Request, alertID int64, d watchers.Disposition, reason string) bot.Reply {
	return r.h.(Decider).Decide(ctx, req, alertID, d, reason)
}

func (r *recorder) last() bot.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		return bot.Request{}
	}
	return r.reqs[len(r.reqs)-1]
}

// mover records the channel moves the bot asks for.
type mover struct {
	mu    sync.Mutex
	moves []string
}

func (m *mover) MoveChannel(_ context.Context, from, to string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.moves = append(m.moves, from+" -> "+to)
	return nil
}

func (m *mover) list() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.moves...)
}

// logged says whether one log line has all of the parts.
func logged(logs *syncBuffer, parts ...string) bool {
	for _, line := range strings.Split(logs.String(), "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a bot whose sync loop runs until stop.
type running struct {
	*Bot
	stop func()
}

func startBot(t *testing.T, ctx context.Context, o Options, h Handler) *running {
	t.Helper()
	b, err := New(ctx, o, h)
	if err != nil {
		t.Fatalf("start bot: %v", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(runCtx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("bot run: %v", err)
			}
			if err := b.Close(); err != nil {
				t.Errorf("bot close: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return &running{Bot: b, stop: stop}
}

func openStore(t *testing.T, ctx context.Context) *store.Store {
	t.Helper()
	st, err := store.Open(ctx, "sqlite:///"+filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// renderedAlert is an alert as the app renders it, its third-party text trying mischief.
func renderedAlert() bot.Message {
	return bot.Render(watchers.Alert{
		ID: 7, PostID: 9, Kind: watchers.KindNew, Entities: []string{"Hikvision"},
		Item: watchers.Item{
			Source: "fedreg", Title: "Addition of Certain Entities to the Entity List <script>alert(1)</script> @room",
			URL: "https://www.federalregister.gov/d/2019-22210", Published: time.Date(2019, 10, 9, 0, 0, 0, 0, time.UTC),
			Facts: []watchers.Fact{{Label: "Document", Value: "2019-22210"}, {Label: "Action", Value: "Final rule"}},
		},
		Summary: "BIS adds 28 entities to the Entity List. <a href=\"javascript:alert(1)\">Hangzhou Hikvision</a> @room",
		Matches: []watchers.Match{{Entity: "Hikvision", Alias: "Hikvision", Field: watchers.FieldTableRow,
			Snippet: "Hangzhou Hikvision Digital Technology Co., Ltd. | China", MarkStart: 9, MarkEnd: 18}},
	})
}

func TestDendrite(t *testing.T) {
	srv := dendrite.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	botUser := srv.CreateUser(t, "vigil")
	aliceUser := srv.CreateUser(t, "alice")
	bobUser := srv.CreateUser(t, "bob")
	malloryUser := srv.CreateUser(t, "mallory")
	carolUser := srv.CreateUser(t, "carol")
	botID := id.UserID(botUser.ID)

	st := openStore(t, ctx)
	logs := &syncBuffer{}
	keyFile := filepath.Join(t.TempDir(), "recovery.key")
	moves := &mover{}
	decisions := &triageLog{}
	refs := &alertRefs{}
	handler := &recorder{h: bot.NewService(bot.Deps{Watches: st, Mutes: st, Sources: st, Triage: decisions})}
	opts := Options{
		Homeserver: srv.URL, UserID: botUser.ID, Password: botUser.Password,
		AllowedInviters: []string{aliceUser.ID, carolUser.ID, bobUser.ID},
		PickleKey:       "test pickle key", DB: st.DB(), Dialect: st.Dialect(), State: st,
		RecoveryKeyFile: keyFile, Mover: moves, Alerts: refs,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("VIGIL_DUMP") != "" {
			t.Logf("bot log:\n%s", logs.String())
		}
	})
	b := startBot(t, ctx, opts, handler)

	alice := newPerson(t, ctx, srv, aliceUser, false)
	bob := newPerson(t, ctx, srv, bobUser, false)
	mallory := newPerson(t, ctx, srv, malloryUser, false)
	carol := newPerson(t, ctx, srv, carolUser, true)

	var room id.RoomID // alice's unencrypted room, where the bot lives
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	step("recovery key written once, never logged", func(t *testing.T) {
		fi, err := os.Stat(keyFile)
		if err != nil {
			t.Fatalf("recovery key file: %v", err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("recovery key file mode %v, want 0600", fi.Mode().Perm())
		}
		key, _ := os.ReadFile(keyFile)
		k := strings.TrimSpace(string(key))
		if len(k) < 40 {
			t.Fatalf("recovery key file holds %q", k)
		}
		for name, secret := range map[string]string{"recovery key": k, "password": botUser.Password, "access token": b.cli.AccessToken} {
			if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), strings.ReplaceAll(secret, " ", "")) {
				t.Errorf("the log shows the %s", name)
			}
		}
	})

	step("invite allowed", func(t *testing.T) {
		// Bob is invited too: a room of just the bot and one person counts as a direct chat.
		room = alice.createRoom(t, ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", Name: "compliance", Invite: []id.UserID{botID, bob.cli.UserID}})
		alice.waitEvent(t, "the bot joining", membership(room, botID, event.MembershipJoin))
	})

	step("invite refused", func(t *testing.T) {
		r := mallory.createRoom(t, ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", Invite: []id.UserID{botID}})
		// Dendrite 0.13.8 drops the reason of a leave; TestInvites checks that the bot gives one.
		mallory.waitEvent(t, "the bot declining", membership(r, botID, event.MembershipLeave))
		if n := mallory.count(membership(r, botID, event.MembershipJoin)); n != 0 {
			t.Errorf("the bot joined a room it was not allowed into")
		}
	})

	var addCmd id.EventID
	step("watch add from a moderator", func(t *testing.T) {
		addCmd = alice.say(t, ctx, room, "!watch add Hikvision aka 海康威视", nil)
		reply := alice.waitEvent(t, "the reply to !watch add", replyTo(room, botID, addCmd))
		c := msg(reply)
		if !strings.Contains(c.Body, `Now watching "Hikvision"`) || c.Format != event.FormatHTML || c.FormattedBody == "" {
			t.Errorf("reply %+v; want a formatted confirmation", c)
		}
		if c.Mentions == nil || len(c.Mentions.UserIDs) != 0 || c.Mentions.Room {
			t.Errorf("reply mentions %+v; want m.mentions {}", c.Mentions)
		}
		if req := handler.last(); !req.CanManage || req.Direct || req.Text != "add Hikvision aka 海康威视" || req.Channel != "matrix:"+room.String() {
			t.Errorf("request %+v", req)
		}
		ws, err := st.Watches(ctx, "matrix:"+room.String())
		if err != nil || len(ws) != 1 || ws[0].CreatedBy != aliceUser.ID {
			t.Errorf("watches %+v, %v", ws, err)
		}
	})

	step("a member below the power level is refused", func(t *testing.T) {
		bob.waitEvent(t, "the invite", membership(room, bob.cli.UserID, event.MembershipInvite))
		bob.join(t, ctx, room)
		cmd := bob.say(t, ctx, room, "!watch remove Hikvision", nil)
		reply := bob.waitEvent(t, "the refusal", replyTo(room, botID, cmd))
		if !strings.Contains(msg(reply).Body, "Only this channel's managers") {
			t.Errorf("reply %q; want a refusal", msg(reply).Body)
		}
		if ws, _ := st.Watches(ctx, "matrix:"+room.String()); len(ws) != 1 {
			t.Errorf("watches after refused remove: %d, want 1", len(ws))
		}
		// Anyone may list.
		cmd = bob.say(t, ctx, room, "!watch list", nil)
		if r := msg(bob.waitEvent(t, "the list", replyTo(room, botID, cmd))); !strings.Contains(r.Body, "Hikvision") {
			t.Errorf("list reply %q", r.Body)
		}
	})

	step("a notice or someone else's chatter is no command", func(t *testing.T) {
		notice := &event.MessageEventContent{MsgType: event.MsgNotice, Body: "!watch list"}
		if _, err := alice.cli.SendMessageEvent(ctx, room, event.EventMessage, notice); err != nil {
			t.Fatal(err)
		}
		chatter := alice.say(t, ctx, room, "lunch?", nil)
		sentinel := alice.say(t, ctx, room, "!watch help", nil)
		reply := alice.waitEvent(t, "the help reply", replyTo(room, botID, sentinel))
		if !strings.Contains(msg(reply).Body, "notify on|off") {
			t.Errorf("help lacks the notify command: %q", msg(reply).Body)
		}
		if n := alice.count(fromBot(room, botID, func(_ *event.Event, c *event.MessageEventContent) bool {
			return c.RelatesTo.GetReplyTo() == chatter
		})); n != 0 {
			t.Errorf("the bot answered chatter")
		}
	})

	step("a command in a thread is answered in the thread", func(t *testing.T) {
		root := alice.say(t, ctx, room, "thread root", nil)
		cmd := alice.say(t, ctx, room, "!watch list", &event.RelatesTo{Type: event.RelThread, EventID: root, IsFallingBack: true, InReplyTo: &event.InReplyTo{EventID: root}})
		reply := alice.waitEvent(t, "the threaded reply", replyTo(room, botID, cmd))
		if rel := msg(reply).RelatesTo; rel.GetThreadParent() != root {
			t.Errorf("reply relation %+v; want the thread of %s", rel, root)
		}
	})

	var alertRef string
	step("an alert arrives formatted and escaped", func(t *testing.T) {
		ref, err := b.Send(ctx, "matrix:"+room.String(), renderedAlert())
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		alertRef = ref
		evt := alice.waitEvent(t, "the alert", func(evt *event.Event) bool { return evt.ID.String() == ref })
		c := msg(evt)
		if c.MsgType != event.MsgNotice || c.Format != event.FormatHTML || !strings.Contains(c.FormattedBody, "&lt;script&gt;") ||
			!strings.Contains(c.FormattedBody, `<a href="https://www.federalregister.gov/d/2019-22210">`) || !strings.Contains(c.FormattedBody, "<b>Hikvision</b>") {
			t.Errorf("alert %+v", c)
		}
		if strings.Contains(c.FormattedBody, "<script") || strings.Count(c.FormattedBody, "<a ") != 1 || strings.Contains(c.Body, "@room") {
			t.Errorf("alert not escaped: %s", c.FormattedBody)
		}
		if c.Mentions == nil || len(c.Mentions.UserIDs) != 0 || c.Mentions.Room {
			t.Errorf("alert mentions %+v; want {}", c.Mentions)
		}
		// A retried delivery of the same message is the same event.
		again, err := b.Send(ctx, "matrix:"+room.String(), renderedAlert())
		if err != nil || again != ref {
			t.Errorf("retried Send = %q, %v; want %q", again, err, ref)
		}
	})

	step("an edit replaces the alert", func(t *testing.T) {
		m := hostile()
		m.PostID, m.Kind, m.EditOf, m.Note = 10, watchers.KindUpdate, alertRef, "Published in the Federal Register"
		ref, err := b.Send(ctx, "matrix:"+room.String(), m)
		if err != nil || ref != alertRef {
			t.Fatalf("edit Send = %q, %v; want the original's reference %q", ref, err, alertRef)
		}
		evt := alice.waitEvent(t, "the edit", fromBot(room, botID, func(_ *event.Event, c *event.MessageEventContent) bool {
			return c.RelatesTo.GetReplaceID() == id.EventID(alertRef)
		}))
		if c := msg(evt); c.NewContent == nil || !strings.Contains(c.NewContent.Body, "Published in the Federal Register") || !strings.HasPrefix(c.Body, "* ") {
			t.Errorf("edit %+v", c)
		}
	})

	step("a follow-up goes in the alert's thread", func(t *testing.T) {
		m := hostile()
		m.PostID, m.Kind, m.ThreadOf, m.Headline = 11, watchers.KindFollowup, alertRef, "Also reported by Reuters"
		ref, err := b.Send(ctx, "matrix:"+room.String(), m)
		if err != nil || ref == alertRef {
			t.Fatalf("follow-up Send = %q, %v", ref, err)
		}
		evt := alice.waitEvent(t, "the follow-up", func(evt *event.Event) bool { return evt.ID.String() == ref })
		if rel := msg(evt).RelatesTo; rel.GetThreadParent() != id.EventID(alertRef) {
			t.Errorf("follow-up relation %+v", rel)
		}
	})

	step("reactions on the alert decide on it", func(t *testing.T) {
		refs.add("matrix:"+room.String(), alertRef, 7) // as the app records the delivery
		react := func(p *person, key string) id.EventID { return p.react(t, ctx, room, id.EventID(alertRef), key) }
		inAlertThread := func(text string) func(*event.Event) bool {
			return fromBot(room, botID, func(_ *event.Event, c *event.MessageEventContent) bool {
				return c.RelatesTo.GetThreadParent() == id.EventID(alertRef) && strings.Contains(c.Body, text)
			})
		}
		react(bob, "✅")
		bob.waitEvent(t, "the refusal in the alert's thread", inAlertThread("Only this channel's managers"))
		react(alice, "❌")
		alice.waitEvent(t, "how to clear, in the alert's thread", inAlertThread("!watch resolve 7 not_our_entity <reason>"))
		react(alice, "👀")
		react(alice, "✅")
		deadline := time.Now().Add(waitFor)
		for len(decisions.all()) == 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond) // a second decision would come now
		want := []watchers.Decision{{AlertID: 7, State: watchers.DispTrueMatch, By: aliceUser.ID}}
		if got := decisions.all(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("decisions %+v, want %+v", got, want)
		}
	})

	step("notify on makes alerts m.text", func(t *testing.T) {
		cmd := alice.say(t, ctx, room, "!watch notify on", nil)
		alice.waitEvent(t, "the notify reply", replyTo(room, botID, cmd))
		m := hostile()
		m.AlertID, m.PostID = 8, 12
		ref, err := b.Send(ctx, "matrix:"+room.String(), m)
		if err != nil {
			t.Fatal(err)
		}
		if c := msg(alice.waitEvent(t, "the loud alert", func(evt *event.Event) bool { return evt.ID.String() == ref })); c.MsgType != event.MsgText {
			t.Errorf("alert msgtype %s after notify on", c.MsgType)
		}
		cmd = bob.say(t, ctx, room, "!watch notify off", nil)
		if r := msg(bob.waitEvent(t, "the refusal", replyTo(room, botID, cmd))); !strings.Contains(r.Body, "moderators") {
			t.Errorf("bob changed notify: %q", r.Body)
		}
	})

	step("a question in a direct chat", func(t *testing.T) {
		dm := alice.createRoom(t, ctx, &mautrix.ReqCreateRoom{Preset: "trusted_private_chat", IsDirect: true, Invite: []id.UserID{botID}})
		alice.waitEvent(t, "the bot joining the DM", membership(dm, botID, event.MembershipJoin))
		alice.say(t, ctx, dm, "what's new on Dahua?", nil)
		alice.waitEvent(t, "the answer", fromBot(dm, botID, func(evt *event.Event, c *event.MessageEventContent) bool {
			return c.MsgType == event.MsgNotice
		}))
		if req := handler.last(); !req.Direct || req.Text != "what's new on Dahua?" {
			t.Errorf("request %+v; want a direct question", req)
		}
	})

	step("the bot's device is cross-signed", func(t *testing.T) {
		resp, err := carol.cli.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: map[id.UserID]mautrix.DeviceIDList{botID: {}}})
		if err != nil {
			t.Fatal(err)
		}
		ssk, master := resp.SelfSigningKeys[botID], resp.MasterKeys[botID]
		dev, ok := resp.DeviceKeys[botID][id.DeviceID(b.DeviceID())]
		if !ok || len(ssk.Keys) == 0 || len(master.Keys) == 0 {
			t.Fatalf("keys/query: device %v, self-signing %v, master %v", ok, ssk.Keys, master.Keys)
		}
		sskKey := ssk.FirstKey()
		if ok, err := signatures.VerifySignatureJSON(dev, botID, sskKey.String(), sskKey); !ok || err != nil {
			t.Errorf("device not signed by the self-signing key: %v, %v", ok, err)
		}
		masterKey := master.FirstKey()
		if ok, err := signatures.VerifySignatureJSON(ssk, botID, masterKey.String(), masterKey); !ok || err != nil {
			t.Errorf("self-signing key not signed by the master key: %v, %v", ok, err)
		}
	})

	step("an encrypted room both ways", func(t *testing.T) {
		enc := carol.createRoom(t, ctx, &mautrix.ReqCreateRoom{
			Preset: "private_chat", Invite: []id.UserID{botID},
			InitialState: []*event.Event{{Type: event.StateEncryption, StateKey: new(string),
				Content: event.Content{Parsed: &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}}}},
		})
		carol.waitEvent(t, "the bot joining", membership(enc, botID, event.MembershipJoin))
		carol.say(t, ctx, enc, "!watch add Dahua", nil)
		// Just Carol and the bot: a direct chat, so the answer is not a reply.
		carol.waitEvent(t, "the decrypted answer", fromBot(enc, botID, func(evt *event.Event, c *event.MessageEventContent) bool {
			return evt.Mautrix.WasEncrypted && c.MsgType == event.MsgNotice && strings.Contains(c.Body, `Now watching "Dahua"`)
		}))
		if req := handler.last(); req.Text != "add Dahua" || !req.CanManage {
			t.Errorf("request %+v", req)
		}
		m := hostile()
		m.AlertID, m.PostID = 20, 21
		ref, err := b.Send(ctx, "matrix:"+enc.String(), m)
		if err != nil {
			t.Fatalf("Send to the encrypted room: %v", err)
		}
		alert := carol.waitEvent(t, "the decrypted alert", func(evt *event.Event) bool { return evt.ID.String() == ref })
		if c := msg(alert); c == nil || c.Format != event.FormatHTML {
			t.Errorf("alert %+v", alert)
		}
		// An encrypted reaction (clients encrypt them) decides as a clear one does.
		refs.add("matrix:"+enc.String(), ref, 7)
		before := len(decisions.all())
		carol.react(t, ctx, enc, id.EventID(ref), "🚩")
		deadline := time.Now().Add(waitFor)
		for len(decisions.all()) == before && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if got := decisions.all(); len(got) != before+1 || got[before] != (watchers.Decision{AlertID: 7, State: watchers.DispEscalated, By: carolUser.ID}) {
			t.Errorf("decisions %+v, want Carol's escalation added", got)
		}
		if carol.count(func(evt *event.Event) bool {
			return evt.RoomID == enc && evt.Sender == botID && evt.Type == event.EventMessage && !evt.Mautrix.WasEncrypted
		}) != 0 {
			t.Errorf("the bot posted in clear text in an encrypted room")
		}
	})

	step("an encrypted direct chat", func(t *testing.T) {
		dm := carol.createRoom(t, ctx, &mautrix.ReqCreateRoom{
			Preset: "trusted_private_chat", IsDirect: true, Invite: []id.UserID{botID},
			InitialState: []*event.Event{{Type: event.StateEncryption, StateKey: new(string),
				Content: event.Content{Parsed: &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}}}},
		})
		carol.waitEvent(t, "the bot joining", membership(dm, botID, event.MembershipJoin))
		carol.say(t, ctx, dm, "list", nil)
		reply := carol.waitEvent(t, "the decrypted answer", fromBot(dm, botID, func(evt *event.Event, c *event.MessageEventContent) bool {
			return c.MsgType == event.MsgNotice && evt.Mautrix.WasEncrypted
		}))
		if !strings.Contains(msg(reply).Body, "watches nothing yet") {
			t.Errorf("answer %q", msg(reply).Body)
		}
		if req := handler.last(); !req.Direct {
			t.Errorf("request %+v; want direct", req)
		}
	})

	answered := func() map[id.EventID]int {
		n := map[id.EventID]int{}
		alice.mu.Lock()
		defer alice.mu.Unlock()
		for _, evt := range alice.events {
			// A thread message's reply fallback answers no command.
			if c := msg(evt); c != nil && evt.Sender == botID && c.RelatesTo.GetReplyTo() != "" && !c.RelatesTo.IsFallingBack && evt.RoomID == room {
				n[c.RelatesTo.GetReplyTo()]++
			}
		}
		return n
	}

	step("a restart answers what came while away, once, and repeats nothing", func(t *testing.T) {
		device := b.DeviceID()
		b.stop()
		offline := alice.say(t, ctx, room, "!watch list", nil)
		invited := alice.createRoom(t, ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", Invite: []id.UserID{botID, bob.cli.UserID}})
		b = startBot(t, ctx, opts, handler)
		alice.waitEvent(t, "the bot accepting an invite sent while it was away", membership(invited, botID, event.MembershipJoin))
		if b.DeviceID() != device {
			t.Errorf("device %s after restart, want %s", b.DeviceID(), device)
		}
		if !logged(logs, "resumed the last session") {
			t.Errorf("the restart logged in again instead of resuming its session")
		}
		alice.waitEvent(t, "the answer to the offline command", replyTo(room, botID, offline))
		// The same alert delivered again after the restart is still the same event.
		if ref, err := b.Send(ctx, "matrix:"+room.String(), renderedAlert()); err != nil || ref != alertRef {
			t.Errorf("Send after restart = %q, %v; want %q", ref, err, alertRef)
		}
		sentinel := alice.say(t, ctx, room, "!watch help", nil)
		alice.waitEvent(t, "the sentinel's answer", replyTo(room, botID, sentinel))
		for cmd, n := range answered() {
			if n != 1 {
				t.Errorf("command %s answered %d times", cmd, n)
			}
		}
		if n := alice.count(func(evt *event.Event) bool { return evt.ID.String() == alertRef }); n != 1 {
			t.Errorf("the alert appears %d times", n)
		}
		if data, _ := os.ReadFile(keyFile); !strings.Contains(logs.String(), "logged in") || len(data) == 0 {
			t.Errorf("recovery key file changed or missing after restart")
		}
	})

	step("a restart ignores commands older than ten minutes", func(t *testing.T) {
		b.stop()
		stale := alice.say(t, ctx, room, "!watch list", nil)
		later := opts
		later.Now = func() time.Time { return time.Now().Add(commandMaxAge + time.Minute) }
		b = startBot(t, ctx, later, handler)
		deadline := time.Now().Add(waitFor)
		for !logged(logs, "ignoring an old message", fmt.Sprintf(`"event_id":"%s"`, stale)) {
			if time.Now().After(deadline) {
				t.Fatalf("the bot never saw the stale command")
			}
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond)
		if n := answered()[stale]; n != 0 {
			t.Errorf("stale command answered %d times", n)
		}
	})

	step("a room upgrade moves the room's watches", func(t *testing.T) {
		b.stop()
		b = startBot(t, ctx, opts, handler)
		var up struct {
			ReplacementRoom id.RoomID `json:"replacement_room"`
		}
		u := alice.cli.BuildClientURL("v3", "rooms", room, "upgrade")
		if _, err := alice.cli.MakeRequest(ctx, "POST", u, map[string]string{"new_version": "10"}, &up); err != nil {
			t.Fatalf("upgrade: %v", err)
		}
		// The new room is invite-only, as the old one was: the bot joins once invited.
		alice.invite(t, ctx, up.ReplacementRoom, botID)
		alice.waitEvent(t, "the bot joining the new room", membership(up.ReplacementRoom, botID, event.MembershipJoin))
		want := "matrix:" + room.String() + " -> matrix:" + up.ReplacementRoom.String()
		deadline := time.Now().Add(waitFor)
		for len(moves.list()) == 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if got := moves.list(); len(got) != 1 || got[0] != want {
			t.Fatalf("moves %q; want [%s]", got, want)
		}
		// The room's notify setting moved with it.
		m := hostile()
		m.AlertID, m.PostID = 30, 31
		ref, err := b.Send(ctx, "matrix:"+up.ReplacementRoom.String(), m)
		if err != nil {
			t.Fatal(err)
		}
		if c := msg(alice.waitEvent(t, "an alert in the new room", func(evt *event.Event) bool { return evt.ID.String() == ref })); c.MsgType != event.MsgText {
			t.Errorf("alert msgtype %s in the new room; want m.text (notify on moved)", c.MsgType)
		}
	})

	step("a new device signs itself with the recovery key", func(t *testing.T) {
		key, _ := os.ReadFile(keyFile)
		o := opts
		o.Password, o.AccessToken = "", botUser.AccessToken // the registration's device
		o.RecoveryKey = ""                                  // read back from RecoveryKeyFile
		o.State, o.DB, o.Dialect = nil, nil, ""
		st2 := openStore(t, ctx)
		o.State, o.DB, o.Dialect = st2, st2.DB(), st2.Dialect()
		nb, err := New(ctx, o, handler)
		if err != nil {
			t.Fatalf("start a second device: %v", err)
		}
		defer nb.Close()
		if nb.DeviceID() == b.DeviceID() {
			t.Fatalf("the token's device is the password login's")
		}
		if st, err := nb.crossSigning(ctx); err != nil || !st.signed {
			t.Errorf("new device cross-signed = %+v, %v; want signed", st, err)
		}

		// `vigil matrix cross-sign`: a token login creates a new identity with the password.
		newKey, err := nb.CrossSign(ctx, botUser.Password)
		if err != nil || len(newKey) < 40 || newKey == strings.TrimSpace(string(key)) {
			t.Fatalf("CrossSign = %d chars, %v; want a new recovery key", len(newKey), err)
		}
		if st, err := nb.crossSigning(ctx); err != nil || !st.signed {
			t.Errorf("after CrossSign = %+v, %v; want signed", st, err)
		}
	})

	step("nothing secret in the log", func(t *testing.T) {
		key, _ := os.ReadFile(keyFile)
		var line map[string]any
		for _, l := range strings.Split(logs.String(), "\n") {
			if l == "" {
				continue
			}
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Errorf("log line is not JSON: %s", l)
			}
		}
		for name, secret := range map[string]string{"recovery key": strings.TrimSpace(string(key)), "password": botUser.Password, "access token": b.cli.AccessToken, "pickle key": opts.PickleKey} {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("the log shows the %s", name)
			}
		}
	})
}
