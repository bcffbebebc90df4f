package bot

import (
	"strings"
	"testing"
	"unicode"

	"github.com/vigilbot/vigil/watchers"
)

// Third-party text reaches the neutral message as plain text, with every invisible or
// reordering character removed; platform markup is escaped by each adapter, so the
// payloads must survive here unchanged, as text, to be escaped there.
func TestRenderHostileText(t *testing.T) {
	payloads := []string{"<!channel>", "<!here>", "@room", "@channel", "<@U123>", "<http://evil.example|click me>", `<a href="javascript:alert(1)">x</a>`}
	invisible := "Hik\u200bvision\u202e\u2066\ufeff\u00ad"
	title := strings.Join(payloads, " ") + " " + invisible
	a := watchers.Alert{
		Kind: watchers.KindNew, Entities: []string{"Hikvision"},
		Item: watchers.Item{Source: "evil\u200f", Title: title, URL: "https://e.org/\u200bx",
			Facts: []watchers.Fact{{Label: "Citation\u202e", Value: "<!everyone>"}}},
		Summary: "Summary " + invisible + " <!here>",
		Matches: []watchers.Match{{Entity: "Hikvision", Alias: "Hikvision", Field: watchers.FieldBody,
			Snippet: "pre \u200b<b>Hikvision</b>\u202e post", MarkStart: 10, MarkEnd: 19}},
	}
	m := Render(a)
	all := m.Headline + m.Summary + m.URL + m.Text()
	for _, f := range m.Facts {
		all += f.Label + f.Value
	}
	for _, e := range m.Evidence {
		all += e.Snippet
		if got := e.Snippet[e.MarkStart:e.MarkEnd]; got != "Hikvision" {
			t.Errorf("evidence mark after cleaning: got %q, want Hikvision", got)
		}
	}
	for _, r := range all {
		if r != '\n' && (unicode.Is(unicode.Cf, r) || unicode.IsControl(r)) {
			t.Errorf("rendered text keeps invisible character %U", r)
		}
	}
	for _, p := range payloads {
		if !strings.Contains(m.Headline, p) {
			t.Errorf("headline lost %q (it must reach the adapter to be escaped there): %q", p, m.Headline)
		}
	}
	if !strings.Contains(m.Headline, "Hikvision") {
		t.Errorf("cleaning broke the word: %q", m.Headline)
	}
}
