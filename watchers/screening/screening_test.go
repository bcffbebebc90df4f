package screening

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/vigilbot/vigil/internal/fixtures"
)

func TestReadCSL(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Entry
	}{
		{
			name: "current CSL columns",
			in: "_id,source,name,alt_names,addresses\n" +
				"1,Entity List (EL) - Bureau of Industry and Security,ZTE Corporation,\"ZTE; Zhongxing\",\"Shenzhen, CN\"\n",
			want: []Entry{{Name: "ZTE Corporation", Aliases: []string{"ZTE", "Zhongxing"},
				Source: "Entity List (EL) - Bureau of Industry and Security"}},
		},
		{
			name: "columns in any order, no source column",
			in:   "alt_names,extra,name\nHikvision;海康威视,x,Hangzhou Hikvision Digital Technology\n",
			want: []Entry{{Name: "Hangzhou Hikvision Digital Technology", Aliases: []string{"Hikvision", "海康威视"}}},
		},
		{
			name: "byte order mark and upper-case header",
			in:   "\ufeffNAME,ALT_NAMES\nDahua,\n",
			want: []Entry{{Name: "Dahua"}},
		},
		{
			name: "quoted fields with commas, quotes and newlines",
			in:   "name,alt_names\n\"Beijing Yunze Technology Co., Ltd.\",\"Yunze \"\"Cloud\"\"; Yunze\nTech\"\n",
			want: []Entry{{Name: "Beijing Yunze Technology Co., Ltd.", Aliases: []string{`Yunze "Cloud"`, "Yunze Tech"}}},
		},
		{
			name: "aliases deduplicated case-insensitively, the name dropped",
			in:   "name,alt_names\nSMIC,\"Semiconductor Manufacturing International Corp; SMIC; smic ;SEMICONDUCTOR  MANUFACTURING INTERNATIONAL CORP;;\"\n",
			want: []Entry{{Name: "SMIC", Aliases: []string{"Semiconductor Manufacturing International Corp"}}},
		},
		{
			name: "rows of one party merged, sources joined",
			in: "source,name,alt_names\n" +
				"CMIC,China Telecom Corporation Limited,CHINA TELECOM\n" +
				"SDN,CHINA TELECOM  CORPORATION LIMITED,\"China Telecom; China Telecom Corp Ltd\"\n" +
				"CMIC,China Telecom Corporation Limited,\n",
			want: []Entry{{Name: "China Telecom Corporation Limited",
				Aliases: []string{"CHINA TELECOM", "China Telecom Corp Ltd"}, Source: "CMIC; SDN"}},
		},
		{
			name: "repeated header, blank names and short rows skipped",
			in:   "name,alt_names,source\nname,alt_names,source\n,orphan,EL\nAtlas Sanatgaran\n",
			want: []Entry{{Name: "Atlas Sanatgaran"}},
		},
		{
			name: "successor clause cut from the name",
			in:   "name\n\"Sinobright Import and Export Company; and any successor, sub-unit, or subsidiary thereof\"\n",
			want: []Entry{{Name: "Sinobright Import and Export Company"}},
		},
		{
			name: "older per-list columns: Name, Alternate Name, Source List",
			in:   "Source List,Name,Alternate Name\nEL,Fazal Rahim Farid,Fazel Rahim Farid\nEL,Fazal Rahim Farid,Farid\n",
			want: []Entry{{Name: "Fazal Rahim Farid", Aliases: []string{"Fazel Rahim Farid", "Farid"}, Source: "EL"}},
		},
		{
			name: "tab-separated",
			in:   "\"Name\"\t\"City\"\n\"AARON ABRAHAM VILLA\"\t\"EL PASO\"\n",
			want: []Entry{{Name: "AARON ABRAHAM VILLA"}},
		},
		{
			name: "Windows-1252 field",
			in:   "name,alt_names\nQazi Abdallah,\"Jawid, Sa\x92id Jan \x91Abd-al-Salam \"\n",
			want: []Entry{{Name: "Qazi Abdallah", Aliases: []string{"Jawid, Sa’id Jan ‘Abd-al-Salam"}}},
		},
		{
			name: "header only",
			in:   "name,alt_names\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadCSL(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ReadCSL: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n\t%#v\nwant\n\t%#v", got, tt.want)
			}
		})
	}
}

func TestReadCSLErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		is     error
		substr string
	}{
		{"empty file", "", ErrNoNameColumn, "line 1"},
		{"no name column", "id,alt_names\n1,x\n", ErrNoNameColumn, "line 1: no name column (header: id, alt_names)"},
		{"bare quote", "name,alt_names\nok,\nbad \"quote\" here,x\n", nil, "line 3"},
		{"unterminated quoted field", "name\nok\n\"cut off\n", nil, "line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCSL(strings.NewReader(tt.in))
			if err == nil {
				t.Fatal("got no error, want one")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("got %v, want it to wrap %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.substr) {
				t.Errorf("got %q, want it to contain %q", err, tt.substr)
			}
		})
	}
}

func TestReadCSLFixtures(t *testing.T) {
	t.Run("CSL sample", func(t *testing.T) {
		es := mustRead(t, fixtures.Read(t, "lists/csl.sample.watchman-2025-06-25.csv"))
		if len(es) != 13 {
			t.Errorf("got %d entries, want 13", len(es))
		}
		sources := map[string]bool{}
		for _, e := range es {
			sources[e.Source] = true
		}
		if len(sources) != 10 {
			t.Errorf("got %d sources, want 10", len(sources))
		}
		want := Entry{Name: "Sinobright Import and Export Company", Source: "Nonproliferation Sanctions (ISN) - State Department"}
		if !reflect.DeepEqual(es[0], want) {
			t.Errorf("got first entry %#v, want %#v", es[0], want)
		}
		cetc := entry(t, es, "China Electronics Technology Group Corporation 13th Research Institute (CETC 13)")
		if cetc.Source != "Entity List (EL) - Bureau of Industry and Security" {
			t.Errorf("got CETC 13 source %q, want the Entity List", cetc.Source)
		}
	})

	t.Run("partial CSL: truncated last record", func(t *testing.T) {
		data := fixtures.Read(t, "lists/csl.partial.watchman-2023-11-30.csv")
		_, err := ReadCSL(bytes.NewReader(data))
		if err == nil || !strings.Contains(err.Error(), "line 4233") {
			t.Fatalf("got error %v, want one naming line 4233 (the file ends inside a quoted field)", err)
		}
		// Without its cut-off last record the file reads; its header line appears twice.
		whole := data[:bytes.LastIndexByte(data[:len(data)-1], '\n')+1]
		es := mustRead(t, whole)
		if len(es) < 3800 || len(es) > 4227 {
			t.Errorf("got %d entries, want about 4,000 (4,226 rows, some naming one party)", len(es))
		}
		tel := entry(t, es, "China Telecom Corporation Limited")
		for _, a := range []string{"CHINA TELECOM", "CHINA TELECOM CO., LTD", "CHINA TELECOM CORP LTD"} {
			if !containsFold(tel.Aliases, a) {
				t.Errorf("got China Telecom aliases %q, want %q among them", tel.Aliases, a)
			}
		}
		vtb := entry(t, es, "VTB Bank Public Joint Stock Company")
		if len(vtb.Aliases) < 20 {
			t.Errorf("got %d VTB aliases, want its two dozen", len(vtb.Aliases))
		}
		for _, e := range es {
			if e.Name == "" || e.Name == "name" {
				t.Errorf("got entry %#v, want a party's name", e)
			}
			checkAliases(t, e)
		}
	})

	t.Run("old Entity List format: one alias a row", func(t *testing.T) {
		es := mustRead(t, fixtures.Read(t, "lists/bis-entity-list.fixture.govwizely.csv"))
		want := Entry{Name: "Fazal Rahim Farid", Aliases: []string{"Fazel Rahim Farid", "Farid", "Engineer Idris"}, Source: "EL"}
		if !reflect.DeepEqual(es[0], want) {
			t.Errorf("got %#v, want %#v", es[0], want)
		}
		q := entry(t, es, "Qazi Abdallah")
		if want := []string{"Jawid, Sa’id Jan ‘Abd-al-Salam"}; !reflect.DeepEqual(q.Aliases, want) {
			t.Errorf("got %q, want %q (Windows-1252 quotes decoded)", q.Aliases, want)
		}
	})

	t.Run("Denied Persons List: tab-separated", func(t *testing.T) {
		es := mustRead(t, fixtures.Read(t, "lists/bis-denied-persons.watchman-bench-2022-09-07.txt"))
		if len(es) < 400 {
			t.Errorf("got %d entries, want the 581 rows' parties", len(es))
		}
		entry(t, es, "AARON ABRAHAM VILLA")
	})

	t.Run("OFAC legacy sdn.csv has no header", func(t *testing.T) {
		_, err := ReadCSL(bytes.NewReader(fixtures.Read(t, "lists/ofac-sdn.2024-05-03.csv")))
		if !errors.Is(err, ErrNoNameColumn) || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("got %v, want a missing name column on line 1", err)
		}
	})
}

func FuzzReadCSL(f *testing.F) {
	f.Add("name,alt_names\nZTE Corporation,ZTE; zte ;ZTE Corporation\n")
	f.Add("source,name,alt_names\n\"a\",\"b;c\",\"d\"\"e;f\"\n")
	f.Add("\ufeffName\tAlternate Name\nx\ty\n")
	f.Add("name\n\"unterminated\n")
	f.Fuzz(func(t *testing.T, in string) {
		es, err := ReadCSL(strings.NewReader(in))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, e := range es {
			if e.Name == "" || e.Name != collapse(e.Name) {
				t.Errorf("got name %q, want it non-empty and trimmed", e.Name)
			}
			if seen[fold(e.Name)] {
				t.Errorf("got %q twice, want parties merged", e.Name)
			}
			seen[fold(e.Name)] = true
			checkAliases(t, e)
		}
	})
}

func checkAliases(t *testing.T, e Entry) {
	t.Helper()
	seen := map[string]bool{fold(e.Name): true}
	for _, a := range e.Aliases {
		if a == "" || seen[fold(a)] {
			t.Errorf("%s: got alias %q, want it non-empty and unlike the name and the other aliases", e.Name, a)
		}
		seen[fold(a)] = true
	}
}

func mustRead(t *testing.T, data []byte) []Entry {
	t.Helper()
	es, err := ReadCSL(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadCSL: %v", err)
	}
	return es
}

func entry(t *testing.T, es []Entry, name string) Entry {
	t.Helper()
	for _, e := range es {
		if strings.EqualFold(e.Name, name) {
			return e
		}
	}
	t.Fatalf("got no entry %q", name)
	return Entry{}
}

func containsFold(ss []string, s string) bool {
	for _, x := range ss {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
