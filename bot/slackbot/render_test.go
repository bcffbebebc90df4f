package slackbot

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/watchers"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sampleMessage() bot.Message {
	snippet := "Zhejiang Dahua Technology Co., Ltd., No. 1199 Bin'an Road, Hangzhou"
	return bot.Message{
		AlertID:  7,
		Kind:     watchers.KindNew,
		Headline: "Zhejiang Dahua and Hikvision named in “Addition of Certain Entities to the Entity List” (fedreg)",
		Summary:  "Final rule. This rule adds 28 entities to the Entity List. Supplement No. 4 row: Zhejiang Dahua Technology Co., Ltd.",
		Facts: []watchers.Fact{
			{Label: "Source", Value: "fedreg"},
			{Label: "Published", Value: "2019-10-09"},
			{Label: "Citation", Value: "84 FR 54002"},
			{Label: "Document", Value: "2019-22210"},
		},
		Evidence: []bot.Evidence{
			{Entity: "Zhejiang Dahua", Alias: "Dahua", Field: watchers.FieldTableRow, Snippet: snippet, MarkStart: 9, MarkEnd: 14},
			{Entity: "Hikvision", Alias: "Hikvision", Field: watchers.FieldBody, Snippet: "Hangzhou Hikvision Digital Technology", MarkStart: 9, MarkEnd: 18},
		},
		URL: "https://www.federalregister.gov/documents/2019/10/09/2019-22210/addition-of-certain-entities-to-the-entity-list",
	}
}

func TestAlertBlocksGolden(t *testing.T) {
	got, err := json.MarshalIndent(slack.Blocks{BlockSet: alertBlocks(sampleMessage())}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "alert_blocks.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("blocks differ from %s (run with -update if the change is intended):\n%s", path, got)
	}
}

// hostile is third-party text that tries every way to ping, link or inject.
const hostile = `<!channel> <!here> @channel @here <@U123> <http://evil.example|click me> <a href="javascript:alert(1)">x</a> & more`

func TestAlertBlocksEscapeEverything(t *testing.T) {
	m := bot.Message{
		Headline: hostile, Note: hostile, Summary: hostile,
		Facts:    []watchers.Fact{{Label: hostile, Value: hostile}},
		Evidence: []bot.Evidence{{Entity: hostile, Alias: hostile, Field: watchers.FieldBody, Snippet: hostile + " Dahua " + hostile, MarkStart: len(hostile) + 1, MarkEnd: len(hostile) + 6}},
		URL:      `javascript:alert(1)`,
	}
	raw, err := json.Marshal(slack.Blocks{BlockSet: alertBlocks(m)})
	if err != nil {
		t.Fatal(err)
	}
	var decoded any
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	var texts []string
	collectText(decoded, &texts)
	texts = append(texts, fallback(m))
	if len(texts) < 8 {
		t.Fatalf("found only %d texts in %s", len(texts), raw)
	}
	for _, s := range texts {
		if strings.ContainsAny(s, "<>") {
			t.Errorf("unescaped markup in %q", s)
		}
		if strings.Contains(s, "@channel") || strings.Contains(s, "@here") {
			t.Errorf("a broadcast survived in %q", s)
		}
	}
	if bytes.Contains(raw, []byte(`"url"`)) {
		t.Errorf("a javascript: URL became a button: %s", raw)
	}
	if !bytes.Contains(raw, []byte(`*Dahua*`)) {
		t.Errorf("the match is not in bold: %s", raw)
	}
}

// collectText gathers the "text" strings of a decoded Block Kit document.
func collectText(v any, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "text" {
				*out = append(*out, s)
			}
			collectText(x, out)
		}
	case []any:
		for _, x := range v {
			collectText(x, out)
		}
	}
}

func TestAlertBlocksLimits(t *testing.T) {
	long := strings.Repeat("Supplement No. 4 row <Dahua> & co. ", 400)
	m := bot.Message{Headline: long, Note: long, Summary: long, URL: "https://example.org/" + strings.Repeat("a", 4000)}
	for i := range 35 {
		m.Facts = append(m.Facts, watchers.Fact{Label: "Label " + strings.Repeat("x", i), Value: long})
	}
	for i := range 12 {
		name := "Entity " + strings.Repeat("E", i+1)
		m.Evidence = append(m.Evidence, bot.Evidence{Entity: name, Alias: name, Field: watchers.FieldBody, Snippet: long + name + long, MarkStart: len(long), MarkEnd: len(long) + len(name)})
	}
	blocks := alertBlocks(m)
	if len(blocks) > maxBlocks {
		t.Errorf("%d blocks, want at most %d", len(blocks), maxBlocks)
	}
	for _, bl := range blocks {
		switch bl := bl.(type) {
		case *slack.HeaderBlock:
			if n := textLen(bl.Text.Text); n > maxHeader {
				t.Errorf("header has %d characters, want at most %d", n, maxHeader)
			}
		case *slack.SectionBlock:
			if bl.Text != nil && textLen(bl.Text.Text) > maxText {
				t.Errorf("section text has %d characters, want at most %d", textLen(bl.Text.Text), maxText)
			}
			if len(bl.Fields) > maxFields {
				t.Errorf("section has %d fields, want at most %d", len(bl.Fields), maxFields)
			}
			for _, f := range bl.Fields {
				if textLen(f.Text) > maxField {
					t.Errorf("field has %d characters, want at most %d", textLen(f.Text), maxField)
				}
			}
		case *slack.ContextBlock:
			if n := len(bl.ContextElements.Elements); n > maxContextElems {
				t.Errorf("context has %d elements, want at most %d", n, maxContextElems)
			}
			for _, e := range bl.ContextElements.Elements {
				if tx, ok := e.(*slack.TextBlockObject); ok && textLen(tx.Text) > maxText {
					t.Errorf("context text has %d characters, want at most %d", textLen(tx.Text), maxText)
				}
			}
		case *slack.ActionBlock:
			for _, e := range bl.Elements.ElementSet {
				btn := e.(*slack.ButtonBlockElement)
				if len(btn.Value) > maxButtonValue {
					t.Errorf("button %s value has %d bytes, want at most %d", btn.ActionID, len(btn.Value), maxButtonValue)
				}
				if btn.URL != "" {
					t.Errorf("an over-long URL became a button")
				}
				if btn.Confirm != nil && textLen(btn.Confirm.Text.Text) > maxConfirmText {
					t.Errorf("confirmation text has %d characters, want at most %d", textLen(btn.Confirm.Text.Text), maxConfirmText)
				}
			}
		}
	}
	if n := textLen(fallback(m)); n > maxFallback {
		t.Errorf("fallback has %d characters, want at most %d", n, maxFallback)
	}
}

// TestButtonsCarryCommands checks that each button's value is commands the grammar reads
// back, one per entity of the alert.
func TestButtonsCarryCommands(t *testing.T) {
	acts, ok := actionBlock(sampleMessage()).(*slack.ActionBlock)
	if !ok {
		t.Fatal("no action block")
	}
	want := map[string][]string{
		actionMute1d:  {`mute "Zhejiang Dahua" 1d`, `mute "Hikvision" 1d`},
		actionMute7d:  {`mute "Zhejiang Dahua" 7d`, `mute "Hikvision" 7d`},
		actionUnwatch: {`remove "Zhejiang Dahua"`, `remove "Hikvision"`},
	}
	seen := map[string]bool{}
	for _, e := range acts.Elements.ElementSet {
		btn := e.(*slack.ButtonBlockElement)
		seen[btn.ActionID] = true
		if btn.ActionID == actionOpen {
			if btn.URL != sampleMessage().URL {
				t.Errorf("Open URL = %q, want the item's", btn.URL)
			}
			continue
		}
		lines := strings.Split(btn.Value, "\n")
		if strings.Join(lines, "|") != strings.Join(want[btn.ActionID], "|") {
			t.Errorf("%s carries %q, want %q", btn.ActionID, lines, want[btn.ActionID])
		}
		for _, l := range lines {
			if _, err := bot.Parse(l); err != nil {
				t.Errorf("%s: %q does not parse: %v", btn.ActionID, l, err)
			}
		}
		if btn.ActionID == actionUnwatch && btn.Confirm == nil {
			t.Errorf("Unwatch has no confirmation")
		}
	}
	for _, id := range []string{actionOpen, actionMute1d, actionMute7d, actionUnwatch} {
		if !seen[id] {
			t.Errorf("no %s button", id)
		}
	}
}

func TestWebURL(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"https://www.federalregister.gov/d/2019-22210", true},
		{"http://example.org/a?b=c", true},
		{"javascript:alert(1)", false},
		{"JAVASCRIPT://example.org/%0Aalert(1)", false},
		{"data:text/html,<b>x</b>", false},
		{"//example.org/x", false},
		{"ftp://example.org/x", false},
		{"", false},
	}
	for _, tt := range tests {
		if _, ok := webURL(tt.in); ok != tt.ok {
			t.Errorf("webURL(%q) ok = %v, want %v", tt.in, ok, tt.ok)
		}
	}
}
