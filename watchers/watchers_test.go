package watchers

import (
	"reflect"
	"testing"
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
