package config

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"0s", 0},
		{"90s", 90 * time.Second},
		{"10m", 10 * time.Minute},
		{"6h", 6 * time.Hour},
		{"2d", 48 * time.Hour},
		{"1w", 7 * 24 * time.Hour},
		{"1h30m", 90 * time.Minute},
		{"1w2d3h4m5s", (9*24+3)*time.Hour + 4*time.Minute + 5*time.Second},
		{"1.5h", 90 * time.Minute},
		{".5d", 12 * time.Hour},
		{"250ms", 250 * time.Millisecond},
		{"3us", 3 * time.Microsecond},
		{"3µs", 3 * time.Microsecond},
		{"7ns", 7},
		{"2h2h", 4 * time.Hour},
		{"15250w", 15250 * 7 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if err != nil {
				t.Fatalf("ParseDuration(%q) = %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "h", "10", "1x", "-1h", "+1h", "1 h", "1.2.3h", ".h", "1hh", "99999999999999999999s", "20000w", "1d ", " 1d"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			if got, err := ParseDuration(bad); err == nil {
				t.Errorf("ParseDuration(%q) = %v, nil; want an error", bad, got)
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{90 * time.Second, "1m30s"},
		{6 * time.Hour, "6h"},
		{48 * time.Hour, "2d"},
		{9 * 24 * time.Hour, "1w2d"},
		{90 * time.Minute, "1h30m"},
		{1500 * time.Millisecond, "1s500ms"},
		{-time.Hour, "-1h"},
		{1, "1ns"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := Duration(tt.in).String(); got != tt.want {
				t.Errorf("Duration(%v).String() = %q, want %q", tt.in, got, tt.want)
			}
			if tt.in < 0 {
				return
			}
			back, err := ParseDuration(tt.want)
			if err != nil || back != tt.in {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.want, back, err, tt.in)
			}
		})
	}
}

func TestDurationEncoding(t *testing.T) {
	var v struct {
		D Duration `yaml:"d" json:"d"`
	}
	if err := yaml.Unmarshal([]byte("d: 1d6h\n"), &v); err != nil {
		t.Fatal(err)
	}
	if got, want := v.D.D(), 30*time.Hour; got != want {
		t.Errorf("yaml decode = %v, want %v", got, want)
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "d: 1d6h\n"; got != want {
		t.Errorf("yaml encode = %q, want %q", got, want)
	}
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(js), `{"d":"1d6h"}`; got != want {
		t.Errorf("json encode = %s, want %s", got, want)
	}
	if err := yaml.Unmarshal([]byte("d: [1h]\n"), &v); err == nil || !strings.Contains(err.Error(), "duration") {
		t.Errorf("yaml decode of a list = %v, want a duration error", err)
	}
}
