package slackbot

import (
	"strings"
	"testing"

	"github.com/vigilbot/vigil/bot"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"channel broadcast", "<!channel> look", "&lt;!channel&gt; look"},
		{"here broadcast", "<!here>", "&lt;!here&gt;"},
		{"plain @channel", "ping @channel and @HERE and @everyone", "ping @\u2060channel and @\u2060HERE and @\u2060everyone"},
		{"user mention", "<@U123>", "&lt;@U123&gt;"},
		{"disguised link", "<http://x|y>", "&lt;http://x|y&gt;"},
		{"html", `<a href="javascript:alert(1)">x</a>`, `&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt;`},
		{"ampersand first", "AT&T &lt;", "AT&amp;T &amp;lt;"},
		{"email is not a broadcast", "ops@channel.example", "ops@channel.example"},
		{"broadcast after punctuation", "(@channel)", "(@\u2060channel)"},
		{"ordinary text", "Hikvision 海康威视", "Hikvision 海康威视"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := escape(tt.in)
			if got != tt.want {
				t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.ContainsAny(got, "<>") {
				t.Errorf("escape(%q) = %q still holds < or >", tt.in, got)
			}
		})
	}
}

func TestFit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
	}{
		{"short", "Hikvision", 150},
		{"long ascii", strings.Repeat("word ", 100), 150},
		{"entities at the cut", strings.Repeat("<&>", 100), 150},
		{"cjk", strings.Repeat("海康威视", 100), 150},
		{"astral emoji count double", strings.Repeat("😀", 100), 150},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fit(tt.in, tt.max)
			if n := textLen(got); n > tt.max {
				t.Errorf("fit gave %d characters, want at most %d: %q", n, tt.max, got)
			}
			if strings.Contains(got, "&am…") || strings.Contains(got, "&l…") || strings.Contains(got, "&g…") {
				t.Errorf("fit cut an entity: %q", got)
			}
			if textLen(escape(tt.in)) > tt.max && !strings.HasSuffix(got, ellipsis) {
				t.Errorf("a cut text does not end with an ellipsis: %q", got)
			}
			if textLen(escape(tt.in)) <= tt.max && got != escape(tt.in) {
				t.Errorf("fit changed a text that fits: got %q", got)
			}
		})
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"entities", "add &quot;AT&amp;T&quot; not &lt;x&gt;", "add &quot;AT&T&quot; not <x>"},
		{"url", "source add <https://example.org/feed.xml>", "source add https://example.org/feed.xml"},
		{"labelled url keeps the target", "source add <https://example.org/feed|example.org/feed>", "source add https://example.org/feed"},
		{"user", "hi <@U123|bob> and <@U456>", "hi @bob and @U456"},
		{"channel", "in <#C123|general>", "in #general"},
		{"broadcast", "<!here> and <!subteam^S1|@team>", "@here and @team"},
		{"mailto", "<mailto:a@example.org|a@example.org>", "a@example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plainText(tt.in); got != tt.want {
				t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestStripMentionAndCommand(t *testing.T) {
	tests := []struct {
		name, in, botUser, want string
	}{
		{"leading mention", "<@U111> list", "U111", "list"},
		{"mention inside", "hey <@U111|vigil> list", "U111", "hey  list"},
		{"other users stay", "<@U111> add <@U999>", "U111", "add <@U999>"},
		{"unknown bot id strips leading mentions", "<@U111> list", "", "list"},
		{"only the mention", "<@U111>", "U111", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stripMention(tt.in, tt.botUser); got != tt.want {
				t.Errorf("stripMention(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	for _, in := range []string{"/watch list", "watch list", "!watch list", "WATCH list", "list"} {
		if got := stripCommand(in, "/watch"); got != "list" {
			t.Errorf("stripCommand(%q) = %q, want list", in, got)
		}
	}
	if got := stripCommand("watchlist", "/watch"); got != "watchlist" {
		t.Errorf("stripCommand(watchlist) = %q, want it unchanged", got)
	}
}

// TestQuoteRoundTrip checks that a button's command names the entity exactly.
func TestQuoteRoundTrip(t *testing.T) {
	for _, name := range []string{"Zhejiang Dahua", `The "Best" Ltd`, "ZTE's Unit", `A "b" c's`, "海康威视", "Not Very Ltd", "aka"} {
		t.Run(name, func(t *testing.T) {
			cmd, err := bot.Parse("mute " + quote(name) + " 1d")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if cmd.Name != name {
				t.Errorf("name = %q, want %q", cmd.Name, name)
			}
		})
	}
}

// FuzzText checks the escaping invariants on any input: no markup survives, fit keeps its
// limit, and reading Slack's markup back never fails.
func FuzzText(f *testing.F) {
	for _, s := range []string{hostile, "<@U1|x> &amp; <#C1|g>", "海康威视 😀 <", strings.Repeat("&", 200), "@here@channel"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := escape(s)
		if strings.ContainsAny(e, "<>") {
			t.Errorf("escape(%q) = %q holds markup", s, e)
		}
		if n := textLen(fit(s, 150)); n > 150 {
			t.Errorf("fit(%q, 150) has %d characters", s, n)
		}
		if n := textLen(fitTail(s, 150)); n > 150 {
			t.Errorf("fitTail(%q, 150) has %d characters", s, n)
		}
		_ = plainText(s)
		_ = stripMention(s, testBotUser)
	})
}
