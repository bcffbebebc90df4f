// Package bot owns the conversation, the same on every platform: the command grammar,
// who may change a channel's watches, the replies, and the neutral Message an alert is
// rendered into. Platform adapters (console, slackbot, matrixbot) turn platform events into
// Requests and Messages into platform messages; this package knows no platform.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/vigilbot/vigil/watchers"
)

// WatchStore keeps the watches; the store implements it.
type WatchStore interface {
	AddWatch(ctx context.Context, w watchers.Watch) (watchers.Watch, error)
	RemoveWatch(ctx context.Context, channel, name, actor string) error
	Watches(ctx context.Context, channel string) ([]watchers.Watch, error)
}

// Request is one command from a user in a channel.
type Request struct {
	Channel string // PLATFORM:ID
	User    string // the platform's user id
	// CanManage says whether the user may change this channel's watches, as the adapter
	// established it from the platform (admins, power levels, membership).
	CanManage bool
	Text      string // the command, without the platform's prefix (/watch, !watch, a mention)
}

// Reply is the answer to a request, as plain text; adapters escape and format it.
type Reply struct {
	Text string
	// Failed says the command was not carried out (bad input, not allowed, not found,
	// an internal error), for callers such as the CLI that report an exit status.
	Failed bool
}

// Service answers commands.
type Service struct {
	store WatchStore
	log   *slog.Logger
}

// NewService returns a Service on the given store.
func NewService(store WatchStore, log *slog.Logger) *Service {
	return &Service{store: store, log: log}
}

// Handle answers one request. It always replies: bad input gets a usage hint and an
// internal failure a short apology (the detail goes to the log).
func (s *Service) Handle(ctx context.Context, req Request) Reply {
	cmd, err := Parse(req.Text)
	if err != nil {
		var ue *UsageError
		if errors.As(err, &ue) {
			return Reply{Text: ue.Msg + "\n" + ue.Hint, Failed: true}
		}
		return Reply{Text: err.Error(), Failed: true}
	}
	switch cmd.Verb {
	case VerbHelp:
		return Reply{Text: Usage}
	case VerbList:
		return s.list(ctx, req)
	case VerbAdd, VerbRemove:
		if !req.CanManage {
			return Reply{Text: "Only this channel's managers may change its watches. Anyone may use list and help.", Failed: true}
		}
		if cmd.Verb == VerbAdd {
			return s.add(ctx, req, cmd)
		}
		return s.remove(ctx, req, cmd)
	}
	return Reply{Text: Usage}
}

func (s *Service) add(ctx context.Context, req Request, cmd Command) Reply {
	w, err := s.store.AddWatch(ctx, watchers.Watch{
		Channel: req.Channel, Name: cmd.Name, Aliases: cmd.Aliases, Exclude: cmd.Exclude, CreatedBy: req.User,
	})
	if errors.Is(err, watchers.ErrExists) {
		return Reply{Text: fmt.Sprintf("This channel already watches %q. Remove it first to change it.", cmd.Name), Failed: true}
	}
	if err != nil {
		return s.failed(err, "add watch", req)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Now watching %q in this channel.\n", w.Name)
	fmt.Fprintf(&b, "I will alert on: %s (whole words, any case).", quoteList(w.Terms()))
	if len(w.Exclude) > 0 {
		fmt.Fprintf(&b, "\nNot inside: %s.", quoteList(w.Exclude))
	}
	return Reply{Text: b.String()}
}

func (s *Service) remove(ctx context.Context, req Request, cmd Command) Reply {
	err := s.store.RemoveWatch(ctx, req.Channel, cmd.Name, req.User)
	if errors.Is(err, watchers.ErrNotFound) {
		return Reply{Text: fmt.Sprintf("This channel does not watch %q. Type list to see its watches.", cmd.Name), Failed: true}
	}
	if err != nil {
		return s.failed(err, "remove watch", req)
	}
	return Reply{Text: fmt.Sprintf("Stopped watching %q in this channel.", cmd.Name)}
}

func (s *Service) list(ctx context.Context, req Request) Reply {
	ws, err := s.store.Watches(ctx, req.Channel)
	if err != nil {
		return s.failed(err, "list watches", req)
	}
	if len(ws) == 0 {
		return Reply{Text: "This channel watches nothing yet. Try: add Hikvision aka 海康威视"}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "This channel watches %d %s:", len(ws), plural(len(ws), "entity", "entities"))
	for _, w := range ws {
		fmt.Fprintf(&b, "\n• %s", w.Name)
		if len(w.Aliases) > 0 {
			fmt.Fprintf(&b, " (aka %s)", quoteList(w.Aliases))
		}
		if len(w.Exclude) > 0 {
			fmt.Fprintf(&b, " (not %s)", quoteList(w.Exclude))
		}
		fmt.Fprintf(&b, " — added by %s on %s", w.CreatedBy, w.CreatedAt.Format("2006-01-02"))
	}
	return Reply{Text: b.String()}
}

func (s *Service) failed(err error, what string, req Request) Reply {
	s.log.Error(what+" failed", "channel", req.Channel, "user", req.User, "err", err)
	return Reply{Text: "Sorry, that failed on my side; the operator can find the details in the log.", Failed: true}
}

func quoteList(v []string) string {
	q := make([]string, len(v))
	for i, s := range v {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
