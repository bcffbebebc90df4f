package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// serverConfig says what the feed server serves; the orchestrator passes the same values
// so that both sides agree on every URL.
type serverConfig struct {
	Feeds     int
	Hosts     int
	Grouped   bool // feeds of one host are consecutive (as names derived from hosts sort)
	MinKB     int
	MaxKB     int
	Mention   float64 // probability that an item names a party of the pool
	Pool      int     // parties the feeds may mention
	CSL       string
	Seed      uint64
	Gzip      bool
	ContentPc int // percent of feeds that carry content:encoded
}

// hostIP is the loopback address of host h: 127.0.1.1, 127.0.1.2, … 127.0.1.250,
// 127.0.2.1, … (Linux answers on the whole of 127/8).
func hostIP(h int) string {
	return fmt.Sprintf("127.0.%d.%d", 1+h/250, 1+h%250)
}

// hostOf is the host index that serves feed i.
func (c serverConfig) hostOf(i int) int {
	if c.Grouped {
		return i * c.Hosts / c.Feeds
	}
	return i % c.Hosts
}

func (c serverConfig) feedURL(i, port int) string {
	return fmt.Sprintf("http://%s:%d/feeds/%d.xml", hostIP(c.hostOf(i)), port, i)
}

// feedState is one feed as served now, and as it was first generated (for a reset).
type feedState struct {
	mu sync.Mutex

	id        int
	atom      bool
	content   bool
	site      string
	section   string
	itemBytes int
	interval  time.Duration // between two items' publication times
	base      time.Time     // publication time of item 0

	items    []string // rendered items, newest first
	nitems   int
	nextSeq  int
	version  int
	etag     string
	modified time.Time
	body, gz []byte
	pending  []pendingItem

	initial snapshot
}

type snapshot struct {
	items    []string
	nextSeq  int
	etag     string
	modified time.Time
	body, gz []byte
}

type pendingItem struct {
	token   string
	version int // the first version of the feed that holds it
}

// feedServer serves the feeds over many loopback addresses and takes commands on a
// control address.
type feedServer struct {
	cfg   serverConfig
	pool  []entity
	feeds []*feedState
	port  int

	requests, full, notModified, wireBytes, itemsServed atomic.Int64
	lastServed                                          atomic.Int64 // Unix ns

	mu        sync.Mutex
	published map[string]int64 // token → Unix ns it was published
	seen      map[string]int64 // token → Unix ns the first response holding it was written
}

func runServer(cfg serverConfig) error {
	raiseFileLimit()
	pool, err := namePool(cfg.Pool, cfg.CSL, cfg.Seed)
	if err != nil {
		return err
	}
	s := &feedServer{cfg: cfg, pool: pool, published: map[string]int64{}, seen: map[string]int64{}}
	start := time.Now()
	s.generate()
	genTook := time.Since(start)

	lns, port, err := listenAll(cfg.Hosts)
	if err != nil {
		return err
	}
	s.port = port
	feedSrv := &http.Server{Handler: http.HandlerFunc(s.serveFeed), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second}
	for _, ln := range lns {
		go func() { _ = feedSrv.Serve(ln) }()
	}
	ctl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = http.Serve(ctl, s.control()) }()

	var raw, gz, items int64
	for _, f := range s.feeds {
		raw += int64(len(f.body))
		gz += int64(len(f.gz))
		items += int64(f.nitems)
	}
	ready, _ := json.Marshal(map[string]any{
		"control": ctl.Addr().String(), "port": port, "raw_bytes": raw, "gzip_bytes": gz,
		"items": items, "generate_s": genTook.Seconds(),
	})
	fmt.Printf("READY %s\n", ready)
	// The orchestrator holds our standard input: when it goes, so do we.
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// listenAll binds one listener on each host's address, all on the same port (as real
// sites all answer on port 80).
func listenAll(hosts int) ([]net.Listener, int, error) {
	for range 20 {
		first, err := net.Listen("tcp", hostIP(0)+":0")
		if err != nil {
			return nil, 0, err
		}
		port := first.Addr().(*net.TCPAddr).Port
		lns := []net.Listener{first}
		ok := true
		for h := 1; h < hosts; h++ {
			ln, err := net.Listen("tcp", fmt.Sprintf("%s:%d", hostIP(h), port))
			if err != nil {
				if errors.Is(err, syscall.EADDRINUSE) {
					ok = false
					break
				}
				return nil, 0, fmt.Errorf("listen on %s: %w", hostIP(h), err)
			}
			lns = append(lns, ln)
		}
		if ok {
			return lns, port, nil
		}
		for _, ln := range lns {
			ln.Close()
		}
	}
	return nil, 0, errors.New("no port free on every loopback address")
}

// generate builds every feed, deterministically from the seed, on every core.
func (s *feedServer) generate() {
	s.feeds = make([]*feedState, s.cfg.Feeds)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= s.cfg.Feeds {
					return
				}
				s.feeds[i] = s.newFeed(i)
			}
		})
	}
	wg.Wait()
}

// epoch is when the newest item of each generated feed was published: a day ago, so that
// the items a cycle adds later are still in the past.
var epoch = time.Now().UTC().Truncate(time.Hour).Add(-24 * time.Hour)

func (s *feedServer) newFeed(i int) *feedState {
	r := rand.New(rand.NewPCG(s.cfg.Seed, uint64(i)))
	// Sizes are log-uniform between MinKB and MaxKB: many small feeds, a few big ones.
	lo, hi := math.Log(float64(s.cfg.MinKB)), math.Log(float64(s.cfg.MaxKB))
	size := int(math.Exp(lo+r.Float64()*(hi-lo)) * 1024)
	n := 10 + r.IntN(51)
	if size/n < 700 {
		n = max(5, size/700)
	}
	f := &feedState{
		id: i, atom: r.IntN(5) == 0, content: r.IntN(100) < s.cfg.ContentPc,
		site: fmt.Sprintf("www.site%04d.example", i%2000), section: pick(r, sections),
		interval: time.Duration(10+r.IntN(350)) * time.Minute,
	}
	// What an item costs besides its text: title, link, guid, dates, author, category.
	f.itemBytes = max(size/n-420, 150)
	if f.itemBytes > 3000 {
		f.content = true
	}
	f.base = epoch.Add(-time.Duration(n) * f.interval)
	for seq := n - 1; seq >= 0; seq-- {
		f.items = append(f.items, s.renderItem(f, seq, nil))
	}
	f.nextSeq = n
	f.modified = f.published(n - 1)
	f.rerender(s.cfg.Gzip)
	f.initial = snapshot{items: f.items, nextSeq: f.nextSeq, etag: f.etag, modified: f.modified, body: f.body, gz: f.gz}
	return f
}

func (f *feedState) published(seq int) time.Time {
	return f.base.Add(time.Duration(seq) * f.interval)
}

// forced is an item the orchestrator publishes: it names a watched party and carries a
// token to follow it by.
type forced struct {
	name, token string
	at          time.Time
}

// renderItem renders item seq of a feed. Its text is a function of the seed, the feed and
// seq only.
func (s *feedServer) renderItem(f *feedState, seq int, fo *forced) string {
	r := rand.New(rand.NewPCG(s.cfg.Seed^uint64(f.id)<<20, uint64(seq)))
	w := &writer{r: r}
	var titleMention, textMention string
	if r.Float64() < s.cfg.Mention {
		// Half the mentions are of the first 100 parties (in every watchlist), half of any.
		e := s.pool[r.IntN(min(100, len(s.pool)))]
		if r.IntN(2) == 0 {
			e = s.pool[r.IntN(len(s.pool))]
		}
		m := e.Name
		if len(e.Aliases) > 0 && r.IntN(5) < 2 {
			m = e.Aliases[r.IntN(len(e.Aliases))]
		}
		if r.IntN(10) < 3 {
			titleMention = m
		} else {
			textMention = m
		}
	}
	pub := f.published(seq)
	title := w.title(titleMention)
	if fo != nil {
		title = fo.name + " " + w.title("") + " [" + fo.token + "]"
		pub = fo.at
	}
	slug := strings.ToLower(strings.Join(strings.Fields(title)[:min(5, len(strings.Fields(title)))], "-"))
	slug = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return -1
	}, slug)
	link := fmt.Sprintf("https://%s/%s/%s/%s-%d-%d.html", f.site, f.section, pub.Format("2006/01/02"), slug, f.id, seq)
	if fo != nil {
		link = fmt.Sprintf("https://%s/%s/%s/%s.html", f.site, f.section, pub.Format("2006/01/02"), fo.token)
	}
	author := pick(r, givens) + " " + pick(r, families)
	var desc, content string
	if f.content {
		desc = w.paragraphs(150+r.IntN(250), "")
		content = w.paragraphs(max(f.itemBytes-len(desc), 200), textMention)
	} else {
		desc = w.paragraphs(f.itemBytes, textMention)
	}
	var b strings.Builder
	b.Grow(len(desc) + len(content) + 600)
	if f.atom {
		b.WriteString("<entry>\n<title type=\"text\">" + html.EscapeString(title) + "</title>\n")
		b.WriteString("<link rel=\"alternate\" type=\"text/html\" href=\"" + link + "\"/>\n")
		fmt.Fprintf(&b, "<id>tag:%s,2025:%d-%d</id>\n", f.site, f.id, seq)
		b.WriteString("<published>" + pub.Format(time.RFC3339) + "</published>\n<updated>" + pub.Format(time.RFC3339) + "</updated>\n")
		b.WriteString("<author><name>" + author + "</name></author>\n<category term=\"" + f.section + "\"/>\n")
		b.WriteString("<summary type=\"html\">" + html.EscapeString(desc) + "</summary>\n")
		if content != "" {
			b.WriteString("<content type=\"html\">" + html.EscapeString(content) + "</content>\n")
		}
		b.WriteString("</entry>\n")
		return b.String()
	}
	b.WriteString("<item>\n<title>" + html.EscapeString(title) + "</title>\n<link>" + link + "</link>\n")
	fmt.Fprintf(&b, "<guid isPermaLink=\"false\">%s-%d-%d</guid>\n", f.site, f.id, seq)
	b.WriteString("<pubDate>" + pub.Format(time.RFC1123Z) + "</pubDate>\n")
	b.WriteString("<dc:creator>" + author + "</dc:creator>\n<category>" + f.section + "</category>\n")
	b.WriteString("<description><![CDATA[" + desc + "]]></description>\n")
	if content != "" {
		b.WriteString("<content:encoded><![CDATA[" + content + "]]></content:encoded>\n")
	}
	b.WriteString("</item>\n")
	return b.String()
}

// rerender rebuilds the document, its gzip and its validators. The caller holds f.mu (or
// owns f).
func (f *feedState) rerender(gz bool) {
	f.version++
	var b bytes.Buffer
	title := fmt.Sprintf("Site %s — %s", f.site, f.section)
	home := "https://" + f.site + "/"
	if f.atom {
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">` + "\n")
		b.WriteString("<title>" + html.EscapeString(title) + "</title>\n<link rel=\"alternate\" href=\"" + home + "\"/>\n")
		fmt.Fprintf(&b, "<id>tag:%s,2025:feed-%d</id>\n<updated>%s</updated>\n", f.site, f.id, f.modified.Format(time.RFC3339))
	} else {
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
		b.WriteString(`<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">` + "\n<channel>\n")
		b.WriteString("<title>" + html.EscapeString(title) + "</title>\n<link>" + home + "</link>\n")
		b.WriteString("<description>News from " + f.site + "</description>\n<language>en</language>\n")
		b.WriteString("<lastBuildDate>" + f.modified.Format(time.RFC1123Z) + "</lastBuildDate>\n")
	}
	for _, it := range f.items {
		b.WriteString(it)
	}
	if f.atom {
		b.WriteString("</feed>\n")
	} else {
		b.WriteString("</channel>\n</rss>\n")
	}
	f.body = b.Bytes()
	f.nitems = len(f.items)
	f.etag = fmt.Sprintf(`"f%d-v%d-%x"`, f.id, f.version, len(f.body))
	f.gz = nil
	if gz {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
		_, _ = zw.Write(f.body)
		_ = zw.Close()
		f.gz = z.Bytes()
	}
}

func (s *feedServer) serveFeed(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	name, ok := strings.CutPrefix(r.URL.Path, "/feeds/")
	id, err := strconv.Atoi(strings.TrimSuffix(name, ".xml"))
	if !ok || err != nil || id < 0 || id >= len(s.feeds) {
		http.NotFound(w, r)
		return
	}
	f := s.feeds[id]
	f.mu.Lock()
	etag, modified, body, gz, version, nitems := f.etag, f.modified, f.body, f.gz, f.version, f.nitems
	f.mu.Unlock()

	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Last-Modified", modified.Format(http.TimeFormat))
	h.Set("Cache-Control", "max-age=60")
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if inm == etag {
			s.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			s.lastServed.Store(time.Now().UnixNano())
			return
		}
	} else if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !modified.Truncate(time.Second).After(ims) {
		s.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		s.lastServed.Store(time.Now().UnixNano())
		return
	}
	if f.atom {
		h.Set("Content-Type", "application/atom+xml; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/rss+xml; charset=utf-8")
	}
	out := body
	if gz != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		h.Set("Vary", "Accept-Encoding")
		out = gz
	}
	h.Set("Content-Length", strconv.Itoa(len(out)))
	n, _ := w.Write(out)
	s.lastServed.Store(time.Now().UnixNano())
	s.full.Add(1)
	s.wireBytes.Add(int64(n))
	s.itemsServed.Add(int64(nitems))
	if n == len(out) {
		s.markSeen(f, version)
	}
}

// markSeen records the first time a response holding each published item was written.
func (s *feedServer) markSeen(f *feedState, version int) {
	f.mu.Lock()
	var got []string
	keep := f.pending[:0]
	for _, p := range f.pending {
		if p.version <= version {
			got = append(got, p.token)
		} else {
			keep = append(keep, p)
		}
	}
	f.pending = keep
	f.mu.Unlock()
	if len(got) == 0 {
		return
	}
	now := time.Now().UnixNano()
	s.mu.Lock()
	for _, t := range got {
		if _, ok := s.seen[t]; !ok {
			s.seen[t] = now
		}
	}
	s.mu.Unlock()
}

// advance changes a fraction of the feeds, as between two polls: each changed feed gains
// 1–3 new items and loses as many old ones. Round numbers make it reproducible.
func (s *feedServer) advance(round int, frac float64) int {
	r := rand.New(rand.NewPCG(s.cfg.Seed, 0xadd0000+uint64(round)))
	k := int(math.Round(frac * float64(len(s.feeds))))
	perm := r.Perm(len(s.feeds))[:k]
	var wg sync.WaitGroup
	ch := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range ch {
				f := s.feeds[i]
				f.mu.Lock()
				add := 1 + int(uint64(round*7919+i)%3)
				items := make([]string, 0, len(f.items))
				for j := range add {
					items = append(items, s.renderItem(f, f.nextSeq+add-1-j, nil))
				}
				items = append(items, f.items[:len(f.items)-min(add, len(f.items)-1)]...)
				f.items = items
				f.nextSeq += add
				f.modified = time.Now().UTC()
				f.rerender(s.cfg.Gzip)
				f.mu.Unlock()
			}
		})
	}
	for _, i := range perm {
		ch <- i
	}
	close(ch)
	wg.Wait()
	return k
}

// publish adds an item naming a watched party to one feed, now.
func (s *feedServer) publish(feedID int, token, name string) {
	f := s.feeds[feedID]
	now := time.Now()
	f.mu.Lock()
	it := s.renderItem(f, f.nextSeq, &forced{name: name, token: token, at: now.UTC()})
	f.items = append([]string{it}, f.items...)
	f.nextSeq++
	f.modified = now.UTC()
	f.rerender(s.cfg.Gzip)
	f.pending = append(f.pending, pendingItem{token: token, version: f.version})
	f.mu.Unlock()
	s.mu.Lock()
	s.published[token] = now.UnixNano()
	s.mu.Unlock()
}

func (s *feedServer) reset() {
	for _, f := range s.feeds {
		f.mu.Lock()
		in := f.initial
		f.items, f.nextSeq, f.etag, f.modified, f.body, f.gz = in.items, in.nextSeq, in.etag, in.modified, in.body, in.gz
		f.nitems, f.pending = len(in.items), nil
		f.mu.Unlock()
	}
	s.mu.Lock()
	s.published, s.seen = map[string]int64{}, map[string]int64{}
	s.mu.Unlock()
	s.resetStats()
}

func (s *feedServer) resetStats() {
	s.requests.Store(0)
	s.full.Store(0)
	s.notModified.Store(0)
	s.wireBytes.Store(0)
	s.itemsServed.Store(0)
	s.lastServed.Store(0)
}

// serverStats are the feed server's counters since the last reset.
type serverStats struct {
	Requests    int64 `json:"requests"`
	Full        int64 `json:"full"`
	NotModified int64 `json:"not_modified"`
	WireBytes   int64 `json:"wire_bytes"`
	ItemsServed int64 `json:"items_served"`
	LastServed  int64 `json:"last_served"` // Unix ns of the last response
}

// tokenTimes are a published item's times, Unix ns; Seen is 0 when no poll has seen it.
type tokenTimes struct {
	Published int64 `json:"published"`
	Seen      int64 `json:"seen"`
}

func (s *feedServer) control() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /reset", func(w http.ResponseWriter, _ *http.Request) {
		s.reset()
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("POST /stats/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.resetStats()
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(serverStats{s.requests.Load(), s.full.Load(), s.notModified.Load(), s.wireBytes.Load(), s.itemsServed.Load(), s.lastServed.Load()})
	})
	mux.HandleFunc("POST /advance", func(w http.ResponseWriter, r *http.Request) {
		round, _ := strconv.Atoi(r.FormValue("round"))
		frac, _ := strconv.ParseFloat(r.FormValue("frac"), 64)
		fmt.Fprintln(w, s.advance(round, frac))
	})
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.FormValue("feed"))
		if err != nil || id < 0 || id >= len(s.feeds) {
			http.Error(w, "bad feed", http.StatusBadRequest)
			return
		}
		s.publish(id, r.FormValue("token"), r.FormValue("name"))
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /tokens", func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		out := map[string]tokenTimes{}
		for t, p := range s.published {
			out[t] = tokenTimes{Published: p, Seen: s.seen[t]}
		}
		s.mu.Unlock()
		_ = json.NewEncoder(w).Encode(out)
	})
	return mux
}

// readReady reads the server's READY line.
func readReady(r io.Reader) (map[string]any, error) {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if rest, ok := strings.CutPrefix(line, "READY "); ok {
			var m map[string]any
			if err := json.Unmarshal([]byte(rest), &m); err != nil {
				return nil, err
			}
			go func() { _, _ = io.Copy(os.Stderr, br) }()
			return m, nil
		}
		if err != nil {
			return nil, fmt.Errorf("feed server did not start: %w", err)
		}
	}
}
