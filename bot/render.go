package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

// Message is an alert rendered for chat, independent of any platform. Every string in it
// is plain text that may come from a third party: adapters must escape all of it.
type Message struct {
	AlertID  int64
	Kind     watchers.AlertKind
	Headline string
	Summary  string
	Facts    []watchers.Fact
	Evidence []Evidence
	URL      string // the item's link; adapters show it as a link, never as markup
}

// Evidence says why an alert matched: which alias, where, and the sentence around it.
type Evidence struct {
	Entity, Alias string
	Field         watchers.Field
	// Snippet[MarkStart:MarkEnd] is the occurrence, for adapters to highlight.
	Snippet            string
	MarkStart, MarkEnd int
}

// maxEvidence bounds how many "why it matched" lines an alert carries.
const maxEvidence = 5

// Render turns an alert into a Message.
func Render(a watchers.Alert) Message {
	m := Message{
		AlertID:  a.ID,
		Kind:     a.Kind,
		Headline: headline(a),
		Summary:  a.Summary,
		URL:      a.Item.URL,
	}
	m.Facts = append(m.Facts, watchers.Fact{Label: "Source", Value: a.Item.Source})
	if !a.Item.Published.IsZero() {
		m.Facts = append(m.Facts, watchers.Fact{Label: "Published", Value: a.Item.Published.UTC().Format(time.DateOnly)})
	}
	// One line of evidence per entity and place, the first occurrence of each.
	seen := map[string]bool{}
	for _, mt := range a.Matches {
		key := mt.Entity + "\x00" + string(mt.Field)
		if seen[key] || len(m.Evidence) == maxEvidence {
			continue
		}
		seen[key] = true
		m.Evidence = append(m.Evidence, Evidence{
			Entity: mt.Entity, Alias: mt.Alias, Field: mt.Field,
			Snippet: mt.Snippet, MarkStart: mt.MarkStart, MarkEnd: mt.MarkEnd,
		})
	}
	return m
}

func headline(a watchers.Alert) string {
	title := strings.TrimSpace(a.Item.Title)
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

// Text is the plain-text form of the message: the fallback on every platform and what the
// terminal shows. The matched text is marked with » «.
func (m Message) Text() string {
	var b strings.Builder
	b.WriteString(m.Headline)
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
		fmt.Fprintf(&b, "\nMatched %q in %s: %s", e.Alias, WhereLabel(e.Field), e.Marked("»", "«"))
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
