package matrixbot

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"

	"maunium.net/go/mautrix/event"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/watchers"
)

// roomPing matches the words that would notify a whole room under the legacy push rules
// (@room, in any case).
var roomPing = regexp.MustCompile(`(?i)@(room)\b`)

// neutralise breaks @room with an invisible word joiner so that no push rule sees it.
// m.mentions: {} already tells modern homeservers that a message mentions nobody; this is
// for the legacy body-matching rules.
func neutralise(s string) string {
	return roomPing.ReplaceAllString(s, "@\u2060$1")
}

// esc makes third-party plain text safe inside HTML: escaped, neutralised, newlines kept.
func esc(s string) string {
	return strings.ReplaceAll(html.EscapeString(neutralise(s)), "\n", "<br>")
}

// safeURL returns the URL if it is an absolute http or https URL, for use as an href.
func safeURL(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	return u.String(), true
}

// textContent is a reply or message as an m.notice (or m.text) with a plain body and an
// HTML body of the same text, mentioning nobody.
func textContent(msgType event.MessageType, text string) *event.MessageEventContent {
	return &event.MessageEventContent{
		MsgType:       msgType,
		Body:          neutralise(text),
		Format:        event.FormatHTML,
		FormattedBody: esc(text),
		Mentions:      &event.Mentions{},
	}
}

// alertContent renders an alert message: the headline in bold, what happened, the summary,
// the facts, why it matched (the matched words in bold) and the link.
func alertContent(msgType event.MessageType, m bot.Message) *event.MessageEventContent {
	var h strings.Builder
	fmt.Fprintf(&h, "<p><strong>%s</strong></p>", esc(m.Headline))
	if m.Note != "" {
		fmt.Fprintf(&h, "<p><em>Update:</em> %s</p>", esc(m.Note))
	}
	if m.Summary != "" {
		fmt.Fprintf(&h, "<p>%s</p>", esc(m.Summary))
	}
	if len(m.Facts) > 0 {
		parts := make([]string, len(m.Facts))
		for i, f := range m.Facts {
			parts[i] = fmt.Sprintf("<b>%s:</b> %s", esc(f.Label), esc(f.Value))
		}
		fmt.Fprintf(&h, "<p>%s</p>", strings.Join(parts, " · "))
	}
	if len(m.Evidence) > 0 {
		h.WriteString("<ul>")
		for _, e := range m.Evidence {
			before, mark, after := e.Parts()
			fmt.Fprintf(&h, "<li>Matched “%s” in %s: %s<b>%s</b>%s</li>",
				esc(e.Alias), esc(e.Where()), esc(before), esc(mark), esc(after))
		}
		h.WriteString("</ul>")
	}
	if m.URL != "" {
		if href, ok := safeURL(m.URL); ok {
			fmt.Fprintf(&h, `<p><a href="%s">%s</a></p>`, html.EscapeString(href), esc(m.URL))
		} else {
			fmt.Fprintf(&h, "<p>%s</p>", esc(m.URL))
		}
	}
	body := m.Text()
	if awaitsDecision(m) {
		fmt.Fprintf(&h, "<p><em>%s</em></p>", esc(reactHint))
		body += "\n" + reactHint
	}
	return &event.MessageEventContent{
		MsgType:       msgType,
		Body:          neutralise(body),
		Format:        event.FormatHTML,
		FormattedBody: h.String(),
		Mentions:      &event.Mentions{},
	}
}

// asEdit turns content into an m.replace edit of original: the new content goes in
// m.new_content, and the outer body is the "* …" fallback older clients show.
func asEdit(c *event.MessageEventContent, original string) *event.MessageEventContent {
	inner := *c
	return &event.MessageEventContent{
		MsgType:       c.MsgType,
		Body:          "* " + c.Body,
		Format:        c.Format,
		FormattedBody: "* " + c.FormattedBody,
		Mentions:      &event.Mentions{},
		NewContent:    &inner,
		RelatesTo:     &event.RelatesTo{Type: event.RelReplace, EventID: eventID(original)},
	}
}

// inThread puts content in the thread of root, as a thread message without a reply
// (clients without threads show it as a reply to the root).
func inThread(c *event.MessageEventContent, root string) *event.MessageEventContent {
	c.RelatesTo = &event.RelatesTo{
		Type:          event.RelThread,
		EventID:       eventID(root),
		IsFallingBack: true,
		InReplyTo:     &event.InReplyTo{EventID: eventID(root)},
	}
	return c
}

// awaitsDecision says whether a message is an alert's own message awaiting a decision.
func awaitsDecision(m bot.Message) bool {
	return m.Undecided && m.AlertID > 0 && (m.Kind == watchers.KindNew || m.Kind == watchers.KindUpdate)
}
