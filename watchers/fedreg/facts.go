package fedreg

import (
	"net/url"
	"strings"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

// The labels of an item's facts, in the order they come (a fact the API gave no value for is
// left out). Dates are YYYY-MM-DD; Filed is a time in Washington.
const (
	FactAgency        = "Agency"              // agency names, comma-separated
	FactType          = "Type"                // Rule, Proposed Rule, Notice, Presidential Document
	FactAction        = watchers.FactAction   // e.g. "Final rule."
	FactPublished     = "Published"           // publication date
	FactEffective     = "Effective"           // effective date; may precede publication
	FactFiled         = "Filed"               // public inspection: when it was filed
	FactToBePublished = "To be published"     // public inspection: the planned publication date
	FactCitation      = "Citation"            // e.g. "88 FR 12170"
	FactDocument      = watchers.FactDocument // the number of the document the item's text is, as the API spells it
	FactCorrects      = "Corrects"            // a correction: the number of the corrected document
	FactDocket        = "Docket"              // docket ids, semicolon-separated
	FactRIN           = "RIN"                 // regulation identifier numbers, semicolon-separated
	FactLink          = "Link"                // https://www.federalregister.gov/d/<document>
)

// publicLink is where readers find a document by number, whatever its step.
const publicLink = "https://www.federalregister.gov/d/"

// documentLink is the public link of a document number as the API spells it; "" for none.
func documentLink(number string) string {
	number = strings.TrimSpace(number)
	if number == "" {
		return ""
	}
	return publicLink + url.PathEscape(number)
}

// facts builds an item's facts, leaving out empty values.
type facts []watchers.Fact

func (f *facts) add(label, value string) {
	if value = oneLine(value); value != "" {
		*f = append(*f, watchers.Fact{Label: label, Value: value})
	}
}

func (f *facts) addDate(label string, t time.Time) {
	if !t.IsZero() {
		f.add(label, t.Format(time.DateOnly))
	}
}

// factValue returns the value of the first fact with the label.
func factValue(fs []watchers.Fact, label string) string {
	for _, f := range fs {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}
