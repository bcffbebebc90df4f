// Package dedup owns item identity: canonical URLs, content hashes and the event key that
// makes one real-world event one alert per channel. It is pure: no I/O, no storage (the
// store's UNIQUE keys enforce what this package computes).
package dedup

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"

	"github.com/vigilbot/vigil/watchers"
)

// trackingParams are query parameters that only track the reader, never change the page.
var trackingParams = map[string]bool{"fbclid": true, "gclid": true, "dclid": true, "msclkid": true, "mc_cid": true, "mc_eid": true}

// CanonicalURL normalises a link so that the same page has one spelling: scheme and host
// lower-cased, default ports, fragments and tracking parameters (utm_*, fbclid, gclid…)
// dropped, the remaining query sorted. A string that is not an absolute http(s) URL is
// returned trimmed and otherwise unchanged.
func CanonicalURL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return raw
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = host
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if strings.HasPrefix(strings.ToLower(k), "utm_") || trackingParams[strings.ToLower(k)] {
				q.Del(k)
			}
		}
		u.RawQuery = q.Encode()
	}
	u.ForceQuery = false
	return u.String()
}

// ItemID returns an item's identity within its source: the GUID (or Atom id) when there
// is one, else the canonical link, else a hash of the title and content.
func ItemID(guid, link, title, content string) string {
	if g := strings.TrimSpace(guid); g != "" {
		return "guid:" + g
	}
	if l := CanonicalURL(link); l != "" {
		return "url:" + l
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(title) + "\x00" + strings.TrimSpace(content)))
	return "hash:" + hex.EncodeToString(sum[:16])
}

// EventKey returns the key that makes an item one event: a Federal Register document
// number (items with "fr:" identities, and news items that link a document, which so join
// its thread), else the canonical link, else the item's identity within its source.
func EventKey(it watchers.Item) string {
	if strings.HasPrefix(it.ID, "fr:") {
		return it.ID
	}
	for _, l := range append([]string{it.URL}, it.Links...) {
		if num, ok := DocumentLink(l); ok {
			return "fr:" + num
		}
	}
	if l := CanonicalURL(it.URL); l != "" {
		return "url:" + l
	}
	return "item:" + it.Source + "|" + it.ID
}
