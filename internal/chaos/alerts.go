package chaos

import (
	"regexp"
	"strings"
	"time"
)

// Alert is one alert message the terminal chat printed.
type Alert struct {
	At      time.Time
	Header  string // "── alert #12 in console:main [console-3] ──"
	Channel string
	Body    []string
}

var alertHeader = regexp.MustCompile(`^── alert #\d+ in (\S+?)[, ]`)

// Alerts splits what the terminal chat printed into alert messages; other lines (the
// greeting, command replies) are left out.
func Alerts(lines []Line) []Alert {
	var (
		out []Alert
		cur *Alert
	)
	for _, l := range lines {
		if m := alertHeader.FindStringSubmatch(l.Text); m != nil {
			out = append(out, Alert{At: l.At, Header: l.Text, Channel: m[1]})
			cur = &out[len(out)-1]
			continue
		}
		if cur != nil {
			cur.Body = append(cur.Body, l.Text)
		}
	}
	return out
}

// Text is the whole message.
func (a Alert) Text() string { return a.Header + "\n" + strings.Join(a.Body, "\n") }

// ItemsIn returns the distinct item ids (prefix-NNNNNN) an alert names.
func (a Alert) ItemsIn(prefix string) []string {
	re := regexp.MustCompile(regexp.QuoteMeta(prefix) + `-\d{6}`)
	seen := map[string]bool{}
	var ids []string
	for _, id := range re.FindAllString(a.Text(), -1) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// Tally counts, for each item id, the alerts in channel that name it, and when the first
// one was printed.
func Tally(alerts []Alert, channel, prefix string) (count map[string]int, first map[string]time.Time) {
	count, first = map[string]int{}, map[string]time.Time{}
	for _, a := range alerts {
		if a.Channel != channel {
			continue
		}
		for _, id := range a.ItemsIn(prefix) {
			count[id]++
			if _, ok := first[id]; !ok {
				first[id] = a.At
			}
		}
	}
	return count, first
}
