package fedreg

import (
	"bytes"
	"encoding/xml"
	"fmt"
	stdhtml "html"
	"io"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/net/html"
)

// fullText is a document's text: the running text, one line per paragraph or heading, and
// apart from it the table rows, one per row with its cells joined by " | ".
type fullText struct {
	body string
	rows []string
}

// The raw text is plain text, but served wrapped in <html>…<pre>; only the wrapper and the
// few real HTML tags inside it (a GPO link) go, since the text itself holds stray tokens such
// as "<Clinton1>" that are part of it.
var (
	preOpen  = regexp.MustCompile(`(?is)^\s*(?:<!doctype[^>]*>\s*)?<html\b.*?<pre\b[^>]*>`)
	preClose = regexp.MustCompile(`(?is)</pre>\s*(?:</body>\s*)?(?:</html>\s*)?$`)
	htmlTags = regexp.MustCompile(`(?i)</?(?:a|b|i|u|em|strong|span|font|sup|sub)\b[^>]*>`)
)

// rawText returns the raw text without its HTML wrapper, one line per line. Its tables are
// laid out in columns that cannot be told apart from the text, so it has no rows.
func rawText(b []byte) (fullText, error) {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if loc := preOpen.FindStringIndex(s); loc != nil {
		s = s[loc[1]:]
		if loc := preClose.FindStringIndex(s); loc != nil {
			s = s[:loc[0]]
		}
		s = stdhtml.UnescapeString(htmlTags.ReplaceAllString(s, ""))
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\f\v")
	}
	return fullText{body: strings.Trim(strings.Join(lines, "\n"), "\n")}, nil
}

// GPO XML elements that stay inside their line; every other element is a block of its own.
var inlineXML = map[string]bool{
	"E": true, "FR": true, "AC": true, "FTREF": true, "B": true, "I": true, "SUB": true,
	"SUP": true, "LINK": true, "QUOTE": true,
}

// GPO XML elements whose content is not text: footnote markers (which would glue digits to
// names) and page markers.
var droppedXML = map[string]bool{"SU": true, "PRTPAGE": true, "GID": true}

// xmlText returns the text of GPO XML (a document's full_text_xml_url, or a daily issue):
// one body line per paragraph or heading, a table's column headings (BOXHD) as one body
// line, and each table row (ROW) as one row of its cells (ENT); list items inside a cell
// stay in its row.
func xmlText(b []byte) (fullText, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	var w textWriter
	skip := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fullText{}, fmt.Errorf("full-text XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := strings.ToUpper(t.Name.Local)
			switch {
			case skip > 0 || droppedXML[name]:
				skip++
				w.space()
			case name == "ROW":
				w.startRow(false)
			case name == "BOXHD":
				w.startRow(true)
			case name == "ENT" || name == "CHED":
				w.startCell()
			case !inlineXML[name]:
				w.block()
			}
		case xml.EndElement:
			name := strings.ToUpper(t.Name.Local)
			switch {
			case skip > 0:
				skip--
			case name == "ROW" || name == "BOXHD":
				w.endRow()
			case name == "ENT" || name == "CHED":
				w.endCell()
			case !inlineXML[name]:
				w.block()
			}
		case xml.CharData:
			if skip == 0 {
				w.text(string(t))
			}
		}
	}
	return w.result(), nil
}

// HTML elements that break lines; table rows and cells are handled apart.
var blockHTML = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "br": true,
	"caption": true, "dd": true, "div": true, "dl": true, "dt": true, "figcaption": true,
	"footer": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"header": true, "hr": true, "li": true, "main": true, "nav": true, "ol": true, "p": true,
	"pre": true, "section": true, "table": true, "tbody": true, "thead": true, "tfoot": true,
	"ul": true, "body": true, "html": true,
}

// HTML elements whose content is not text.
var skippedHTML = map[string]bool{
	"script": true, "style": true, "noscript": true, "template": true, "head": true,
	"svg": true, "iframe": true,
}

// htmlText returns the text of an HTML body: one body line per block, line breaks inside
// <pre> kept, and each table row as one row of its cells (a row of <th> only is a heading
// and goes to the body).
func htmlText(b []byte) (fullText, error) {
	z := html.NewTokenizer(bytes.NewReader(b))
	var w textWriter
	skip, pre := 0, 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				return fullText{}, fmt.Errorf("full-text HTML: %w", err)
			}
			return w.result(), nil
		case html.TextToken:
			if skip > 0 {
				continue
			}
			text := string(z.Text())
			if pre == 0 {
				w.text(text)
				continue
			}
			for i, l := range strings.Split(text, "\n") {
				if i > 0 {
					w.block()
				}
				w.text(l)
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			end := tt == html.EndTagToken
			if skippedHTML[tag] {
				if tt == html.StartTagToken {
					skip++
				} else if end && skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch {
			case tag == "tr":
				if end {
					w.endRow()
				} else {
					w.startRow(true) // a heading until it has a <td>
				}
			case tag == "td" || tag == "th":
				if end {
					w.endCell()
				} else if tt == html.StartTagToken {
					if tag == "td" {
						w.dataRow()
					}
					w.startCell()
				}
			case tag == "pre":
				if end && pre > 0 {
					pre--
				} else if tt == html.StartTagToken {
					pre++
				}
				w.block()
			case blockHTML[tag]:
				w.block()
			}
		}
	}
}

// textWriter assembles plain text: whitespace inside a line is folded, blocks end lines, and
// a table row becomes one row of its non-empty cells joined by " | " (a heading row becomes
// a body line instead).
type textWriter struct {
	out     strings.Builder
	rowsOut []string
	line    strings.Builder
	cell    strings.Builder
	row     []string
	heading bool // the open row is a table heading
	rows    int  // depth of open rows
	cells   int  // depth of open cells
}

func (w *textWriter) text(s string) {
	if w.cells > 0 {
		w.cell.WriteString(s)
		return
	}
	w.line.WriteString(s)
}

// space separates words without ending the line (a block inside a table cell).
func (w *textWriter) space() { w.text(" ") }

func (w *textWriter) block() {
	if w.cells > 0 || w.rows > 0 {
		w.space()
		return
	}
	w.flush()
}

func (w *textWriter) flush() {
	if l := fold(w.line.String()); l != "" {
		w.out.WriteString(l)
		w.out.WriteByte('\n')
	}
	w.line.Reset()
}

func (w *textWriter) startRow(heading bool) {
	if w.rows > 0 || w.cells > 0 {
		w.rows++ // a table inside a cell stays in that cell's row
		w.space()
		return
	}
	w.flush()
	w.rows = 1
	w.heading = heading
	w.row = w.row[:0]
}

// dataRow marks the open (outermost) row as holding data.
func (w *textWriter) dataRow() {
	if w.rows == 1 && w.cells == 0 {
		w.heading = false
	}
}

func (w *textWriter) endRow() {
	if w.rows == 0 {
		return
	}
	w.rows--
	if w.rows > 0 {
		w.space()
		return
	}
	if w.cells > 0 { // a cell left open
		w.cells = 1
		w.endCell()
	}
	// Text between cells (there should be none) counts as a cell of its own.
	if l := fold(w.line.String()); l != "" {
		w.row = append(w.row, l)
	}
	w.line.Reset()
	// A row of nothing but marks ("* * *", where rows were left out) holds no text.
	if r := strings.Join(w.row, " | "); strings.ContainsFunc(r, isWordRune) {
		if w.heading {
			w.out.WriteString(r)
			w.out.WriteByte('\n')
		} else {
			w.rowsOut = append(w.rowsOut, r)
		}
	}
	w.row = w.row[:0]
}

func (w *textWriter) startCell() {
	if w.cells > 0 {
		w.cells++
		w.space()
		return
	}
	if w.rows == 0 {
		w.block() // a cell outside any row is a line of its own
	}
	w.cells = 1
	w.cell.Reset()
}

func (w *textWriter) endCell() {
	if w.cells == 0 {
		return
	}
	w.cells--
	if w.cells > 0 {
		w.space()
		return
	}
	c := fold(w.cell.String())
	w.cell.Reset()
	if c == "" {
		return
	}
	if w.rows > 0 {
		w.row = append(w.row, c)
		return
	}
	w.out.WriteString(c)
	w.out.WriteByte('\n')
}

func (w *textWriter) result() fullText {
	for w.cells > 0 {
		w.endCell()
	}
	for w.rows > 0 {
		w.endRow()
	}
	w.flush()
	rows := w.rowsOut
	for i, r := range rows {
		rows[i] = strings.ToValidUTF8(r, "\uFFFD")
	}
	return fullText{
		body: strings.TrimSuffix(strings.ToValidUTF8(w.out.String(), "\uFFFD"), "\n"),
		rows: rows,
	}
}

func fold(s string) string { return strings.Join(strings.Fields(s), " ") }

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
