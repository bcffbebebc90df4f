package dedup

import (
	"slices"
	"strings"
	"testing"
)

// tokensOf returns the normalised tokens of a story, for tests.
func tokensOf(title, lead string) []string {
	var t tokenizer
	t.read(title, lead)
	out := make([]string, len(t.tokens))
	for i, tok := range t.tokens {
		out[i] = string(t.buf[tok.start:tok.end])
	}
	return out
}

const (
	zhenhaiTitle = "US adds Zhenhai Semiconductor to Entity List over military ties"
	zhenhaiLead  = "The U.S. Commerce Department on Tuesday added Zhenhai Semiconductor Manufacturing and four of its subsidiaries to the Entity List, citing support for China's military modernization."
)

// TestFingerprintStable pins fingerprints: they are stored and compared across restarts
// and machines, so a change here is a change of format that makes every stored
// fingerprint incomparable with new ones.
func TestFingerprintStable(t *testing.T) {
	tests := []struct {
		name, title, lead string
		want              uint64
	}{
		{"english", zhenhaiTitle, zhenhaiLead, 0xa007a38a199007f2},
		{"chinese", "美国商务部将十二家中国实体列入实体清单", "美国商务部周二宣布将十二家中国企业列入实体清单。", 0x4f422ec9db32bd84},
		{"title only", "Treasury lifts sanctions on Belarusian potash producer", "", 0x0122be3bb8833f92},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fingerprint(tt.title, tt.lead); got != tt.want {
				t.Errorf("Fingerprint = %#016x, want %#016x", got, tt.want)
			}
		})
	}
}

func TestFingerprintDeterministic(t *testing.T) {
	want := Fingerprint(zhenhaiTitle, zhenhaiLead)
	for range 100 {
		if got := Fingerprint(zhenhaiTitle, zhenhaiLead); got != want {
			t.Fatalf("Fingerprint changed between calls: got %#x, want %#x", got, want)
		}
	}
}

func TestFingerprintEmpty(t *testing.T) {
	tests := []struct{ name, title, lead string }{
		{"empty", "", ""},
		{"blank", "  \t\n", " "},
		{"punctuation", "— : ... !!", "(-) [] {} « »"},
		{"stop words only", "The", "and it was on Monday, said Reuters"},
		{"single letters", "a b c", "U. S."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fingerprint(tt.title, tt.lead); got != 0 {
				t.Errorf("Fingerprint(%q, %q) = %#x, want 0", tt.title, tt.lead, got)
			}
		})
	}
	if NearDuplicate(0, 0) {
		t.Error("NearDuplicate(0, 0) = true, want false: stories without words are not one story")
	}
	fp := Fingerprint(zhenhaiTitle, "")
	if fp == 0 {
		t.Fatal("Fingerprint of a title = 0, want non-zero")
	}
	if NearDuplicate(fp, 0) || NearDuplicate(0, fp) {
		t.Error("NearDuplicate with an empty story = true, want false")
	}
	if !NearDuplicate(fp, fp) {
		t.Error("NearDuplicate(fp, fp) = false, want true")
	}
}

// TestFingerprintNormalisation checks that spellings of one text that differ only in
// what the normalisation removes give the same fingerprint.
func TestFingerprintNormalisation(t *testing.T) {
	tests := []struct{ name, a, b string }{
		{"case", "Zhenhai EXPORTS", "Zhenhai exports"},
		{"diacritics", "Müller Präzisionstechnik fined in Düsseldorf", "Muller Prazisionstechnik fined in Dusseldorf"},
		{"decomposed accents", "Société Générale", "Socie\u0301te\u0301 Ge\u0301ne\u0301rale"},
		{"sharp s", "Großhandel", "Grosshandel"},
		{"full width", "ＯＦＡＣ sanctions １４ tankers", "OFAC sanctions 14 tankers"},
		{"punctuation", "U.S. adds Zhenhai, four affiliates", "US adds Zhenhai -- four affiliates!"},
		{"stop words", "Zhenhai is added to the list", "Zhenhai added to list"},
		{"inflection", "Treasury sanctions companies", "Treasury sanctioned company"},
		{"number words", "Commerce adds four companies", "Commerce adds 4 companies"},
		{"thousands", "fined $1,000,000", "fined $1000000"},
		{"spelled-out agency", "Office of Foreign Assets Control designates 14 tankers", "OFAC designates 14 tankers"},
		{"united states", "United States sanctions Zhenhai", "U.S. sanctions Zhenhai"},
		{"demonym", "Iranian drone program", "Iran drone program"},
		{"action synonyms", "Commerce blacklists Zhenhai", "Commerce adds Zhenhai"},
		{"weekday", "Treasury sanctions Zhenhai on Tuesday", "Treasury sanctions Zhenhai"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := Fingerprint(tt.a, ""), Fingerprint(tt.b, "")
			if a != b {
				t.Errorf("Fingerprint(%q) = %#x, Fingerprint(%q) = %#x, want equal\ntokens %q and %q",
					tt.a, a, tt.b, b, tokensOf(tt.a, ""), tokensOf(tt.b, ""))
			}
		})
	}
}

// TestFingerprintAllCaps checks a headline in capitals: its words are the same, but its
// capitals cannot tell names from other words, so they weigh differently.
func TestFingerprintAllCaps(t *testing.T) {
	upper, plain := "OFAC DESIGNATES 14 TANKERS IN IRANIAN OIL NETWORK", "OFAC designates 14 tankers in Iranian oil network"
	if a, b := tokensOf(upper, ""), tokensOf(plain, ""); !slices.Equal(a, b) {
		t.Errorf("tokens %q and %q, want equal", a, b)
	}
	if d := Distance(Fingerprint(upper, ""), Fingerprint(plain, "")); d > NearDuplicateDistance {
		t.Errorf("distance %d, want ≤ %d", d, NearDuplicateDistance)
	}
}

func TestFingerprintWireCopy(t *testing.T) {
	tests := []struct{ name, title, lead string }{
		{"dateline", zhenhaiTitle, "WASHINGTON (Reuters) - " + zhenhaiLead},
		{"dateline with date", zhenhaiTitle, "WASHINGTON, Oct 9 (Reuters) - " + zhenhaiLead},
		{"dateline em dash", zhenhaiTitle, "WASHINGTON (AP) — " + zhenhaiLead},
		{"dateline double dash", zhenhaiTitle, "NEW YORK, (Yonhap) -- " + zhenhaiLead},
		{"update slug", "UPDATE 2-" + zhenhaiTitle, zhenhaiLead},
		{"exclusive slug", "EXCLUSIVE: " + zhenhaiTitle, zhenhaiLead},
		{"lead repeats title", zhenhaiTitle, zhenhaiTitle + " " + zhenhaiLead},
	}
	want := Fingerprint(zhenhaiTitle, zhenhaiLead)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fingerprint(tt.title, tt.lead)
			if tt.name == "lead repeats title" {
				// The title's words count once; only the pairs across the seam are new.
				if d := Distance(got, want); d > NearDuplicateDistance/2 {
					t.Errorf("distance to the plain story = %d, want ≤ %d", d, NearDuplicateDistance/2)
				}
				return
			}
			if got != want {
				t.Errorf("Fingerprint = %#x, want %#x (the plain story's)\ntokens %q", got, want, tokensOf(tt.title, tt.lead))
			}
		})
	}
}

// TestFingerprintOrder checks that word order matters a little: a lead told in another
// order stays the same story, but is not the same text.
func TestFingerprintOrder(t *testing.T) {
	a := Fingerprint("Kestrel Avionics charged over Russia exports",
		"Prosecutors charged Dubai-based Kestrel Avionics and two executives with exporting aircraft parts to Russian airlines, the Justice Department said.")
	b := Fingerprint("Kestrel Avionics charged over Russia exports",
		"The Justice Department said prosecutors charged two executives and Dubai-based Kestrel Avionics with exporting aircraft parts to Russian airlines.")
	if d := Distance(a, b); d == 0 || d > NearDuplicateDistance/2 {
		t.Errorf("reordered lead: distance %d, want between 1 and %d", d, NearDuplicateDistance/2)
	}
	// Only the pairs of words see the order, so swapping two names moves a few bits.
	c, d := Fingerprint("Hawks beat Rams 104-98", ""), Fingerprint("Rams beat Hawks 104-98", "")
	if c == d {
		t.Error("swapped teams give the same fingerprint, want different")
	}
}

func TestFingerprintCJK(t *testing.T) {
	t.Run("bigrams", func(t *testing.T) {
		got := tokensOf("实体清单", "")
		want := []string{"实体", "体清", "清单"}
		if !slices.Equal(got, want) {
			t.Errorf("tokens = %q, want %q", got, want)
		}
	})
	t.Run("single character", func(t *testing.T) {
		got := tokensOf("Zhenhai 股 fell", "")
		want := []string{"zhenhai", "股", "fell"}
		if !slices.Equal(got, want) {
			t.Errorf("tokens = %q, want %q", got, want)
		}
	})
	t.Run("han numerals", func(t *testing.T) {
		if a, b := tokensOf("十二家中国实体", ""), tokensOf("12家中国实体", ""); !slices.Equal(a, b) {
			t.Errorf("tokens %q and %q, want equal", a, b)
		}
	})
	t.Run("numeral inside a word", func(t *testing.T) {
		// 两用 (dual-use) is a word, not the number two.
		if got := tokensOf("两用物项", ""); slices.Contains(got, "2") {
			t.Errorf("tokens = %q, want no number", got)
		}
	})
	t.Run("full width digits", func(t *testing.T) {
		if a, b := tokensOf("２３品目", ""), tokensOf("23品目", ""); !slices.Equal(a, b) {
			t.Errorf("tokens %q and %q, want equal", a, b)
		}
	})
	same := []struct{ name, at, al, bt, bl string }{
		{"chinese", "中国商务部对两家美国军工企业实施出口管制", "中国商务部周四宣布，将两家美国军工企业列入出口管制管控名单，禁止向其出口两用物项。",
			"商务部：两家美国军工企业被列入出口管制管控名单", "商务部周四宣布，将两家美国军工企业列入出口管制管控名单，禁止向其出口两用物项。"},
		{"japanese", "経産省、半導体製造装置23品目を輸出管理の対象に追加", "経済産業省は金曜日、半導体製造装置など23品目を輸出管理の規制対象に加えると発表した。",
			"半導体製造装置23品目を輸出管理の対象に追加　経産省", "経済産業省は金曜日、半導体製造装置など23品目を輸出管理の対象に加えると発表した。"},
		{"korean", "산업부, 대러시아 수출 통제 품목 243개 추가", "산업통상자원부는 다음 달부터 공작기계 등 243개 품목을 러시아 수출 통제 대상에 추가한다고 밝혔다.",
			"대러시아 수출 통제 품목 243개 추가", "산업통상자원부가 다음 달부터 공작기계 등 243개 품목을 러시아 수출 통제 대상에 추가한다고 밝혔다."},
	}
	for _, tt := range same {
		t.Run(tt.name+" same story", func(t *testing.T) {
			a, b := Fingerprint(tt.at, tt.al), Fingerprint(tt.bt, tt.bl)
			if a == 0 || b == 0 {
				t.Fatalf("fingerprints %#x and %#x, want non-zero", a, b)
			}
			if !NearDuplicate(a, b) {
				t.Errorf("distance %d, want ≤ %d", Distance(a, b), NearDuplicateDistance)
			}
		})
	}
	t.Run("different stories", func(t *testing.T) {
		a := Fingerprint("中国对镓锗相关物项实施出口管制", "商务部和海关总署发布公告，自八月一日起对镓、锗相关物项实施出口管制。")
		b := Fingerprint("荷兰扩大半导体设备出口管制", "荷兰政府周五宣布扩大对先进半导体制造设备的出口管制，部分浸润式光刻设备出口需申请许可证。")
		if NearDuplicate(a, b) {
			t.Errorf("distance %d, want > %d", Distance(a, b), NearDuplicateDistance)
		}
	})
}

func TestParseHanNumber(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"一", 1}, {"两", 2}, {"十", 10}, {"十二", 12}, {"二十", 20}, {"四十五", 45},
		{"三百零五", 305}, {"一千二百三十四", 1234}, {"零", 0}, {"一二", 12}, {"二〇二五", 2025},
	}
	for _, tt := range tests {
		if got := parseHanNumber(tt.in); got != tt.want {
			t.Errorf("parseHanNumber(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sanctions", "sanction"}, {"sanctioned", "sanction"}, {"sanctioning", "sanction"},
		{"companies", "company"}, {"company", "company"},
		{"adds", "add"}, {"added", "add"}, {"add", "add"},
		{"shipped", "ship"}, {"shipping", "ship"}, {"ships", "ship"},
		{"seize", "seiz"}, {"seized", "seiz"}, {"seizes", "seiz"},
		{"licenses", "licens"}, {"license", "licens"},
		{"business", "business"}, {"status", "status"}, {"analysis", "analysis"},
		{"called", "call"}, {"oil", "oil"}, {"g7", "g7"}, {"ü", "ü"},
	}
	for _, tt := range tests {
		b := []byte(tt.in)
		if got := string(b[:stem(b)]); got != tt.want {
			t.Errorf("stem(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokens(t *testing.T) {
	got := tokensOf("UPDATE 2-Commerce blacklists Zhenhai",
		"WASHINGTON (Reuters) - The U.S. Treasury's Office of Foreign Assets Control on Tuesday sanctioned twelve firms, fining one $3.1 million.")
	want := []string{"commerc", "+list", "zhenhai", "treasury", "ofac", "sanction", "12", "firm", "+fine", "31", "million"}
	if !slices.Equal(got, want) {
		t.Errorf("tokens = %q, want %q", got, want)
	}
}

func TestFingerprintLongLead(t *testing.T) {
	// Past its first maxLeadTokens words, a lead does not move the fingerprint.
	lead := strings.Repeat("Zhenhai semiconductor export controls ", 20)
	if a, b := Fingerprint("t", lead), Fingerprint("t", lead+" Kestrel Avionics Lianmao Optoelectronics"); a != b {
		t.Errorf("words past the cap changed the fingerprint: %#x, %#x", a, b)
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b uint64
		want int
	}{
		{0, 0, 0}, {0, 1, 1}, {0xff, 0, 8}, {0, ^uint64(0), 64}, {0x5555, 0xaaaa, 16},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%#x, %#x) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%#x, %#x) = %d, want %d", tt.b, tt.a, got, tt.want)
		}
	}
}

func FuzzFingerprint(f *testing.F) {
	f.Add(zhenhaiTitle, zhenhaiLead)
	f.Add("", "")
	f.Add("美国商务部将十二家中国实体列入实体清单", "十二十二十二十二十二十二十二十二十二十二十二家")
	f.Add("WASHINGTON (Reuters) -", "BEIJING, Oct 9 (Reuters) - 3.1,000.5 ...")
	f.Add("\xff\xfe invalid", "e\u0301\u0301 \u200f\u202e bidi")
	f.Add("Office of Foreign", "Assets Control United")
	for _, p := range loadLabelledPairs(f) {
		f.Add(p.ATitle, p.ALead)
	}
	f.Fuzz(func(t *testing.T, title, lead string) {
		a := Fingerprint(title, lead)
		if again := Fingerprint(title, lead); again != a {
			t.Fatalf("Fingerprint(%q, %q) = %#x, then %#x", title, lead, a, again)
		}
		b := Fingerprint(lead, title)
		if d1, d2 := Distance(a, b), Distance(b, a); d1 != d2 || d1 < 0 || d1 > 64 {
			t.Fatalf("Distance(a, b) = %d, Distance(b, a) = %d, want equal and in [0, 64]", d1, d2)
		}
		if NearDuplicate(a, b) != NearDuplicate(b, a) {
			t.Fatal("NearDuplicate is not symmetric")
		}
		if a != 0 && !NearDuplicate(a, a) {
			t.Fatalf("NearDuplicate(%#x, itself) = false", a)
		}
	})
}

func BenchmarkFingerprint(b *testing.B) {
	for _, bb := range []struct{ name, title, lead string }{
		{"english", zhenhaiTitle, "WASHINGTON (Reuters) - " + zhenhaiLead},
		{"chinese", "美国商务部将十二家中国实体列入出口管制清单", "美国商务部周二宣布，将十二家中国企业和研究机构列入实体清单，理由是这些实体支持中国军事现代化。"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(bb.title) + len(bb.lead)))
			b.ReportAllocs()
			for b.Loop() {
				Fingerprint(bb.title, bb.lead)
			}
		})
	}
}
