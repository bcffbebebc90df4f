package bot

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Command
	}{
		{"add one word", "add Hikvision", Command{Verb: "add", Name: "Hikvision"}},
		{"verb any case", "ADD Hikvision", Command{Verb: "add", Name: "Hikvision"}},
		{"add unquoted words", "add Zhejiang Dahua Technology aka Dahua", Command{Verb: "add", Name: "Zhejiang Dahua Technology", Aliases: []string{"Dahua"}}},
		{"add everything", `add "Hangzhou Hikvision" aka Hikvision aka 海康威视 not "Hikvision Road" NOT "Hikvision Street"`,
			Command{Verb: "add", Name: "Hangzhou Hikvision", Aliases: []string{"Hikvision", "海康威视"}, Exclude: []string{"Hikvision Road", "Hikvision Street"}}},
		{"typographic quotes", "add “Not Very Ltd” aka ‘NV’", Command{Verb: "add", Name: "Not Very Ltd", Aliases: []string{"NV"}}},
		{"quoted keyword is a word", `add Huawei not "aka"`, Command{Verb: "add", Name: "Huawei", Exclude: []string{"aka"}}},
		{"apostrophe inside a word", "add ZTE's", Command{Verb: "add", Name: "ZTE's"}},
		{"spaces collapsed", "  add   \"  Big   Co \"  ", Command{Verb: "add", Name: "Big Co"}},
		{"remove words", "remove Zhejiang Dahua", Command{Verb: "remove", Name: "Zhejiang Dahua"}},
		{"list", "list", Command{Verb: "list"}},
		{"help", " help ", Command{Verb: "help"}},
		{"sources", "sources", Command{Verb: "sources"}},
		{"mute", "mute Zhejiang Dahua 1d12h", Command{Verb: "mute", Name: "Zhejiang Dahua", For: 36 * time.Hour}},
		{"mute all", "mute all 30m", Command{Verb: "mute", Name: "all", For: 30 * time.Minute}},
		{"unmute", "unmute Zhejiang Dahua", Command{Verb: "unmute", Name: "Zhejiang Dahua"}},
		{"passing digest", "passing Digest", Command{Verb: "passing", Name: "digest"}},
		{"passing alert", "passing alert", Command{Verb: "passing", Name: "alert"}},
		{"sla business days", "SLA 2 Business Days", Command{Verb: "sla", Arg: "2 Business Days"}},
		{"sla duration", "sla 4h", Command{Verb: "sla", Arg: "4h"}},
		{"sla quoted", `sla "1 business day"`, Command{Verb: "sla", Arg: "1 business day"}},
		{"sla off", "sla off", Command{Verb: "sla", Arg: "off"}},
		{"sla default", "sla Default", Command{Verb: "sla", Name: "default"}},
		// Quoted, "default" is a value like any other (which the app then refuses).
		{"sla quoted default", `sla "default"`, Command{Verb: "sla", Arg: "default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, wantMsg, wantHint string }{
		{"empty", "   ", "Empty command", "Commands:"},
		{"unknown", "frobnicate x", `Unknown command "frobnicate"`, "Commands:"},
		{"add nothing", "add", "What should I watch?", "Usage: add"},
		{"add only alias", "add aka Hik", "What should I watch?", "Usage: add"},
		{"dangling aka", "add Hikvision aka", `"aka" needs a name`, "Usage: add"},
		{"dangling not", "add Hikvision not", `"not" needs a name`, "Usage: add"},
		{"remove nothing", "remove", "Which watch", "Usage: remove"},
		{"list args", "list all", "takes no arguments", "Usage: list"},
		{"unclosed quote", `add "Hikvision`, "Missing closing quote", "Commands:"},
		{"mute without duration", "mute Dahua", "Mute what, and for how long?", "Usage: mute"},
		{"mute bad duration", "mute Dahua forever", `"forever" is not a duration`, "Usage: mute"},
		{"mute too long", "mute Dahua 13w", "at most 90 days", "Usage: mute"},
		{"passing nowhere", "passing", "Where should passing mentions go?", "Usage: passing"},
		{"passing elsewhere", "passing hourly", `"hourly" is not digest or alert`, "Usage: passing"},
		{"passing twice", "passing digest alert", "Where should passing mentions go?", "Usage: passing"},
		{"sla nothing", "sla", "What SLA? For example: sla 2 business days", "Usage: sla N business days"},
		{"sla default and more", "sla default 4h", `"default" takes nothing after it`, "Usage: sla"},
		{"sla too long", "sla " + strings.Repeat("9", 41), "is not an SLA", "Usage: sla"},
		{"unmute nothing", "unmute", "What should I unmute?", "Usage: unmute"},
		{"command too long", "add " + strings.Repeat("x", MaxCommandLen), "the limit is 4000", "Commands:"},
		{"name too long", "add " + strings.Repeat("y", MaxNameLen+1), "is longer than 200 characters", "Usage: add"},
		{"alias too long", "add X aka " + strings.Repeat("z", MaxNameLen+1), "is longer than 200 characters", "Usage: add"},
		{"too many aliases", "add X" + strings.Repeat(" aka a", MaxAliases+1), "at most 50 aliases", "Usage: add"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q): got %v, want a UsageError", tt.in, err)
			}
			if !strings.Contains(ue.Msg, tt.wantMsg) || !strings.HasPrefix(ue.Hint, tt.wantHint) {
				t.Errorf("Parse(%q): got %q / %q, want %q / %q…", tt.in, ue.Msg, ue.Hint, tt.wantMsg, tt.wantHint)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"add Hikvision", `add "A B" aka C not "D E"`, "remove x", "list", "help", `add "`, "add “x", "add ‘a’ aka", "sla 2 business days", "sla default"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmd, err := Parse(s)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) || ue.Msg == "" || ue.Hint == "" {
				t.Fatalf("Parse(%q): error %v is not a usage error with a hint", s, err)
			}
			return
		}
		if cmd.Verb == VerbAdd && cmd.Name == "" {
			t.Fatalf("Parse(%q): add with an empty name", s)
		}
	})
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"30m": 30 * time.Minute, "4h": 4 * time.Hour, "1d": 24 * time.Hour, "2w": 14 * 24 * time.Hour, "1D12H": 36 * time.Hour} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "10", "5s", "0h", "1x", "-1h", "99999999999h"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q): got nil error", in)
		}
	}
}

func TestParseSource(t *testing.T) {
	got, err := Parse("source add https://e.org/feed")
	if err != nil || got.Verb != VerbSource || got.Name != "add" || got.Arg != "https://e.org/feed" {
		t.Errorf("source add: got %+v, %v", got, err)
	}
	for _, in := range []string{"source", "source add", "source list x", "source add a b"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q): got nil error", in)
		}
	}
}
