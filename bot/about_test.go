package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

type cardDeps struct {
	memStore
	alerts   []watchers.Alert
	docs     []watchers.Item
	docsErr  error
	searched []string
}

func (c *cardDeps) RecentAlerts(_ context.Context, _, entity string, limit int) ([]watchers.Alert, error) {
	var out []watchers.Alert
	for _, a := range c.alerts {
		for _, e := range a.Entities {
			if e == entity && len(out) < limit {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

func (c *cardDeps) Resolve(_ context.Context, text string) (string, bool, error) {
	if strings.Contains(strings.ToLower(text), "dahua") {
		return "Zhejiang Dahua Technology", true, nil
	}
	return "", false, nil
}

func (c *cardDeps) SearchDocuments(_ context.Context, term string, _ int) ([]watchers.Item, error) {
	c.searched = append(c.searched, term)
	return c.docs, c.docsErr
}

func TestAbout(t *testing.T) {
	day := time.Date(2019, 10, 9, 0, 0, 0, 0, time.UTC)
	d := &cardDeps{
		memStore: memStore{watches: []watchers.Watch{{Channel: "slack:D1", Name: "Zhejiang Dahua Technology", Aliases: []string{"Dahua"}, CreatedBy: "U1", CreatedAt: day}}},
		alerts: []watchers.Alert{{Entities: []string{"Zhejiang Dahua Technology"}, CreatedAt: day,
			Item: watchers.Item{Source: "fedreg", Title: "Addition of Certain Entities to the Entity List", URL: "https://www.federalregister.gov/d/2019-22210"}}},
		docs: []watchers.Item{{Title: "Addition of Certain Entities to the Entity List", Published: day, URL: "https://www.federalregister.gov/d/2019-22210",
			Facts: []watchers.Fact{{Label: "Type", Value: "Rule"}, {Label: "Citation", Value: "84 FR 54002"}, {Label: "Agency", Value: "BIS"}}}},
	}
	svc := NewService(Deps{Watches: d, Mutes: d, Sources: d, Alerts: d, Resolve: d, Documents: d})
	ask := func(text string, direct bool) Reply {
		return svc.Handle(context.Background(), Request{Channel: "slack:D1", User: "U1", Direct: direct, Text: text})
	}

	got := ask("what's new on Dahua?", true)
	for _, want := range []string{
		`About "Zhejiang Dahua Technology"`,
		`Watched here since 2019-10-09 by U1, aka "Dahua".`,
		"Latest alerts here:\n• 2019-10-09 — Addition of Certain Entities to the Entity List (fedreg) https://www.federalregister.gov/d/2019-22210",
		"Federal Register documents that name it, newest first:\n• Addition of Certain Entities to the Entity List (2019-10-09, Rule, 84 FR 54002) https://www.federalregister.gov/d/2019-22210",
	} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("card:\n%s\nwant it to contain %q", got.Text, want)
		}
	}

	// A question about something not watched searches the words that matter.
	d.docs = nil
	got = ask("Tell me about Hikvision?", true)
	if d.searched[len(d.searched)-1] != "Hikvision" || !strings.Contains(got.Text, "Not watched here. To watch it: add Hikvision") ||
		!strings.Contains(got.Text, "No Federal Register documents name it.") {
		t.Errorf("question: searched %q, reply:\n%s", d.searched, got.Text)
	}
	// Outside a DM the same text is a mistake, with a hint.
	if got := ask("what's new on Hikvision?", false); !got.Failed || !strings.Contains(got.Text, "Unknown command") {
		t.Errorf("question in a channel: got %+v, want a usage hint", got)
	}
	// A known verb used wrongly in a DM still gets its usage, not a search.
	if got := ask("mute Dahua", true); !strings.Contains(got.Text, "Usage: mute") {
		t.Errorf("bad mute in a DM: got %q", got.Text)
	}
	// The explicit command works everywhere, and a search failure is said, not hidden.
	d.docsErr = errors.New("503")
	if got := ask(`about "Zhejiang Dahua Technology"`, false); !strings.Contains(got.Text, "search failed just now") {
		t.Errorf("about with a failing search: got %q", got.Text)
	}
}

func TestSearchTerm(t *testing.T) {
	for in, want := range map[string]string{
		"what's new on Dahua?":            "Dahua",
		"What is the latest on Huawei":    "Huawei",
		"any news on ZTE?":                "ZTE",
		"tell me about \"Sugon\"":         "Sugon",
		"Hikvision":                       "Hikvision",
		"hi, anything new about iFlytek?": "iFlytek",
	} {
		if got := searchTerm(in); got != want {
			t.Errorf("searchTerm(%q) = %q, want %q", in, got, want)
		}
	}
}
