// Package console is the terminal chat: it reads commands from standard input as one
// admin user of the channel console:main and prints replies and alerts.
//
// It is the adapter for platform "console". It must not parse commands or decide
// anything itself: that is package bot's job.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/vigilbot/vigil/bot"
)

// Platform is the prefix of console channel ids.
const Platform = "console"

// DefaultChannel is the channel the terminal user talks in.
const DefaultChannel = "console:main"

// Handler answers commands; *bot.Service implements it.
type Handler interface {
	Handle(ctx context.Context, req bot.Request) bot.Reply
}

// Console is the terminal chat.
type Console struct {
	in      io.Reader
	mu      sync.Mutex // serialises writes: replies and alerts come from different goroutines
	out     io.Writer
	handler Handler
	channel string
	seq     int
}

// New returns a console that reads commands from in and writes to out.
func New(in io.Reader, out io.Writer, h Handler) *Console {
	return &Console{in: in, out: out, handler: h, channel: DefaultChannel}
}

// Run reads commands until ctx is done or the input ends. The end of the input does not
// stop alerts from being printed.
func (c *Console) Run(ctx context.Context) error {
	c.println("Vigil terminal chat, channel " + c.channel + ". Type help for commands.")
	lines := make(chan string)
	errc := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(c.in)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		errc <- sc.Err()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if err != nil {
				return fmt.Errorf("read terminal: %w", err)
			}
			return nil
		case line := <-lines:
			text := stripPrefix(strings.TrimSpace(line))
			if text == "" {
				continue
			}
			r := c.handler.Handle(ctx, bot.Request{Channel: c.channel, User: "console", CanManage: true, Admin: true, Text: text})
			c.println(r.Text)
		}
	}
}

// stripPrefix lets people type the command as they would in Slack or Matrix.
func stripPrefix(s string) string {
	for _, p := range []string{"/watch", "!watch"} {
		if rest, ok := strings.CutPrefix(s, p); ok && (rest == "" || rest[0] == ' ') {
			return strings.TrimSpace(rest)
		}
	}
	return s
}

// Send prints an alert message for a console channel and returns a reference to it. An
// edit is printed again in full, marked as replacing the earlier message; a thread reply
// names the message it answers.
func (c *Console) Send(_ context.Context, channel string, m bot.Message) (string, error) {
	c.mu.Lock()
	c.seq++
	ref := "console-" + strconv.Itoa(c.seq)
	c.mu.Unlock()
	var head string
	switch {
	case m.EditOf != "":
		head = fmt.Sprintf("── alert #%d in %s, updated (replaces %s) ──", m.AlertID, channel, m.EditOf)
		ref = m.EditOf
	case m.ThreadOf != "":
		head = fmt.Sprintf("── alert #%d in %s, in the thread of %s ──", m.AlertID, channel, m.ThreadOf)
	default:
		head = fmt.Sprintf("── alert #%d in %s [%s] ──", m.AlertID, channel, ref)
	}
	c.println(head + "\n" + m.Text())
	return ref, nil
}

func (c *Console) println(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintln(c.out, Sanitize(s))
}

// Sanitize removes control characters (escape sequences could rewrite the terminal) but
// keeps newlines and tabs.
func Sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, s)
}
