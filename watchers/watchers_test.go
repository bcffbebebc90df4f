package watchers

import (
	"reflect"
	"testing"
	"time"
)

func TestTerms(t *testing.T) {
	w := Watch{Name: " Hikvision ", Aliases: []string{"hikvision", "", "海康威视", "HIK"}}
	if got, want := w.Terms(), []string{"Hikvision", "海康威视", "HIK"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Terms: got %q, want %q", got, want)
	}
}

func TestNewAlertsOnePerChannel(t *testing.T) {
	it := Item{Source: "fr", ID: "fr:2019-22210", Title: "Addition of Certain Entities to the Entity List"}
	ms := []Match{
		{Channel: "slack:C1", Entity: "Hikvision", Alias: "Hikvision"},
		{Channel: "slack:C1", Entity: "Dahua", Alias: "Dahua"},
		{Channel: "matrix:!r:x", Entity: "Hikvision", Alias: "海康威视"},
		{Channel: "slack:C1", Entity: "Hikvision", Alias: "Hangzhou Hikvision"},
	}
	got := NewAlerts(it, "fr:2019-22210", ms)
	if len(got) != 2 {
		t.Fatalf("got %d alerts, want one per channel (2)", len(got))
	}
	if got[0].Channel != "slack:C1" || !reflect.DeepEqual(got[0].Entities, []string{"Hikvision", "Dahua"}) || len(got[0].Matches) != 3 {
		t.Errorf("first alert: got %s %v with %d matches, want slack:C1 [Hikvision Dahua] with 3", got[0].Channel, got[0].Entities, len(got[0].Matches))
	}
	if got[1].EventKey != "fr:2019-22210" || got[1].Kind != KindNew || got[1].Item.ID != it.ID {
		t.Errorf("second alert: got %+v", got[1])
	}
	if n := len(NewAlerts(it, "k", nil)); n != 0 {
		t.Errorf("no matches: got %d alerts, want 0", n)
	}
}

func TestMessages(t *testing.T) {
	pi := Item{Source: "fedreg", ID: "fr:2019-22210", Step: StepPublicInspection, Title: "Addition of Certain Entities"}
	pub := pi
	pub.Step, pub.Published = StepPublished, time.Date(2019, 10, 9, 0, 0, 0, 0, time.UTC)
	next := func(it Item, entities ...string) Alert {
		return Alert{Channel: "c", EventKey: "fr:2019-22210", Kind: KindNew, Item: it, Entities: entities}
	}
	kinds := func(as []Alert) []AlertKind {
		var ks []AlertKind
		for _, a := range as {
			ks = append(ks, a.Kind)
		}
		return ks
	}
	tests := []struct {
		name      string
		prev      *AlertState
		next      Alert
		wantKinds []AlertKind
		wantNote  string
		wantEnts  []string // of the first message
	}{
		{"first", nil, next(pi, "Hikvision"), []AlertKind{KindNew}, "", []string{"Hikvision"}},
		{"first posted was muted", &AlertState{ID: 1, Item: pi, Entities: []string{"Hikvision"}}, next(pub, "Hikvision"), []AlertKind{KindNew}, "", []string{"Hikvision"}},
		{"published after inspection", &AlertState{ID: 1, Item: pi, Entities: []string{"Hikvision"}, Posted: true}, next(pub, "Dahua"),
			[]AlertKind{KindUpdate, KindFollowup}, "Published in the Federal Register on 2019-10-09", []string{"Hikvision", "Dahua"}},
		{"another outlet", &AlertState{ID: 1, Item: pub, Entities: []string{"Hikvision"}, Posted: true},
			next(Item{Source: "reuters", ID: "guid:9", Title: "US blacklists Hikvision"}, "Hikvision"),
			[]AlertKind{KindFollowup}, "Also reported by reuters: US blacklists Hikvision", []string{"Hikvision"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Messages(tt.prev, tt.next)
			if !reflect.DeepEqual(kinds(got), tt.wantKinds) {
				t.Fatalf("kinds: got %v, want %v", kinds(got), tt.wantKinds)
			}
			if got[0].Note != tt.wantNote || !reflect.DeepEqual(got[0].Entities, tt.wantEnts) {
				t.Errorf("first message: got note %q entities %v, want %q %v", got[0].Note, got[0].Entities, tt.wantNote, tt.wantEnts)
			}
			if tt.prev != nil && tt.prev.Posted && got[0].ID != tt.prev.ID {
				t.Errorf("ID: got %d, want the existing alert's %d", got[0].ID, tt.prev.ID)
			}
		})
	}
}

func TestSeenKey(t *testing.T) {
	tests := []struct {
		it   Item
		want string
	}{
		{Item{ID: "guid:1"}, "guid:1"},
		{Item{ID: "fr:2019-22210", Step: StepPublished}, "fr:2019-22210@published"},
		{Item{ID: "fr:2019-22210", Step: StepCorrected, Facts: []Fact{{Label: FactDocument, Value: "C1-2019-22210"}}}, "fr:2019-22210@corrected:c1-2019-22210"},
		{Item{ID: "fr:2019-22210", Step: StepCorrected}, "fr:2019-22210@corrected"},
	}
	for _, tt := range tests {
		if got := tt.it.SeenKey(); got != tt.want {
			t.Errorf("SeenKey(%+v) = %q, want %q", tt.it, got, tt.want)
		}
	}
}
