package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/vigilbot/vigil/watchers/screening"
)

// entity is one watched party: a name and its aliases.
type entity struct {
	Name    string
	Aliases []string
}

// namePool returns n parties: the real Consolidated Screening List first (when cslPath
// names a readable file), then generated companies and people until there are n. The
// pool depends only on n, cslPath and seed, so every watchlist size is a prefix of the
// same pool and the feeds mention the same parties whatever the size.
func namePool(n int, cslPath string, seed uint64) ([]entity, error) {
	var out []entity
	seen := map[string]bool{}
	add := func(e entity) {
		k := strings.ToLower(e.Name)
		if e.Name == "" || seen[k] || len(out) >= n {
			return
		}
		seen[k] = true
		out = append(out, e)
	}
	if cslPath != "" {
		data, err := os.ReadFile(cslPath)
		if err != nil {
			return nil, fmt.Errorf("names: %w", err)
		}
		entries, err := screening.ReadCSL(bytes.NewReader(data))
		if err != nil {
			// The partial list of the fixtures ends inside its last record: read it without.
			entries, err = screening.ReadCSL(bytes.NewReader(data[:bytes.LastIndexByte(data[:len(data)-1], '\n')+1]))
		}
		if err != nil {
			return nil, fmt.Errorf("names: %w", err)
		}
		for _, e := range entries {
			add(entity{Name: e.Name, Aliases: e.Aliases})
		}
	}
	r := rand.New(rand.NewPCG(seed, 0x6e616d6573))
	for len(out) < n {
		add(genEntity(r))
	}
	return out, nil
}

// writeCSL writes parties as a screening-list CSV (name, alt_names) for
// app.ImportWatches.
func writeCSL(path string, es []entity) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"name", "alt_names"})
	for _, e := range es {
		_ = w.Write([]string{e.Name, strings.Join(e.Aliases, "; ")})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var (
	places = strings.Fields(`Shenzhen Shanghai Beijing Guangzhou Hangzhou Wuhan Chengdu Tianjin
Xiamen Ningbo Dalian Harbin Moscow Novosibirsk Yekaterinburg Kazan Minsk Tehran Isfahan
Tabriz Mashhad Karachi Lahore Dubai Sharjah Ajman Istanbul Ankara Almaty Tashkent Yerevan
Tbilisi Baku Damascus Aleppo Beirut Caracas Havana Pyongyang Rangoon Singapore Kuala
Bangkok Hanoi Manila Jakarta Colombo Dhaka Nairobi Lagos Khartoum Tripoli Valletta Limassol
Nicosia Sofia Belgrade Riga Tallinn Vilnius`)
	industries = []string{"Electronics", "Technology", "Trading", "Shipping", "Aviation",
		"Precision Machinery", "Energy", "Petrochemical", "Semiconductor", "Optical",
		"Telecommunications", "Logistics", "Industrial", "Engineering", "Materials",
		"Microelectronics", "Instruments", "Defense Systems", "Components", "Import and Export",
		"Investment", "Holdings", "Metallurgy", "Chemical", "Software", "Robotics", "Maritime",
		"Marine Services", "Nuclear Equipment", "Laser", "Automation", "Power Systems",
		"Satellite", "Electric", "Heavy Industry", "Research Institute", "Photonics",
		"Data Systems", "Security", "Tooling"}
	suffixes = []string{"Co., Ltd.", "Company Limited", "LLC", "JSC", "OOO", "GmbH", "FZE",
		"FZCO", "Ltd.", "Limited", "Group", "Corporation", "Inc.", "PJSC", "S.A.", "Pte. Ltd.",
		"Sdn. Bhd.", "Trading LLC", "Co."}
	givens = strings.Fields(`Alexei Dmitri Sergei Ivan Mikhail Oleg Yuri Viktor Andrei Pavel
Wei Jun Lei Ming Hao Xiang Qiang Yong Ali Reza Hossein Mohammad Mahmoud Hassan Karim Omar
Tariq Farid Anatoly Boris Gennady Igor Nikolai Vladimir Yevgeny Zhang Chen Kamal Javad`)
	families = strings.Fields(`Ivanov Petrov Sidorov Volkov Kuznetsov Sokolov Morozov Novikov
Fedorov Orlov Zhou Wang Liu Huang Zhao Sun Ma Gao Lin Guo Rahimi Hosseini Tehrani Karimi
Moradi Jafari Abbasi Rezaei Haddad Khalil Nasser Saleh Aziz Rostami Kovalenko Bondarenko`)
	syllables = strings.Fields(`ka ta na ma ra sa va lo ro zo no mi ki ri shi hu ling tai
xin hua long feng jin tek tron dex vor zar kor mir bel gor sul ven tar pol dan rex vel quan
yuan zhi hong sheng bao kai nov ar tel sib`)
	han = []rune("华中国科技电子通信集团有限公司海康威视大华股份航天工业研究所精密机械贸易能源深圳上海北京")
)

// coined is a made-up company word ("Tenvoka"), unlike any English word.
func coined(r *rand.Rand) string {
	n := 2 + r.IntN(2)
	var b strings.Builder
	for range n {
		b.WriteString(syllables[r.IntN(len(syllables))])
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

// genEntity makes a party that looks like a screening-list entry: mostly companies with
// a place, a coined word, an industry and a legal suffix, and their short forms as
// aliases; some people; a few with a name in Han characters.
func genEntity(r *rand.Rand) entity {
	if r.IntN(10) == 0 {
		g, f := pick(r, givens), pick(r, families)
		e := entity{Name: g + " " + f}
		if r.IntN(2) == 0 {
			e.Aliases = append(e.Aliases, g[:1]+". "+f)
		}
		return e
	}
	word, ind, suf := coined(r), pick(r, industries), pick(r, suffixes)
	var e entity
	switch r.IntN(4) {
	case 0, 1:
		e.Name = pick(r, places) + " " + word + " " + ind + " " + suf
		e.Aliases = append(e.Aliases, word+" "+ind)
	case 2:
		e.Name = word + " " + ind + " " + suf
	default:
		e.Name = word + " " + coined(r) + " " + suf
	}
	if utf8.RuneCountInString(word) >= 6 && r.IntN(2) == 0 {
		e.Aliases = append(e.Aliases, word)
	}
	if r.IntN(4) == 0 {
		var acr strings.Builder
		for _, w := range strings.Fields(e.Name) {
			if c := w[0]; c >= 'A' && c <= 'Z' {
				acr.WriteByte(c)
			}
		}
		// Not an acronym that spells a word of the generated prose ("THIS"): "This"
		// opening a sentence counts for it, as the matcher is meant to, and the list
		// would name every story.
		if acr.Len() >= 3 && !vocabulary[strings.ToLower(acr.String())] {
			e.Aliases = append(e.Aliases, acr.String())
		}
	}
	if r.IntN(20) == 0 {
		var b strings.Builder
		for range 4 + r.IntN(3) {
			b.WriteRune(han[r.IntN(len(han))])
		}
		e.Aliases = append(e.Aliases, b.String())
	}
	return e
}

// The news vocabulary: function words weighted by repetition, then the words of trade,
// technology and policy reporting.
var (
	commonWords = strings.Fields(`the the the the of of of to to to and and and a a a in in in
is is that that for for on on with with as as was was by by at at it it from from said said
its its be be has has have have are are will will this this an an which which not not but
but after after more more new new also also over over than than been been their their about
about would would could could into into while while under under during during against
against amid since since other other some some two three most most last last first first`)
	topicWords = strings.Fields(`government officials ministry department company companies
market markets export exports import imports trade tariffs sanctions controls license
licences rule rules regulators regulation investigation investigators report reports
chip chips semiconductor semiconductors equipment technology technologies supply chain
chains network networks telecom carrier carriers satellite satellites drone drones
military civilian defense security national agency agencies list listed entity entities
shipment shipments cargo port ports vessel vessels tanker tankers oil gas crude price
prices quarter revenue profit profits shares investors analysts bank banks payment
payments transaction transactions fund funds court judge lawsuit filing filings statement
spokesperson minister ministers president parliament congress senate lawmakers bill
measure measures policy policies border customs freight logistics factory factories plant
plants production output capacity contract contracts deal deals partner partners
subsidiary subsidiaries parent unit units manufacturer manufacturers supplier suppliers
customer customers demand growth decline increase decrease week month year years data
systems software hardware cloud camera cameras surveillance facial recognition research
university universities institute laboratory engineers scientists components parts
machinery tools aircraft engines missiles nuclear energy power grid battery batteries
lithium rare earths metals steel aluminium copper exporters importers buyers sellers
brokers intermediaries front shell owners directors executives board chief officer
spokesman spokeswoman sources documents records evidence allegations charges penalty
penalties fine fines settlement agreement talks negotiations meeting summit visit
delegation announcement decision review approval ban bans restrictions exemption waiver
waivers tightened eased expanded added removed designated targeted blocked frozen seized
diverted smuggled transshipped routed shipped sold bought acquired invested supplied
delivered produced developed built launched tested deployed reported announced confirmed
denied declined warned urged called expected planned estimated according despite however
meanwhile further earlier later recently previously reportedly widely largely nearly
roughly almost billion million percent dollars euros yuan rubles`)
	countries = strings.Fields(`China Russia Iran Belarus Syria Venezuela Cuba Turkey India
Pakistan Malaysia Singapore Germany France Japan Korea Taiwan Vietnam Thailand Kazakhstan
Armenia Georgia Uzbekistan Kyrgyzstan Brazil Mexico Canada Britain Italy Spain Netherlands
Poland Ukraine Finland Sweden Norway Israel Egypt Nigeria Kenya`)
	sections = strings.Fields(`world business markets technology politics economy asia europe
energy security trade industry`)
)

// vocabulary is every word the generated prose uses, lower-cased.
var vocabulary = func() map[string]bool {
	m := map[string]bool{}
	for _, ws := range [][]string{commonWords, topicWords, countries, sections, places} {
		for _, w := range ws {
			m[strings.ToLower(w)] = true
		}
	}
	return m
}()

// writer builds news text deterministically from one random stream.
type writer struct {
	r *rand.Rand
	b strings.Builder
}

func (w *writer) word() string {
	switch x := w.r.IntN(100); {
	case x < 45:
		return commonWords[w.r.IntN(len(commonWords))]
	case x < 96:
		return topicWords[w.r.IntN(len(topicWords))]
	case x < 99:
		return countries[w.r.IntN(len(countries))]
	default:
		return pick(w.r, places)
	}
}

// starter is a capitalised first word. Not any word: "Said" or "Will" opening a sentence
// would read as the names they are on screening lists, which news prose rarely does.
func (w *writer) starter() string {
	if w.r.IntN(4) == 0 {
		return countries[w.r.IntN(len(countries))]
	}
	wd := starters[w.r.IntN(len(starters))]
	return strings.ToUpper(wd[:1]) + wd[1:]
}

var starters = append(strings.Fields(`the the the the a an in after officials analysts
shares prices exports imports regulators investors the a this`), topicWords[:60]...)

// sentence writes one sentence of 10–27 words, with mention (if not empty) inside it.
func (w *writer) sentence(mention string) {
	n := 10 + w.r.IntN(18)
	at := -1
	if mention != "" {
		at = w.r.IntN(n)
	}
	for i := range n {
		if i > 0 {
			w.b.WriteByte(' ')
		}
		if i == at {
			w.b.WriteString(mention)
			continue
		}
		wd := w.word()
		if i == 0 {
			wd = w.starter()
		}
		w.b.WriteString(wd)
		if i < n-1 && w.r.IntN(12) == 0 {
			w.b.WriteByte(',')
		}
	}
	w.b.WriteByte('.')
}

// paragraphs writes HTML paragraphs of at least minBytes, placing mention in one random
// sentence of the first paragraph.
func (w *writer) paragraphs(minBytes int, mention string) string {
	w.b.Reset()
	first := true
	for w.b.Len() < minBytes || first {
		w.b.WriteString("<p>")
		k := 2 + w.r.IntN(4)
		m := -1
		if first && mention != "" {
			m = w.r.IntN(k)
		}
		for i := range k {
			if i > 0 {
				w.b.WriteByte(' ')
			}
			if i == m {
				w.sentence(mention)
			} else {
				w.sentence("")
			}
		}
		w.b.WriteString("</p>\n")
		first = false
	}
	return w.b.String()
}

// title writes a headline of 6–13 words, mention (if not empty) leading it.
func (w *writer) title(mention string) string {
	w.b.Reset()
	n := 6 + w.r.IntN(8)
	if mention != "" {
		w.b.WriteString(mention)
		w.b.WriteByte(' ')
		n -= 2
	}
	for i := range n {
		if i > 0 {
			w.b.WriteByte(' ')
		}
		wd := w.word()
		if i == 0 && mention == "" {
			wd = w.starter()
		}
		w.b.WriteString(wd)
	}
	return w.b.String()
}
