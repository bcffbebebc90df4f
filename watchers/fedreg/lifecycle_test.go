package fedreg

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

// lifecycleAPI serves the documents of testdata/lifecycle (see its README) and their texts:
// the filing's raw text, the real rule as the published document's XML, and the
// correction's XML.
func lifecycleAPI(t *testing.T, clock *fakeClock) (api *fakeAPI, filing, published, correction map[string]any) {
	t.Helper()
	api = newFakeAPI(t, clock)
	filing = record(t, testdata(t, "lifecycle/public-inspection-document.2023-03929.json"))
	published = record(t, testdata(t, "lifecycle/document.2023-03929.json"))
	correction = record(t, testdata(t, "lifecycle/document.C1-2023-03929.json"))
	api.file(filing["raw_text_url"].(string), testdata(t, "lifecycle/public-inspection.2023-03929.txt"))
	api.file(published["full_text_xml_url"].(string), fixture(t, "2023-03929.rule.xml"))
	api.file(correction["full_text_xml_url"].(string), testdata(t, "lifecycle/C1-2023-03929.xml"))
	return api, filing, published, correction
}

// TestLifecycle follows one document through its steps: filed for public inspection,
// published, corrected. It is one identity throughout, each step new once (its SeenKey),
// with the facts and the full text of that step.
func TestLifecycle(t *testing.T) {
	clock := newFakeClock(time.Date(2023, 2, 24, 15, 0, 0, 0, time.UTC)) // a Friday, 10:00 in Washington
	api, filing, published, correction := lifecycleAPI(t, clock)
	s := newTestSource(t, api.base(), onClock(Options{
		Agencies: []string{"industry-and-security-bureau", "foreign-assets-control-office", "state-department"},
	}, clock))
	ctx := context.Background()
	var steps []watchers.Item // the new steps, as the caller's store would see them
	seen := map[string]bool{}
	poll := func(f func(context.Context) ([]watchers.Item, error)) []watchers.Item {
		t.Helper()
		items, err := f(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if !seen[it.SeenKey()] {
				seen[it.SeenKey()] = true
				steps = append(steps, it)
			}
		}
		return items
	}

	// Friday: filed for public inspection.
	api.setDesk(filing)
	if items := poll(s.Poll); len(items) != 0 {
		t.Fatalf("got %d published items before publication, want none", len(items))
	}
	desk := poll(s.PollPublicInspection)
	if len(desk) != 1 {
		t.Fatalf("got %d filings, want 1", len(desk))
	}
	pi := desk[0]
	wantPI := watchers.Item{
		Source:    "fedreg",
		ID:        "fr:2023-03929",
		Step:      watchers.StepPublicInspection,
		Title:     "Additions of Entities to the Entity List",
		URL:       "https://www.federalregister.gov/d/2023-03929",
		Published: time.Date(2023, 2, 24, 13, 45, 0, 0, time.UTC),
		Abstract:  "Filed for public inspection on 2023-02-24, to be published on 2023-02-27.",
		Facts: []watchers.Fact{
			{Label: FactAgency, Value: "Commerce Department, Industry and Security Bureau"},
			{Label: FactType, Value: "Rule"},
			{Label: FactFiled, Value: "2023-02-24 08:45 EST"},
			{Label: FactToBePublished, Value: "2023-02-27"},
			{Label: FactDocument, Value: "2023-03929"},
			{Label: FactDocket, Value: "Docket No. 230221-0050"},
			{Label: FactLink, Value: "https://www.federalregister.gov/d/2023-03929"},
		},
	}
	if !reflect.DeepEqual(pi, wantPI) {
		t.Errorf("public inspection: got\n\t%+v\nwant\n\t%+v", pi, wantPI)
	}
	if err := s.FetchBody(ctx, &pi); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pi.Body, "-Intekh; and") || pi.Rows != nil {
		t.Errorf("public inspection: got body %q and %d rows, want the filing's raw text naming Intekh", pi.Body, len(pi.Rows))
	}

	// Monday: published, and off the desk.
	clock.Advance(3 * 24 * time.Hour)
	api.setDesk()
	api.addDocs(published)
	if items := poll(s.PollPublicInspection); len(items) != 0 {
		t.Errorf("got %d filings, want none", len(items))
	}
	items := poll(s.Poll)
	if want := []string{"fr:2023-03929@published"}; !slices.Equal(seenKeys(items), want) {
		t.Fatalf("got %q, want %q", seenKeys(items), want)
	}
	pub := items[0]
	wantFacts := []watchers.Fact{
		{Label: FactAgency, Value: "Commerce Department, Industry and Security Bureau"},
		{Label: FactType, Value: "Rule"},
		{Label: FactAction, Value: "Final rule."},
		{Label: FactPublished, Value: "2023-02-27"},
		{Label: FactEffective, Value: "2023-02-24"},
		{Label: FactCitation, Value: "88 FR 12170"},
		{Label: FactDocument, Value: "2023-03929"},
		{Label: FactDocket, Value: "Docket No. 230221-0050"},
		{Label: FactRIN, Value: "0694-AJ13"},
		{Label: FactLink, Value: "https://www.federalregister.gov/d/2023-03929"},
	}
	if pub.URL != pi.URL || !pub.Published.Equal(date("2023-02-27")) || !strings.HasPrefix(pub.Abstract, "The Department of Commerce is amending") ||
		!reflect.DeepEqual(pub.Facts, wantFacts) {
		t.Errorf("published: got %+v, want the same link, the date, the abstract and facts\n\t%+v", pub, wantFacts)
	}
	if err := s.FetchBody(ctx, &pub); err != nil {
		t.Fatal(err)
	}
	checkIntekhInRows(t, pub)

	// A week later: a correction.
	clock.Advance(7 * 24 * time.Hour)
	api.addDocs(correction)
	items = poll(s.Poll)
	if want := []string{"fr:2023-03929@published", "fr:2023-03929@corrected:c1-2023-03929"}; !slices.Equal(seenKeys(items), want) {
		t.Fatalf("got %q, want %q (the published document is still in the window)", seenKeys(items), want)
	}
	cor := items[1]
	if factValue(cor.Facts, FactDocument) != "C1-2023-03929" || factValue(cor.Facts, FactCorrects) != "2023-03929" ||
		cor.URL != "https://www.federalregister.gov/d/C1-2023-03929" {
		t.Errorf("corrected: got %+v, want the correction's own number and link, and the corrected one", cor)
	}
	if err := s.FetchBody(ctx, &cor); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cor.Body, "In rule document 2023-03929, appearing on pages 12170 through 12175") ||
		!slices.ContainsFunc(cor.Rows, func(r string) bool {
			return strings.HasPrefix(r, "RUSSIA | Innovation and Technologies LLC, a.k.a., the following two aliases: —Intekh; and —INTEKH OOO.")
		}) {
		t.Errorf("corrected: got body %q and rows %q, want the correction's text with its row", cor.Body, cor.Rows)
	}

	// One identity, three steps, each new once.
	var got []string
	for _, it := range steps {
		got = append(got, it.SeenKey())
	}
	if want := []string{"fr:2023-03929@public_inspection", "fr:2023-03929@published", "fr:2023-03929@corrected:c1-2023-03929"}; !slices.Equal(got, want) {
		t.Errorf("got steps %q, want %q", got, want)
	}

	// Another process (a fetch job on another replica) has none of the links: each step's
	// text is found from the item alone.
	other := newTestSource(t, api.base(), onClock(Options{}, clock))
	for _, it := range steps {
		want := map[string]string{
			"fr:2023-03929@public_inspection":       "/public-inspection/raw_text/202/303/929.txt",
			"fr:2023-03929@published":               "/documents/full_text/xml/2023/02/27/2023-03929.xml",
			"fr:2023-03929@corrected:c1-2023-03929": "/documents/full_text/xml/2023/03/06/C1-2023-03929.xml",
		}[it.SeenKey()]
		it.Body, it.Rows = "", nil
		before := len(api.requests())
		if err := other.FetchBody(ctx, &it); err != nil {
			t.Fatalf("%s: %v", it.SeenKey(), err)
		}
		paths := api.paths()[before:]
		if len(paths) != 2 || paths[1] != want || it.Body == "" {
			t.Errorf("%s: got requests %q and %d bytes of body, want a lookup, then %s", it.SeenKey(), paths, len(it.Body), want)
		}
	}
}

// checkIntekhInRows checks the text of the real rule 2023-03929: the alias Intekh is named
// only in its Supplement No. 4 table, so it is in a row and nowhere in the body.
func checkIntekhInRows(t *testing.T, it watchers.Item) {
	t.Helper()
	if strings.Contains(strings.ToLower(it.Body), "intekh") {
		t.Errorf("got Intekh in the body, want it only in the rows")
	}
	if !strings.Contains(it.Body, "Innovation and Technologies LLC, under the destination of Russia") {
		t.Errorf("got a body without the rule's running text")
	}
	i := slices.IndexFunc(it.Rows, func(r string) bool {
		return strings.HasPrefix(r, "Innovation and Technologies LLC, a.k.a., the following two aliases: —Intekh; and —INTEKH OOO.")
	})
	if i < 0 {
		t.Fatalf("got no row naming Intekh in %d rows", len(it.Rows))
	}
	if want := " | For all items subject to the EAR. (See §§ 734.9(g), 744.21(b), and 746.8(a)(3) of the EAR) | Policy of denial for all items subject to the EAR"; !strings.Contains(it.Rows[i], want) ||
		!strings.HasSuffix(it.Rows[i], " | 88 FR [INSERT FR PAGE NUMBER AND 2/27/2023].") {
		t.Errorf("got row %q, want its cells joined by \" | \"", it.Rows[i])
	}
}
