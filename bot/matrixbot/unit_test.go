package matrixbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/internal/fixtures"
	"github.com/vigilbot/vigil/watchers"
)

// memState is an in-memory StateStore.
type memState struct {
	mu sync.Mutex
	m  map[string]string
}

func newMemState() *memState { return &memState{m: map[string]string{}} }

func (s *memState) ChatState(_ context.Context, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return "", fmt.Errorf("chat state %s: %w", key, watchers.ErrNotFound)
	}
	return v, nil
}

func (s *memState) SetChatState(_ context.Context, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = value
	return nil
}

func TestCommandText(t *testing.T) {
	tests := []struct {
		name, body string
		direct     bool
		want       string
		ok         bool
	}{
		{"room command", "!watch add Hikvision", false, "add Hikvision", true},
		{"room command, any case, extra space", "  !WATCH   list  ", false, "list", true},
		{"prefix alone is help", "!watch", false, "help", true},
		{"prefix and blanks is help", "!watch   ", false, "help", true},
		{"room chatter is not a command", "add Hikvision", false, "", false},
		{"prefix must be a word", "!watchlist", false, "", false},
		{"direct chat bare words", "what's new on Dahua?", true, "what's new on Dahua?", true},
		{"direct chat with prefix", "!watch list", true, "list", true},
		{"direct chat blank", "   ", true, "", false},
		{"newline after prefix", "!watch\nlist", false, "list", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := commandText(tt.body, tt.direct)
			if got != tt.want || ok != tt.ok {
				t.Errorf("commandText(%q, %v) = %q, %v; want %q, %v", tt.body, tt.direct, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzCommandText(f *testing.F) {
	for _, s := range []string{"!watch add x", "!watch", "!WATCH\u00a0list", "hello", "!watché"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, body string, direct bool) {
		got, ok := commandText(body, direct)
		if !ok && got != "" {
			t.Errorf("commandText(%q) = %q but not a command", body, got)
		}
		if ok && strings.TrimSpace(got) == "" {
			t.Errorf("commandText(%q) is an empty command", body)
		}
	})
}

// hostile is an alert whose every third-party string tries something.
func hostile() bot.Message {
	return bot.Message{
		AlertID: 7, PostID: 9, Kind: watchers.KindNew,
		Headline: `Hikvision named in <script>alert(1)</script> "rule" & more @room`,
		Summary:  "First line <b>bold</b>\nsecond line @ROOM <a href=\"https://evil.example\">click</a>",
		Facts:    []watchers.Fact{{Label: "Source<i>", Value: "fedreg & co"}},
		Evidence: []bot.Evidence{{Entity: "Hikvision", Alias: "Hik<vision>", Field: watchers.FieldBody,
			Snippet: "named <Hikvision> here", MarkStart: 6, MarkEnd: 17}},
		URL: "javascript:alert(1)",
	}
}

func TestAlertContent(t *testing.T) {
	c := alertContent(event.MsgNotice, hostile())
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	if got := m["m.mentions"]; fmt.Sprint(got) != "map[]" {
		t.Errorf("m.mentions = %v, want {}", got)
	}
	if m["msgtype"] != "m.notice" || m["format"] != "org.matrix.custom.html" {
		t.Errorf("msgtype/format = %v/%v", m["msgtype"], m["format"])
	}
	h := c.FormattedBody
	for _, bad := range []string{"<script", "<a href=\"https://evil", "javascript:alert(1)\"", "<b>bold", "<i>", "@room", "@ROOM", "<Hikvision>"} {
		if strings.Contains(h, bad) {
			t.Errorf("formatted body contains %q:\n%s", bad, h)
		}
	}
	if strings.Contains(h, "<a ") {
		t.Errorf("formatted body links a javascript: URL:\n%s", h)
	}
	for _, want := range []string{"&lt;script&gt;", "<b>&lt;Hikvision&gt;</b>", "<br>", "fedreg &amp; co", "<strong>"} {
		if !strings.Contains(h, want) {
			t.Errorf("formatted body lacks %q:\n%s", want, h)
		}
	}
	if strings.Contains(c.Body, "@room") || strings.Contains(c.Body, "@ROOM") {
		t.Errorf("plain body pings the room: %q", c.Body)
	}

	t.Run("http link", func(t *testing.T) {
		m := hostile()
		m.URL = `https://www.federalregister.gov/d/2019-22210?a=1&b="2"`
		h := alertContent(event.MsgText, m).FormattedBody
		want := `<a href="https://www.federalregister.gov/d/2019-22210?a=1&amp;b=&#34;2&#34;">`
		if !strings.Contains(h, want) {
			t.Errorf("formatted body lacks %s:\n%s", want, h)
		}
	})
}

func TestEditAndThread(t *testing.T) {
	edit := asEdit(alertContent(event.MsgNotice, hostile()), "$root")
	raw, _ := json.Marshal(edit)
	var m struct {
		Body       string         `json:"body"`
		NewContent map[string]any `json:"m.new_content"`
		RelatesTo  map[string]any `json:"m.relates_to"`
		Mentions   map[string]any `json:"m.mentions"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.RelatesTo["rel_type"] != "m.replace" || m.RelatesTo["event_id"] != "$root" {
		t.Errorf("edit relation = %v", m.RelatesTo)
	}
	if !strings.HasPrefix(m.Body, "* ") || m.NewContent["body"] == nil || m.NewContent["m.relates_to"] != nil {
		t.Errorf("edit = %s", raw)
	}
	if m.Mentions == nil || m.NewContent["m.mentions"] == nil {
		t.Errorf("edit without m.mentions: %s", raw)
	}

	th := inThread(alertContent(event.MsgNotice, hostile()), "$root")
	if th.RelatesTo.Type != event.RelThread || th.RelatesTo.EventID != "$root" || th.RelatesTo.GetReplyTo() != "$root" || !th.RelatesTo.IsFallingBack {
		t.Errorf("thread relation = %+v", th.RelatesTo)
	}
}

func TestTxnID(t *testing.T) {
	m := hostile()
	a, b := txnID("!a:x", m), txnID("!a:x", m)
	if a != b {
		t.Errorf("txnID differs for the same message: %s %s", a, b)
	}
	if txnID("!b:x", m) == a {
		t.Errorf("txnID is the same in two rooms")
	}
	m2 := m
	m2.PostID++
	if txnID("!a:x", m2) == a {
		t.Errorf("txnID is the same for two posts")
	}
	m3, m4 := m, m
	m3.PostID, m4.PostID = 0, 0
	m4.Headline += "!"
	if txnID("!a:x", m3) == txnID("!a:x", m4) {
		t.Errorf("unrecorded messages with different text share a txnID")
	}
}

func TestClaims(t *testing.T) {
	st := newMemState()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	c := newClaims(st, "k", clock)
	ctx := context.Background()
	if ok, err := c.claim(ctx, "$1", now.UnixMilli()); !ok || err != nil {
		t.Fatalf("first claim = %v, %v", ok, err)
	}
	if ok, _ := c.claim(ctx, "$1", now.UnixMilli()); ok {
		t.Errorf("second claim of the same event succeeded")
	}
	// A restart reads the claims back.
	c2 := newClaims(st, "k", clock)
	if err := c2.load(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c2.claim(ctx, "$1", now.UnixMilli()); ok {
		t.Errorf("claim survived no restart")
	}
	// Old claims are dropped.
	now = now.Add(claimsKeep + time.Minute)
	if _, _ = c2.claim(ctx, "$2", now.UnixMilli()); len(c2.seen) != 1 {
		t.Errorf("kept %d claims, want 1 (old ones pruned)", len(c2.seen))
	}
	for i := range claimsMax + 10 {
		_, _ = c2.claim(ctx, id.EventID(fmt.Sprintf("$x%d", i)), now.UnixMilli()+int64(i))
	}
	if len(c2.seen) > claimsMax {
		t.Errorf("kept %d claims, want at most %d", len(c2.seen), claimsMax)
	}
}

func TestSession(t *testing.T) {
	sealed, err := sealToken("pickle", "@bot:x", "DEV", "syt_secret")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "syt_secret") {
		t.Fatalf("sealed token shows the token")
	}
	if got, err := openToken("pickle", "@bot:x", "DEV", sealed); err != nil || got != "syt_secret" {
		t.Errorf("openToken = %q, %v", got, err)
	}
	for name, f := range map[string]func() (string, error){
		"other key":    func() (string, error) { return openToken("other", "@bot:x", "DEV", sealed) },
		"other device": func() (string, error) { return openToken("pickle", "@bot:x", "DEV2", sealed) },
		"damaged":      func() (string, error) { return openToken("pickle", "@bot:x", "DEV", sealed[:10]) },
	} {
		if _, err := f(); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

func TestDropBeforeJoin(t *testing.T) {
	var resp mautrix.RespSync
	if err := json.Unmarshal(fixtures.Read(t, "matrix/sync.response.json"), &resp); err != nil {
		t.Fatal(err)
	}
	timeline := resp.Rooms.Join["!726s6s6q:example.com"].Timeline.Events
	// The fixture's timeline: Alice joins, then a message. For Alice, nothing precedes her join.
	if got := dropBeforeJoin(timeline, "@alice:example.org"); len(got) != 2 {
		t.Errorf("kept %d events, want both", len(got))
	}
	// Put the message first: it predates Alice's join and goes.
	swapped := []*event.Event{timeline[1], timeline[0]}
	got := dropBeforeJoin(swapped, "@alice:example.org")
	if len(got) != 1 || got[0].Type != event.StateMember {
		t.Errorf("kept %v, want only the join", got)
	}
	// Someone else's join changes nothing.
	if got := dropBeforeJoin(swapped, "@bot:example.org"); len(got) != 2 {
		t.Errorf("kept %d events for another user, want 2", len(got))
	}
	// A profile change is not a join.
	prof := *timeline[0]
	prof.Unsigned.PrevContent = &event.Content{Raw: map[string]any{"membership": "join"}}
	if got := dropBeforeJoin([]*event.Event{timeline[1], &prof}, "@alice:example.org"); len(got) != 2 {
		t.Errorf("a display name change dropped history")
	}
}

// fakeHS is a homeserver stand-in that records requests and answers from a route table.
type fakeHS struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []string // "METHOD path body"
	routes map[string]func(w http.ResponseWriter, r *http.Request)
}

func newFakeHS(t *testing.T) *fakeHS {
	f := &fakeHS{routes: map[string]func(http.ResponseWriter, *http.Request){}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, r.Method+" "+r.URL.Path+" "+string(body))
		f.mu.Unlock()
		for prefix, h := range f.routes {
			if strings.HasPrefix(r.Method+" "+r.URL.Path, prefix) {
				h(w, r)
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"errcode":"M_NOT_FOUND","error":"no route"}`)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeHS) requests(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.reqs {
		if strings.HasPrefix(r, prefix) {
			out = append(out, r)
		}
	}
	return out
}

func answer(status int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// testBot is a Bot on a fake homeserver, without login or encryption.
func testBot(t *testing.T, hs *fakeHS, user string) *Bot {
	t.Helper()
	cli, err := mautrix.NewClient(hs.URL, id.UserID(user), "token")
	if err != nil {
		t.Fatal(err)
	}
	cli.StateStore = mautrix.NewMemoryStateStore()
	_, server, _ := id.UserID(user).Parse()
	st := newMemState()
	return &Bot{
		o: Options{State: st}, log: slog.New(slog.DiscardHandler), now: time.Now, cli: cli,
		userID: id.UserID(user), inviters: []string{server}, admins: map[id.UserID]bool{},
		checked: map[id.RoomID]bool{}, aliases: map[string]id.RoomID{}, joinRetry: map[id.RoomID]*joinTry{},
	}
}

func TestSend(t *testing.T) {
	const room = "!room:example.org"
	sendPath := "PUT /_matrix/client/v3/rooms/" + room + "/send/m.room.message/"
	tests := []struct {
		name      string
		status    int
		body      string
		retry     time.Duration // want a RetryAfterError with this wait
		permanent bool
		ok        bool
	}{
		{"sent", http.StatusOK, string(fixtures.Read(t, "matrix/room_send.response.json")), 0, false, true},
		{"rate limited", http.StatusTooManyRequests, string(fixtures.Read(t, "matrix/error.M_LIMIT_EXCEEDED.json")), 2 * time.Second, false, false},
		{"not in room", http.StatusForbidden, `{"errcode":"M_FORBIDDEN","error":"User @bot:example.org not in room"}`, 0, true, false},
		{"server error", http.StatusInternalServerError, `{"errcode":"M_UNKNOWN","error":"boom"}`, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newFakeHS(t)
			hs.routes["GET /_matrix/client/v3/rooms/"+room+"/state/m.room.encryption"] = answer(404, `{"errcode":"M_NOT_FOUND","error":"no"}`)
			hs.routes["GET /_matrix/client/v3/rooms/"+room+"/members"] = answer(200, `{"chunk":[]}`)
			hs.routes[sendPath] = answer(tt.status, tt.body)
			b := testBot(t, hs, "@bot:example.org")
			ref, err := b.Send(context.Background(), "matrix:"+room, hostile())
			var ra *bot.RetryAfterError
			switch {
			case tt.ok:
				if err != nil || ref != "$YUwRidLecu:example.com" {
					t.Fatalf("Send = %q, %v; want the event id", ref, err)
				}
			case tt.retry > 0:
				if !errors.As(err, &ra) || ra.After != tt.retry {
					t.Fatalf("Send error = %v; want retry after %s", err, tt.retry)
				}
			case tt.permanent:
				if !errors.Is(err, bot.ErrPermanent) {
					t.Fatalf("Send error = %v; want permanent", err)
				}
			default:
				if err == nil || errors.Is(err, bot.ErrPermanent) || errors.As(err, &ra) {
					t.Fatalf("Send error = %v; want a transient error", err)
				}
			}
			// The retry uses the same transaction id.
			_, _ = b.Send(context.Background(), "matrix:"+room, hostile())
			sends := hs.requests(sendPath)
			if len(sends) != 2 {
				t.Fatalf("got %d sends, want 2", len(sends))
			}
			txn := func(r string) string { return strings.Fields(strings.TrimPrefix(r, sendPath))[0] }
			if txn(sends[0]) != txn(sends[1]) || txn(sends[0]) != txnID(room, hostile()) {
				t.Errorf("transaction ids %q, %q; want both %q", txn(sends[0]), txn(sends[1]), txnID(room, hostile()))
			}
			if !strings.Contains(sends[0], `"m.mentions":{}`) || !strings.Contains(sends[0], `"msgtype":"m.notice"`) {
				t.Errorf("sent %s; want a notice with empty m.mentions", sends[0])
			}
		})
	}
	t.Run("room alias", func(t *testing.T) {
		hs := newFakeHS(t)
		hs.routes["GET /_matrix/client/v3/directory/room/#ops:example.org"] = answer(200, `{"room_id":"`+room+`","servers":["example.org"]}`)
		hs.routes["GET /_matrix/client/v3/rooms/"+room+"/state/m.room.encryption"] = answer(404, `{"errcode":"M_NOT_FOUND","error":"no"}`)
		hs.routes["GET /_matrix/client/v3/rooms/"+room+"/members"] = answer(200, `{"chunk":[]}`)
		hs.routes[sendPath] = answer(200, `{"event_id":"$e"}`)
		b := testBot(t, hs, "@bot:example.org")
		if ch, err := b.ResolveChannel(context.Background(), "matrix:#ops:example.org"); err != nil || ch != "matrix:"+room {
			t.Errorf("ResolveChannel = %q, %v", ch, err)
		}
		if ref, err := b.Send(context.Background(), "matrix:#ops:example.org", hostile()); err != nil || ref != "$e" {
			t.Errorf("Send by alias = %q, %v", ref, err)
		}
		if n := len(hs.requests("GET /_matrix/client/v3/directory")); n != 1 {
			t.Errorf("resolved the alias %d times, want once", n)
		}
	})
	t.Run("unknown alias", func(t *testing.T) {
		b := testBot(t, newFakeHS(t), "@bot:example.org")
		if _, err := b.Send(context.Background(), "matrix:#gone:example.org", hostile()); !errors.Is(err, bot.ErrPermanent) {
			t.Errorf("Send to an unknown alias = %v; want permanent", err)
		}
	})
	t.Run("bad channel", func(t *testing.T) {
		b := testBot(t, newFakeHS(t), "@bot:example.org")
		if _, err := b.Send(context.Background(), "slack:C1", hostile()); !errors.Is(err, bot.ErrPermanent) {
			t.Errorf("Send to a Slack channel = %v; want permanent", err)
		}
	})
}

func TestInvites(t *testing.T) {
	var resp mautrix.RespSync
	if err := json.Unmarshal(fixtures.Read(t, "matrix/sync.response.json"), &resp); err != nil {
		t.Fatal(err)
	}
	const room = "!696r7674:example.com" // @alice:example.com invites @bob:example.com
	tests := []struct {
		name     string
		inviters []string
		want     string
	}{
		{"inviter's server allowed", []string{"example.com"}, "POST /_matrix/client/v3/rooms/" + room + "/join"},
		{"inviter allowed by user id", []string{"@alice:example.com"}, "POST /_matrix/client/v3/rooms/" + room + "/join"},
		{"other user only", []string{"@carol:example.com"}, "POST /_matrix/client/v3/rooms/" + room + "/leave"},
		{"other server only", []string{"example.org"}, "POST /_matrix/client/v3/rooms/" + room + "/leave"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newFakeHS(t)
			hs.routes["POST /"] = answer(200, `{"room_id":"`+room+`"}`)
			b := testBot(t, hs, "@bob:example.com")
			b.inviters = tt.inviters
			b.onSync(context.Background(), &resp, "")
			got := hs.requests("POST")
			if len(got) != 1 || !strings.HasPrefix(got[0], tt.want) {
				t.Fatalf("requests %q; want one %s", got, tt.want)
			}
			if strings.Contains(tt.want, "leave") && !strings.Contains(got[0], "allowed_inviters") {
				t.Errorf("declined without a reason: %s", got[0])
			}
		})
	}
}

func TestWriteRecoveryKey(t *testing.T) {
	var term, file strings.Builder
	if err := writeRecoveryKey(&term, true, "@bot:x", "EsT1 abcd"); err != nil {
		t.Fatal(err)
	}
	if err := writeRecoveryKey(&file, false, "@bot:x", "EsT1 abcd"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(term.String(), "EsT1 abcd") || !strings.Contains(term.String(), "@bot:x") {
		t.Errorf("terminal got %q", term.String())
	}
	if file.String() != "EsT1 abcd\n" {
		t.Errorf("file got %q, want the key alone", file.String())
	}
}
