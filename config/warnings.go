package config

import (
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// minPollInterval is the shortest time between two polls of a source that Warnings lets
// pass without comment.
const minPollInterval = time.Minute

// databaseURLPath is the key of the one setting that is not a Secret but may hold one: a
// password inside a PostgreSQL URL.
const databaseURLPath = "database.url"

// Warnings returns the risky settings of a valid configuration, one line each, starting
// with where they are like Validate's errors: a source polled more often than once a
// minute, and a secret (a token, a password, a password in database.url) written in the
// configuration file instead of read from ${VAR} or a *_file. A warning never quotes a
// secret. Whether a secret came from the environment is known only to Parse, so for a
// configuration built in code every secret counts as written in the file.
func (c *Config) Warnings() []string {
	return c.warnings(time.Now())
}

func (c *Config) warnings(now time.Time) []string {
	var ws []string
	if urlHasPassword(c.Database.URL) && !slices.Contains(c.secretsFromEnv, databaseURLPath) {
		ws = append(ws, "database: url holds a password written in the configuration file; "+
			`write the password, or the whole URL, as "${VAR}"`)
	}
	if p := databasePassword(c.Database.URL); p != "" && len(p) < minPasswordLength {
		ws = append(ws, fmt.Sprintf("database: the password in url is only %d characters; use a long random one "+
			"(Vigil masks it wherever it appears in logs and errors, so a word as password masks that word too)", len(p)))
	}
	for i, s := range c.Sources {
		at := fmt.Sprintf("sources[%d]", i)
		if s.Name != "" {
			at += " (" + s.Name + ")"
		}
		if w := pollWarning(at, "schedule", s.Schedule, now); w != "" {
			ws = append(ws, w)
		}
		if s.Type == SourceFederalRegister && s.PublicInspection != nil && *s.PublicInspection {
			if w := pollWarning(at, "public_inspection_schedule", s.PublicInspectionSchedule, now); w != "" {
				ws = append(ws, w)
			}
		}
	}
	for _, f := range secretFields(c) {
		if *f.value == "" || *f.file != "" || slices.Contains(c.secretsFromEnv, f.section+"."+f.key) {
			continue
		}
		ws = append(ws, fmt.Sprintf(`%s: %s is written in the configuration file; read it from a file with %s_file, or from the environment with "${VAR}"`,
			f.section, f.key, f.key))
	}
	return ws
}

// pollWarning says why a schedule polls too often, or "". The interval is the time
// between the schedule's next two runs after now; a schedule that does not parse or never
// runs is Validate's business.
func pollWarning(at, key, spec string, now time.Time) string {
	if spec == "" {
		return ""
	}
	sched, err := parseSchedule(spec)
	if err != nil {
		return ""
	}
	first := sched.Next(now)
	if first.IsZero() {
		return ""
	}
	second := sched.Next(first)
	if second.IsZero() {
		return ""
	}
	every := second.Sub(first)
	if every >= minPollInterval {
		return ""
	}
	return fmt.Sprintf("%s: %s %q polls every %s, more often than once a minute; "+
		"a source rarely changes that fast, and its server may throttle or block Vigil",
		at, key, spec, Duration(every))
}

// minPasswordLength is the shortest database password that draws no warning.
const minPasswordLength = 12

// databasePassword is the password in a PostgreSQL URL's user info or query, or "".
func databasePassword(raw string) string {
	if !urlHasPassword(raw) {
		return ""
	}
	u, _ := url.Parse(raw)
	if p, ok := u.User.Password(); ok && p != "" {
		return p
	}
	return u.Query().Get("password")
}

// urlHasPassword reports whether a PostgreSQL URL carries a password, in its user info or
// as a "password" query parameter.
func urlHasPassword(raw string) bool {
	if !strings.HasPrefix(raw, "postgres://") && !strings.HasPrefix(raw, "postgresql://") {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false // Validate rejects it
	}
	if p, ok := u.User.Password(); ok && p != "" {
		return true
	}
	return u.Query().Get("password") != ""
}

// secretOrigin is where the values met at one secret's key came from. A key can meet
// several values through merge keys ("<<"); one written in the file is enough to warn.
type secretOrigin struct {
	env     bool // a value named a ${VAR}
	literal bool // a value was written in the file
}

var secretType = reflect.TypeFor[Secret]()

// noteSecret records where the value n at path came from, when path holds a secret. It
// runs after leaf has expanded n.
func (w *walker) noteSecret(n *yaml.Node, t reflect.Type, path string) {
	if t != secretType && path != databaseURLPath {
		return
	}
	if n.Kind != yaml.ScalarNode || isNull(n) || n.Value == "" {
		return
	}
	o := w.secrets[path]
	if w.envNodes[n] {
		o.env = true
	} else {
		o.literal = true
	}
	w.secrets[path] = o
}

// fromEnvOnly returns, sorted, the paths whose values all came from the environment, or
// nil.
func fromEnvOnly(origins map[string]secretOrigin) []string {
	var paths []string
	for path, o := range origins {
		if o.env && !o.literal {
			paths = append(paths, path)
		}
	}
	slices.Sort(paths)
	return paths
}
