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
	"time"

	"github.com/vigilbot/vigil/watchers"
)

// WatchStore keeps the watches; the store implements it.
type WatchStore interface {
	AddWatch(ctx context.Context, w watchers.Watch) (watchers.Watch, error)
	RemoveWatch(ctx context.Context, channel, name, actor string) error
	Watches(ctx context.Context, channel string) ([]watchers.Watch, error)
}

// MuteStore keeps the mutes; the store implements it.
type MuteStore interface {
	Mute(ctx context.Context, channel, name string, until time.Time, by string) error
	Unmute(ctx context.Context, channel, name, by string) error
	Mutes(ctx context.Context, channel string) (map[string]watchers.Mute, error)
}

// DigestStore keeps how each channel takes its alerts; the store implements it.
type DigestStore interface {
	// SetDigest and SetPassing record who (by) made a change, in the audit log.
	SetDigest(ctx context.Context, channel, mode, at, tz, by string) error
	SetPassing(ctx context.Context, channel, passing, by string) error
	Digest(ctx context.Context, channel string) (watchers.DigestSetting, error)
}

// SLASettings sets and shows a channel's triage SLA; the app implements it, reading a
// value with the configuration's parser so that chat and the file accept the same forms.
type SLASettings interface {
	// SetSLA sets the channel's own SLA from what user by typed; "" removes it. A value
	// that is not an SLA is a *UsageError, whose message is for the user.
	SetSLA(ctx context.Context, channel, value, by string) (SLAInfo, error)
	ChannelSLA(ctx context.Context, channel string) (SLAInfo, error)
}

// Where the SLA that applies to a channel comes from.
const (
	SLAFromDefault = "default" // triage.sla
	SLAFromFile    = "file"    // the channel's sla in the configuration file
	SLAFromChat    = "chat"    // the sla command
)

// SLAInfo is the triage SLA that applies to a channel.
type SLAInfo struct {
	SLA  string // as the configuration writes it: "1 business day", "4h", "off"
	From string // SLAFromDefault, SLAFromFile or SLAFromChat
	// File is the channel's sla in the configuration file, which applies again at every
	// start; "" when the file sets none.
	File string
}

// SourceLister lists the sources with their health; the store implements it.
type SourceLister interface {
	Sources(ctx context.Context) ([]watchers.Source, error)
}

// Previewer finds up to n recent items, already seen, that a new watch would have matched.
type Previewer interface {
	Preview(ctx context.Context, w watchers.Watch, n int) ([]watchers.Item, error)
}

// AlertLister finds a channel's latest alerts naming an entity; the store implements it.
type AlertLister interface {
	RecentAlerts(ctx context.Context, channel, entity string, limit int) ([]watchers.Alert, error)
}

// Resolver finds which watched entity a free-text question is about.
type Resolver interface {
	Resolve(ctx context.Context, text string) (entity string, ok bool, err error)
}

// SourceAdmin adds and removes the feeds people add by chat; the app implements it.
// Errors it returns are written for the user.
type SourceAdmin interface {
	AddFeed(ctx context.Context, url, by string) (FeedAdded, error)
	RemoveSource(ctx context.Context, name string) error
}

// FeedAdded is what adding a feed found.
type FeedAdded struct {
	Name, Title string
	Items       int
}

// Triage records decisions on alerts; the app implements it (a decision also edits the
// alert's message).
type Triage interface {
	Decide(ctx context.Context, channel string, d watchers.Decision) error
	Assign(ctx context.Context, channel string, alertID int64, assignee, by string) error
	OpenAlerts(ctx context.Context, channel string, limit int) ([]watchers.AlertSummary, error)
}

// DocumentSearcher searches the Federal Register for documents that name a term.
type DocumentSearcher interface {
	SearchDocuments(ctx context.Context, term string, limit int) ([]watchers.Item, error)
}

// Deps are what the Service works with. Preview, Alerts, Resolve, Documents and SLAs may
// be nil.
type Deps struct {
	Watches   WatchStore
	Mutes     MuteStore
	Digests   DigestStore
	Sources   SourceLister
	Preview   Previewer
	Alerts    AlertLister
	Resolve   Resolver
	Documents DocumentSearcher
	SourceAdm SourceAdmin
	Triage    Triage
	SLAs      SLASettings
	Log       *slog.Logger
	Now       func() time.Time
}

// previewLimit bounds the recent hits shown when a watch is added: a taste, never a flood.
const previewLimit = 5

// Request is one command from a user in a channel.
type Request struct {
	Channel string // PLATFORM:ID
	User    string // the platform's user id
	// CanManage says whether the user may change this channel's watches, as the adapter
	// established it from the platform (admins, power levels, membership).
	CanManage bool
	// Admin says the user is one of the platform's configured admins (the terminal user
	// always is): only admins may add or remove sources.
	Admin bool
	// Direct says the request came from a direct conversation with the bot (a DM), where
	// free text is a question rather than a mistake.
	Direct bool
	Text   string // the command, without the platform's prefix (/watch, !watch, a mention)
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
	d     Deps
	log   *slog.Logger
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: d.Watches, d: d, log: d.Log}
}

// Handle answers one request. It always replies: bad input gets a usage hint and an
// internal failure a short apology (the detail goes to the log).
func (s *Service) Handle(ctx context.Context, req Request) Reply {
	cmd, err := Parse(req.Text)
	if err != nil && req.Direct && isQuestion(req.Text, err) {
		return s.about(ctx, req, req.Text, true)
	}
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
	case VerbSources:
		return s.sources(ctx, req)
	case VerbAbout:
		return s.about(ctx, req, cmd.Name, false)
	case VerbSource:
		return s.source(ctx, req, cmd)
	case VerbOpen:
		return s.open(ctx, req)
	case VerbResolve, VerbAssign:
		if !req.CanManage {
			return Reply{Text: TriageRefusal, Failed: true}
		}
		return s.triage(ctx, req, cmd)
	case VerbAdd, VerbRemove, VerbMute, VerbUnmute, VerbDigest, VerbPassing, VerbSLA:
		if !req.CanManage {
			return Reply{Text: "Only this channel's managers may change its watches and mutes. Anyone may use list, sources and help.", Failed: true}
		}
		switch cmd.Verb {
		case VerbAdd:
			return s.add(ctx, req, cmd)
		case VerbRemove:
			return s.remove(ctx, req, cmd)
		case VerbMute:
			return s.mute(ctx, req, cmd)
		case VerbDigest:
			return s.digest(ctx, req, cmd)
		case VerbPassing:
			return s.passing(ctx, req, cmd)
		case VerbSLA:
			return s.sla(ctx, req, cmd)
		default:
			return s.unmute(ctx, req, cmd)
		}
	}
	return Reply{Text: Usage}
}

// MaxWatches bounds a channel's watchlist through chat; a whole screening list is
// imported with `vigil watch import`.
const MaxWatches = 5000

func (s *Service) add(ctx context.Context, req Request, cmd Command) Reply {
	existing, err := s.store.Watches(ctx, req.Channel)
	if err != nil {
		return s.failed(err, "list watches", req)
	}
	if len(existing) >= MaxWatches {
		return Reply{Text: fmt.Sprintf("This channel already watches %d entities, the most chat can add; an operator can import a whole list with vigil watch import.", len(existing)), Failed: true}
	}
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
	if s.d.Preview != nil {
		items, err := s.d.Preview.Preview(ctx, w, previewLimit)
		if err != nil {
			s.log.Warn("preview of a new watch failed", "channel", req.Channel, "entity", w.Name, "err", err)
		}
		if len(items) > 0 {
			fmt.Fprintf(&b, "\nRecent items it would have matched (not alerted):")
			for _, it := range items {
				fmt.Fprintf(&b, "\n• %s (%s", Clean(it.Title), Clean(it.Source))
				if !it.Published.IsZero() {
					fmt.Fprintf(&b, ", %s", it.Published.Format(time.DateOnly))
				}
				b.WriteString(")")
				if it.URL != "" {
					b.WriteString(" " + Clean(it.URL))
				}
			}
		}
	}
	return Reply{Text: b.String()}
}

func (s *Service) mute(ctx context.Context, req Request, cmd Command) Reply {
	name, label := cmd.Name, fmt.Sprintf("%q", cmd.Name)
	if strings.EqualFold(name, "all") {
		name, label = watchers.AllEntities, "every alert in this channel"
	} else if ok, reply := s.watched(ctx, req, name); !ok {
		return reply
	}
	until := s.d.Now().Add(cmd.For)
	if err := s.d.Mutes.Mute(ctx, req.Channel, name, until, req.User); err != nil {
		return s.failed(err, "mute", req)
	}
	return Reply{Text: fmt.Sprintf("Muted %s until %s. Matches are still recorded; unmute ends it early.", label, until.UTC().Format("2006-01-02 15:04 UTC"))}
}

func (s *Service) digest(ctx context.Context, req Request, cmd Command) Reply {
	if s.d.Digests == nil {
		return Reply{Text: "Digests are not available here.", Failed: true}
	}
	if err := s.d.Digests.SetDigest(ctx, req.Channel, cmd.Name, cmd.At, cmd.TZ, req.User); err != nil {
		return s.failed(err, "set digest", req)
	}
	d, err := s.d.Digests.Digest(ctx, req.Channel)
	if err != nil {
		return s.failed(err, "digest setting", req)
	}
	if d.Passing == watchers.PassingDigest {
		return Reply{Text: fmt.Sprintf("Alerts naming an entity as their subject are posted at once; passing mentions come in %s. Type passing alert to have them posted too.", digestWhen(d))}
	}
	switch cmd.Name {
	case watchers.DigestOff:
		return Reply{Text: "Alerts are posted one by one again. Any held back are sent in one last digest now."}
	case watchers.DigestHourly:
		return Reply{Text: "Alerts are now batched into one digest at the top of every hour."}
	}
	return Reply{Text: fmt.Sprintf("Alerts are now batched into one digest every day at %s %s.", cmd.At, cmd.TZ)}
}

// digestWhen says when a channel's digest goes out.
func digestWhen(d watchers.DigestSetting) string {
	d = d.Schedule()
	switch d.Mode {
	case watchers.DigestHourly:
		return "a digest at the top of every hour"
	case watchers.DigestDaily:
		return fmt.Sprintf("a digest every day at %s %s", d.At, d.TZ)
	}
	return "no digest"
}

func (s *Service) passing(ctx context.Context, req Request, cmd Command) Reply {
	if s.d.Digests == nil {
		return Reply{Text: "Digests are not available here.", Failed: true}
	}
	if err := s.d.Digests.SetPassing(ctx, req.Channel, cmd.Name, req.User); err != nil {
		return s.failed(err, "set passing mentions", req)
	}
	d, err := s.d.Digests.Digest(ctx, req.Channel)
	if err != nil {
		return s.failed(err, "digest setting", req)
	}
	if cmd.Name == watchers.PassingDigest {
		text := fmt.Sprintf("Alerts that only mention an entity in passing now come in %s; alerts naming an entity as their subject (in the title, the first sentence, or a table row of a rule) are posted at once.", digestWhen(d))
		if d.Mode == watchers.DigestOff {
			text += " Change the time with digest daily HH:MM [zone]."
		}
		return Reply{Text: text}
	}
	if d.Mode != watchers.DigestOff {
		return Reply{Text: fmt.Sprintf("Passing mentions are treated like any other alert again: this channel's alerts all come in %s (digest off to post them one by one).", digestWhen(d))}
	}
	return Reply{Text: "Passing mentions are posted like any other alert again. Any held back are sent in one last digest now."}
}

func (s *Service) sla(ctx context.Context, req Request, cmd Command) Reply {
	if s.d.SLAs == nil {
		return Reply{Text: "Triage is not available here.", Failed: true}
	}
	info, err := s.d.SLAs.SetSLA(ctx, req.Channel, cmd.Arg, req.User)
	var ue *UsageError
	if errors.As(err, &ue) {
		return Reply{Text: ue.Msg + "\n" + hints[VerbSLA], Failed: true}
	}
	if err != nil {
		return s.failed(err, "set SLA", req)
	}
	var b strings.Builder
	switch {
	case cmd.Name == SLADefault:
		b.WriteString("This channel now has the configured SLA: ")
		if info.SLA == "off" {
			b.WriteString("off, so no reminders")
		} else {
			b.WriteString(info.SLA)
		}
		if info.From == SLAFromFile {
			b.WriteString(" (its sla in the configuration file).")
		} else {
			b.WriteString(" (triage.sla).")
		}
	case info.SLA == "off":
		b.WriteString("SLA reminders are off in this channel; open still lists the undecided alerts.")
	default:
		fmt.Fprintf(&b, "Alerts here are now due for a decision within %s; one still undecided then gets a reminder in its thread. This applies to the alerts already open too.", info.SLA)
	}
	if info.From == SLAFromChat && info.File != "" {
		fmt.Fprintf(&b, " The configuration file sets this channel's SLA to %s, which applies again at the next restart.", info.File)
	}
	return Reply{Text: b.String()}
}

// slaLine says in list which SLA applies to the channel, and where it comes from.
func slaLine(info SLAInfo) string {
	from := "the default"
	switch info.From {
	case SLAFromChat:
		from = "set by chat command"
	case SLAFromFile:
		from = "set in the configuration file"
	}
	if info.SLA == "off" {
		return fmt.Sprintf("SLA reminders are off here (%s).\n", from)
	}
	return fmt.Sprintf("Alerts here are due for a decision within %s (%s).\n", info.SLA, from)
}

func (s *Service) source(ctx context.Context, req Request, cmd Command) Reply {
	if !req.Admin {
		return Reply{Text: "Only admins may add or remove sources.", Failed: true}
	}
	if s.d.SourceAdm == nil {
		return Reply{Text: "Sources cannot be changed here.", Failed: true}
	}
	if cmd.Name == "remove" {
		if err := s.d.SourceAdm.RemoveSource(ctx, cmd.Arg); err != nil {
			return Reply{Text: "Could not remove it: " + Clean(err.Error()), Failed: true}
		}
		return Reply{Text: fmt.Sprintf("Removed source %q.", cmd.Arg)}
	}
	added, err := s.d.SourceAdm.AddFeed(ctx, cmd.Arg, req.User)
	if err != nil {
		return Reply{Text: "Could not add it: " + Clean(err.Error()), Failed: true}
	}
	title := added.Title
	if title == "" {
		title = "untitled"
	}
	return Reply{Text: fmt.Sprintf("Added source %q: the feed %q with %d %s now. What it holds now is the baseline; new items are matched from the next poll.",
		added.Name, Clean(title), added.Items, plural(added.Items, "item", "items"))}
}

// openLimit bounds the open list: the oldest first, enough to work through.
const openLimit = 20

func (s *Service) open(ctx context.Context, req Request) Reply {
	if s.d.Triage == nil {
		return Reply{Text: "Triage is not available here.", Failed: true}
	}
	open, err := s.d.Triage.OpenAlerts(ctx, req.Channel, openLimit+1)
	if err != nil {
		return s.failed(err, "open alerts", req)
	}
	if len(open) == 0 {
		return Reply{Text: "No undecided alerts here."}
	}
	var b strings.Builder
	now, overdue := s.d.Now(), 0
	for i, a := range open {
		if i < openLimit && !a.Due.IsZero() && !now.Before(a.Due) {
			overdue++
		}
	}
	b.WriteString("Undecided alerts, oldest first")
	if overdue > 0 {
		fmt.Fprintf(&b, " (%d past the SLA)", overdue)
	}
	b.WriteString(":")
	for i, a := range open {
		if i == openLimit {
			b.WriteString("\n… and more; decide these first.")
			break
		}
		b.WriteString("\n• ")
		if !a.Due.IsZero() && !now.Before(a.Due) {
			b.WriteString("OVERDUE ")
		}
		fmt.Fprintf(&b, "#%d %s — %s: %s", a.ID, a.CreatedAt.UTC().Format(time.DateOnly), strings.Join(a.Entities, ", "), Clean(a.Item.Title))
		if a.Assignee != "" {
			fmt.Fprintf(&b, " (assigned to %s)", PlainName(a.Assignee))
		}
		switch {
		case a.Due.IsZero():
		case !now.Before(a.Due):
			fmt.Fprintf(&b, " — decision was due %s", a.Due.UTC().Format("2006-01-02 15:04 UTC"))
		default:
			fmt.Fprintf(&b, " — due %s", a.Due.UTC().Format("2006-01-02 15:04 UTC"))
		}
	}
	b.WriteString("\nDecide with: resolve <alert#> true_match|not_our_entity|not_relevant|escalated <reason>")
	return Reply{Text: b.String()}
}

// TriageRefusal is the answer to someone who may not decide on a channel's alerts.
const TriageRefusal = "Only this channel's managers may decide on its alerts."

// MaxReason bounds the reason given for a decision, in bytes.
const MaxReason = MaxCommandLen / 2

func (s *Service) triage(ctx context.Context, req Request, cmd Command) Reply {
	if s.d.Triage == nil {
		return Reply{Text: "Triage is not available here.", Failed: true}
	}
	if cmd.Verb == VerbResolve {
		return s.decide(ctx, req, cmd.Alert, watchers.Disposition(cmd.Arg), cmd.Reason)
	}
	err := s.d.Triage.Assign(ctx, req.Channel, cmd.Alert, cmd.Arg, req.User)
	if errors.Is(err, watchers.ErrNotFound) {
		return noAlert(cmd.Alert)
	}
	if err != nil {
		return s.failed(err, cmd.Verb, req)
	}
	return Reply{Text: fmt.Sprintf("Alert #%d is assigned to %s.", cmd.Alert, PlainName(cmd.Arg))}
}

// Decide records a decision taken with a platform's quick controls (a Slack button or
// form, a Matrix reaction) under the rules of the resolve command: only the channel's
// managers decide, and clearing an alert needs a reason. The reason is plain text as the
// person typed it.
func (s *Service) Decide(ctx context.Context, req Request, alertID int64, d watchers.Disposition, reason string) Reply {
	if !req.CanManage {
		return Reply{Text: TriageRefusal, Failed: true}
	}
	if s.d.Triage == nil {
		return Reply{Text: "Triage is not available here.", Failed: true}
	}
	if alertID <= 0 || !d.Valid() {
		return Reply{Text: hints[VerbResolve], Failed: true}
	}
	reason = strings.Join(strings.Fields(Clean(reason)), " ")
	if d.Clears() && reason == "" {
		return Reply{Text: "Say why: a reason is required to clear an alert.", Failed: true}
	}
	if len(reason) > MaxReason {
		return Reply{Text: fmt.Sprintf("The reason is too long: at most %d characters.", MaxReason), Failed: true}
	}
	return s.decide(ctx, req, alertID, d, reason)
}

func (s *Service) decide(ctx context.Context, req Request, alertID int64, d watchers.Disposition, reason string) Reply {
	err := s.d.Triage.Decide(ctx, req.Channel, watchers.Decision{AlertID: alertID, State: d, Reason: reason, By: req.User})
	if errors.Is(err, watchers.ErrNotFound) {
		return noAlert(alertID)
	}
	if err != nil {
		return s.failed(err, VerbResolve, req)
	}
	text := fmt.Sprintf("Alert #%d is marked %s.", alertID, strings.ReplaceAll(string(d), "_", " "))
	if d == watchers.DispNotOurEntity {
		text += " It stays quiet until the document moves on or a new alias matches; then it comes back for review."
	}
	return Reply{Text: text}
}

func noAlert(id int64) Reply {
	return Reply{Text: fmt.Sprintf("This channel has no alert #%d. Type open to list the undecided ones.", id), Failed: true}
}

func (s *Service) unmute(ctx context.Context, req Request, cmd Command) Reply {
	name := cmd.Name
	if strings.EqualFold(name, "all") {
		name = watchers.AllEntities
	}
	err := s.d.Mutes.Unmute(ctx, req.Channel, name, req.User)
	if errors.Is(err, watchers.ErrNotFound) {
		return Reply{Text: fmt.Sprintf("%q is not muted here.", cmd.Name), Failed: true}
	}
	if err != nil {
		return s.failed(err, "unmute", req)
	}
	return Reply{Text: fmt.Sprintf("Unmuted %q.", cmd.Name)}
}

// watched reports whether the channel watches name, with the reply to give if not.
func (s *Service) watched(ctx context.Context, req Request, name string) (bool, Reply) {
	ws, err := s.store.Watches(ctx, req.Channel)
	if err != nil {
		return false, s.failed(err, "list watches", req)
	}
	for _, w := range ws {
		if strings.EqualFold(w.Name, name) {
			return true, Reply{}
		}
	}
	return false, Reply{Text: fmt.Sprintf("This channel does not watch %q. Type list to see its watches, or mute all.", name), Failed: true}
}

func (s *Service) sources(ctx context.Context, req Request) Reply {
	srcs, err := s.d.Sources.Sources(ctx)
	if err != nil {
		return s.failed(err, "list sources", req)
	}
	if len(srcs) == 0 {
		return Reply{Text: "No sources are configured."}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s:", len(srcs), plural(len(srcs), "source", "sources"))
	for _, src := range srcs {
		fmt.Fprintf(&b, "\n• %s (%s): ", src.Name, src.Type)
		switch {
		case src.LastPollAt.IsZero():
			b.WriteString("not polled yet")
		case src.Healthy():
			fmt.Fprintf(&b, "ok, last success %s", src.LastSuccessAt.UTC().Format("2006-01-02 15:04 UTC"))
		default:
			fmt.Fprintf(&b, "FAILING for %d polls, last error %s: %s", src.Failures, src.LastErrorAt.UTC().Format("2006-01-02 15:04 UTC"), Clean(src.LastError))
		}
		if !src.NextPoll.IsZero() {
			fmt.Fprintf(&b, "; next poll %s", src.NextPoll.UTC().Format("15:04 UTC"))
		}
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
	mutes, err := s.d.Mutes.Mutes(ctx, req.Channel)
	if err != nil {
		return s.failed(err, "list mutes", req)
	}
	if len(ws) == 0 {
		return Reply{Text: "This channel watches nothing yet. Try: add Hikvision aka 海康威视"}
	}
	var b strings.Builder
	if s.d.Digests != nil {
		d, err := s.d.Digests.Digest(ctx, req.Channel)
		if err != nil {
			return s.failed(err, "digest setting", req)
		}
		switch {
		case d.Passing == watchers.PassingDigest:
			fmt.Fprintf(&b, "Alerts that only mention an entity in passing come in %s; the others are posted at once.\n", digestWhen(d))
		case d.Mode == watchers.DigestHourly:
			b.WriteString("Alerts come in an hourly digest.\n")
		case d.Mode == watchers.DigestDaily:
			fmt.Fprintf(&b, "Alerts come in a daily digest at %s %s.\n", d.At, d.TZ)
		}
	}
	if s.d.SLAs != nil {
		info, err := s.d.SLAs.ChannelSLA(ctx, req.Channel)
		if err != nil {
			return s.failed(err, "SLA setting", req)
		}
		b.WriteString(slaLine(info))
	}
	if m, ok := mutes[watchers.AllEntities]; ok {
		fmt.Fprintf(&b, "Every alert here is muted until %s.\n", m.Until.UTC().Format("2006-01-02 15:04 UTC"))
	}
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
		if m, ok := mutes[strings.ToLower(w.Name)]; ok {
			fmt.Fprintf(&b, " — muted until %s", m.Until.UTC().Format("2006-01-02 15:04 UTC"))
		}
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
