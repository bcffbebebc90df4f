package app

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilbot/vigil/store"
	"github.com/vigilbot/vigil/watchers"
	"github.com/vigilbot/vigil/watchers/match"
)

// AuditOptions are the flags of `vigil audit export`.
type AuditOptions struct {
	Channel string    // "" for every channel
	Since   time.Time // zero for everything
	Output  string    // "jsonl" (default) or "csv"
}

// What a line of the audit export records (its kind).
const (
	recordAlert   = "alert"          // a candidate alert
	recordSetting = "setting_change" // a change of a channel's setting or mute
	recordWatch   = "watch_change"   // a watch added, updated, removed or moved
)

// auditRecord is one line of the audit export about an alert; compliance reviews and
// scripts read it.
type auditRecord struct {
	Kind        string            `json:"kind"` // recordAlert
	AlertID     int64             `json:"alert_id"`
	Channel     string            `json:"channel"`
	EventKey    string            `json:"event_key"`
	Created     string            `json:"created"`
	Alerted     bool              `json:"alerted"` // false: suppressed by a mute
	State       string            `json:"state"`
	Assignee    string            `json:"assignee,omitempty"`
	Entities    []string          `json:"entities"`
	Source      string            `json:"source"`
	ItemID      string            `json:"item_id"`
	Step        string            `json:"step,omitempty"`
	Title       string            `json:"title"`
	URL         string            `json:"url"`
	ContentHash string            `json:"content_hash"` // of the recorded title, abstract, body and rows
	Matcher     string            `json:"matcher"`
	Mention     string            `json:"mention,omitempty"` // subject, or passing when every match is one
	Matched     []matchedRecord   `json:"matched"`
	Decisions   []decisionRecord  `json:"decisions"`
	Messages    []messageRecord   `json:"messages"`
	Aliases     []string          `json:"aliases_matched"`
	Facts       map[string]string `json:"facts,omitempty"`
}

// settingRecord is one line of the audit export about a change of a channel's setting
// (digest, passing, sla, or a mute: "mute:NAME") or of a watch ("watch:NAME"; new holds
// its aliases and exclusions, or where it moved).
type settingRecord struct {
	Kind    string `json:"kind"` // recordSetting or recordWatch
	Channel string `json:"channel"`
	Setting string `json:"setting"`
	Action  string `json:"action"` // set, mute, unmute
	By      string `json:"by"`     // the chat user, or "config": the configuration file at start
	Old     string `json:"old"`
	New     string `json:"new"`
	At      string `json:"at"`
}

type decisionRecord struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	By     string `json:"by"`
	At     string `json:"at"`
}

type messageRecord struct {
	Kind        string `json:"kind"`
	Note        string `json:"note,omitempty"`
	Created     string `json:"created"`
	DeliveryRef string `json:"delivery_ref,omitempty"`
	Delivered   string `json:"delivered,omitempty"`
	Held        bool   `json:"held_for_digest,omitempty"`
}

// AuditExport prints every candidate alert — alerted or suppressed — with what matched
// where, the matcher that decided, the decision chain and the delivery references, and
// every change of a channel's watches, settings and mutes with who made it, oldest first.
func AuditExport(ctx context.Context, opts Options, ao AuditOptions) error {
	opts.defaults()
	if ao.Output == "" {
		ao.Output = "jsonl"
	}
	st, err := openStore(ctx, opts.Config, opts.Now)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	alerts, err := st.Audit(ctx, ao.Channel, ao.Since)
	if err != nil {
		return err
	}
	settings, err := st.SettingChanges(ctx, ao.Channel, ao.Since)
	if err != nil {
		return err
	}
	watches, err := st.WatchChanges(ctx, ao.Channel, ao.Since)
	if err != nil {
		return err
	}
	kinds := map[int64]string{}
	for _, c := range settings {
		kinds[c.ID] = recordSetting
	}
	for _, c := range watches {
		kinds[c.ID] = recordWatch
	}
	// Both come from one log: its ids order changes made at the same millisecond.
	changes := append(settings, watches...)
	slices.SortFunc(changes, func(a, b store.SettingChange) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
	})
	// One trail, oldest first: alerts by their creation, setting changes by their time.
	var lines []any
	for len(alerts) > 0 || len(changes) > 0 {
		if len(changes) == 0 || len(alerts) > 0 && !changes[0].At.Before(alerts[0].CreatedAt) {
			lines = append(lines, toAuditRecord(alerts[0]))
			alerts = alerts[1:]
			continue
		}
		c := changes[0]
		changes = changes[1:]
		lines = append(lines, settingRecord{Kind: kinds[c.ID], Channel: c.Channel, Setting: c.Setting, Action: c.Action,
			By: c.By, Old: c.Old, New: c.New, At: rfc3339(c.At)})
	}
	switch ao.Output {
	case "jsonl":
		enc := json.NewEncoder(opts.Stdout)
		enc.SetEscapeHTML(false)
		for _, r := range lines {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	case "csv":
		return writeAuditCSV(opts.Stdout, lines)
	}
	return fmt.Errorf("audit export: unknown output %q: want jsonl or csv", ao.Output)
}

// writeAuditCSV writes the export as CSV: the alert columns, then the columns of a setting
// change (kind, setting, action, by, old, new). A setting change fills channel, created
// (when it was made) and its own columns; an alert leaves those but kind empty.
func writeAuditCSV(out io.Writer, lines []any) error {
	w := csv.NewWriter(out)
	_ = w.Write([]string{"alert_id", "channel", "event_key", "created", "alerted", "state", "assignee", "entities", "source", "item_id",
		"title", "url", "content_hash", "matcher", "matched", "decisions", "delivery_refs", "mention",
		"kind", "setting", "action", "by", "old", "new"})
	for _, line := range lines {
		switch r := line.(type) {
		case settingRecord:
			row := make([]string, 24)
			row[1], row[3] = r.Channel, r.At
			copy(row[18:], []string{r.Kind, r.Setting, r.Action, r.By, r.Old, r.New})
			_ = w.Write(row)
		case auditRecord:
			var matched, decisions, refs []string
			for _, m := range r.Matched {
				where := m.Where
				if m.Mention != "" {
					where += " (" + m.Mention + ")"
				}
				matched = append(matched, m.Entity+" via \""+m.Alias+"\" in "+where)
			}
			for _, d := range r.Decisions {
				decisions = append(decisions, d.At+" "+d.By+" "+d.State+": "+d.Reason)
			}
			for _, m := range r.Messages {
				if m.DeliveryRef != "" {
					refs = append(refs, m.Kind+"="+m.DeliveryRef)
				}
			}
			_ = w.Write([]string{strconv.FormatInt(r.AlertID, 10), r.Channel, r.EventKey, r.Created, strconv.FormatBool(r.Alerted), r.State,
				r.Assignee, strings.Join(r.Entities, "; "), r.Source, r.ItemID, r.Title, r.URL, r.ContentHash, r.Matcher,
				strings.Join(matched, "; "), strings.Join(decisions, " | "), strings.Join(refs, "; "), r.Mention,
				r.Kind, "", "", "", "", ""})
		}
	}
	w.Flush()
	return w.Error()
}

func toAuditRecord(a store.AuditAlert) auditRecord {
	r := auditRecord{
		Kind: recordAlert, AlertID: a.ID, Channel: a.Channel, EventKey: a.EventKey, Created: rfc3339(a.CreatedAt), Alerted: a.Posted,
		State: string(a.State), Assignee: a.Assignee, Entities: a.Entities, Source: a.Item.Source, ItemID: a.Item.ID,
		Step: string(a.Item.Step), Title: a.Item.Title, URL: a.Item.URL, ContentHash: contentHash(a.Item),
		Matcher: match.Version, Aliases: a.Aliases, Matched: []matchedRecord{}, Decisions: []decisionRecord{}, Messages: []messageRecord{},
	}
	if len(a.Item.Facts) > 0 {
		r.Facts = map[string]string{}
		for _, f := range a.Item.Facts {
			r.Facts[f.Label] = f.Value
		}
	}
	seen := map[string]bool{}
	var all []watchers.Match
	for _, m := range a.Messages {
		all = append(all, m.Matches...)
		r.Messages = append(r.Messages, messageRecord{Kind: string(m.Kind), Note: m.Note, Created: rfc3339(m.CreatedAt),
			DeliveryRef: m.Ref, Delivered: rfc3339(m.DeliveredAt), Held: m.Held})
		for _, mt := range m.Matches {
			key := mt.Entity + "\x00" + mt.Alias + "\x00" + string(mt.Field) + "\x00" + mt.Snippet
			if !seen[key] {
				seen[key] = true
				r.Matched = append(r.Matched, matchedRecord{Entity: mt.Entity, Alias: mt.Alias, Where: string(mt.Field), Mention: string(mt.Mention), Snippet: mt.Snippet})
			}
		}
	}
	r.Mention = alertMention(all)
	for _, d := range a.Decisions {
		r.Decisions = append(r.Decisions, decisionRecord{State: string(d.State), Reason: d.Reason, By: d.By, At: rfc3339(d.At)})
	}
	return r
}

// alertMention says how an alert's items named its entities: "subject" when any match
// names the subject, "passing" when every match is a passing mention, and "" when the
// matches were recorded before they were marked (or there are none).
func alertMention(ms []watchers.Match) string {
	for _, m := range ms {
		if m.Mention == watchers.MentionSubject {
			return string(watchers.MentionSubject)
		}
	}
	if watchers.PassingOnly(ms) {
		return string(watchers.MentionPassing)
	}
	return ""
}

// contentHash identifies the text a decision was made on.
func contentHash(it watchers.Item) string {
	h := sha256.New()
	for _, s := range append([]string{it.Title, it.Abstract, it.Body}, it.Rows...) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
