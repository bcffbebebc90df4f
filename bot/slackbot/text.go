package slackbot

import (
	"regexp"
	"strings"
	"unicode/utf16"
)

// Slack reads &, < and > as control characters in every text it renders: "<!channel>"
// pings a whole channel and "<http://x|y>" is a disguised link. Everything that comes
// from a third party (item titles, snippets, feed names, command replies that quote user
// input) goes through escape before it reaches Slack.

var broadcast = regexp.MustCompile(`(?i)(^|[^\pL\pN_])@(channel|here|everyone)\b`)

// wordJoiner is invisible; after an @ it keeps Slack's automatic parsing (which mrkdwn
// text objects get unless verbatim) from ever reading "@channel" as a broadcast.
const wordJoiner = "\u2060"

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escape makes plain text safe to send as Slack text, mrkdwn or plain_text alike: it can
// neither ping, nor link, nor change the meaning of the markup around it.
func escape(s string) string {
	s = escaper.Replace(s)
	if !strings.Contains(s, "@") {
		return s
	}
	return broadcast.ReplaceAllString(s, "${1}@"+wordJoiner+"${2}")
}

// ellipsis marks text cut to fit a Slack limit.
const ellipsis = "…"

// fit escapes s and cuts it so that the escaped text is at most max characters (Slack
// counts UTF-16 code units), marking a cut with an ellipsis. Cutting the plain text
// before escaping never splits an entity.
func fit(s string, max int) string {
	e := escape(s)
	if textLen(e) <= max {
		return e
	}
	rs := []rune(s)
	// Every rune is at least one character once escaped, so no more than max runes fit.
	rs = rs[:min(len(rs), max)]
	lo, hi := 0, len(rs) // the longest prefix that fits is in [lo, hi]
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if textLen(escape(string(rs[:mid])))+textLen(ellipsis) <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.TrimRightFunc(escape(string(rs[:lo])), isSpace) + ellipsis
}

// textLen is the length of s as Slack counts it.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func isSpace(r rune) bool { return r == ' ' || r == '\n' || r == '\t' }

// incoming matches Slack's markup in text people typed: <@U123>, <#C123|name>,
// <!here>, <https://example.org|example.org>.
var incoming = regexp.MustCompile(`<([^<>]*)>`)

var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// plainText turns the text of a Slack message or slash command back into what the person
// typed: links become their URL, mentions a readable @name or #name, entities characters.
func plainText(s string) string {
	s = incoming.ReplaceAllStringFunc(s, func(m string) string {
		target, label, labelled := strings.Cut(m[1:len(m)-1], "|")
		switch {
		case strings.HasPrefix(target, "@"), strings.HasPrefix(target, "#"):
			if labelled && label != "" {
				return target[:1] + strings.TrimPrefix(label, target[:1])
			}
			return target
		case strings.HasPrefix(target, "!"):
			if labelled && label != "" {
				return label
			}
			return "@" + strings.TrimPrefix(target, "!")
		case strings.HasPrefix(target, "mailto:"):
			if labelled && label != "" {
				return label
			}
			return strings.TrimPrefix(target, "mailto:")
		}
		return target // a URL: what matters is where it points, not its label
	})
	return unescaper.Replace(s)
}

// stripMention removes the bot's own mention from the text of an app_mention, or, if the
// bot's user id is not known yet, the mentions that open the text.
func stripMention(s, botUser string) string {
	if botUser != "" {
		re := regexp.MustCompile(`<@` + regexp.QuoteMeta(botUser) + `(\|[^>]*)?>`)
		return strings.TrimSpace(re.ReplaceAllString(s, ""))
	}
	s = strings.TrimSpace(s)
	for strings.HasPrefix(s, "<@") {
		end := strings.IndexByte(s, '>')
		if end < 0 {
			break
		}
		s = strings.TrimSpace(s[end+1:])
	}
	return s
}

// stripCommand lets people type the command word in a DM or a mention as they would in
// the slash command: "/watch list", "watch list" and "list" are the same.
func stripCommand(s, command string) string {
	s = strings.TrimSpace(s)
	word := strings.TrimPrefix(command, "/")
	for _, p := range []string{command, "/" + word, "!" + word, word} {
		if rest, ok := cutWord(s, p); ok {
			return rest
		}
	}
	return s
}

func cutWord(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	rest := s[len(prefix):]
	if rest != "" && !isSpace(rune(rest[0])) {
		return s, false
	}
	return strings.TrimSpace(rest), true
}

// quote writes a name as one token of the command grammar, with a pair of quotes the name
// does not contain.
func quote(name string) string {
	for _, q := range [][2]string{{`"`, `"`}, {"“", "”"}, {"'", "'"}, {"«", "»"}} {
		if !strings.Contains(name, q[0]) && !strings.Contains(name, q[1]) && !(q[0] == "“" && strings.Contains(name, `"`)) {
			return q[0] + name + q[1]
		}
	}
	return `"` + strings.ReplaceAll(name, `"`, "") + `"`
}
