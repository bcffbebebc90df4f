package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Triage configures the deadline for deciding on an alert.
type Triage struct {
	// SLA is how long an alert may stay undecided before a reminder is posted in its
	// thread: "N business day(s)", a duration ("4h", "2d"), or "off".
	SLA string `yaml:"sla,omitempty"`
	// Timezone is the IANA zone whose Saturdays and Sundays a business-day SLA skips and
	// whose clock it keeps.
	Timezone string `yaml:"timezone,omitempty"`
}

// SLA is a parsed triage SLA. The zero value is "off".
type SLA struct {
	BusinessDays int           // N business days: the same time of day N weekdays later
	Duration     time.Duration // or a plain length of time
}

// Off reports whether the SLA is turned off.
func (s SLA) Off() bool { return s.BusinessDays == 0 && s.Duration == 0 }

// String writes the SLA as it is configured.
func (s SLA) String() string {
	switch {
	case s.BusinessDays == 1:
		return "1 business day"
	case s.BusinessDays > 1:
		return strconv.Itoa(s.BusinessDays) + " business days"
	case s.Duration > 0:
		return Duration(s.Duration).String()
	}
	return "off"
}

// MaxBusinessDays bounds a business-day SLA: a quarter of a year.
const MaxBusinessDays = 65

// ParseSLA reads a triage SLA: "off", "N business day" or "N business days" (N from 1 to
// 65), or a positive duration such as "4h" or "2d" (calendar time).
func ParseSLA(s string) (SLA, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return SLA{}, nil
	}
	if f := strings.Fields(strings.ToLower(s)); len(f) == 3 && f[1] == "business" && (f[2] == "day" || f[2] == "days") {
		n, err := strconv.Atoi(f[0])
		if err != nil || n < 1 || n > MaxBusinessDays {
			return SLA{}, fmt.Errorf("invalid SLA %q: want 1 to %d business days", s, MaxBusinessDays)
		}
		return SLA{BusinessDays: n}, nil
	}
	d, err := ParseDuration(s)
	if err != nil || d <= 0 {
		return SLA{}, fmt.Errorf(`invalid SLA %q: want "1 business day", "N business days", a duration like 4h or 2d, or "off"`, s)
	}
	return SLA{Duration: d}, nil
}

// ChannelSLA returns the SLA of a channel: its own sla if it is configured with one, else
// triage.sla. The configuration must have been validated.
func (c *Config) ChannelSLA(channel string) SLA {
	spec := c.Triage.SLA
	for _, ch := range c.Channels {
		if ch.ID == channel && ch.SLA != "" {
			spec = ch.SLA
		}
	}
	s, _ := ParseSLA(spec)
	return s
}

// TriageLocation returns the zone of business days (UTC when unset or unknown; Validate
// reports an unknown one).
func (c *Config) TriageLocation() *time.Location {
	if loc, err := time.LoadLocation(c.Triage.Timezone); err == nil && c.Triage.Timezone != "" {
		return loc
	}
	return time.UTC
}

func (v *validator) triage(c *Config) {
	if _, err := ParseSLA(c.Triage.SLA); err != nil {
		v.add("triage.sla", "triage: sla: %v", err)
	}
	if tz := c.Triage.Timezone; tz == "Local" {
		v.add("triage.timezone", "triage: timezone %q depends on the host; name a zone such as UTC or Europe/Berlin", tz)
	} else if _, err := time.LoadLocation(tz); err != nil {
		v.add("triage.timezone", "triage: timezone %q is not an IANA time zone such as UTC or Europe/Berlin", tz)
	}
	for i, ch := range c.Channels {
		if ch.SLA != "" {
			if _, err := ParseSLA(ch.SLA); err != nil {
				v.add(fmt.Sprintf("channels[%d].sla", i), "channels[%d] (%s): sla: %v", i, ch.ID, err)
			}
		}
		if p := ch.Passing; p != "" && p != PassingDigest && p != PassingAlert {
			v.add(fmt.Sprintf("channels[%d].passing", i), "channels[%d] (%s): passing %q is not %s or %s", i, ch.ID, p, PassingDigest, PassingAlert)
		}
	}
}
