package fedreg

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSearch(t *testing.T) {
	api, _, published, correction := lifecycleAPI(t, nil)
	api.addDocs(records(t, fixture(t, "documents.search.2024-01.bis-subset.json"))...)
	api.addDocs(published, correction)
	// Configured agencies and types do not narrow an entity search.
	s := newTestSource(t, api.base(), Options{Agencies: []string{"state-department"}, Types: []string{"NOTICE"}})

	tests := []struct {
		name      string
		term      string
		limit     int
		wantTerm  string
		wantLimit string
		want      []string // SeenKeys, newest first
	}{
		{
			name: "a name only in a table row", term: "Intekh", limit: 10,
			wantTerm: `"Intekh"`, wantLimit: "10",
			want: []string{"fr:2023-03929@corrected:c1-2023-03929", "fr:2023-03929@published"},
		},
		{
			name: "a phrase, quotes and spacing cleaned", term: `  Innovation  and "Technologies" `, limit: 1,
			wantTerm: `"Innovation and Technologies"`, wantLimit: "1",
			want: []string{"fr:2023-03929@corrected:c1-2023-03929"},
		},
		{
			name: "the default limit", term: "Technical Advisory Committee",
			wantTerm: `"Technical Advisory Committee"`, wantLimit: "5",
			want: []string{"fr:2024-00422@published"},
		},
		{
			name: "nothing found", term: "codexNoMatchingDocument987654321", limit: 3,
			wantTerm: `"codexNoMatchingDocument987654321"`, wantLimit: "3",
		},
		{
			name: "a limit above the API's page", term: "Intekh", limit: 5000,
			wantTerm: `"Intekh"`, wantLimit: "1000",
			want: []string{"fr:2023-03929@corrected:c1-2023-03929", "fr:2023-03929@published"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(api.requests())
			items, err := s.Search(context.Background(), tt.term, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(seenKeys(items), tt.want) {
				t.Errorf("got %q, want %q", seenKeys(items), tt.want)
			}
			reqs := api.requests()[before:]
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			q := reqs[0].query
			if reqs[0].path != "/api/v1/documents.json" || q.Get("conditions[term]") != tt.wantTerm || q.Get("order") != "newest" ||
				q.Get("per_page") != tt.wantLimit || !slices.Equal(q["fields[]"], documentFields) ||
				q["conditions[agencies][]"] != nil || q["conditions[type][]"] != nil || q.Get("conditions[publication_date][gte]") != "" {
				t.Errorf("got request %s %v, want term %s, newest first, per_page %s, the fields, and no other condition", reqs[0].path, q, tt.wantTerm, tt.wantLimit)
			}
			for _, it := range items {
				if it.Body != "" || it.Rows != nil || factValue(it.Facts, FactCitation) == "" || factValue(it.Facts, FactLink) == "" {
					t.Errorf("%s: got body %d bytes, %d rows, facts %q; want no text, a citation and a link", it.SeenKey(), len(it.Body), len(it.Rows), it.Facts)
				}
			}
		})
	}

	if _, err := s.Search(context.Background(), ` " `, 5); err == nil || !strings.Contains(err.Error(), "empty term") {
		t.Errorf("got %v, want an error for an empty term", err)
	}
}

func TestSearchError(t *testing.T) {
	api := newFakeAPI(t, newFakeClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)))
	api.refuseNext(refusal{status: 429, retryAfter: "600"})
	s := newTestSource(t, api.base(), Options{})
	items, err := s.Search(context.Background(), "Hikvision", 5)
	var apiErr *APIError
	if items != nil || !errors.As(err, &apiErr) || apiErr.Status != 429 || apiErr.RetryAfter != 10*time.Minute ||
		!strings.HasPrefix(err.Error(), "fedreg: search: ") {
		t.Errorf("got %d items, %v; want a search error with the 429 and its Retry-After", len(items), err)
	}
}
