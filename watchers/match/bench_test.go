package match

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/vigilbot/vigil/watchers"
)

// Benchmarks. BenchmarkMatch and BenchmarkNew run at 100, 1,000, 10,000 and 100,000 names
// on a generated news-like corpus; with VIGIL_BENCH_NAMES (a file, one name per line) and
// VIGIL_BENCH_CORPUS (a text file) they use those instead, at the file's number of names.
// bench/compare.sh writes the generated data with TestWriteBenchData and runs ripgrep on it.

var benchSizes = []int{100, 1_000, 10_000, 100_000}

const (
	benchSeed     = 20240212
	benchCorpusMB = 4 // generated corpus for the benchmarks
	benchItemSize = 16 << 10
)

// benchNames returns the generated list, or the VIGIL_BENCH_NAMES list if set.
func benchNames(b testing.TB) (names []string, fromFile bool) {
	if p := os.Getenv("VIGIL_BENCH_NAMES"); p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatalf("VIGIL_BENCH_NAMES: %v", err)
		}
		for l := range strings.Lines(string(data)) {
			if l = strings.TrimSpace(l); l != "" {
				names = append(names, l)
			}
		}
		return names, true
	}
	return genNames(benchSizes[len(benchSizes)-1]), false
}

// benchCorpus returns the corpus split into items of about benchItemSize bytes.
func benchCorpus(b testing.TB, names []string) []watchers.Item {
	var text string
	if p := os.Getenv("VIGIL_BENCH_CORPUS"); p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatalf("VIGIL_BENCH_CORPUS: %v", err)
		}
		text = string(data)
	} else {
		text = genCorpus(names, benchCorpusMB<<20)
	}
	var items []watchers.Item
	for len(text) > 0 {
		n := min(len(text), benchItemSize)
		if i := strings.IndexByte(text[n:], '\n'); i >= 0 {
			n += i + 1
		} else {
			n = len(text)
		}
		items = append(items, watchers.Item{Body: text[:n]})
		text = text[n:]
	}
	return items
}

func benchWatches(names []string) []watchers.Watch {
	channels := []string{"console:main", "slack:C0123", "matrix:!ops:example.org"}
	ws := make([]watchers.Watch, len(names))
	for i, n := range names {
		ws[i] = watchers.Watch{ID: int64(i + 1), Channel: channels[i%len(channels)], Name: n}
	}
	return ws
}

func benchCases(b *testing.B) (sizes []int, names []string) {
	names, fromFile := benchNames(b)
	if fromFile {
		return []int{len(names)}, names
	}
	return benchSizes, names
}

func BenchmarkMatch(b *testing.B) {
	sizes, names := benchCases(b)
	items := benchCorpus(b, names)
	var size int64
	for _, it := range items {
		size += int64(len(it.Body))
	}
	for _, n := range sizes {
		b.Run("names="+strconv.Itoa(n), func(b *testing.B) {
			m := New(benchWatches(names[:n]))
			b.SetBytes(size)
			b.ReportAllocs()
			var hits int
			for b.Loop() {
				hits = 0
				for _, it := range items {
					hits += len(m.Match(it))
				}
			}
			b.ReportMetric(float64(hits), "matches")
		})
	}
}

// BenchmarkNew measures building the automaton; heap-MB is what the Matcher keeps,
// alloc-MB what building it allocated in all, both without the rune tables that the first
// New of a process builds (0.3 MB).
func BenchmarkNew(b *testing.B) {
	sizes, names := benchCases(b)
	tables()
	for _, n := range sizes {
		b.Run("names="+strconv.Itoa(n), func(b *testing.B) {
			ws := benchWatches(names[:n])
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			m := New(ws)
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(m)
			for b.Loop() {
				m = New(ws)
			}
			runtime.KeepAlive(m)
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "alloc-MB")
		})
	}
}

// BenchmarkMatchItem is one 20 KB news item against the fifty-odd entities of the
// documentation's examples: the common case of a small watchlist.
func BenchmarkMatchItem(b *testing.B) {
	ws := make([]watchers.Watch, len(exampleWatches))
	for i, names := range exampleWatches {
		ws[i] = watchers.Watch{ID: int64(i + 1), Channel: "console:main", Name: names[0], Aliases: names[1:]}
	}
	ws[0].Exclude = []string{"Hikvision Road"}
	m := New(ws)
	it := watchers.Item{Title: "Commerce adds entities to list", Body: exampleText()}
	b.SetBytes(int64(len(it.Title) + len(it.Body)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(m.Match(it))
	}
	if n == 0 {
		b.Fatal("got no matches, want some")
	}
}

// TestWriteBenchData writes the generated benchmark data for bench/compare.sh when
// VIGIL_BENCH_WRITE names a folder: corpus.txt (VIGIL_BENCH_CORPUS_MB megabytes, default 32)
// and names-N.txt for each benchmark size.
func TestWriteBenchData(t *testing.T) {
	dir := os.Getenv("VIGIL_BENCH_WRITE")
	if dir == "" {
		t.Skip("set VIGIL_BENCH_WRITE=DIR to write the benchmark data")
	}
	mb := 32
	if s := os.Getenv("VIGIL_BENCH_CORPUS_MB"); s != "" {
		var err error
		if mb, err = strconv.Atoi(s); err != nil {
			t.Fatalf("VIGIL_BENCH_CORPUS_MB: %v", err)
		}
	}
	names := genNames(benchSizes[len(benchSizes)-1])
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("corpus.txt", genCorpus(names, mb<<20))
	for _, n := range benchSizes {
		write(fmt.Sprintf("names-%d.txt", n), strings.Join(names[:n], "\n")+"\n")
	}
}

// Generated names look like a screening list's: companies with places, coined words,
// industries and suffixes; people; organisations; some in Han and Cyrillic script.
var (
	genPlaces = strings.Fields(`Beijing Shanghai Shenzhen Hangzhou Guangzhou Tianjin Wuhan Chengdu
		Xiamen Nanjing Moscow Minsk Tehran Karachi Dubai Istanbul Almaty Tashkent Hong Kong Yerevan
		Novosibirsk Kazan Samara Harbin Dalian Qingdao Ningbo Suzhou Shenyang Lahore Sharjah`)
	genIndustries = strings.Fields(`Technology Technologies Electronics Trading Industrial Import Export
		Machinery Shipping Logistics Aviation Engineering Semiconductor Optics Materials Chemical
		Petroleum Energy Defense Systems Instruments Communications Software Microelectronics
		Precision Holdings Investment Development Research Supply Marine Equipment`)
	genSuffixes = []string{"Co., Ltd.", "Company Limited", "Co. Ltd", "LLC", "JSC", "Limited",
		"Corporation", "Inc.", "GmbH", "S.A.", "FZE", "Pvt. Ltd.", "OOO", "Group", ""}
	genFirst = strings.Fields(`Ali Hassan Mohammad Ahmed Reza Mehdi Sergei Dmitri Ivan Alexei Olga
		Irina Wei Li Jun Hui Ming Yan Xin Kamal Tariq Omar Yusuf Ibrahim Farid Karim Nadia Leila
		Viktor Pavel Andrei Nikolai Elena Tatiana Chen Zhang Liu Yang Zhou Huang Abdul Rahim Said`)
	genSyllables = strings.Fields(`ba be bo da de do ka ke ko ma me mo na ne no ra re ro sa se so ta
		te to va ve vo za ze zo yun hik vi son tek lan mir gor zan qin xia jin hua tai kor mel dar
		vel lux nor tri zhi rui feng tong xun dian`)
	genHan = []rune(strings.Join(strings.Fields(`海康威视大华中兴华为科技电子贸易进出口有限公司集团北京上海深圳
		杭州天津武汉成都南京芯国际通信光学材料化工能源航空船舶机械仪器研究院发展投资控股精密软件系统工程半导体微电子
		新星宏远恒泰`), ""))
	genCyr   = strings.Fields(`Газ Нефть Транс Пром Строй Маш Связь Банк Торг Энерго Авиа Спец Тех Рос Урал Сиб`)
	genWords = strings.Fields(`the the the the of of of and and and to to a a in in for on with by
		that said is was as at from its it has have be are an will would this which also their
		company government export control list entity rule department commerce added officials
		technology security national market share percent year month week statement trade new
		semiconductor equipment supply chain network camera surveillance contract license shipment
		china russia iran united states federal register sanctions treasury foreign policy military
		end users items subject regulations agency action final effective date comments public
		investment bank billion million report according people familiar matter told reuters
		chips software exports imports firms industry analysts customers production capacity`)
)

// genNames returns n distinct names, the same for the same n.
func genNames(n int) []string {
	rng := rand.New(rand.NewPCG(benchSeed, 1))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	coin := func() string {
		var b strings.Builder
		for range 2 + rng.IntN(2) {
			b.WriteString(pick(genSyllables))
		}
		w := b.String()
		return strings.ToUpper(w[:1]) + w[1:]
	}
	seen := map[string]bool{}
	names := make([]string, 0, n)
	for len(names) < n {
		var name string
		switch k := rng.IntN(20); {
		case k < 9:
			parts := []string{coin(), pick(genIndustries)}
			if rng.IntN(2) == 0 {
				parts = append([]string{pick(genPlaces)}, parts...)
			}
			if rng.IntN(3) == 0 {
				parts = append(parts, pick(genIndustries))
			}
			parts = append(parts, pick(genSuffixes))
			name = strings.TrimSpace(strings.Join(parts, " "))
		case k < 15:
			name = pick(genFirst) + " " + coin() + "ov"
			if rng.IntN(2) == 0 {
				name = pick(genFirst) + " " + name
			}
		case k < 17:
			name = pick([]string{"Bank of ", "Institute of ", "Academy of ", "Ministry of "}) + coin() + " " + pick(genIndustries)
		case k < 19:
			var b strings.Builder
			for range 4 + rng.IntN(3) {
				b.WriteRune(genHan[rng.IntN(len(genHan))])
			}
			name = b.String()
		default:
			name = pick(genCyr) + strings.ToLower(pick(genCyr)) + " " + pick(genCyr)
		}
		if !seen[strings.ToLower(name)] {
			seen[strings.ToLower(name)] = true
			names = append(names, name)
		}
	}
	return names
}

// genCorpus returns about size bytes of news-like paragraphs wrapped at 100 columns (as
// Federal Register text is), naming an entity every 400 words or so: half of the mentions
// are of the first 100 names (in every list), half of any name.
func genCorpus(names []string, size int) string {
	rng := rand.New(rand.NewPCG(benchSeed, 2))
	var b strings.Builder
	b.Grow(size + 1024)
	col := 0
	word := func(w string) {
		switch {
		case col == 0:
		case col+1+len(w) > 100:
			b.WriteByte('\n')
			col = 0
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	for b.Len() < size {
		if rng.IntN(40) == 0 {
			for range 3 + rng.IntN(5) {
				for range 10 + rng.IntN(30) {
					b.WriteRune(genHan[rng.IntN(len(genHan))])
				}
				b.WriteString("。")
			}
			b.WriteString("\n\n")
			continue
		}
		for range 3 + rng.IntN(6) {
			n := 8 + rng.IntN(25)
			for i := range n {
				if rng.IntN(400) == 0 {
					pool := names[:min(100, len(names))]
					if rng.IntN(2) == 0 {
						pool = names
					}
					word(pool[rng.IntN(len(pool))])
					continue
				}
				w := genWords[rng.IntN(len(genWords))]
				if i == 0 {
					w = strings.ToUpper(w[:1]) + w[1:]
				}
				if i == n-1 {
					w += "."
				}
				word(w)
			}
		}
		b.WriteString("\n\n")
		col = 0
	}
	return b.String()
}
