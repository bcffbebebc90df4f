package bot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/vigilbot/vigil/watchers"
)

// maxMute bounds a mute: a silence people forget should not hide alerts for ever.
const maxMute = 90 * 24 * time.Hour

// Limits on what one command may carry, so that a paste accident is a clear error rather
// than a watch nobody can read.
const (
	MaxCommandLen = 4000 // bytes
	MaxNameLen    = 200  // bytes, of a name, alias or exclusion phrase
	MaxAliases    = 50
	MaxExclusions = 50
)

// Verbs of the command grammar.
const (
	VerbAdd     = "add"
	VerbRemove  = "remove"
	VerbList    = "list"
	VerbMute    = "mute"
	VerbUnmute  = "unmute"
	VerbSources = "sources"
	VerbAbout   = "about"
	VerbDigest  = "digest"
	VerbPassing = "passing"
	VerbSLA     = "sla"
	VerbSource  = "source"
	VerbResolve = "resolve"
	VerbOpen    = "open"
	VerbAssign  = "assign"
	VerbHelp    = "help"
)

// Command is a parsed chat command.
type Command struct {
	Verb    string
	Name    string   // add, remove, mute, unmute ("all" for the whole channel)
	Aliases []string // add: each "aka"
	Exclude []string // add: each "not"
	For     time.Duration
	// digest: Name is the mode (off, hourly, daily); At is HH:MM and TZ a zone for daily.
	// passing: Name is where passing mentions go (digest or alert).
	// sla: Name is SLADefault, or Arg the SLA as typed (the app reads it).
	At, TZ string
	// source: Name is add or remove, Arg the feed URL or the source's name.
	// resolve: Alert, Arg the disposition and Reason; assign: Alert and Arg the assignee.
	Arg    string
	Alert  int64
	Reason string
}

// Usage is the short help every platform shows.
const Usage = `Commands:
  add <name> [aka <alias>]... [not <phrase>]...   watch an entity in this channel
  remove <name>                                   stop watching it
  list                                            this channel's watches, mutes and settings
  mute <name|all> <duration>                      silence alerts for a while (30m, 4h, 1d, 2w)
  unmute <name|all>                               end a mute
  sources                                         every source and its health
  source add <feed-url> | source remove <name>    (admins) add or remove a news feed
  open                                            this channel's undecided alerts, oldest first
  resolve <alert#> <decision> <reason>            true_match, not_our_entity, not_relevant, escalated
  assign <alert#> <who>                           give an alert an owner
  about <name>                                    what is known about an entity
  digest off|hourly|daily HH:MM [zone]            batch this channel's alerts into one message
  passing digest|alert                            alerts that only mention an entity in passing:
                                                  in the digest only, or alerted like the rest
  sla <SLA>|default                               how soon alerts here must be decided: e.g.
                                                  2 business days, 4h, off; or as configured
  help                                            this text
Use quotes for several words: add "Zhejiang Dahua" aka Dahua not "Dahua Road"`

// UsageError is a command that could not be understood; its message is meant for the user.
type UsageError struct {
	Msg  string
	Hint string // the usage line of the verb, or the whole Usage
}

func (e *UsageError) Error() string { return e.Msg + "\n" + e.Hint }

var hints = map[string]string{
	VerbAdd:     "Usage: add <name> [aka <alias>]... [not <phrase>]...",
	VerbRemove:  "Usage: remove <name>",
	VerbList:    "Usage: list",
	VerbMute:    "Usage: mute <name|all> <duration>, for example: mute Dahua 1d",
	VerbUnmute:  "Usage: unmute <name|all>",
	VerbSources: "Usage: sources",
	VerbSource:  "Usage: source add <feed-url> | source remove <name>",
	VerbOpen:    "Usage: open",
	VerbResolve: "Usage: resolve <alert#> true_match|not_our_entity|not_relevant|escalated <reason> (a reason is required to clear)",
	VerbAssign:  "Usage: assign <alert#> <who>",
	VerbAbout:   "Usage: about <name>",
	VerbDigest:  "Usage: digest off | digest hourly | digest daily HH:MM [zone, e.g. Europe/Berlin; default UTC]",
	VerbPassing: "Usage: passing digest | passing alert (where alerts that only mention an entity in passing go)",
	VerbSLA:     "Usage: sla N business days | sla <duration, e.g. 4h or 2d> | sla off | sla default (the configured SLA)",
	VerbHelp:    "Usage: help",
}

// SLADefault is the sla command's Name that removes a channel's own SLA.
const SLADefault = "default"

// maxSLALen bounds what the sla command takes: "65 business days" is 16 bytes.
const maxSLALen = 40

type token struct {
	text   string
	quoted bool // a quoted token is never a keyword
}

// Parse reads one command. Unquoted words run together until the next keyword, so
// `add Zhejiang Dahua aka Dahua` needs no quotes; quotes (straight or typographic) keep
// keywords as words: `add "Not Very Ltd"`.
func Parse(text string) (Command, error) {
	if len(text) > MaxCommandLen {
		return Command{}, &UsageError{Msg: fmt.Sprintf("That command is %d characters long; the limit is %d.", len(text), MaxCommandLen), Hint: Usage}
	}
	toks, err := tokenize(text)
	if err != nil {
		return Command{}, &UsageError{Msg: err.Error(), Hint: Usage}
	}
	if len(toks) == 0 {
		return Command{}, &UsageError{Msg: "Empty command.", Hint: Usage}
	}
	cmd := Command{Verb: strings.ToLower(toks[0].text)}
	args := toks[1:]
	switch cmd.Verb {
	case VerbList, VerbHelp, VerbSources, VerbOpen:
		if len(args) > 0 {
			return cmd, usage(cmd.Verb, "%q takes no arguments.", cmd.Verb)
		}
	case VerbRemove:
		if len(args) == 0 {
			return cmd, usage(cmd.Verb, "Which watch should I remove?")
		}
		cmd.Name = join(args)
	case VerbDigest:
		if len(args) == 0 {
			return cmd, usage(cmd.Verb, "How should this channel get its alerts?")
		}
		cmd.Name = strings.ToLower(args[0].text)
		rest := args[1:]
		switch cmd.Name {
		case "off", "hourly":
			if len(rest) > 0 {
				return cmd, usage(cmd.Verb, "%q takes no time.", cmd.Name)
			}
		case "daily":
			if len(rest) == 0 || len(rest) > 2 {
				return cmd, usage(cmd.Verb, "At what time? For example: digest daily 08:30 Europe/Berlin")
			}
			at, err := time.Parse("15:04", rest[0].text)
			if err != nil {
				return cmd, usage(cmd.Verb, "%q is not a time of day (HH:MM).", rest[0].text)
			}
			cmd.At, cmd.TZ = at.Format("15:04"), "UTC"
			if len(rest) == 2 {
				if _, err := time.LoadLocation(rest[1].text); err != nil || rest[1].text == "" || rest[1].text == "Local" {
					return cmd, usage(cmd.Verb, "%q is not a time zone.", rest[1].text)
				}
				cmd.TZ = rest[1].text
			}
		default:
			return cmd, usage(cmd.Verb, "%q is not off, hourly or daily.", args[0].text)
		}
	case VerbPassing:
		if len(args) != 1 {
			return cmd, usage(cmd.Verb, "Where should passing mentions go?")
		}
		cmd.Name = strings.ToLower(args[0].text)
		if cmd.Name != watchers.PassingDigest && cmd.Name != watchers.PassingAlert {
			return cmd, usage(cmd.Verb, "%q is not digest or alert.", args[0].text)
		}
	case VerbSLA:
		if len(args) == 0 {
			return cmd, usage(cmd.Verb, "What SLA? For example: sla 2 business days, sla 4h, sla off or sla default.")
		}
		if !args[0].quoted && strings.EqualFold(args[0].text, SLADefault) {
			if len(args) > 1 {
				return cmd, usage(cmd.Verb, "%q takes nothing after it.", SLADefault)
			}
			cmd.Name = SLADefault
			break
		}
		cmd.Arg = join(args)
		if len(cmd.Arg) > maxSLALen {
			return cmd, usage(cmd.Verb, "%q… is not an SLA.", truncateRunes(cmd.Arg, 20))
		}
	case VerbResolve, VerbAssign:
		if len(args) < 2 {
			return cmd, usage(cmd.Verb, "Which alert, and what?")
		}
		id, err := strconv.ParseInt(strings.TrimPrefix(args[0].text, "#"), 10, 64)
		if err != nil || id <= 0 {
			return cmd, usage(cmd.Verb, "%q is not an alert number.", args[0].text)
		}
		cmd.Alert = id
		if cmd.Verb == VerbAssign {
			if len(args) != 2 {
				return cmd, usage(cmd.Verb, "Assign it to one person.")
			}
			cmd.Arg = args[1].text
			break
		}
		d := watchers.Disposition(strings.ToLower(args[1].text))
		if !d.Valid() {
			return cmd, usage(cmd.Verb, "%q is not a decision.", args[1].text)
		}
		cmd.Arg, cmd.Reason = string(d), join(args[2:])
		if d.Clears() && cmd.Reason == "" {
			return cmd, usage(cmd.Verb, "Say why: a reason is required to clear an alert.")
		}
		if len(cmd.Reason) > MaxCommandLen/2 {
			return cmd, usage(cmd.Verb, "The reason is too long.")
		}
	case VerbSource:
		if len(args) != 2 {
			return cmd, usage(cmd.Verb, "Add or remove which source?")
		}
		cmd.Name, cmd.Arg = strings.ToLower(args[0].text), args[1].text
		if cmd.Name != "add" && cmd.Name != "remove" {
			return cmd, usage(cmd.Verb, "%q is not add or remove.", args[0].text)
		}
	case VerbAbout:
		if len(args) == 0 {
			return cmd, usage(cmd.Verb, "About whom?")
		}
		cmd.Name = join(args)
	case VerbUnmute:
		if len(args) == 0 {
			return cmd, usage(cmd.Verb, "What should I unmute?")
		}
		cmd.Name = join(args)
	case VerbMute:
		if len(args) < 2 {
			return cmd, usage(cmd.Verb, "Mute what, and for how long?")
		}
		last := args[len(args)-1]
		d, err := ParseDuration(last.text)
		if err != nil || last.quoted {
			return cmd, usage(cmd.Verb, "%q is not a duration.", last.text)
		}
		if d > maxMute {
			return cmd, usage(cmd.Verb, "A mute lasts at most %d days; remove the watch to stop it for good.", maxMute/(24*time.Hour))
		}
		cmd.Name, cmd.For = join(args[:len(args)-1]), d
	case VerbAdd:
		name, rest := phrase(args)
		if name == "" {
			return cmd, usage(cmd.Verb, "What should I watch?")
		}
		cmd.Name = name
		for len(rest) > 0 {
			kw := strings.ToLower(rest[0].text)
			var p string
			p, rest = phrase(rest[1:])
			if p == "" {
				return cmd, usage(cmd.Verb, "%q needs a name after it.", kw)
			}
			if kw == "aka" {
				cmd.Aliases = append(cmd.Aliases, p)
			} else {
				cmd.Exclude = append(cmd.Exclude, p)
			}
		}
		if len(cmd.Aliases) > MaxAliases || len(cmd.Exclude) > MaxExclusions {
			return cmd, usage(cmd.Verb, "A watch takes at most %d aliases and %d exclusions.", MaxAliases, MaxExclusions)
		}
		for _, n := range append(append([]string{cmd.Name}, cmd.Aliases...), cmd.Exclude...) {
			if len(n) > MaxNameLen {
				return cmd, usage(cmd.Verb, "%q… is longer than %d characters.", truncateRunes(n, 40), MaxNameLen)
			}
		}
	default:
		return cmd, &UsageError{Msg: fmt.Sprintf("Unknown command %q.", toks[0].text), Hint: Usage}
	}
	return cmd, nil
}

func usage(verb, format string, args ...any) *UsageError {
	return &UsageError{Msg: fmt.Sprintf(format, args...), Hint: hints[verb]}
}

func isKeyword(t token) bool {
	if t.quoted {
		return false
	}
	switch strings.ToLower(t.text) {
	case "aka", "not":
		return true
	}
	return false
}

// phrase takes the words up to the next keyword.
func phrase(toks []token) (string, []token) {
	i := 0
	for i < len(toks) && !isKeyword(toks[i]) {
		i++
	}
	return join(toks[:i]), toks[i:]
}

func join(toks []token) string {
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = t.text
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}

var closing = map[rune]rune{'"': '"', '\'': '\'', '“': '”', '‘': '’', '«': '»', '„': '“'}

func tokenize(s string) ([]token, error) {
	var (
		toks []token
		cur  strings.Builder
		in   bool
	)
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, token{text: cur.String()})
			cur.Reset()
		}
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if unicode.IsSpace(r) {
			flush()
			in = false
			continue
		}
		end, isQuote := closing[r]
		// A quote opens a quoted token only at the start of a word: "ZTE's" keeps its apostrophe.
		if isQuote && !in {
			j := i + 1
			for j < len(rs) && rs[j] != end && !(end == '”' && rs[j] == '"') {
				j++
			}
			if j == len(rs) {
				return nil, fmt.Errorf("Missing closing quote %c.", end)
			}
			toks = append(toks, token{text: strings.Join(strings.Fields(string(rs[i+1:j])), " "), quoted: true})
			i = j
			continue
		}
		in = true
		cur.WriteRune(r)
	}
	flush()
	return toks, nil
}

// ParseDuration reads a duration such as 30m, 4h, 1d, 2w or 1d12h (m minutes, h hours,
// d days, w weeks).
func ParseDuration(s string) (time.Duration, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return 0, errors.New("empty duration")
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		n, err := strconv.Atoi(s[:i])
		if err != nil || n > 100000 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		unit := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[i]]
		if unit == 0 {
			return 0, fmt.Errorf("bad unit %q", s[i:i+1])
		}
		total += time.Duration(n) * unit
		s = s[i+1:]
	}
	if total <= 0 {
		return 0, errors.New("duration must be positive")
	}
	return total, nil
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
