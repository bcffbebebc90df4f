package config

import (
	"testing"
	"time"
)

func TestParseSLA(t *testing.T) {
	tests := []struct {
		in   string
		want SLA
		str  string
		err  bool
	}{
		{in: "1 business day", want: SLA{BusinessDays: 1}, str: "1 business day"},
		{in: "3 Business Days", want: SLA{BusinessDays: 3}, str: "3 business days"},
		{in: " 2  business  days ", want: SLA{BusinessDays: 2}, str: "2 business days"},
		{in: "4h", want: SLA{Duration: 4 * time.Hour}, str: "4h"},
		{in: "2d", want: SLA{Duration: 48 * time.Hour}, str: "2d"},
		{in: "off", want: SLA{}, str: "off"},
		{in: "OFF", want: SLA{}, str: "off"},
		{in: "0 business days", err: true},
		{in: "66 business days", err: true},
		{in: "1 working day", err: true},
		{in: "0", err: true},
		{in: "", err: true},
		{in: "-1h", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSLA(tt.in)
			if tt.err {
				if err == nil {
					t.Fatalf("ParseSLA(%q) = %+v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want || got.String() != tt.str {
				t.Errorf("ParseSLA(%q) = %+v (%q), %v; want %+v (%q)", tt.in, got, got.String(), err, tt.want, tt.str)
			}
		})
	}
}

func TestChannelSLA(t *testing.T) {
	c, err := Parse([]byte(`
sources: []
triage: {sla: 2 business days, timezone: Europe/Berlin}
channels:
  - {id: "console:fast", sla: 4h}
  - {id: "console:quiet", sla: off}
  - {id: "console:plain"}
`), "sla.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for ch, want := range map[string]SLA{
		"console:fast": {Duration: 4 * time.Hour}, "console:quiet": {}, "console:plain": {BusinessDays: 2}, "console:unlisted": {BusinessDays: 2},
	} {
		if got := c.ChannelSLA(ch); got != want {
			t.Errorf("ChannelSLA(%s) = %+v, want %+v", ch, got, want)
		}
	}
	if loc := c.TriageLocation(); loc.String() != "Europe/Berlin" {
		t.Errorf("TriageLocation() = %v", loc)
	}
	if loc := Default().TriageLocation(); loc != time.UTC {
		t.Errorf("default TriageLocation() = %v, want UTC", loc)
	}
	if got := Default().ChannelSLA("console:main"); got != (SLA{BusinessDays: 1}) {
		t.Errorf("default SLA = %+v, want 1 business day", got)
	}
}
