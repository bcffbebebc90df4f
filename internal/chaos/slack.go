package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// SlackPost is one chat.postMessage the fake Slack received.
type SlackPost struct {
	At       time.Time
	Channel  string
	Text     string
	Answered bool // answered ok; false: the sender died while the request was held
}

// FakeSlack is a loopback stand-in for the Slack Web API, enough for Vigil in HTTP mode
// to authenticate and post alerts: auth.test and chat.postMessage, every other method
// answered ok. A gate can hold chat.postMessage requests open.
type FakeSlack struct {
	srv *httptest.Server

	mu      sync.Mutex
	posts   []SlackPost
	gate    Gate
	changed chan struct{} // closed and replaced when a post is recorded or answered
}

// NewFakeSlack starts the fake.
func NewFakeSlack() *FakeSlack {
	f := &FakeSlack{changed: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

// APIURL is the value for slack.api_url.
func (f *FakeSlack) APIURL() string { return f.srv.URL + "/api/" }

// Close stops the server.
func (f *FakeSlack) Close() {
	f.srv.CloseClientConnections()
	f.srv.Close()
}

// SetGate makes g decide about every later chat.postMessage; nil holds none.
func (f *FakeSlack) SetGate(g Gate) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate = g
}

// Posts returns the posts so far.
func (f *FakeSlack) Posts() []SlackPost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SlackPost(nil), f.posts...)
}

// Changed is closed when a post is recorded or answered.
func (f *FakeSlack) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

func (f *FakeSlack) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *FakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	method := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	reply := map[string]any{"ok": true}
	switch method {
	case "auth.test":
		reply = map[string]any{"ok": true, "url": "https://chaos.slack.invalid/", "team": "chaos",
			"user": "vigil", "team_id": "T0CHAOS", "user_id": "U0VIGIL", "bot_id": "B0VIGIL"}
	case "chat.postMessage":
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		n := len(f.posts)
		f.posts = append(f.posts, SlackPost{At: time.Now(), Channel: r.Form.Get("channel"), Text: r.Form.Get("text")})
		gate := f.gate
		f.notify()
		f.mu.Unlock()
		if gate != nil {
			if held := gate(r); held != nil {
				select {
				case <-held:
				case <-r.Context().Done():
					return
				}
			}
		}
		f.mu.Lock()
		f.posts[n].Answered = true
		f.notify()
		f.mu.Unlock()
		reply = map[string]any{"ok": true, "channel": r.Form.Get("channel"), "ts": fmt.Sprintf("%d.%06d", time.Now().Unix(), n)}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(reply)
}

// DeliveryKillOptions configure a run that kills replicas while they deliver to Slack.
type DeliveryKillOptions struct {
	Binary      string
	Dir         string // a fresh directory for the config
	DatabaseURL string // a fresh PostgreSQL database
	Replicas    int    // default 2
	Kills       int    // default 1; at most Replicas-1
	Seed        uint64 // 0: from the clock
	// RescueWithin bounds the wait for a survivor to post a message whose sender was
	// killed (default 3 min): River rescues the dead replica's running delivery job only
	// after its RescueStuckJobsAfter, on its leader's next rescue pass.
	RescueWithin time.Duration
	Log          io.Writer
}

func (o *DeliveryKillOptions) defaults() {
	if o.Replicas <= 0 {
		o.Replicas = 2
	}
	if o.Kills <= 0 {
		o.Kills = 1
	}
	o.Kills = min(o.Kills, o.Replicas-1)
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	if o.RescueWithin <= 0 {
		o.RescueWithin = 3 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// DeliveryKill is one SIGKILL of a replica holding a Slack post open.
type DeliveryKill struct {
	N         int
	Item      string // the alert's item
	Victim    int    // the killed replica's pid
	WasLeader bool
	// Reposted is from the kill to a survivor's answered post of the same alert; zero if
	// none came within RescueWithin.
	Reposted time.Duration
	// After is an item published just after the kill; AfterPosted how long it took from
	// its publication to its post.
	After       string
	AfterPosted time.Duration
}

// DeliveryResult is what a delivery-kill run measured.
type DeliveryResult struct {
	Replicas int
	Seed     uint64
	Kills    []DeliveryKill
	Duration time.Duration

	Items  int      // matching items published
	Posted int      // of which posted (answered) at least once
	Lost   []string // never posted
	// Duplicates are answered posts beyond the first for an item. Cut are posts whose
	// sender was killed while the request was held: Slack might have shown them, so each
	// is a duplicate the real platform may show.
	Duplicates     int
	DuplicateItems []string
	Cut            int

	Failures   []string
	StderrTail []string
}

// DeliveryKills starts o.Replicas replicas posting to a fake Slack, then o.Kills times:
// publishes a matching item, holds its chat.postMessage open, kills with SIGKILL the
// replica that sent it, and waits for a survivor to post it (after River's rescue of the
// dead replica's delivery job) while an item published after the kill is posted at once.
func DeliveryKills(ctx context.Context, o DeliveryKillOptions) (*DeliveryResult, error) {
	o.defaults()
	start := time.Now()
	res := &DeliveryResult{Replicas: o.Replicas, Seed: o.Seed}
	rng := rand.New(rand.NewPCG(o.Seed, 5))
	stream := NewStream("dk", o.Seed)
	defer stream.Close()
	slack := NewFakeSlack()
	defer slack.Close()

	dbURL, _, err := ConfigURL(o.DatabaseURL)
	if err != nil {
		return nil, err
	}
	config := filepath.Join(o.Dir, "vigil.yaml")
	yaml := fmt.Sprintf(`database:
  url: %s
sources:
  - name: news
    type: feed
    url: %s
    schedule: "@every 1s"
channels:
  - id: slack:C0CHAOS
    watches:
%sslack:
  bot_token: xoxb-chaos-bot-token
  signing_secret: chaos-signing-secret
  api_url: %s
http:
  listen: 127.0.0.1:0
`, dbURL, stream.URL(), watchYAML, slack.APIURL())
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		return nil, err
	}
	c, err := StartCluster(ctx, o.Binary, config, o.DatabaseURL, o.Replicas)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	defer func() { res.StderrTail = c.stderrTail(30) }()
	if err := waitForEvery(ctx, time.Minute, 300*time.Millisecond, func() (bool, error) {
		srcs, err := c.Sources(ctx)
		return err == nil && srcs["news"].Baselined, err
	}); err != nil {
		return res, fmt.Errorf("waiting for the baseline: %w", err)
	}
	fmt.Fprintf(o.Log, "delivery kills: %d replicas posting to a fake Slack; baseline taken\n", o.Replicas)

	var items []Item
	for n := 1; n <= o.Kills; n++ {
		k, err := c.killMidDelivery(ctx, stream, slack, time.Duration(rng.Int64N(int64(300*time.Millisecond))), o.RescueWithin, &items)
		k.N = n
		if k.Item != "" {
			res.Kills = append(res.Kills, k)
		}
		if err != nil {
			return res, fmt.Errorf("kill %d: %w", n, err)
		}
		fmt.Fprintf(o.Log, "delivery kills: kill %d: pid %d (leader: %v) killed holding the post of %s; a survivor posted it %s after the kill; %s, published after the kill, posted after %s\n",
			n, k.Victim, k.WasLeader, k.Item, k.Reposted.Round(time.Millisecond), k.After, k.AfterPosted.Round(time.Millisecond))
	}
	res.Failures = append(res.Failures, c.Stop(30*time.Second)...)

	answered, cut := postsByItem(slack.Posts(), "dk")
	for _, n := range cut {
		res.Cut += n
	}
	res.Items = len(items)
	for _, it := range items {
		switch n := answered[it.ID]; {
		case n == 0:
			res.Lost = append(res.Lost, it.ID)
		case n > 1:
			res.Duplicates += n - 1
			res.DuplicateItems = append(res.DuplicateItems, fmt.Sprintf("%s×%d", it.ID, n))
			fallthrough
		default:
			res.Posted++
		}
	}
	res.Duration = time.Since(start)
	return res, nil
}

// killMidDelivery publishes a matching item, holds the post of its alert, kills the
// replica that sent it offset later, and waits for the alert to be posted by a survivor.
func (c *Cluster) killMidDelivery(ctx context.Context, stream *Stream, slack *FakeSlack, offset, within time.Duration, items *[]Item) (DeliveryKill, error) {
	var k DeliveryKill
	leader, err := c.WaitLeader(ctx, 90*time.Second)
	if err != nil {
		return k, fmt.Errorf("no running replica leads: %w", err)
	}
	type held struct {
		from *Replica
		at   time.Time
	}
	heldc := make(chan held, 1)
	release := make(chan struct{})
	var (
		mu       sync.Mutex
		taken    bool
		ownerErr error
	)
	slack.SetGate(func(r *http.Request) <-chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		if taken {
			return nil
		}
		rep, err := c.Owner(r)
		if err != nil {
			ownerErr = err
			return nil
		}
		taken = true
		heldc <- held{from: rep, at: time.Now()}
		return release
	})
	defer func() {
		slack.SetGate(nil)
		close(release)
	}()
	it := stream.Add(true)
	*items = append(*items, it)
	k.Item = it.ID
	var h held
	select {
	case h = <-heldc:
	case <-time.After(90 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		return k, fmt.Errorf("no post of %s held within 90 s of its publication (finding a sender: %v)", it.ID, ownerErr)
	case <-ctx.Done():
		return k, ctx.Err()
	}
	if err := sleepUntil(ctx, h.at.Add(offset)); err != nil {
		return k, err
	}
	killed := time.Now()
	h.from.Kill()
	k.Victim, k.WasLeader = h.from.PID(), h.from == leader
	after := stream.Add(true)
	*items = append(*items, after)
	k.After = after.ID

	err = waitForEvery(ctx, within, 200*time.Millisecond, func() (bool, error) {
		for _, p := range slack.Posts() {
			if !p.Answered || p.At.Before(killed) {
				continue
			}
			if k.Reposted == 0 && strings.Contains(p.Text, it.ID) {
				k.Reposted = p.At.Sub(killed)
			}
			if k.AfterPosted == 0 && strings.Contains(p.Text, after.ID) {
				k.AfterPosted = p.At.Sub(after.Added)
			}
		}
		return k.Reposted > 0 && k.AfterPosted > 0, nil
	})
	switch {
	case err == nil:
		return k, nil
	case k.Reposted == 0:
		return k, fmt.Errorf("%s, whose post the killed replica (pid %d) held open, was not posted by a survivor within %s of the kill "+
			"(River rescues a dead replica's running job only after RescueStuckJobsAfter, then on the leader's next rescue pass, up to 30 s later: is RescueStuckJobsAfter in app/jobs.go over %s?)",
			it.ID, k.Victim, within, within-30*time.Second)
	default:
		return k, fmt.Errorf("%s, published just after the kill, was not posted within %s", after.ID, within)
	}
}

// postsByItem counts, for each item id (prefix-NNNNNN) the posts name, the answered
// posts and those cut by a kill.
func postsByItem(posts []SlackPost, prefix string) (answered, cut map[string]int) {
	answered, cut = map[string]int{}, map[string]int{}
	for _, p := range posts {
		a := Alert{Header: p.Text}
		for _, id := range a.ItemsIn(prefix) {
			if p.Answered {
				answered[id]++
			} else {
				cut[id]++
			}
		}
	}
	return answered, cut
}

// Report writes the figures of a delivery-kill run.
func (r *DeliveryResult) Report(w io.Writer) {
	fmt.Fprintf(w, "Delivery kills: %d replicas posting to a fake Slack, %d replicas killed while their post was held open, seed %d, %s\n",
		r.Replicas, len(r.Kills), r.Seed, r.Duration.Round(time.Second))
	for _, k := range r.Kills {
		fmt.Fprintf(w, "  kill %d: pid %d (leader: %v) holding %s; a survivor posted it %s after the kill; %s, published after the kill, posted %s after its publication\n",
			k.N, k.Victim, k.WasLeader, k.Item, k.Reposted.Round(100*time.Millisecond), k.After, k.AfterPosted.Round(100*time.Millisecond))
	}
	fmt.Fprintf(w, "  matching items published %d\n", r.Items)
	fmt.Fprintf(w, "  posted                   %d\n", r.Posted)
	fmt.Fprintf(w, "  lost                     %d %s\n", len(r.Lost), list(r.Lost))
	fmt.Fprintf(w, "  duplicates (answered)    %d %s\n", r.Duplicates, list(r.DuplicateItems))
	fmt.Fprintf(w, "  posts cut by a kill      %d (Slack may have shown them: each a possible duplicate)\n", r.Cut)
	for _, f := range r.Failures {
		fmt.Fprintf(w, "  FAILURE: %s\n", f)
	}
}
