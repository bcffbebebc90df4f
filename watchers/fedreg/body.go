package fedreg

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/vigilbot/vigil/watchers"
)

// bodyRef holds the full-text links of one document, rebased onto the base URL.
type bodyRef struct {
	number string // the document the text is, as the API spells it
	raw    string
	xml    string
	html   string
}

func (r bodyRef) empty() bool { return r.raw == "" && r.xml == "" && r.html == "" }

// FetchBody fills it.Body and it.Rows with the full text of the item's document at its step:
//   - published: the GPO XML (at most 1 request/s), whose table rows become Rows; else the
//     raw text, else the HTML body;
//   - corrected: the same, of the correction document (its Document fact);
//   - on public inspection or withdrawn: the filing's raw text (the desk has no XML; its
//     PDF is not read, and a filing without raw text gives ErrNoFullText).
//
// The links come from the last Poll or PollPublicInspection, else from the document's own
// API record, so an item may be fetched in another process than the one that polled it.
func (s *Source) FetchBody(ctx context.Context, it *watchers.Item) error {
	if it == nil {
		return errors.New("fedreg: nil item")
	}
	number, ok := strings.CutPrefix(it.ID, idPrefix)
	if !ok || number == "" {
		return fmt.Errorf("fedreg: item %q is not a Federal Register document", it.ID)
	}
	desk := it.Step == watchers.StepPublicInspection || it.Step == watchers.StepWithdrawn
	s.mu.Lock()
	refs := s.docRefs
	if desk {
		refs = s.deskRefs
	}
	ref, known := refs[it.SeenKey()]
	s.mu.Unlock()

	if !known || ref.empty() {
		// Numbers are normalised to lower case; the API spells letters in upper case.
		apiNumber := factValue(it.Facts, FactDocument)
		switch {
		case known && ref.number != "":
			apiNumber = ref.number
		case apiNumber == "" && it.Step == watchers.StepCorrected:
			return fmt.Errorf("fedreg: document %s: a correction without its own number (the %s fact)", number, FactDocument)
		case apiNumber == "":
			apiNumber = strings.ToUpper(number)
		}
		var err error
		if desk {
			ref, err = s.lookupFiling(ctx, apiNumber)
		} else {
			ref, err = s.lookupDocument(ctx, apiNumber)
		}
		if err != nil {
			return fmt.Errorf("fedreg: document %s: %w", apiNumber, err)
		}
	}
	text, err := s.fetchText(ctx, ref)
	if err != nil {
		return fmt.Errorf("fedreg: document %s: %w", cmp.Or(ref.number, number), err)
	}
	it.Body, it.Rows = text.body, text.rows
	return nil
}

// lookupDocument asks the API for a published document's full-text links.
func (s *Source) lookupDocument(ctx context.Context, number string) (bodyRef, error) {
	if !isDocumentNumber(strings.ToLower(number)) {
		return bodyRef{}, fmt.Errorf("not a document number: %q", number)
	}
	q := url.Values{}
	for _, f := range bodyFields {
		q.Add("fields[]", f)
	}
	var d apiDocument
	if err := s.getJSON(ctx, s.endpoint("documents/"+number+".json", q), &d); err != nil {
		return bodyRef{}, err
	}
	return bodyRef{
		number: number,
		raw:    s.link(d.RawTextURL),
		xml:    s.link(d.FullTextXMLURL),
		html:   s.link(d.BodyHTMLURL),
	}, nil
}

// lookupFiling asks the API for a filing's raw-text link.
func (s *Source) lookupFiling(ctx context.Context, number string) (bodyRef, error) {
	if !isDocumentNumber(strings.ToLower(number)) {
		return bodyRef{}, fmt.Errorf("not a document number: %q", number)
	}
	var d apiInspection
	if err := s.getJSON(ctx, s.endpoint("public-inspection-documents/"+number+".json", url.Values{}), &d); err != nil {
		return bodyRef{}, err
	}
	return bodyRef{number: number, raw: s.link(d.RawTextURL)}, nil
}

// fetchText reads the first full text that can be had, in order of preference: the GPO XML
// (its tables are structured, so a name in a row stays whole; limited to 1 request/s), the
// raw text (its tables are laid out in columns), the HTML body. A refusal to serve (429,
// 503) or the end of ctx stops there rather than asking again for another form.
func (s *Source) fetchText(ctx context.Context, ref bodyRef) (fullText, error) {
	type source struct {
		link    string
		extra   []*limiter
		convert func([]byte) (fullText, error)
	}
	var errs []error
	for _, src := range []source{
		{ref.xml, []*limiter{s.xmlLimit}, xmlText},
		{ref.raw, nil, rawText},
		{ref.html, nil, htmlText},
	} {
		if src.link == "" {
			continue
		}
		u, err := url.Parse(src.link)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		b, err := s.get(ctx, u, "*/*", maxTextBytes, src.extra...)
		if err == nil {
			var text fullText
			if text, err = src.convert(b); err == nil {
				return text, nil
			}
		}
		var apiErr *APIError
		if ctx.Err() != nil || (errors.As(err, &apiErr) && apiErr.throttled()) {
			return fullText{}, err
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return fullText{}, ErrNoFullText
	}
	return fullText{}, errors.Join(errs...)
}
