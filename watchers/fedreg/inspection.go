package fedreg

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

// apiInspection is a record of public-inspection-documents/current.json (and of
// public-inspection-documents/{number}.json).
type apiInspection struct {
	DocumentNumber            string          `json:"document_number"`
	Title                     string          `json:"title"`
	Type                      string          `json:"type"`
	Agencies                  []apiAgency     `json:"agencies"`
	HTMLURL                   string          `json:"html_url"`
	RawTextURL                string          `json:"raw_text_url"`
	PublicationDate           string          `json:"publication_date"`
	FiledAt                   string          `json:"filed_at"`
	EditorialNote             string          `json:"editorial_note"`
	DocketNumbers             json.RawMessage `json:"docket_numbers"`
	LastPublicInspectionIssue string          `json:"last_public_inspection_issue"`
}

// currentInspection reads the documents on public inspection now.
func (s *Source) currentInspection(ctx context.Context) ([]apiInspection, error) {
	u := s.endpoint("public-inspection-documents/current.json", url.Values{})
	var first page[apiInspection]
	if err := s.getJSON(ctx, u, &first); err != nil {
		return nil, err
	}
	return readPages(ctx, s, u, first)
}

// wantInspection filters the public-inspection desk (every agency, every type) to the
// configured agencies and types.
func (s *Source) wantInspection(d apiInspection) bool {
	if len(s.types) > 0 {
		ok := false
		for _, t := range s.types {
			ok = ok || strings.EqualFold(documentTypes[t], strings.TrimSpace(d.Type))
		}
		if !ok {
			return false
		}
	}
	if len(s.agencies) == 0 {
		return true
	}
	for _, a := range d.Agencies {
		for _, want := range s.agencies {
			if strings.EqualFold(strings.TrimSpace(a.Slug), want) {
				return true
			}
		}
	}
	return false
}

// withdrawn reports whether a filing was withdrawn before publication: the desk then keeps it
// until the end of the day without a publication date, with an editorial note saying so.
func (d apiInspection) withdrawn() bool {
	note := strings.ToLower(d.EditorialNote)
	if strings.Contains(note, "withdraw") || strings.Contains(note, "withdrew") {
		return true
	}
	return strings.TrimSpace(d.PublicationDate) == "" && strings.TrimSpace(note) != ""
}

// inspectionItem maps a filing on public inspection, under the identity the published
// document will have. It is dated when it was filed.
func (s *Source) inspectionItem(d apiInspection, now time.Time) (watchers.Item, bodyRef, bool) {
	number := NormalizeDocumentNumber(d.DocumentNumber)
	if number == "" {
		s.log.Warn("federal register: public-inspection filing without a number skipped", "title", d.Title)
		return watchers.Item{}, bodyRef{}, false
	}
	filed := parseTimestamp(d.FiledAt)
	publish := parseDate(d.PublicationDate)
	withdrawn := d.withdrawn()
	var dated time.Time
	for _, t := range []time.Time{filed.UTC(), publish, parseDate(d.LastPublicInspectionIssue), now.UTC()} {
		if !t.IsZero() {
			dated = t
			break
		}
	}
	it := watchers.Item{
		Source:    s.name,
		ID:        idPrefix + number,
		Step:      watchers.StepPublicInspection,
		Title:     oneLine(d.Title),
		URL:       documentLink(d.DocumentNumber),
		Published: dated,
		Abstract:  inspectionLine(filed, publish, withdrawn, d.EditorialNote),
	}
	if withdrawn {
		it.Step = watchers.StepWithdrawn
		publish = time.Time{}
	}
	var f facts
	f.add(FactAgency, strings.Join(agencyNames(d.Agencies), ", "))
	f.add(FactType, d.Type)
	if !filed.IsZero() {
		f.add(FactFiled, filed.In(eastern()).Format("2006-01-02 15:04 MST"))
	}
	f.addDate(FactToBePublished, publish)
	f.add(FactDocument, d.DocumentNumber)
	f.add(FactDocket, strings.Join(stringList(d.DocketNumbers), "; "))
	f.add(FactLink, it.URL)
	it.Facts = f
	return it, bodyRef{number: strings.TrimSpace(d.DocumentNumber), raw: s.link(d.RawTextURL)}, true
}

// inspectionLine is the abstract of a filing, which has none of its own: "Filed for public
// inspection on 2026-09-29, to be published on 2026-09-30.", then the editorial note.
func inspectionLine(filed, publish time.Time, withdrawn bool, note string) string {
	var line string
	on := ""
	if !filed.IsZero() {
		on = " on " + filed.In(eastern()).Format(time.DateOnly)
	}
	switch {
	case withdrawn && on != "":
		line = "Filed for public inspection" + on + " and withdrawn before publication."
	case withdrawn:
		line = "Withdrawn from public inspection before publication."
	case on != "" && !publish.IsZero():
		line = "Filed for public inspection" + on + ", to be published on " + publish.Format(time.DateOnly) + "."
	case on != "":
		line = "Filed for public inspection" + on + "."
	case !publish.IsZero():
		line = "On public inspection, to be published on " + publish.Format(time.DateOnly) + "."
	default:
		line = "On public inspection."
	}
	if note = oneLine(note); note != "" {
		line += " " + note
	}
	return line
}

func parseTimestamp(s string) time.Time {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t
}

// eastern is the Federal Register's time zone, or UTC where the zone database is missing.
var eastern = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("America/New_York"); err == nil {
		return loc
	}
	return time.UTC
})
