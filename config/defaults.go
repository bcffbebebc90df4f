package config

import (
	"slices"
	"time"
)

const (
	defaultDatabaseURL              = "sqlite:data/vigil.db"
	defaultFedregName               = "fedreg"
	defaultFedregBaseURL            = "https://www.federalregister.gov/api/v1"
	defaultFedregSchedule           = "*/15 * * * *"
	defaultFeedSchedule             = "*/10 * * * *"
	defaultPublicInspectionSchedule = "CRON_TZ=America/New_York */10 7-17 * * 1-5"
	defaultAlertAfter               = Duration(6 * time.Hour)
	defaultSlackCommand             = "/watch"
	defaultLogLevel                 = "info"
	defaultLogFormat                = "auto" // text on a terminal, JSON otherwise
	defaultTriageSLA                = "1 business day"
	defaultTriageTimezone           = "UTC"
)

// defaultAgencies are the agencies whose documents name sanctioned and export-controlled
// entities: BIS (Entity List), OFAC (SDN designations) and the State Department.
var defaultAgencies = []string{"industry-and-security-bureau", "foreign-assets-control-office", "state-department"}

// Default returns the configuration Vigil runs on without a file: SQLite at
// data/vigil.db, the Federal Register source "fedreg" with its defaults, no channels, no
// chat platform, logs at info as text.
func Default() *Config {
	c := &Config{}
	applyDefaults(c, false)
	return c
}

// applyDefaults fills every setting left empty. sourcesSet says whether the file had a
// "sources" key; without one Vigil watches the Federal Register.
func applyDefaults(c *Config, sourcesSet bool) {
	if c.Database.URL == "" {
		c.Database.URL = defaultDatabaseURL
	}
	if !sourcesSet {
		c.Sources = []Source{{Name: defaultFedregName, Type: SourceFederalRegister}}
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		if len(s.Types) == 0 {
			s.Types = nil // "types: []" and no types both mean every type
		}
		switch s.Type {
		case SourceFeed:
			if len(s.Agencies) == 0 {
				s.Agencies = nil // harmless on a feed, and then written back the same way
			}
			if s.Schedule == "" {
				s.Schedule = defaultFeedSchedule
			}
		case SourceFederalRegister:
			if s.BaseURL == "" {
				s.BaseURL = defaultFedregBaseURL
			}
			if s.Agencies == nil { // an explicit empty list means every agency
				s.Agencies = slices.Clone(defaultAgencies)
			}
			if s.PublicInspection == nil {
				on := true
				s.PublicInspection = &on
			}
			if s.PublicInspectionSchedule == "" {
				s.PublicInspectionSchedule = defaultPublicInspectionSchedule
			}
			if s.Schedule == "" {
				s.Schedule = defaultFedregSchedule
			}
		}
	}
	if c.Ops.AlertAfter == 0 {
		c.Ops.AlertAfter = defaultAlertAfter
	}
	if c.Triage.SLA == "" {
		c.Triage.SLA = defaultTriageSLA
	}
	if c.Triage.Timezone == "" {
		c.Triage.Timezone = defaultTriageTimezone
	}
	if c.Slack != nil && c.Slack.Command == "" {
		c.Slack.Command = defaultSlackCommand
	}
	if c.Log.Level == "" {
		c.Log.Level = defaultLogLevel
	}
	if c.Log.Format == "" {
		c.Log.Format = defaultLogFormat
	}
}
