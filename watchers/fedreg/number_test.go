package fedreg

import (
	"strings"
	"testing"
)

func TestNormalizeDocumentNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2019-22210", "2019-22210"},
		{" 2019-22210 ", "2019-22210"},
		{"FR Doc. 2019\u201322210", "2019-22210"}, // en dash, as typeset
		{"fr doc 2019-22210", "2019-22210"},
		{"FR Doc No: 93-32104", "93-32104"},
		{"[FR Doc. 2023-03929 Filed 2-24-23; 8:45 am]", "2023-03929"},
		{"FR Doc. 2019\u201422210.", "2019-22210"}, // em dash, trailing period
		{"2019\u221222210", "2019-22210"},          // minus sign
		{"E9-12940", "e9-12940"},
		{"C1-2026-01234", "c1-2026-01234"},
		{"X94-70302", "x94-70302"},
		{"", ""},
		{"   ", ""},
		{"Not A Number", "not a number"},
		{" FR Docket 12 ", "fr docket 12"},
		{"2019-22", "2019-22"},
		{"fr doc", "fr doc"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizeDocumentNumber(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzNormalizeDocumentNumber(f *testing.F) {
	for _, s := range []string{"2019-22210", "FR Doc. 2019\u201322210", "fr doc no: 93-32104", "[FR Doc. 2023-03929 Filed", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := NormalizeDocumentNumber(s)
		if got != strings.TrimSpace(got) {
			t.Fatalf("NormalizeDocumentNumber(%q) = %q, want it trimmed", s, got)
		}
		if again := NormalizeDocumentNumber(got); again != got {
			t.Fatalf("NormalizeDocumentNumber(%q) = %q, but of that %q: want one identity", s, got, again)
		}
	})
}
