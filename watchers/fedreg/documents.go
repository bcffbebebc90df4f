package fedreg

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

// The search's silent caps: count stops at 10,000 and paging at page 50. A window that meets
// either is split, so that no document is cut without notice.
const (
	searchCap = 10000
	pageCap   = 50
	perPage   = 1000
)

// idPrefix starts the item ID of every Federal Register document.
const idPrefix = "fr:"

// documentFields are the fields[] asked of documents.json: only what an item and its facts use.
var documentFields = []string{
	"document_number", "title", "abstract", "html_url", "publication_date", "type", "agencies",
	"raw_text_url", "full_text_xml_url", "body_html_url", "citation", "effective_on", "action",
	"correction_of", "docket_ids", "regulation_id_numbers",
}

// bodyFields are the fields[] asked of documents/{number}.json when FetchBody lacks the links.
var bodyFields = []string{"raw_text_url", "full_text_xml_url", "body_html_url"}

// page is one answer of a list endpoint. A search without results has no "results" key.
type page[T any] struct {
	Count       int    `json:"count"`
	TotalPages  int    `json:"total_pages"`
	NextPageURL string `json:"next_page_url"`
	Results     []T    `json:"results"`
}

type apiAgency struct {
	Name    string `json:"name"`
	RawName string `json:"raw_name"`
	Slug    string `json:"slug"`
}

type apiDocument struct {
	DocumentNumber  string          `json:"document_number"`
	Title           string          `json:"title"`
	Abstract        string          `json:"abstract"`
	HTMLURL         string          `json:"html_url"`
	PublicationDate string          `json:"publication_date"`
	Type            string          `json:"type"`
	Agencies        []apiAgency     `json:"agencies"`
	RawTextURL      string          `json:"raw_text_url"`
	FullTextXMLURL  string          `json:"full_text_xml_url"`
	BodyHTMLURL     string          `json:"body_html_url"`
	Citation        string          `json:"citation"`
	EffectiveOn     string          `json:"effective_on"`
	Action          string          `json:"action"`
	CorrectionOf    json.RawMessage `json:"correction_of"`
	DocketIDs       json.RawMessage `json:"docket_ids"`
	RINs            json.RawMessage `json:"regulation_id_numbers"`
}

// searchDocuments returns the documents of one agency ("" for every agency) published from
// the date from on, oldest first.
func (s *Source) searchDocuments(ctx context.Context, agency string, from, now time.Time) ([]apiDocument, error) {
	// The first request is open-ended; to (today in UTC, never before today in Washington)
	// only places the cut should the window have to be split, and the last part of a split
	// stays open-ended too.
	return s.searchWindow(ctx, agency, from, dateOf(now), false)
}

// searchWindow reads the documents published between from and to (inclusive dates; to is
// sent only when bounded), halving the window while the API's caps would cut it.
func (s *Source) searchWindow(ctx context.Context, agency string, from, to time.Time, bounded bool) ([]apiDocument, error) {
	q := url.Values{}
	if agency != "" {
		q.Add("conditions[agencies][]", agency)
	}
	q.Set("conditions[publication_date][gte]", from.Format(time.DateOnly))
	if bounded {
		q.Set("conditions[publication_date][lte]", to.Format(time.DateOnly))
	}
	for _, t := range s.types {
		q.Add("conditions[type][]", t)
	}
	q.Set("order", "oldest")
	q.Set("per_page", fmt.Sprint(perPage))
	for _, f := range documentFields {
		q.Add("fields[]", f)
	}
	u := s.endpoint("documents.json", q)

	var first page[apiDocument]
	if err := s.getJSON(ctx, u, &first); err != nil {
		return nil, err
	}
	if first.Count >= searchCap || first.TotalPages >= pageCap {
		if days := int(to.Sub(from)/(24*time.Hour)) + 1; days > 1 {
			mid := from.AddDate(0, 0, days/2)
			s.log.Debug("federal register window split", "agency", agency,
				"from", from.Format(time.DateOnly), "to", to.Format(time.DateOnly), "count", first.Count)
			left, err := s.searchWindow(ctx, agency, from, mid.AddDate(0, 0, -1), true)
			if err != nil {
				return nil, err
			}
			right, err := s.searchWindow(ctx, agency, mid, to, bounded)
			if err != nil {
				return nil, err
			}
			return append(left, right...), nil
		}
		s.log.Warn("federal register: one day's documents exceed the search cap; some may be missed",
			"agency", agency, "date", from.Format(time.DateOnly), "count", first.Count)
	}
	return readPages(ctx, s, u, first)
}

// readPages follows next_page_url from a first page until it is absent.
func readPages[T any](ctx context.Context, s *Source, u *url.URL, first page[T]) ([]T, error) {
	results := first.Results
	next := first.NextPageURL
	seen := map[string]bool{u.String(): true}
	for pages := 1; next != ""; pages++ {
		if pages >= pageCap {
			return nil, fmt.Errorf("GET %s: paging did not end after %d pages", u.Path, pages)
		}
		nu, err := s.resolve(next)
		if err != nil {
			return nil, err
		}
		if seen[nu.String()] {
			return nil, fmt.Errorf("GET %s: next_page_url repeats an earlier page", nu.Path)
		}
		seen[nu.String()] = true
		var p page[T]
		if err := s.getJSON(ctx, nu, &p); err != nil {
			return nil, err
		}
		results = append(results, p.Results...)
		next = p.NextPageURL
	}
	return results, nil
}

// documentItem maps a published document; ok is false for a record without a number. A
// correction is reported under the identity of the document it corrects, at StepCorrected,
// with its own number, title and link.
func (s *Source) documentItem(d apiDocument) (watchers.Item, bodyRef, bool) {
	number := NormalizeDocumentNumber(d.DocumentNumber)
	if number == "" {
		s.log.Warn("federal register: document without a number skipped", "title", d.Title)
		return watchers.Item{}, bodyRef{}, false
	}
	published := parseDate(d.PublicationDate)
	it := watchers.Item{
		Source:    s.name,
		ID:        idPrefix + number,
		Step:      watchers.StepPublished,
		Title:     oneLine(d.Title),
		URL:       documentLink(d.DocumentNumber),
		Published: published,
		Abstract:  strings.TrimSpace(d.Abstract),
	}
	corrected := correctionOf(d.CorrectionOf)
	if corrected == number {
		corrected = ""
	}
	if corrected != "" {
		it.ID = idPrefix + corrected
		it.Step = watchers.StepCorrected
		if it.Abstract == "" {
			it.Abstract = correctionLine(d, corrected, published)
		}
	}
	var f facts
	f.add(FactAgency, strings.Join(agencyNames(d.Agencies), ", "))
	f.add(FactType, d.Type)
	f.add(FactAction, d.Action)
	f.addDate(FactPublished, published)
	f.addDate(FactEffective, parseDate(d.EffectiveOn))
	f.add(FactCitation, d.Citation)
	f.add(FactDocument, d.DocumentNumber)
	if corrected != "" {
		f.add(FactCorrects, strings.ToUpper(corrected))
	}
	f.add(FactDocket, strings.Join(stringList(d.DocketIDs), "; "))
	f.add(FactRIN, strings.Join(stringList(d.RINs), "; "))
	f.add(FactLink, it.URL)
	it.Facts = f

	ref := bodyRef{
		number: strings.TrimSpace(d.DocumentNumber),
		raw:    s.link(d.RawTextURL),
		xml:    s.link(d.FullTextXMLURL),
		html:   s.link(d.BodyHTMLURL),
	}
	return it, ref, true
}

// correctionLine is the abstract of a correction that has none of its own (the Office of
// the Federal Register's corrections have none).
func correctionLine(d apiDocument, corrected string, published time.Time) string {
	line := "Correction of FR Doc. " + strings.ToUpper(corrected)
	if !published.IsZero() {
		line += ", published " + published.Format(time.DateOnly)
	}
	if c := oneLine(d.Citation); c != "" {
		line += " (" + c + ")"
	}
	return line + "."
}

// link resolves a full-text link, or returns "" (a bad link is as good as none).
func (s *Source) link(raw string) string {
	if strings.TrimSpace(raw) == "" {
		return ""
	}
	u, err := s.resolve(raw)
	if err != nil {
		s.log.Warn("federal register: full-text link ignored", "error", err)
		return ""
	}
	return u.String()
}

func agencyNames(as []apiAgency) []string {
	var names []string
	for _, a := range as {
		n := oneLine(a.Name)
		if n == "" {
			n = oneLine(a.RawName)
		}
		if n != "" {
			names = append(names, n)
		}
	}
	return names
}

// stringList reads a list of strings leniently: anything else is no list.
func stringList(raw json.RawMessage) []string {
	var l []string
	if len(raw) == 0 || json.Unmarshal(raw, &l) != nil {
		return nil
	}
	out := l[:0]
	for _, v := range l {
		if v = oneLine(v); v != "" {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// correctionOf reads correction_of, which names the corrected document by the API link to it
// ("https://www.federalregister.gov/api/v1/documents/2026-17324"), or by its number, as a
// normalised document number.
func correctionOf(raw json.RawMessage) string {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return ""
	}
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case map[string]any:
		s, _ = v["document_number"].(string)
		if s == "" {
			s, _ = v["json_url"].(string)
		}
		if s == "" {
			s, _ = v["html_url"].(string)
		}
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		// …/api/v1/documents/2019-22210.json or …/documents/2019/10/09/2019-22210/slug
		// The first segment shaped like a number: a trailing slug may look like one too.
		for _, p := range strings.Split(strings.Trim(u.Path, "/"), "/") {
			if n := NormalizeDocumentNumber(strings.TrimSuffix(p, ".json")); isDocumentNumber(n) {
				return n
			}
		}
		return ""
	}
	if n := NormalizeDocumentNumber(s); isDocumentNumber(n) {
		return n
	}
	return ""
}

// oneLine trims a title and folds its whitespace runs (some titles end in spaces).
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
