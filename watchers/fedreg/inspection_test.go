package fedreg

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Filed is shown in Washington's time, on any test host

	"github.com/vigilbot/vigil/watchers"
)

// deskRecords are real public-inspection records: the list page's two results (the list
// shape current.json has), a withdrawn filing and a detail record.
func deskRecords(t *testing.T) []map[string]any {
	t.Helper()
	recs := records(t, fixture(t, "public-inspection-documents.search.per_page-2.json"))
	for _, name := range []string{"public-inspection-document.2017-00854.withdrawn.json", "public-inspection-document.2026-19958.json"} {
		recs = append(recs, record(t, fixture(t, name)))
	}
	return recs
}

func TestPollPublicInspection(t *testing.T) {
	api := newFakeAPI(t, nil)
	api.setDesk(deskRecords(t)...)
	now := time.Date(2026, 9, 29, 15, 0, 0, 0, time.UTC)
	s := newTestSource(t, api.base(), onClock(Options{
		Agencies: []string{"international-trade-administration", "animal-and-plant-health-inspection-service", "railroad-retirement-board"},
	}, newFakeClock(now)))
	items, err := s.PollPublicInspection(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []watchers.Item{
		{
			// Withdrawn: no filing time and no publication date; dated by its last day on
			// the desk (and so first, oldest first).
			Source:    "fedreg",
			ID:        "fr:2017-00854",
			Step:      watchers.StepWithdrawn,
			Title:     "Horse Protection: Licensing of Designated Qualified Persons and Other Amendments",
			URL:       "https://www.federalregister.gov/d/2017-00854",
			Published: date("2017-01-24"),
			Abstract: "Withdrawn from public inspection before publication. " +
				"APHIS requested the withdrawal of this document after it was on public inspection. " +
				"It will remain on public inspection until the close of business on January 24. " +
				"A copy of the withdrawal request is available at the Office of the Federal Register.",
			Facts: []watchers.Fact{
				{Label: FactAgency, Value: "Animal and Plant Health Inspection Service"},
				{Label: FactType, Value: "Rule"},
				{Label: FactDocument, Value: "2017-00854"},
				{Label: FactLink, Value: "https://www.federalregister.gov/d/2017-00854"},
			},
		},
		{
			Source:    "fedreg",
			ID:        "fr:2026-19958",
			Step:      watchers.StepPublicInspection,
			Title:     "Meetings; Sunshine Act",
			URL:       "https://www.federalregister.gov/d/2026-19958",
			Published: time.Date(2026, 9, 28, 15, 15, 0, 0, time.UTC),
			Abstract:  "Filed for public inspection on 2026-09-28, to be published on 2026-09-30.",
			Facts: []watchers.Fact{
				{Label: FactAgency, Value: "Railroad Retirement Board"},
				{Label: FactType, Value: "Notice"},
				{Label: FactFiled, Value: "2026-09-28 11:15 EDT"},
				{Label: FactToBePublished, Value: "2026-09-30"},
				{Label: FactDocument, Value: "2026-19958"},
				{Label: FactLink, Value: "https://www.federalregister.gov/d/2026-19958"},
			},
		},
		{
			Source:    "fedreg",
			ID:        "fr:2026-19930",
			Step:      watchers.StepPublicInspection,
			Title:     "Antidumping or Countervailing Duty Investigations, Orders, or Reviews: Light-Walled Rectangular Pipe and Tube from Mexico",
			URL:       "https://www.federalregister.gov/d/2026-19930",
			Published: time.Date(2026, 9, 29, 12, 45, 0, 0, time.UTC),
			Abstract:  "Filed for public inspection on 2026-09-29, to be published on 2026-09-30.",
			Facts: []watchers.Fact{
				{Label: FactAgency, Value: "International Trade Administration"},
				{Label: FactType, Value: "Notice"},
				{Label: FactFiled, Value: "2026-09-29 08:45 EDT"},
				{Label: FactToBePublished, Value: "2026-09-30"},
				{Label: FactDocument, Value: "2026-19930"},
				{Label: FactLink, Value: "https://www.federalregister.gov/d/2026-19930"},
			},
		},
	}
	if len(items) != len(want) {
		t.Fatalf("got %d items %q, want %d", len(items), seenKeys(items), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(items[i], want[i]) {
			t.Errorf("item %d: got\n\t%+v\nwant\n\t%+v", i, items[i], want[i])
		}
	}
	if got := api.paths(); !slices.Equal(got, []string{"/api/v1/public-inspection-documents/current.json"}) {
		t.Errorf("got requests %q, want only current.json (no documents search)", got)
	}
}

func TestPollPublicInspectionFilters(t *testing.T) {
	api := newFakeAPI(t, nil)
	api.setDesk(deskRecords(t)...)
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{name: "every agency", opts: Options{}, want: []string{"fr:2017-00854", "fr:2026-19958", "fr:2026-19930", "fr:2026-19936"}},
		{name: "no agency on the desk", opts: Options{Agencies: []string{"industry-and-security-bureau"}}, want: nil},
		{name: "rules only", opts: Options{Types: []string{"RULE"}}, want: []string{"fr:2017-00854"}},
		{name: "notices of one agency", opts: Options{Types: []string{"NOTICE"}, Agencies: []string{"railroad-retirement-board"}}, want: []string{"fr:2026-19958"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSource(t, api.base(), onClock(tt.opts, newFakeClock(time.Date(2026, 9, 29, 15, 0, 0, 0, time.UTC))))
			items, err := s.PollPublicInspection(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(items), tt.want) {
				t.Errorf("got %q, want %q", ids(items), tt.want)
			}
		})
	}
}

// TestInspectionSteps: what makes a filing withdrawn, and what its abstract says.
func TestInspectionSteps(t *testing.T) {
	base := record(t, fixture(t, "public-inspection-document.2026-19958.json"))
	tests := []struct {
		name         string
		change       map[string]any
		wantStep     watchers.Step
		wantAbstract string
		wantToBe     string
	}{
		{
			name:         "on the desk",
			wantStep:     watchers.StepPublicInspection,
			wantAbstract: "Filed for public inspection on 2026-09-28, to be published on 2026-09-30.",
			wantToBe:     "2026-09-30",
		},
		{
			name:         "withdrawn, publication date kept",
			change:       map[string]any{"editorial_note": "The agency withdrew this document after it was filed."},
			wantStep:     watchers.StepWithdrawn,
			wantAbstract: "Filed for public inspection on 2026-09-28 and withdrawn before publication. The agency withdrew this document after it was filed.",
		},
		{
			name:         "no publication date and a note",
			change:       map[string]any{"publication_date": nil, "editorial_note": "This document will not be published."},
			wantStep:     watchers.StepWithdrawn,
			wantAbstract: "Filed for public inspection on 2026-09-28 and withdrawn before publication. This document will not be published.",
		},
		{
			name:         "a note that is not a withdrawal",
			change:       map[string]any{"editorial_note": "  This document was  revised. "},
			wantStep:     watchers.StepPublicInspection,
			wantAbstract: "Filed for public inspection on 2026-09-28, to be published on 2026-09-30. This document was revised.",
			wantToBe:     "2026-09-30",
		},
		{
			name:         "no filing time",
			change:       map[string]any{"filed_at": nil},
			wantStep:     watchers.StepPublicInspection,
			wantAbstract: "On public inspection, to be published on 2026-09-30.",
			wantToBe:     "2026-09-30",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := changed(base, tt.change)
			api := newFakeAPI(t, nil)
			api.setDesk(rec)
			s := newTestSource(t, api.base(), Options{})
			items, err := s.PollPublicInspection(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 {
				t.Fatalf("got %d items, want 1", len(items))
			}
			it := items[0]
			if it.ID != "fr:2026-19958" || it.Step != tt.wantStep || it.Abstract != tt.wantAbstract {
				t.Errorf("got %s at %q, abstract %q; want fr:2026-19958 at %q, %q", it.ID, it.Step, it.Abstract, tt.wantStep, tt.wantAbstract)
			}
			if got := factValue(it.Facts, FactToBePublished); got != tt.wantToBe {
				t.Errorf("got %s %q, want %q", FactToBePublished, got, tt.wantToBe)
			}
		})
	}
}

func TestPollPublicInspectionError(t *testing.T) {
	srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusInternalServerError, []byte(`{"status":500,"message":"oops"}`))
	})
	s := newTestSource(t, srv.base(), Options{})
	items, err := s.PollPublicInspection(context.Background())
	if err == nil || items != nil || !strings.Contains(err.Error(), "public inspection") || !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("got %d items, error %v; want none and an error naming public inspection and HTTP 500", len(items), err)
	}
}
