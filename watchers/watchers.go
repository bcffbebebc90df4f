// Package watchers is the core of Vigil: the domain types that flow through the pipeline
// (Watch, Item, Match, Alert) and the pure decisions made about them.
//
// It owns what an item, a watch and an alert are. It must not import any other package of
// this module, do I/O, or know about chat platforms, databases or the job engine; its
// sub-packages (match, dedup, summary, feed, fedreg) each own one step of the pipeline.
package watchers

import (
	"errors"
	"slices"
	"strings"
	"time"
)

// Watch is an entity watched in one channel: a display name, its aliases and the phrases
// whose occurrences must not count as a mention.
type Watch struct {
	ID        int64
	Channel   string // PLATFORM:ID, for example "console:main" or "slack:C0123"
	Name      string
	Aliases   []string
	Exclude   []string
	CreatedBy string
	CreatedAt time.Time
}

// Terms returns the display name followed by the aliases, without empty or repeated
// entries (compared case-insensitively).
func (w Watch) Terms() []string {
	seen := make(map[string]bool, 1+len(w.Aliases))
	terms := make([]string, 0, 1+len(w.Aliases))
	for _, t := range append([]string{w.Name}, w.Aliases...) {
		t = strings.TrimSpace(t)
		k := strings.ToLower(t)
		if t == "" || seen[k] {
			continue
		}
		seen[k] = true
		terms = append(terms, t)
	}
	return terms
}

// Field names the part of an item where a match was found.
type Field string

// The fields an item's text is matched in.
const (
	FieldTitle    Field = "title"
	FieldAbstract Field = "abstract"
	FieldBody     Field = "body"
	FieldTableRow Field = "table_row"
)

// Item is one article or document seen on a source.
type Item struct {
	Source string // the source's configured name
	// ID is the stable identity within the source: "guid:…", "url:…" or "hash:…" for feed
	// entries, "fr:<normalised document number>" for Federal Register documents.
	ID        string
	Step      Step      // lifecycle step of a document; empty for news
	Title     string    // plain text
	URL       string    // canonical link, if any
	Published time.Time // zero when the source gave none
	Abstract  string    // plain-text description or abstract
	Body      string    // plain-text content, when the source has more than the abstract
	// Rows are the body's table rows, one string per row with its cells joined by " | ".
	// They are matched as FieldTableRow and are not repeated in Body.
	Rows []string
	// Links are the hyperlinks found in the item's content (absolute URLs), used to tie a
	// news story to the Federal Register document it cites.
	Links []string
	// Facts are what the source knows about the item that an alert should show, in order
	// (for the Federal Register: agency, type, action, dates, citation, docket, RIN).
	Facts []Fact
}

// Fact is one labelled value shown with an alert.
type Fact struct {
	Label string
	Value string
}

// Fact labels the pipeline itself reads; sources add others freely.
const (
	FactAction   = "Action"   // what a document does ("Final rule."), the start of its summary
	FactDocument = "Document" // the number of the document the item's text is
)

// Fact returns the value of the first fact with the label, or "".
func (it Item) Fact(label string) string {
	for _, f := range it.Facts {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}

// Step is a lifecycle step of a document: the same document seen again at a later step
// is the same event, and its alert is updated rather than repeated.
type Step string

// Lifecycle steps of a Federal Register document.
const (
	StepPublicInspection Step = "public_inspection" // filed for public inspection
	StepPublished        Step = "published"
	StepWithdrawn        Step = "withdrawn" // withdrawn from public inspection before publication
	StepCorrected        Step = "corrected" // a correction document was published for it
)

// SeenKey is the key under which the store records the item as seen: the identity, plus
// the lifecycle step for documents, so that each step of a document is new once — and,
// for a correction, the correcting document's number, since a document may be corrected
// more than once.
func (it Item) SeenKey() string {
	switch it.Step {
	case "":
		return it.ID
	case StepCorrected:
		if doc := it.Fact(FactDocument); doc != "" {
			return it.ID + "@" + string(it.Step) + ":" + strings.ToLower(doc)
		}
	}
	return it.ID + "@" + string(it.Step)
}

// Text returns the item's text for a field.
func (it Item) Text(f Field) string {
	switch f {
	case FieldTitle:
		return it.Title
	case FieldAbstract:
		return it.Abstract
	case FieldBody:
		return it.Body
	case FieldTableRow:
		return strings.Join(it.Rows, "\n")
	}
	return ""
}

// Match is one occurrence of a watched entity in an item.
type Match struct {
	WatchID int64
	Channel string
	Entity  string // the watch's display name
	Alias   string // the term that matched, as the watch spells it
	Field   Field
	Start   int // byte offsets of the occurrence in the field's text
	End     int
	// Snippet is the sentence around the occurrence; the occurrence itself is
	// Snippet[MarkStart:MarkEnd].
	Snippet   string
	MarkStart int
	MarkEnd   int
	// Mention says whether the occurrence makes the entity the item's subject or is a
	// passing mention; empty in matches recorded before mentions were marked.
	Mention Mention
}

// Mention is how prominently an item names a watched entity at one occurrence.
type Mention string

// Mentions. An occurrence in the title, in the first sentence of the item's lead, or in a
// table row (a listing in a Federal Register rule) names the item's subject; any other is
// a passing mention.
const (
	MentionSubject Mention = "subject"
	MentionPassing Mention = "passing"
)

// PassingOnly reports whether every match is a passing mention: false without matches, and
// false when a match is unmarked (recorded before mentions were marked), so that an alert
// is never held back on a guess.
func PassingOnly(ms []Match) bool {
	if len(ms) == 0 {
		return false
	}
	for _, m := range ms {
		if m.Mention != MentionPassing {
			return false
		}
	}
	return true
}

// AlertKind says what an alert message is in the lifecycle of its event.
type AlertKind string

// Alert kinds.
const (
	KindNew      AlertKind = "new"
	KindUpdate   AlertKind = "update"
	KindFollowup AlertKind = "followup"
	KindDigest   AlertKind = "digest" // one message batching a channel's alerts
)

// Digest modes of a channel.
const (
	DigestOff    = "off"
	DigestHourly = "hourly"
	DigestDaily  = "daily"
)

// Where a channel's passing mentions go: alerted like any other alert (the default), or
// into the channel's digest only.
const (
	PassingAlert  = "alert"
	PassingDigest = "digest"
)

// DigestSetting is how a channel takes its alerts: one by one (DigestOff), or batched into
// one message every hour or every day at a time of day in a time zone. With Passing set
// to PassingDigest, only alerts that name their entities in passing wait for the digest;
// the others are posted at once.
type DigestSetting struct {
	Channel string
	Mode    string
	At      string // HH:MM, for DigestDaily
	TZ      string // IANA zone name, for DigestDaily
	Passing string // PassingAlert or PassingDigest
	Next    time.Time
}

// The digest of passing mentions in a channel that has set no digest of its own.
const (
	PassingDigestAt = "09:00"
	PassingDigestTZ = "UTC"
)

// HoldsAll reports whether every message of the channel waits for its digest.
func (d DigestSetting) HoldsAll() bool {
	return d.Mode != DigestOff && d.Passing != PassingDigest
}

// Schedule returns the setting with the digest times that apply: a channel that sends
// passing mentions to a digest but has set none gets one daily at PassingDigestAt UTC.
func (d DigestSetting) Schedule() DigestSetting {
	if d.Mode == DigestOff && d.Passing == PassingDigest {
		d.Mode, d.At, d.TZ = DigestDaily, PassingDigestAt, PassingDigestTZ
	}
	return d
}

// Alert is one real-world event in one channel, or one message about it: the first
// message (KindNew), an edit of that message when the event moves on (KindUpdate), or a
// reply in its thread (KindFollowup). It names every watched entity of the channel that
// the event concerns.
type Alert struct {
	ID        int64 // the event's alert, shared by all its messages
	PostID    int64 // this message; 0 until recorded
	Channel   string
	EventKey  string
	Kind      AlertKind
	Entities  []string // watch display names, in first-match order
	Item      Item     // for KindNew and KindUpdate the event's latest state; for KindFollowup what is new
	Summary   string
	Matches   []Match
	Note      string // KindUpdate and KindFollowup: what happened, in one line
	CreatedAt time.Time
}

// AlertState is what is recorded of a channel's alert for an event.
type AlertState struct {
	ID       int64
	Item     Item     // the item the alert shows now
	Entities []string // every entity named so far
	Aliases  []string // every alias matched so far
	Posted   bool     // its first message was sent (not muted, not held back)
	State    Disposition
	Decision Decision // the latest decision, when State is not DispOpen
}

// Disposition is the triage decision on an alert.
type Disposition string

// Dispositions. An alert starts open; not_our_entity and not_relevant clear it.
const (
	DispOpen         Disposition = "open"
	DispTrueMatch    Disposition = "true_match"
	DispNotOurEntity Disposition = "not_our_entity"
	DispNotRelevant  Disposition = "not_relevant"
	DispEscalated    Disposition = "escalated"
)

// Clears reports whether a disposition clears the alert (and so needs a reason).
func (d Disposition) Clears() bool { return d == DispNotOurEntity || d == DispNotRelevant }

// Valid reports whether d is a known disposition.
func (d Disposition) Valid() bool {
	switch d {
	case DispOpen, DispTrueMatch, DispNotOurEntity, DispNotRelevant, DispEscalated:
		return true
	}
	return false
}

// AlertSummary is an alert as listed for triage.
type AlertSummary struct {
	ID        int64
	Channel   string
	EventKey  string
	Entities  []string
	Item      Item
	Assignee  string
	CreatedAt time.Time
	// OpenSince is when the alert's clock for a decision started: when its first message
	// was delivered, or when it was last reopened for review.
	OpenSince time.Time
	// Due is when a decision is due under the channel's SLA; zero without an SLA.
	Due time.Time
}

// Decision is one triage decision: who decided what, when and why.
type Decision struct {
	AlertID int64
	State   Disposition
	Reason  string
	By      string
	At      time.Time
}

// Messages decides what a channel is told when an item concerns an event: next is the
// alert the item would make on its own (from NewAlerts), prev the channel's alert for the
// event if there is one.
//
//   - no alert yet, or none posted: the first message (KindNew);
//   - a later lifecycle step of the same document: an edit of the first message showing the
//     new state (KindUpdate) and a reply in its thread saying what changed (KindFollowup);
//   - another item about the same event (another outlet, a story citing the document): a
//     reply in the thread only.
func Messages(prev *AlertState, next Alert) []Alert {
	if prev == nil || !prev.Posted {
		next.Kind = KindNew
		return []Alert{next}
	}
	next.ID = prev.ID
	entities := prev.Entities
	for _, e := range next.Entities {
		if !slices.Contains(entities, e) {
			entities = append(slices.Clip(entities), e)
		}
	}
	if next.Item.ID == prev.Item.ID && next.Item.Step != "" && next.Item.Step != prev.Item.Step {
		update := next
		update.Kind, update.Entities, update.Note = KindUpdate, entities, StepNote(next.Item)
		followup := next
		followup.Kind, followup.Note = KindFollowup, update.Note
		return []Alert{update, followup}
	}
	followup := next
	followup.Kind = KindFollowup
	followup.Note = "Also reported by " + next.Item.Source
	if next.Item.Title != "" {
		followup.Note += ": " + next.Item.Title
	}
	return []Alert{followup}
}

// StepNote says in one line what a lifecycle step means.
func StepNote(it Item) string {
	switch it.Step {
	case StepPublicInspection:
		return "Filed for public inspection"
	case StepPublished:
		if !it.Published.IsZero() {
			return "Published in the Federal Register on " + it.Published.Format(time.DateOnly)
		}
		return "Published in the Federal Register"
	case StepWithdrawn:
		return "Withdrawn from public inspection before publication"
	case StepCorrected:
		return "A correction was published"
	}
	return "Updated"
}

// Source kinds. A Federal Register source polls the published documents; its public
// inspection desk is polled as a source of its own, on its own schedule.
const (
	SourceFeed                  = "feed"
	SourceFederalRegister       = "federalregister"
	SourceFederalRegisterFiling = "federalregister_public_inspection"
)

// PublicInspectionSuffix names the public-inspection source of a Federal Register source
// ("fedreg/public-inspection"); configured names cannot contain the slash.
const PublicInspectionSuffix = "/public-inspection"

// Source is a place items come from, with its schedule and its health.
type Source struct {
	Name     string
	Type     string // SourceFeed or SourceFederalRegister
	URL      string // feeds: the feed URL
	Schedule string // robfig/cron expression
	Origin   string // "config", "chat" or "cli": who added it

	NextPoll  time.Time // zero: due now
	Baselined bool      // its first poll has been recorded

	LastPollAt    time.Time
	LastSuccessAt time.Time
	LastError     string
	LastErrorKind string // timeout, dns, http_status, rate_limited, not_a_feed, …
	LastErrorAt   time.Time
	Failures      int       // consecutive failed polls
	FailingSince  time.Time // first failure of the current streak; zero when healthy
	OpsReported   bool      // the current streak was reported to the operators
	ItemsSeen     int64

	// HTTP validators of the last full answer, for conditional requests.
	ETag, LastModified string
}

// Healthy reports whether the last poll of the source succeeded (or it was never polled).
func (s Source) Healthy() bool { return s.Failures == 0 }

// Errors shared by the store that keeps these types and the code that uses it.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// NewAlerts decides the alerts an item gives: one per channel whose watches it matched,
// naming every matched entity of that channel in the order they were first matched.
// Channels come in the order of their first match.
func NewAlerts(it Item, eventKey string, matches []Match) []Alert {
	var alerts []Alert
	index := map[string]int{}
	for _, m := range matches {
		i, ok := index[m.Channel]
		if !ok {
			i = len(alerts)
			index[m.Channel] = i
			alerts = append(alerts, Alert{Channel: m.Channel, EventKey: eventKey, Kind: KindNew, Item: it})
		}
		a := &alerts[i]
		if !slices.Contains(a.Entities, m.Entity) {
			a.Entities = append(a.Entities, m.Entity)
		}
		a.Matches = append(a.Matches, m)
	}
	return alerts
}

// AllEntities is the name under which a mute silences a whole channel.
const AllEntities = "*"

// Mute silences an entity (or AllEntities) in a channel until a time: its matches are
// recorded but not posted.
type Mute struct {
	Channel   string
	Name      string
	Until     time.Time
	CreatedBy string
}

// Muted reports whether an entity is silenced by a channel's mutes, keyed by lower-cased
// name.
func Muted(mutes map[string]Mute, entity string) bool {
	_, all := mutes[AllEntities]
	_, one := mutes[strings.ToLower(strings.TrimSpace(entity))]
	return all || one
}
