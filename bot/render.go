package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/vigilbot/vigil/watchers"
)

// Message is an alert message rendered for chat, independent of any platform. Every
// string in it except the references is plain text that may come from a third party:
// adapters must escape all of it.
type Message struct {
	AlertID int64
	PostID  int64
	Kind    watchers.AlertKind
	// EditOf is the platform reference of the message this one replaces (KindUpdate:
	// Slack chat.update, Matrix m.replace); empty for a new message.
	EditOf string
	// ThreadOf is the platform reference of the thread root this one replies in
	// (KindFollowup: Slack thread_ts, Matrix m.thread); empty for a top-level message.
	ThreadOf string
	Headline string
	Note     string // what happened (updates and follow-ups)
	Summary  string
	Facts    []watchers.Fact
	Evidence []Evidence
	URL      string // the item's link; adapters show it as a link, never as markup
	// Undecided says the alert awaits a triage decision, so that adapters offer the quick
	// ways to decide (Slack's buttons). Render cannot know it: the caller sets it.
	Undecided bool
}

// Evidence says why an alert matched: which alias, where, and the sentence around it.
type Evidence struct {
	Entity, Alias string
	Field         watchers.Field
	Mention       watchers.Mention // subject or passing; empty when not marked
	// Snippet[MarkStart:MarkEnd] is the occurrence, for adapters to highlight.
	Snippet            string
	MarkStart, MarkEnd int
}

// maxEvidence bounds how many "why it matched" lines an alert carries.
const maxEvidence = 5

// Render turns an alert message into a Message. Platform references (EditOf,
// ThreadOf) are the caller's to fill.
func Render(a watchers.Alert) Message {
	if a.Kind == watchers.KindDigest {
		return Message{AlertID: a.ID, PostID: a.PostID, Kind: a.Kind, Headline: Clean(a.Note), Summary: Clean(a.Summary)}
	}
	m := Message{
		AlertID:  a.ID,
		PostID:   a.PostID,
		Kind:     a.Kind,
		Headline: Clean(headline(a)),
		Note:     Clean(a.Note),
		Summary:  Clean(a.Summary),
		URL:      Clean(a.Item.URL),
	}
	if a.Kind == watchers.KindFollowup {
		// A reply in the thread: what happened and where; the root message has the rest.
		m.Headline = m.Note
		m.Note = ""
	}
	if a.ID != 0 {
		m.Facts = append(m.Facts, watchers.Fact{Label: "Alert", Value: "#" + strconv.FormatInt(a.ID, 10)})
	}
	m.Facts = append(m.Facts, watchers.Fact{Label: "Source", Value: Clean(a.Item.Source)})
	if !a.Item.Published.IsZero() && a.Item.Fact("Published") == "" {
		m.Facts = append(m.Facts, watchers.Fact{Label: "Published", Value: a.Item.Published.UTC().Format(time.DateOnly)})
	}
	for _, f := range a.Item.Facts {
		m.Facts = append(m.Facts, watchers.Fact{Label: Clean(f.Label), Value: Clean(f.Value)})
	}
	// One line of evidence per entity and place, the first occurrence of each.
	seen := map[string]bool{}
	for _, mt := range a.Matches {
		key := mt.Entity + "\x00" + string(mt.Field)
		if seen[key] || len(m.Evidence) == maxEvidence {
			continue
		}
		seen[key] = true
		before, mark, after := Evidence{Snippet: mt.Snippet, MarkStart: mt.MarkStart, MarkEnd: mt.MarkEnd}.Parts()
		before, mark, after = Clean(before), Clean(mark), Clean(after)
		m.Evidence = append(m.Evidence, Evidence{
			Entity: Clean(mt.Entity), Alias: Clean(mt.Alias), Field: mt.Field, Mention: mt.Mention,
			Snippet: before + mark + after, MarkStart: len(before), MarkEnd: len(before) + len(mark),
		})
	}
	return m
}

// Clean makes third-party text safe to show as plain text: control, zero-width and
// bidirectional-override characters removed (they hide or reorder what people read),
// other white space turned into plain spaces or newlines. Platform escaping of markup is
// the adapters' job.
func Clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t' || r == '\u00a0' || r == '\u2028' || r == '\u2029':
			return ' '
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), unicode.Is(unicode.Cf, r):
			// Cf holds the zero-width and bidi formatting characters (U+200B–U+200F, U+202A–U+202E, U+2060–U+2064, U+FEFF).
			return -1
		}
		return r
	}, s)
}

func headline(a watchers.Alert) string {
	title := strings.TrimSpace(a.Item.Title)
	if len(a.Entities) == 0 && title != "" {
		return title // Vigil's own notices (a failing source) name no entity
	}
	if title == "" {
		title = "an untitled item"
	} else {
		title = "“" + title + "”"
	}
	return fmt.Sprintf("%s named in %s (%s)", entityList(a.Entities), title, a.Item.Source)
}

func entityList(es []string) string {
	switch len(es) {
	case 0:
		return "A watched entity"
	case 1:
		return es[0]
	case 2:
		return es[0] + " and " + es[1]
	}
	return strings.Join(es[:len(es)-1], ", ") + " and " + es[len(es)-1]
}

// WhereLabel names a field for people.
func WhereLabel(f watchers.Field) string {
	if f == watchers.FieldTableRow {
		return "table row"
	}
	return string(f)
}

// Where names the place of the evidence for people, with whether it names the item's
// subject: "title (subject)", "body (passing mention)".
func (e Evidence) Where() string {
	switch e.Mention {
	case watchers.MentionSubject:
		return WhereLabel(e.Field) + " (subject)"
	case watchers.MentionPassing:
		return WhereLabel(e.Field) + " (passing mention)"
	}
	return WhereLabel(e.Field)
}

// Text is the plain-text form of the message: the fallback on every platform and what the
// terminal shows. The matched text is marked with » «.
func (m Message) Text() string {
	var b strings.Builder
	b.WriteString(m.Headline)
	if m.Note != "" {
		b.WriteString("\nUpdate: " + m.Note)
	}
	if m.Summary != "" {
		b.WriteString("\n" + m.Summary)
	}
	if len(m.Facts) > 0 {
		parts := make([]string, len(m.Facts))
		for i, f := range m.Facts {
			parts[i] = f.Label + ": " + f.Value
		}
		b.WriteString("\n" + strings.Join(parts, " · "))
	}
	for _, e := range m.Evidence {
		fmt.Fprintf(&b, "\nMatched %q in %s: %s", e.Alias, e.Where(), e.Marked("»", "«"))
	}
	if m.URL != "" {
		b.WriteString("\n" + m.URL)
	}
	return b.String()
}

// Marked returns the snippet with the occurrence wrapped in open and close. It is plain
// text: an adapter that needs markup escapes the three parts itself (see Parts).
func (e Evidence) Marked(open, close string) string {
	before, mark, after := e.Parts()
	if mark == "" {
		return before
	}
	return before + open + mark + close + after
}

// Parts splits the snippet around the occurrence; offsets out of range give the whole
// snippet as before.
func (e Evidence) Parts() (before, mark, after string) {
	if e.MarkStart < 0 || e.MarkEnd > len(e.Snippet) || e.MarkStart >= e.MarkEnd {
		return e.Snippet, "", ""
	}
	return e.Snippet[:e.MarkStart], e.Snippet[e.MarkStart:e.MarkEnd], e.Snippet[e.MarkEnd:]
}
