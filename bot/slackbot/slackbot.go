// Package slackbot is the Slack adapter: it turns Slack's slash commands, mentions, direct
// messages, App Home visits and button clicks into bot.Requests, and bot.Messages into
// Block Kit messages. It is the only importer of slack-go. It connects through Socket
// Mode by default (no public URL needed) and can serve Slack's HTTP callbacks instead.
//
// It must not parse commands or decide anything about watches: that is package bot's
// job. What it owns is Slack: escaping every third-party string, establishing who may
// manage a channel, acknowledging within Slack's three seconds, pacing posts per channel,
// and classifying delivery errors as retryable, rate limited or permanent.
package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/watchers"
)

// Platform is the prefix of Slack channel ids: "slack:C0123ABC".
const Platform = "slack"

// DefaultCommand is the slash command's name unless configured otherwise.
const DefaultCommand = "/watch"

// Handler answers commands; *bot.Service implements it.
type Handler interface {
	Handle(ctx context.Context, req bot.Request) bot.Reply
}

var _ Handler = (*bot.Service)(nil)

// Options configure the Slack adapter.
type Options struct {
	// BotToken (xoxb-) calls the Web API. AppToken (xapp-, scope connections:write)
	// opens Socket Mode; without it the bot runs in HTTP mode and SigningSecret is
	// required to verify Slack's requests.
	BotToken, AppToken, SigningSecret string
	APIURL                            string // "" is Slack's; tests point it at a local fake
	Command                           string // the slash command, default "/watch"
	Admins                            []string
	// MembersMayManage lets the members of a channel (and a user in their own DM with the
	// bot) change its watches; otherwise only Admins may. Vigil's default is true: the
	// caller sets it from the configuration (false is the zero value).
	MembersMayManage bool
	Logger           *slog.Logger
	Now              func() time.Time
	HTTPClient       *http.Client // nil: a client with a 30 s timeout
	// Claims, when set, makes each event act once across replicas sharing a database:
	// Slack spreads events over Socket Mode connections and retries them on any.
	Claims Claimer
	// Watches, when set, lets the App Home show Remove and Mute buttons for each watch.
	Watches WatchLister
}

// WatchLister lists a channel's watches.
type WatchLister interface {
	Watches(ctx context.Context, channel string) ([]watchers.Watch, error)
}

// Claimer records that this process handles an event; false means another one did.
type Claimer interface {
	Claim(ctx context.Context, key string) (bool, error)
}

// String hides the secrets when Options are printed.
func (o Options) String() string {
	return fmt.Sprintf("slackbot.Options{BotToken:%s AppToken:%s SigningSecret:%s APIURL:%q Command:%q Admins:%v MembersMayManage:%t}",
		redacted(o.BotToken), redacted(o.AppToken), redacted(o.SigningSecret), o.APIURL, o.Command, o.Admins, o.MembersMayManage)
}

// GoString hides the secrets from %#v too.
func (o Options) GoString() string { return o.String() }

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "<secret>"
}

// Timings Slack imposes or that keep the bot polite.
const (
	ackBudget      = 2 * time.Second // Slack wants an answer within 3 s
	perChannel     = time.Second     // at most one message per second per channel
	memberCacheTTL = time.Minute
	eventIDTTL     = 15 * time.Minute // Slack retries an event for a few minutes
	maxConcurrent  = 16
	apiTimeout     = 30 * time.Second
	taskTimeout    = 2 * time.Minute // a stuck command must not hold a slot for ever
)

// Bot is a Slack app connection: it answers people and delivers alerts.
type Bot struct {
	api     *slack.Client
	socket  *socketmode.Client // nil in HTTP mode
	h       Handler
	decider Decider // nil: the handler takes no decisions from buttons
	log     *slog.Logger
	now     func() time.Time
	http    *http.Client
	command string
	admins  map[string]bool
	members bool
	secrets []string
	signing string
	apiURL  *url.URL // a configured stand-in: response URLs on its host are accepted

	ackBudget time.Duration
	limiter   *limiter
	cache     *memberCache
	events    *seenEvents
	watches   WatchLister
	botUser   atomic.Value // string: the bot's user id, from auth.test
	ready     atomic.Bool  // connected (Socket Mode) or serving (HTTP mode)

	tasks chan task // work for Run to start, from the HTTP handlers
}

// task is work that outlives the Slack request that brought it: Run starts it with its
// own context, so that it ends with Run.
type task func(ctx context.Context)

// New checks the options and returns a Bot. It does no I/O.
func New(o Options, h Handler) (*Bot, error) {
	if h == nil {
		return nil, errors.New("slack: no command handler")
	}
	if o.BotToken == "" {
		return nil, errors.New("slack: a bot token (xoxb-…) is required")
	}
	if o.AppToken == "" && o.SigningSecret == "" {
		return nil, errors.New("slack: an app token (xapp-…) for Socket Mode or a signing secret for HTTP mode is required")
	}
	if o.AppToken != "" && !strings.HasPrefix(o.AppToken, "xapp-") {
		return nil, errors.New("slack: the app token must be an app-level token (xapp-…)")
	}
	if o.Command == "" {
		o.Command = DefaultCommand
	}
	if !strings.HasPrefix(o.Command, "/") {
		o.Command = "/" + o.Command
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: apiTimeout}
	}
	b := &Bot{
		h: h, log: o.Logger.With("platform", Platform), now: o.Now, http: o.HTTPClient,
		command: o.Command, admins: map[string]bool{}, members: o.MembersMayManage,
		signing: o.SigningSecret, ackBudget: ackBudget,
		limiter: newLimiter(perChannel), cache: newMemberCache(memberCacheTTL),
		events: newSeenEvents(eventIDTTL, o.Claims), tasks: make(chan task), watches: o.Watches,
	}
	b.decider, _ = h.(Decider)
	for _, s := range []string{o.BotToken, o.AppToken, o.SigningSecret} {
		if s != "" {
			b.secrets = append(b.secrets, s)
		}
	}
	for _, a := range o.Admins {
		b.admins[strings.TrimSpace(a)] = true
	}
	b.botUser.Store("")
	opts := []slack.Option{
		slack.OptionHTTPClient(o.HTTPClient),
		slack.OptionLog(logAdapter{b}),
		// No slack.OptionRetry: a rate-limited delivery goes back to the job queue,
		// which snoozes it for the Retry-After instead of holding a worker.
	}
	if o.APIURL != "" {
		u, err := url.Parse(o.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("slack: api_url %q is not an http(s) URL", o.APIURL)
		}
		if !strings.HasSuffix(o.APIURL, "/") {
			o.APIURL += "/"
		}
		b.apiURL = u
		opts = append(opts, slack.OptionAPIURL(o.APIURL))
	}
	if o.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(o.AppToken))
	}
	b.api = slack.New(o.BotToken, opts...)
	if o.AppToken != "" {
		b.socket = socketmode.New(b.api, socketmode.OptionLog(logAdapter{b}))
	}
	return b, nil
}

// Run serves Slack until ctx is done, then returns nil once the work in flight has ended.
// In Socket Mode it holds the connection (reconnecting as Slack asks); in HTTP mode it
// runs the work that HTTPHandler accepts. It returns an error when Slack refuses the
// tokens.
func (b *Bot) Run(ctx context.Context) error {
	if err := b.whoAmI(ctx); err != nil {
		return err
	}
	r := newRunner(maxConcurrent)
	defer r.wait()
	defer b.ready.Store(false)
	if b.socket == nil {
		b.log.Info("slack: HTTP mode, waiting for Slack's requests")
		b.ready.Store(true)
		b.serveTasks(ctx, r, nil)
		return nil
	}
	errc := make(chan error, 1)
	go func() { errc <- b.socket.RunContext(ctx) }()
	b.log.Info("slack: connecting with Socket Mode")
	err := b.serveTasks(ctx, r, errc)
	if ctx.Err() != nil {
		<-errc
		return nil
	}
	return err
}

// serveTasks starts the tasks the HTTP handlers hand over and, in Socket Mode, handles
// the connection's events, until ctx is done or the connection fails for good.
func (b *Bot) serveTasks(ctx context.Context, r *runner, errc <-chan error) error {
	var events <-chan socketmode.Event
	if b.socket != nil {
		events = b.socket.Events
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case t := <-b.tasks:
			r.Go(ctx, t)
		case evt := <-events:
			b.onSocketEvent(ctx, r, evt)
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack socket mode: %w", b.scrub(err))
		}
	}
}

// whoAmI learns the bot's user id (to recognise its own mentions and messages) and
// checks the bot token: a refused token is an error, a network failure only a warning.
func (b *Bot) whoAmI(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	resp, err := b.api.AuthTestContext(ctx)
	if err != nil {
		if isPermanent(err) {
			return fmt.Errorf("slack: the bot token was refused: %w", b.scrub(err))
		}
		b.log.Warn("slack: auth.test failed; continuing", "err", b.scrub(err))
		return nil
	}
	b.botUser.Store(resp.UserID)
	b.log.Info("slack: authenticated", "team", resp.Team, "bot_user", resp.UserID)
	return nil
}

// Ready says whether the bot can hear Slack now: connected in Socket Mode, running in
// HTTP mode. It is for readiness checks.
func (b *Bot) Ready() bool { return b.ready.Load() }

func (b *Bot) botUserID() string { s, _ := b.botUser.Load().(string); return s }

// submit hands a task to Run, waiting at most d; false if Run is not taking work.
func (b *Bot) submit(ctx context.Context, t task, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case b.tasks <- t:
		return true
	case <-timer.C:
	case <-ctx.Done():
	}
	return false
}

// runner starts tasks in goroutines, at most n at a time, and waits for them.
type runner struct {
	wg  sync.WaitGroup
	sem chan struct{}
}

func newRunner(n int) *runner { return &runner{sem: make(chan struct{}, n)} }

// Go runs t unless ctx ends first while every slot is busy.
func (r *runner) Go(ctx context.Context, t task) {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	r.wg.Go(func() {
		defer func() { <-r.sem }()
		ctx, cancel := context.WithTimeout(ctx, taskTimeout)
		defer cancel()
		t(ctx)
	})
}

func (r *runner) wait() { r.wg.Wait() }

// scrub returns err with any secret in its text replaced, keeping it for errors.Is/As.
func (b *Bot) scrub(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := b.scrubString(msg)
	if clean == msg {
		return err
	}
	return &scrubbed{msg: clean, err: err}
}

func (b *Bot) scrubString(s string) string {
	for _, sec := range b.secrets {
		s = strings.ReplaceAll(s, sec, "<secret>")
	}
	return s
}

type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// logAdapter sends slack-go's debug output to the bot's logger, scrubbed.
type logAdapter struct{ b *Bot }

func (l logAdapter) Output(_ int, s string) error {
	l.b.log.Debug("slack-go: " + l.b.scrubString(strings.TrimSpace(s)))
	return nil
}
