// Package app is the composition root of Vigil: it builds the store, the job engine,
// the sources and the chat adapters from the configuration, drives the pipeline
// (schedule → fetch → match → dedup → summarise → record → deliver) and owns the
// lifecycle of the daemon and of the one-shot commands.
//
// It is the only package that imports everything, and the only one that imports River.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/vigilbot/vigil/bot/console"
	"github.com/vigilbot/vigil/config"
	"github.com/vigilbot/vigil/store"
	"github.com/vigilbot/vigil/watchers/feed"
)

// Version is Vigil's version, set at build time with -ldflags "-X …/app.Version=…".
var Version = "dev"

// ProjectURL is named in the User-Agent of every request Vigil makes.
const ProjectURL = "https://github.com/vigilbot/vigil"

// Options are what the front door hands to the app.
type Options struct {
	Config *config.Config
	Stdin  io.Reader // the terminal chat's input
	Stdout io.Writer // the terminal chat's and the commands' output
	Logger *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// HTTPClient fetches sources; default a client with a 60 s timeout.
	HTTPClient *http.Client
	// SchedulerInterval is how often the leader looks for due sources; default 5 s.
	SchedulerInterval time.Duration

	// pollers replaces the sources of these names (tests).
	pollers map[string]poller
	// fetcher replaces the feed fetcher's options (tests).
	fetcher *feed.FetcherOptions
}

func (o *Options) defaults() {
	if o.Config == nil {
		o.Config = config.Default()
	}
	if o.Stdin == nil {
		o.Stdin = os.Stdin
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Logger == nil {
		o.Logger = NewLogger(os.Stderr, o.Config.Log)
	}
	o.Logger = redacting(o.Logger, o.Config)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if o.SchedulerInterval <= 0 {
		o.SchedulerInterval = 5 * time.Second
	}
}

// NewLogger returns the logger the configuration asks for.
func NewLogger(w io.Writer, c config.Log) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	format := c.Format
	if format == "" || format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Run is the daemon: it polls the sources on their schedules, delivers alerts and answers
// commands until ctx is done. With no chat platform configured, the terminal is the chat.
func Run(ctx context.Context, opts Options) error {
	opts.defaults()
	e, err := open(ctx, opts)
	if err != nil {
		return err
	}
	defer e.close()

	svc := e.service()
	runners, handlers, err := e.openChats(ctx, svc)
	if err != nil {
		return err
	}
	var term *console.Console
	if !opts.Config.ChatConfigured() {
		term = console.New(opts.Stdin, opts.Stdout, svc)
		e.setChat(console.Platform, term)
	}
	e.runners, e.handlers = runners, handlers

	client, err := e.newClient(true)
	if err != nil {
		return err
	}
	if err := client.Start(ctx); err != nil {
		return fmt.Errorf("start job engine: %w", err)
	}
	e.logSummary(ctx, term != nil)

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	errc := make(chan error, 2+len(runners))
	if term != nil {
		wg.Go(func() {
			if err := term.Run(runCtx); err != nil {
				opts.Logger.Warn("terminal chat stopped", "err", err)
			}
		})
	}
	if e.cfg.Matrix != nil && e.store.Dialect() == store.Postgres {
		wg.Go(func() {
			if err := e.runMatrixWithLease(runCtx, svc, client); err != nil && runCtx.Err() == nil {
				select {
				case errc <- fmt.Errorf("matrix: %w", err):
				default:
				}
			}
		})
	}
	for _, r := range runners {
		wg.Go(func() {
			if err := r.Run(runCtx); err != nil && runCtx.Err() == nil {
				select {
				case errc <- fmt.Errorf("chat: %w", err):
				default:
				}
			}
		})
	}
	var srv *http.Server
	if addr := opts.Config.HTTP.Listen; addr != "" {
		srv = e.httpServer(addr)
		wg.Go(func() {
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("http server on %s: %w", addr, err)
			}
		})
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if srv != nil {
		_ = srv.Shutdown(stopCtx)
	}
	if err := client.Stop(stopCtx); err != nil {
		opts.Logger.Warn("job engine did not stop cleanly", "err", err)
	}
	stop()
	wg.Wait()
	opts.Logger.Info("vigil stopped")
	return runErr
}

func (e *engine) httpServer(addr string) *http.Server {
	return &http.Server{Addr: addr, Handler: e.httpHandler(), ReadHeaderTimeout: 10 * time.Second}
}

// httpHandler serves /healthz (the process is up), /readyz (the database answers) and
// /metrics.
func (e *engine) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", e.met.handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := e.store.DB().PingContext(r.Context()); err != nil {
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		for _, c := range e.runners {
			if !c.Ready() {
				http.Error(w, "chat connection not up", http.StatusServiceUnavailable)
				return
			}
		}
		if m := e.matrixUp.Load(); m != nil && !m.Ready() {
			http.Error(w, "matrix connection not up", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	for prefix, h := range e.handlers {
		mux.Handle(prefix, h)
	}
	return mux
}

// openStore opens the configured database.
func openStore(ctx context.Context, cfg *config.Config, now func() time.Time) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.Database.URL, store.WithClock(now))
	if err != nil {
		return nil, err
	}
	return st, nil
}

// logSummary says at start what this daemon watches and where it talks.
func (e *engine) logSummary(ctx context.Context, terminal bool) {
	var platforms []string
	if terminal {
		platforms = append(platforms, "terminal")
	}
	if e.cfg.Slack != nil {
		platforms = append(platforms, "slack")
	}
	if e.cfg.Matrix != nil {
		platforms = append(platforms, "matrix")
	}
	srcs, _ := e.store.Sources(ctx)
	ws, _, _ := e.store.AllWatches(ctx)
	channels := map[string]bool{}
	for _, w := range ws {
		channels[w.Channel] = true
	}
	e.log.Info("vigil started", "version", Version, "database", e.store.Dialect(), "sources", len(srcs),
		"watches", len(ws), "channels", len(channels), "chat", strings.Join(platforms, ","),
		"http", e.cfg.HTTP.Listen, "ops_channel", e.cfg.Ops.Channel)
	if len(srcs) > 20 {
		e.log.Info("first polls of many sources start now; progress is logged as they complete", "sources", len(srcs))
	}
}
