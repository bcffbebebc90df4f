package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// cardAlerts and cardDocuments bound an entity card: enough to orient, short enough to read.
const (
	cardAlerts    = 5
	cardDocuments = 5
)

// isQuestion reports whether text that did not parse as a command is a free-text question
// (in a DM): anything but a known verb used wrongly.
func isQuestion(text string, err error) bool {
	var ue *UsageError
	if !errors.As(err, &ue) {
		return false
	}
	first := strings.ToLower(strings.Fields(text + " x")[0])
	_, known := hints[first]
	return !known && strings.TrimSpace(text) != ""
}

// questionWords are stripped from a free-text question to leave the search term.
var questionWords = regexp.MustCompile(`(?i)^(?:hi|hello|hey|please|pls|so)?[,\s]*(?:what(?:'s| is)?(?: new| the latest| happening)?(?: (?:on|about|with|for))?|any(?:thing)?(?: new| news)?(?: (?:on|about|for))?|news (?:on|about)|tell me about|show me|who is|search(?: for)?|look up)\s+`)

// searchTerm turns "what's new on Dahua?" into "Dahua".
func searchTerm(q string) string {
	t := strings.TrimSpace(q)
	t = questionWords.ReplaceAllString(t, "")
	t = strings.TrimRight(t, "?!. ")
	return strings.Trim(t, `"'“”‘’ `)
}

// about answers with an entity card: this channel's watch of the entity, its latest
// alerts here, and Federal Register documents that name it (a live search).
func (s *Service) about(ctx context.Context, req Request, text string, question bool) Reply {
	name := strings.TrimSpace(text)
	if s.d.Resolve != nil {
		entity, ok, err := s.d.Resolve.Resolve(ctx, text)
		if err != nil {
			s.log.Warn("resolving a question failed", "channel", req.Channel, "err", err)
		}
		if ok {
			name = entity
		} else if question {
			name = searchTerm(text)
		}
	} else if question {
		name = searchTerm(text)
	}
	if name == "" {
		return Reply{Text: "Ask me about an entity, for example: what's new on Dahua?\n" + Usage, Failed: true}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "About %q", name)

	ws, err := s.store.Watches(ctx, req.Channel)
	if err != nil {
		return s.failed(err, "list watches", req)
	}
	watched := false
	for _, w := range ws {
		if strings.EqualFold(w.Name, name) {
			watched = true
			fmt.Fprintf(&b, "\nWatched here since %s by %s", w.CreatedAt.Format(time.DateOnly), w.CreatedBy)
			if len(w.Aliases) > 0 {
				fmt.Fprintf(&b, ", aka %s", quoteList(w.Aliases))
			}
			b.WriteString(".")
			name = w.Name
		}
	}
	if !watched {
		b.WriteString("\nNot watched here. To watch it: add " + quoteArg(name))
	}

	if s.d.Alerts != nil && watched {
		alerts, err := s.d.Alerts.RecentAlerts(ctx, req.Channel, name, cardAlerts)
		if err != nil {
			return s.failed(err, "recent alerts", req)
		}
		if len(alerts) == 0 {
			b.WriteString("\nNo alerts here yet.")
		} else {
			b.WriteString("\nLatest alerts here:")
			for _, a := range alerts {
				fmt.Fprintf(&b, "\n• %s — %s (%s)", a.CreatedAt.Format(time.DateOnly), Clean(a.Item.Title), Clean(a.Item.Source))
				if a.Item.URL != "" {
					b.WriteString(" " + Clean(a.Item.URL))
				}
			}
		}
	}

	if s.d.Documents != nil {
		docs, err := s.d.Documents.SearchDocuments(ctx, name, cardDocuments)
		switch {
		case err != nil:
			s.log.Warn("Federal Register search failed", "term", name, "err", err)
			b.WriteString("\nThe Federal Register search failed just now; try again later.")
		case len(docs) == 0:
			b.WriteString("\nNo Federal Register documents name it.")
		default:
			b.WriteString("\nFederal Register documents that name it, newest first:")
			for _, d := range docs {
				fmt.Fprintf(&b, "\n• %s", Clean(d.Title))
				var facts []string
				if !d.Published.IsZero() {
					facts = append(facts, d.Published.Format(time.DateOnly))
				}
				for _, f := range d.Facts {
					if f.Label == "Citation" || f.Label == "Type" {
						facts = append(facts, Clean(f.Value))
					}
				}
				if len(facts) > 0 {
					fmt.Fprintf(&b, " (%s)", strings.Join(facts, ", "))
				}
				if d.URL != "" {
					b.WriteString(" " + Clean(d.URL))
				}
			}
		}
	}
	return Reply{Text: b.String()}
}

// quoteArg quotes a name for a command when it has spaces or keywords.
func quoteArg(s string) string {
	if strings.ContainsAny(s, " \t\"") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
