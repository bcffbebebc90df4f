package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // CRON_TZ= schedules must validate on hosts without a zoneinfo database

	"github.com/robfig/cron/v3"
)

// fieldError is one problem Validate found; path ("sources[1].schedule") lets Parse add
// the line it came from.
type fieldError struct {
	path string
	msg  string
}

func (e *fieldError) Error() string { return e.msg }

type validator struct {
	errs []error
}

// add records a problem at path; the message starts with where it is, in words.
func (v *validator) add(path, format string, args ...any) {
	v.errs = append(v.errs, &fieldError{path: path, msg: fmt.Sprintf(format, args...)})
}

// Validate checks the rules that span fields, on a configuration with its defaults
// applied. It reports every problem, joined, each starting with where it is, like
// `sources[1] (news): schedule "x": …`. Messages never contain a secret.
func (c *Config) Validate() error {
	var v validator
	v.database(c.Database)
	v.sources(c.Sources)
	v.channels(c)
	v.ops(c)
	v.triage(c)
	if c.Slack != nil {
		v.slack(c.Slack, c.HTTP)
	}
	if c.Matrix != nil {
		v.matrix(c.Matrix)
	}
	v.http(c.HTTP)
	v.log(c.Log)
	return errors.Join(v.errs...)
}

func (v *validator) database(d Database) {
	const path = "database.url"
	const forms = "sqlite:PATH, sqlite:///ABSOLUTE/PATH or postgres://…"
	u := d.URL
	switch {
	case u == "":
		v.add(path, "database: url is required (%s)", forms)
	case strings.HasPrefix(u, "sqlite://"):
		if p := strings.TrimPrefix(u, "sqlite://"); !strings.HasPrefix(p, "/") || p == "/" {
			v.add(path, "database: url: sqlite:// must be followed by an absolute path (sqlite:///ABSOLUTE/PATH); write a relative path as sqlite:PATH")
		}
	case strings.HasPrefix(u, "sqlite:"):
		if strings.TrimPrefix(u, "sqlite:") == "" {
			v.add(path, "database: url: sqlite: needs a file path, like sqlite:data/vigil.db")
		}
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		// The URL may hold a password: describe the problem, never quote the URL.
		if _, err := url.Parse(u); err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			v.add(path, "database: url is not a valid PostgreSQL URL: %v", err)
		}
	default:
		v.add(path, "database: url must be %s", forms)
	}
}

var sourceName = regexp.MustCompile(`^[a-z0-9_-]+$`)

// agencySlug is the form of Federal Register agency slugs, like "state-department".
var agencySlug = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// documentTypes are the Federal Register's document type codes.
var documentTypes = []string{"RULE", "PRORULE", "NOTICE", "PRESDOCU"}

func (v *validator) sources(sources []Source) {
	names := map[string]int{}
	for i, s := range sources {
		path := fmt.Sprintf("sources[%d]", i)
		at := path
		if s.Name != "" {
			at += " (" + s.Name + ")"
		}
		switch first, dup := names[s.Name]; {
		case s.Name == "":
			v.add(path+".name", "%s: name is required", at)
		case !sourceName.MatchString(s.Name):
			v.add(path+".name", "%s: name %q may contain only a-z, 0-9, \"_\" and \"-\"", at, s.Name)
		case dup:
			v.add(path+".name", "%s: name %q is already used by sources[%d]", at, s.Name, first)
		default:
			names[s.Name] = i
		}

		known := true
		switch s.Type {
		case SourceFeed:
			v.feed(s, path, at)
		case SourceFederalRegister:
			v.fedreg(s, path, at)
		case "":
			known = false
			v.add(path+".type", "%s: type is required (%s or %s)", at, SourceFeed, SourceFederalRegister)
		default:
			known = false
			v.add(path+".type", "%s: type %q is not %s or %s", at, s.Type, SourceFeed, SourceFederalRegister)
		}

		if s.Schedule != "" {
			v.schedule(path+".schedule", at, "schedule", s.Schedule)
		} else if known {
			v.add(path+".schedule", "%s: schedule is required", at)
		}
		if s.Since != "" {
			if _, err := time.Parse(time.DateOnly, s.Since); err != nil {
				v.add(path+".since", "%s: since %q is not a date like 2023-02-01", at, s.Since)
			}
		}
	}
}

func (v *validator) feed(s Source, path, at string) {
	if s.URL == "" {
		v.add(path+".url", "%s: url is required for a feed", at)
	} else if problem := httpURLProblem(s.URL); problem != "" {
		v.add(path+".url", "%s: url %s", at, problem)
	}
	// Federal Register settings on a feed are a mistake, not something to ignore.
	for _, k := range []struct {
		key string
		set bool
	}{
		{"base_url", s.BaseURL != ""},
		{"agencies", len(s.Agencies) > 0},
		{"types", len(s.Types) > 0},
		{"public_inspection", s.PublicInspection != nil},
		{"public_inspection_schedule", s.PublicInspectionSchedule != ""},
	} {
		if k.set {
			v.add(path+"."+k.key, "%s: %s applies only to %s sources", at, k.key, SourceFederalRegister)
		}
	}
	if s.Backfill < 0 || s.Backfill > maxBackfill {
		v.add(path+".backfill", "%s: backfill %d must be between 0 and %d", at, s.Backfill, maxBackfill)
	}
}

// maxBackfill bounds the items a new feed may alert on at once: a taste, not a flood.
const maxBackfill = 50

func (v *validator) fedreg(s Source, path, at string) {
	if s.URL != "" {
		v.add(path+".url", "%s: url applies only to %s sources; the API address is base_url", at, SourceFeed)
	}
	if s.Backfill != 0 {
		v.add(path+".backfill", "%s: backfill applies only to %s sources; use since for the Federal Register", at, SourceFeed)
	}
	if s.FetchArticle {
		v.add(path+".fetch_article", "%s: fetch_article applies only to %s sources", at, SourceFeed)
	}
	if s.BaseURL == "" {
		v.add(path+".base_url", "%s: base_url is required", at)
	} else if problem := httpURLProblem(s.BaseURL); problem != "" {
		v.add(path+".base_url", "%s: base_url %s", at, problem)
	}
	for j, a := range s.Agencies {
		if !agencySlug.MatchString(a) {
			v.add(fmt.Sprintf("%s.agencies[%d]", path, j),
				"%s: agencies[%d] %q is not an agency slug like industry-and-security-bureau", at, j, a)
		}
	}
	for j, t := range s.Types {
		if !slices.Contains(documentTypes, t) {
			v.add(fmt.Sprintf("%s.types[%d]", path, j),
				"%s: types[%d] %q is not one of %s", at, j, t, strings.Join(documentTypes, ", "))
		}
	}
	if s.PublicInspectionSchedule != "" {
		v.schedule(path+".public_inspection_schedule", at, "public_inspection_schedule", s.PublicInspectionSchedule)
	} else if s.PublicInspection != nil && *s.PublicInspection {
		v.add(path+".public_inspection_schedule", "%s: public_inspection_schedule is required when public_inspection is true", at)
	}
}

func (v *validator) schedule(path, at, key, spec string) {
	sched, err := parseSchedule(spec)
	if err != nil {
		v.add(path, "%s: %s %q: %v", at, key, spec, err)
		return
	}
	if sched.Next(time.Now()).IsZero() {
		v.add(path, "%s: %s %q never runs", at, key, spec)
	}
}

// parseSchedule is cron.ParseStandard made safe: robfig/cron v3.0.1 panics on a
// "CRON_TZ=Zone" with nothing after it.
func parseSchedule(spec string) (sched cron.Schedule, err error) {
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		if !strings.Contains(spec, " ") {
			return nil, errors.New("a time zone must be followed by a schedule")
		}
	}
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("cannot parse: %v", r)
		}
	}()
	return cron.ParseStandard(spec)
}

func (v *validator) channels(c *Config) {
	ids := map[string]int{}
	for i, ch := range c.Channels {
		path := fmt.Sprintf("channels[%d]", i)
		at := path
		if ch.ID != "" {
			at += " (" + ch.ID + ")"
		}
		if problem := channelProblem(c, ch.ID); problem != "" {
			v.add(path+".id", "%s: id %s", at, problem)
		} else if first, dup := ids[ch.ID]; dup {
			v.add(path+".id", "%s: id %q is already used by channels[%d]", at, ch.ID, first)
		} else {
			ids[ch.ID] = i
		}

		names := map[string]int{}
		for j, w := range ch.Watches {
			wpath := fmt.Sprintf("%s.watches[%d]", path, j)
			wat := fmt.Sprintf("%s: watches[%d]", at, j)
			name := strings.TrimSpace(w.Name)
			if name != "" {
				wat += " (" + name + ")"
			}
			key := strings.ToLower(name)
			switch first, dup := names[key]; {
			case name == "":
				v.add(wpath+".name", "%s: name is required", wat)
			case dup:
				v.add(wpath+".name", "%s: name %q is already watched by watches[%d]", wat, name, first)
			default:
				names[key] = j
			}
			v.nonEmpty(wpath+".aliases", wat, "aliases", w.Aliases)
			v.nonEmpty(wpath+".exclude", wat, "exclude", w.Exclude)
		}
	}
}

// nonEmpty reports the blank entries of a list.
func (v *validator) nonEmpty(path, at, key string, list []string) {
	for i, s := range list {
		if strings.TrimSpace(s) == "" {
			v.add(fmt.Sprintf("%s[%d]", path, i), "%s: %s[%d] is empty", at, key, i)
		}
	}
}

// channelProblem says what is wrong with a PLATFORM:ID channel reference, or "".
func channelProblem(c *Config, id string) string {
	const form = "PLATFORM:ID (console:main, slack:C0123, matrix:!room:server)"
	if id == "" {
		return "is required, as " + form
	}
	platform, rest, ok := strings.Cut(id, ":")
	switch {
	case !ok:
		return fmt.Sprintf("%q must be %s", id, form)
	case rest == "":
		return fmt.Sprintf("%q has nothing after %q", id, platform+":")
	case strings.ContainsFunc(id, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }):
		return fmt.Sprintf("%q must not contain white space", id)
	}
	switch platform {
	case "console":
	case "slack":
		if c.Slack == nil {
			return fmt.Sprintf("%q is on slack, but slack is not configured", id)
		}
	case "matrix":
		if !strings.HasPrefix(rest, "!") && !strings.HasPrefix(rest, "#") {
			return fmt.Sprintf("%q must name a room ID (!room:server) or alias (#room:server)", id)
		}
		if c.Matrix == nil {
			return fmt.Sprintf("%q is on matrix, but matrix is not configured", id)
		}
	default:
		return fmt.Sprintf("%q: platform %q is not console, slack or matrix", id, platform)
	}
	return ""
}

func (v *validator) ops(c *Config) {
	if c.Ops.Channel != "" {
		if problem := channelProblem(c, c.Ops.Channel); problem != "" {
			v.add("ops.channel", "ops: channel %s", problem)
		}
	}
	if c.Ops.AlertAfter <= 0 {
		v.add("ops.alert_after", "ops: alert_after must be positive")
	}
}

func (v *validator) slack(s *Slack, h HTTP) {
	if s.BotToken == "" {
		v.add("slack.bot_token", "slack: bot_token (or bot_token_file) is required")
	}
	if s.AppToken == "" {
		switch {
		case s.SigningSecret == "":
			v.add("slack.app_token", "slack: app_token (or app_token_file) is required for Socket Mode; for HTTP mode set signing_secret instead")
		case h.Listen == "":
			// HTTP mode receives Slack's requests on Vigil's HTTP server.
			v.add("slack.signing_secret", "slack: HTTP mode (signing_secret without app_token) needs http.listen")
		}
	}
	if s.APIURL != "" {
		if problem := httpURLProblem(s.APIURL); problem != "" {
			v.add("slack.api_url", "slack: api_url %s", problem)
		}
	}
	if s.Command == "" {
		v.add("slack.command", "slack: command is required")
	} else if !strings.HasPrefix(s.Command, "/") || len(s.Command) < 2 || strings.ContainsAny(s.Command, " \t\r\n") {
		v.add("slack.command", "slack: command %q must be a slash command like /watch", s.Command)
	}
	v.nonEmpty("slack.admins", "slack", "admins", s.Admins)
}

func (v *validator) matrix(m *Matrix) {
	if m.Homeserver == "" {
		v.add("matrix.homeserver", "matrix: homeserver is required")
	} else if problem := httpURLProblem(m.Homeserver); problem != "" {
		v.add("matrix.homeserver", "matrix: homeserver %s", problem)
	}
	if m.UserID == "" {
		v.add("matrix.user_id", "matrix: user_id is required, like @vigil:example.org")
	} else if !isMatrixUserID(m.UserID) {
		v.add("matrix.user_id", "matrix: user_id %q must look like @user:server", m.UserID)
	}
	if m.Password == "" && m.AccessToken == "" {
		v.add("matrix.password", "matrix: password or access_token (or their *_file) is required")
	}

	for i, a := range m.Admins {
		if !isMatrixUserID(a) {
			v.add(fmt.Sprintf("matrix.admins[%d]", i), "matrix: admins[%d] %q must look like @user:server", i, a)
		}
	}
	for i, a := range m.AllowedInviters {
		switch {
		case strings.HasPrefix(a, "@"):
			if !isMatrixUserID(a) {
				v.add(fmt.Sprintf("matrix.allowed_inviters[%d]", i),
					"matrix: allowed_inviters[%d] %q must be a user (@user:server) or a server name", i, a)
			}
		case a == "" || strings.ContainsAny(a, " \t\r\n@/"):
			v.add(fmt.Sprintf("matrix.allowed_inviters[%d]", i),
				"matrix: allowed_inviters[%d] %q must be a user (@user:server) or a server name", i, a)
		}
	}
}

func isMatrixUserID(id string) bool {
	local, server, ok := strings.Cut(strings.TrimPrefix(id, "@"), ":")
	return ok && strings.HasPrefix(id, "@") && local != "" && server != "" &&
		!strings.ContainsAny(id, " \t\r\n")
}

func (v *validator) http(h HTTP) {
	if h.Listen == "" {
		return
	}
	_, port, err := net.SplitHostPort(h.Listen)
	if err != nil {
		v.add("http.listen", "http: listen %q must be host:port, like 127.0.0.1:9464", h.Listen)
		return
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		v.add("http.listen", "http: listen %q: port %q is not a number from 0 to 65535", h.Listen, port)
	}
}

func (v *validator) log(l Log) {
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, l.Level) {
		v.add("log.level", "log: level %q is not one of debug, info, warn, error", l.Level)
	}
	if !slices.Contains([]string{"auto", "text", "json"}, l.Format) {
		v.add("log.format", "log: format %q is not auto, text or json", l.Format)
	}
}

// httpURLProblem says what keeps raw from being an absolute http(s) URL, or "". It never
// quotes raw, which may carry a token.
func httpURLProblem(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "is not a valid URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must be an absolute http or https URL"
	case u.Host == "":
		return "must have a host"
	}
	return ""
}

// CheckChannel reports what is wrong with a PLATFORM:ID channel reference for this
// configuration (for example a slack: channel when Slack is not configured), or nil.
func (c *Config) CheckChannel(id string) error {
	if problem := channelProblem(c, id); problem != "" {
		return fmt.Errorf("channel %s", problem)
	}
	return nil
}
