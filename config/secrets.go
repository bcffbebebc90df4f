package config

import (
	"net/url"
	"sort"
)

// SecretValues returns every secret the configuration holds (tokens, passwords, keys, a
// password in database.url), longest first, so that text about to be shown or logged can
// be scrubbed of them — a remote server may echo a credential back in an error.
func (c *Config) SecretValues() []string {
	var out []string
	for _, f := range secretFields(c) {
		if v := f.value.Reveal(); v != "" {
			out = append(out, v)
		}
	}
	if u, err := url.Parse(c.Database.URL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}
