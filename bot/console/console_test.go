package console

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/watchers"
)

type recorder struct {
	mu   sync.Mutex
	reqs []bot.Request
}

func (r *recorder) Handle(_ context.Context, req bot.Request) bot.Reply {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	return bot.Reply{Text: "ok: " + req.Text}
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunAnswersEachLine(t *testing.T) {
	rec := &recorder{}
	out := &syncBuf{}
	c := New(strings.NewReader("add Hikvision\n\n/watch list\n!watch help\n"), out, rec)
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"add Hikvision", "list", "help"}
	if len(rec.reqs) != len(want) {
		t.Fatalf("got %d requests, want %d", len(rec.reqs), len(want))
	}
	for i, w := range want {
		r := rec.reqs[i]
		if r.Text != w || r.Channel != DefaultChannel || !r.CanManage {
			t.Errorf("request %d: got %+v, want text %q in %s as a manager", i, r, w, DefaultChannel)
		}
	}
	if !strings.Contains(out.String(), "ok: list") {
		t.Errorf("output: got %q, want the replies", out.String())
	}
}

func TestRunStopsWithContext(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- New(pr, io.Discard, &recorder{}).Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestDeliverSanitizes(t *testing.T) {
	out := &syncBuf{}
	c := New(strings.NewReader(""), out, &recorder{})
	m := bot.Render(watchers.Alert{ID: 3, Entities: []string{"ZTE"}, Item: watchers.Item{Source: "n", Title: "evil\x1b[2J\x1b]0;pwned\x07 title"}})
	ref, err := c.Send(context.Background(), "console:main", m)
	if err != nil || ref == "" {
		t.Fatalf("Deliver: got %q, %v", ref, err)
	}
	got := out.String()
	if strings.ContainsAny(got, "\x1b\x07") {
		t.Errorf("output keeps control characters: %q", got)
	}
	if !strings.Contains(got, "alert #3 in console:main [console-1]") || !strings.Contains(got, "ZTE named in") {
		t.Errorf("output: got %q", got)
	}
	m.EditOf = ref
	if ref2, _ := c.Send(context.Background(), "console:main", m); ref2 != ref || !strings.Contains(out.String(), "updated (replaces console-1)") {
		t.Errorf("edit: got ref %q, output %q", ref2, out.String())
	}
	m.EditOf, m.ThreadOf = "", ref
	if ref3, _ := c.Send(context.Background(), "console:main", m); ref3 == ref || !strings.Contains(out.String(), "in the thread of console-1") {
		t.Errorf("thread reply: got ref %q, output %q", ref3, out.String())
	}
}
