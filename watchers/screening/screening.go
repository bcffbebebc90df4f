// Package screening owns reading screening lists: the Consolidated Screening List (CSL) CSV
// that the US government publishes (and the older per-list CSV files of the same shape) into
// entries of a name, its aliases and the list it comes from, ready to become watches.
//
// It is pure: it reads from an io.Reader and never opens files, fetches lists or touches
// watches; the caller decides what an entry becomes.
package screening

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Entry is one listed party.
type Entry struct {
	Name    string
	Aliases []string
	// Source is the list the party is on, from the list column when the file has one, for
	// example "Entity List (EL) - Bureau of Industry and Security". A party on several lists
	// is one entry whose sources are joined by "; " in the order first seen.
	Source string
}

// ErrNoNameColumn is returned (wrapped) when the header has no name column.
var ErrNoNameColumn = errors.New("no name column")

// Column names, after lower-casing and writing spaces and hyphens as "_". The current CSL
// uses name, alt_names and source; the older per-list files Name, Alternate Name and
// Source List (one alias a row, the party repeated).
var (
	nameColumns   = []string{"name"}
	aliasColumns  = []string{"alt_names", "alternate_names", "alternate_name", "aliases", "alt_name"}
	sourceColumns = []string{"source", "source_list"}
)

// ReadCSL reads a Consolidated Screening List CSV: a header row, then one row per party, with
// the columns name and alt_names (aliases separated by ";") in any order among others; a
// source column, when present, names the list. A UTF-8 byte order mark, quoted fields, rows
// of uneven length, a repeated header row and tab-separated files are accepted; fields that
// are not UTF-8 are read as Windows-1252, as older lists were written (see clean).
//
// Rows naming the same party (compared case-insensitively, whitespace collapsed) are merged
// into one entry, in the order first seen. Aliases are trimmed, deduplicated
// case-insensitively, and dropped when equal to the name. The boilerplate "; and any
// successor, sub-unit, or subsidiary thereof" is cut from a name.
//
// A malformed file gives an error naming its line; a header without a name column gives an
// error wrapping ErrNoNameColumn.
func ReadCSL(r io.Reader) ([]Entry, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\ufeff")) {
		_, _ = br.Discard(3)
	}
	comma := ','
	first, _ := br.Peek(4096) // the header line, or as much of it as decides
	if line, _, _ := bytes.Cut(first, []byte("\n")); bytes.Count(line, []byte("\t")) > bytes.Count(line, []byte(",")) {
		comma = '\t'
	}
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("screening list: line 1: %w (the file is empty)", ErrNoNameColumn)
	}
	if err != nil {
		return nil, fmt.Errorf("screening list: %w", err)
	}
	header = slices.Clone(clean(header)) // the reader reuses its records
	cols := make([]string, len(header))
	for i, h := range header {
		cols[i] = columnKey(h)
	}
	nameCol, aliasCol, sourceCol := find(cols, nameColumns), find(cols, aliasColumns), find(cols, sourceColumns)
	if nameCol < 0 {
		return nil, fmt.Errorf("screening list: line 1: %w (header: %s)", ErrNoNameColumn, strings.Join(header, ", "))
	}

	var (
		entries []Entry
		index   = map[string]int{}  // party key → entries index
		seen    = map[string]bool{} // party key + "\x00" + alias key, and the sources likewise
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("screening list: %w", err)
		}
		rec = clean(rec)
		field := func(i int) string {
			if i < 0 || i >= len(rec) {
				return ""
			}
			return rec[i]
		}
		if isHeader(rec, header) {
			continue
		}
		name := cleanName(field(nameCol))
		if name == "" {
			continue
		}
		key := fold(name)
		i, ok := index[key]
		if !ok {
			i = len(entries)
			index[key] = i
			entries = append(entries, Entry{Name: name})
		}
		e := &entries[i]
		if src := collapse(field(sourceCol)); src != "" && !seen[key+"\x00source\x00"+fold(src)] {
			seen[key+"\x00source\x00"+fold(src)] = true
			if e.Source != "" {
				e.Source += "; "
			}
			e.Source += src
		}
		for _, a := range strings.Split(field(aliasCol), ";") {
			a = collapse(a)
			k := fold(a)
			if a == "" || k == key || seen[key+"\x00alias\x00"+k] {
				continue
			}
			seen[key+"\x00alias\x00"+k] = true
			e.Aliases = append(e.Aliases, a)
		}
	}
	return entries, nil
}

// clean decodes the fields of a record that are not UTF-8 as Windows-1252, in place. It also
// repairs the C1 control characters (U+0080–U+009F) that a Windows-1252 file read as Latin-1
// leaves behind: no list means them, and Windows-1252 puts quotes and dashes there.
func clean(rec []string) []string {
	for i, f := range rec {
		switch {
		case !utf8.ValidString(f):
			rec[i] = decode1252(f)
		case strings.ContainsFunc(f, isC1):
			rec[i] = strings.Map(func(r rune) rune {
				if isC1(r) {
					return cp1252[r-0x80]
				}
				return r
			}, f)
		}
	}
	return rec
}

func isC1(r rune) bool { return 0x80 <= r && r < 0xA0 }

func columnKey(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(h)
}

func find(cols, names []string) int {
	for _, n := range names {
		for i, c := range cols {
			if c == n {
				return i
			}
		}
	}
	return -1
}

// isHeader reports a row that repeats the header (the CSL file has been seen with two).
func isHeader(rec, header []string) bool {
	if len(rec) != len(header) {
		return false
	}
	for i := range rec {
		if rec[i] != header[i] {
			return false
		}
	}
	return true
}

// successorClause is how the State Department's lists extend a party to its successors.
const successorClause = "; and any successor"

func cleanName(s string) string {
	if i := strings.Index(strings.ToLower(s), successorClause); i >= 0 {
		s = s[:i]
	}
	return collapse(s)
}

// collapse trims s and writes each whitespace run inside it as one space.
func collapse(s string) string { return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ") }

func fold(s string) string { return strings.ToLower(collapse(s)) }

// cp1252 holds the characters Windows-1252 puts at 0x80–0x9F; the rest of its high half is
// Latin-1. Unused positions stay U+FFFD.
var cp1252 = [32]rune{
	'€', '\ufffd', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\ufffd', 'Ž', '\ufffd',
	'\ufffd', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\ufffd', 'ž', 'Ÿ',
}

func decode1252(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x80:
			b.WriteByte(c)
		case c < 0xA0:
			b.WriteRune(cp1252[c-0x80])
		default:
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}
