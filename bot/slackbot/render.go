package slackbot

import (
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/vigilbot/vigil/bot"
)

// Block Kit limits (docs.slack.dev/reference/block-kit/blocks).
const (
	maxBlocks       = 50
	maxHeader       = 150
	maxText         = 3000
	maxFields       = 10
	maxField        = 2000
	maxContextElems = 10
	maxButtonValue  = 2000
	maxURL          = 3000
	maxFallback     = 4000 // Slack truncates longer top-level text in notifications
	maxConfirmText  = 300
)

// Action ids of the alert buttons. The Mute and Unwatch buttons carry, as their value,
// the command lines to run (one per entity of the alert), so that a click is the same
// command as typed text and is authorised the same way.
const (
	actionOpen    = "vigil_open"
	actionMute1d  = "vigil_mute_1d"
	actionMute7d  = "vigil_mute_7d"
	actionUnwatch = "vigil_unwatch"

	blockActions = "vigil_actions"
	blockResult  = "vigil_result"
)

// mrkdwn is a mrkdwn text object that Slack shows as given: verbatim turns off its
// automatic linking of URLs, channel names and mentions.
func mrkdwn(s string) *slack.TextBlockObject {
	return &slack.TextBlockObject{Type: slack.MarkdownType, Text: s, Verbatim: true}
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// alertBlocks renders an alert as Block Kit: header, what changed, summary, facts,
// evidence, the decision buttons while it awaits a decision, and the other buttons.
func alertBlocks(m bot.Message) []slack.Block {
	var blocks []slack.Block
	headline := strings.TrimSpace(m.Headline)
	if headline == "" {
		headline = "Vigil alert"
	}
	blocks = append(blocks, slack.NewHeaderBlock(plain(fit(headline, maxHeader))))
	if m.Note != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn("*Update:* "+fit(m.Note, maxText-len("*Update:* "))), nil, nil))
	}
	if strings.TrimSpace(m.Summary) != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(fit(m.Summary, maxText)), nil, nil))
	}
	blocks = append(blocks, factBlocks(m)...)
	if ctx := evidenceBlock(m.Evidence); ctx != nil {
		blocks = append(blocks, ctx)
	}
	if tri := triageBlock(m); tri != nil {
		blocks = append(blocks, tri)
	}
	if acts := actionBlock(m); acts != nil {
		blocks = append(blocks, acts)
	}
	if len(blocks) > maxBlocks {
		blocks = blocks[:maxBlocks]
	}
	return blocks
}

// factBlocks lays the facts out as section fields, ten to a section.
func factBlocks(m bot.Message) []slack.Block {
	var (
		blocks []slack.Block
		fields []*slack.TextBlockObject
	)
	flush := func() {
		if len(fields) > 0 {
			blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
			fields = nil
		}
	}
	for _, f := range m.Facts {
		label, value := strings.TrimSpace(f.Label), strings.TrimSpace(f.Value)
		if value == "" {
			continue
		}
		head := "*" + fit(label, 200) + "*\n"
		fields = append(fields, mrkdwn(head+fit(value, maxField-textLen(head))))
		if len(fields) == maxFields {
			flush()
		}
	}
	flush()
	const maxFactSections = 3
	if len(blocks) > maxFactSections {
		blocks = blocks[:maxFactSections]
	}
	return blocks
}

// evidenceBlock says why the alert matched, one context element per entity and place,
// with the occurrence in bold.
func evidenceBlock(ev []bot.Evidence) slack.Block {
	var elems []slack.MixedElement
	for _, e := range ev {
		if len(elems) == maxContextElems {
			break
		}
		elems = append(elems, mrkdwn(evidenceLine(e)))
	}
	if len(elems) == 0 {
		return nil
	}
	return slack.NewContextBlock("", elems...)
}

func evidenceLine(e bot.Evidence) string {
	var b strings.Builder
	if e.Entity != "" {
		b.WriteString("*" + fit(e.Entity, 200) + "*: ")
	}
	b.WriteString("matched “" + fit(e.Alias, 200) + "” in " + fit(e.Where(), 50))
	before, mark, after := e.Parts()
	if strings.TrimSpace(before+mark+after) == "" {
		return b.String()
	}
	b.WriteString(" — ")
	// Bold needs the asterisks against the text: keep the mark's own spaces outside them.
	lead := len(mark) - len(strings.TrimLeft(mark, " "))
	trail := len(mark) - len(strings.TrimRight(mark, " "))
	if lead == len(mark) {
		lead, trail = 0, 0
	}
	before, after = before+mark[:lead], mark[len(mark)-trail:]+after
	mark = mark[lead : len(mark)-trail]
	b.WriteString(fitTail(before, 1000))
	if mark != "" {
		b.WriteString("*" + fit(mark, 500) + "*")
	}
	b.WriteString(fit(after, 1000))
	return b.String()
}

// fitTail is fit keeping the end of s rather than its start.
func fitTail(s string, max int) string {
	e := escape(s)
	if textLen(e) <= max {
		return e
	}
	rs := []rune(s)
	rs = rs[len(rs)-min(len(rs), max):] // no more than max runes fit
	lo, hi := 0, len(rs)
	for lo < hi { // the smallest start whose suffix fits
		mid := (lo + hi) / 2
		if textLen(escape(string(rs[mid:])))+textLen(ellipsis) <= max {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return ellipsis + strings.TrimLeftFunc(escape(string(rs[lo:])), isSpace)
}

// actionBlock holds Open (for a web link) and, for alerts that name watched entities,
// Mute 1d, Mute 7d and Unwatch (with a confirmation).
func actionBlock(m bot.Message) slack.Block {
	var elems []slack.BlockElement
	if u, ok := webURL(m.URL); ok {
		elems = append(elems, slack.NewButtonBlockElement(actionOpen, "open", plain("Open")).WithURL(u))
	}
	names := entities(m.Evidence)
	if mute1, n := commandLines(names, func(q string) string { return "mute " + q + " 1d" }); n > 0 {
		mute7, _ := commandLines(names[:n], func(q string) string { return "mute " + q + " 7d" })
		remove, _ := commandLines(names[:n], func(q string) string { return "remove " + q })
		elems = append(elems,
			slack.NewButtonBlockElement(actionMute1d, mute1, plain("Mute 1d")),
			slack.NewButtonBlockElement(actionMute7d, mute7, plain("Mute 7d")),
			slack.NewButtonBlockElement(actionUnwatch, remove, plain("Unwatch")).
				WithStyle(slack.StyleDanger).
				WithConfirm(unwatchConfirm(names[:n])),
		)
	}
	if len(elems) == 0 {
		return nil
	}
	return slack.NewActionBlock(blockActions, elems...)
}

func unwatchConfirm(names []string) *slack.ConfirmationBlockObject {
	what := "this entity"
	if len(names) > 1 {
		what = "these entities"
	}
	text := "Stop watching " + strings.Join(names, ", ") + " in this channel? Nobody here will get alerts about " + what + " any more."
	c := slack.NewConfirmationBlockObject(plain("Unwatch?"), plain(fit(text, maxConfirmText)), plain("Unwatch"), plain("Cancel"))
	return c.WithStyle(slack.StyleDanger)
}

// entities lists the watched entities the evidence names, once each, in order.
func entities(ev []bot.Evidence) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range ev {
		k := strings.ToLower(strings.TrimSpace(e.Entity))
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, strings.TrimSpace(e.Entity))
	}
	return out
}

// commandLines writes one command per name, as many as fit in a button value, and says
// how many names it took.
func commandLines(names []string, line func(quoted string) string) (string, int) {
	var b strings.Builder
	n := 0
	for _, name := range names {
		l := line(quote(name))
		if b.Len()+len(l)+1 > maxButtonValue {
			break
		}
		if n > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
		n++
	}
	return b.String(), n
}

// webURL returns u if it is an absolute http or https URL short enough for a button.
func webURL(u string) (string, bool) {
	u = strings.TrimSpace(u)
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || len(u) > maxURL {
		return "", false
	}
	if s := strings.ToLower(p.Scheme); s != "http" && s != "https" {
		return "", false
	}
	return p.String(), true
}

// fallback is the plain-text form of an alert: notifications and clients without Block
// Kit show it.
func fallback(m bot.Message) string {
	return fit(m.Text(), maxFallback)
}
