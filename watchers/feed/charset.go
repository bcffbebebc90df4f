package feed

import (
	"bytes"
	"mime"
	"regexp"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

var (
	xmlDecl         = regexp.MustCompile(`^\s*<\?xml\s[^>]*\?>`)
	xmlDeclEncoding = regexp.MustCompile(`(encoding\s*=\s*)("[^"]*"|'[^']*')`)
)

// feedToUTF8 returns a feed document in UTF-8 with its XML declaration (if any) saying so.
//
// Bytes that are valid UTF-8 are UTF-8, whatever is declared: a legacy encoding's text
// is almost never valid UTF-8, while a UTF-8 feed that claims to be ISO-8859-1 is common.
// Otherwise the XML declaration's encoding is used, else the Content-Type's charset, else
// windows-1252 (the superset of Latin-1 that undeclared Western feeds are written in).
// Labels are read as the WHATWG Encoding standard reads them (GB2312 is GBK, ISO-8859-1
// is windows-1252), as browsers do.
func feedToUTF8(body []byte, contentType string) []byte {
	body = decodeBOM(body)
	if !utf8.Valid(body) {
		var labels []string
		if m := xmlDecl.Find(head(body, 1024)); m != nil {
			if e := xmlDeclEncoding.FindSubmatch(m); e != nil {
				labels = append(labels, string(bytes.Trim(e[2], `"'`)))
			}
		}
		labels = append(labels, contentTypeCharset(contentType))
		body = decodeWith(body, labels...)
	}
	return declareUTF8(body)
}

// htmlToUTF8 returns an HTML page in UTF-8: valid UTF-8 as it is, else by the
// Content-Type's charset, else by the page's <meta> charset, else windows-1252.
func htmlToUTF8(body []byte, contentType string) []byte {
	body = decodeBOM(body)
	if utf8.Valid(body) {
		return body
	}
	_, meta, _ := charset.DetermineEncoding(body, "")
	return decodeWith(body, contentTypeCharset(contentType), meta)
}

// decodeWith decodes body with the first label that names a known encoding other than
// UTF-8 (the bytes are known not to be UTF-8), falling back to windows-1252.
func decodeWith(body []byte, labels ...string) []byte {
	var enc encoding.Encoding = charmap.Windows1252
	for _, l := range labels {
		if e, name := charset.Lookup(l); e != nil && name != "utf-8" {
			enc = e
			break
		}
	}
	out, _, err := transform.Bytes(enc.NewDecoder(), body)
	if err != nil {
		out, _, _ = transform.Bytes(charmap.Windows1252.NewDecoder(), body)
	}
	return out
}

// decodeBOM removes a UTF-8 byte order mark and converts UTF-16 (with a mark, or
// recognisable by the "<?" it starts with) to UTF-8.
func decodeBOM(b []byte) []byte {
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return b[3:]
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{'<', 0, '?', 0}):
		enc = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
		if b[0] == '<' {
			enc = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
		}
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}), bytes.HasPrefix(b, []byte{0, '<', 0, '?'}):
		enc = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
		if b[0] == 0 {
			enc = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
		}
	default:
		return b
	}
	out, _, err := transform.Bytes(enc.NewDecoder(), b)
	if err != nil {
		return b
	}
	return out
}

// declareUTF8 rewrites the encoding of a UTF-8 document's XML declaration to UTF-8, so
// that the XML decoder does not convert it a second time.
func declareUTF8(b []byte) []byte {
	loc := xmlDecl.FindIndex(head(b, 1024))
	if loc == nil {
		return b
	}
	decl := b[loc[0]:loc[1]]
	fixed := xmlDeclEncoding.ReplaceAll(decl, []byte(`${1}"UTF-8"`))
	if bytes.Equal(decl, fixed) {
		return b
	}
	out := make([]byte, 0, len(b)-len(decl)+len(fixed))
	out = append(out, b[:loc[0]]...)
	out = append(out, fixed...)
	return append(out, b[loc[1]:]...)
}

func contentTypeCharset(contentType string) string {
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		return params["charset"]
	}
	return ""
}

func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
