package config

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The configuration reference (docs/configuration.md) and the example (example.yaml) are
// kept in step with the Config types by the tests in this file: every key path of the
// types is documented, with its type and a true default, and shown in the example; and
// neither names a key that does not exist.

const referencePath = "../docs/configuration.md"

// keyPath is a YAML key path of the configuration, like "sources[].schedule", and the Go
// type of its value.
type keyPath struct {
	path string
	typ  reflect.Type
}

// configKeyPaths returns every key path of Config, in the order of the fields.
func configKeyPaths() []keyPath {
	var paths []keyPath
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			path := joinPath(prefix, name)
			paths = append(paths, keyPath{path, f.Type})
			switch inner := deref(f.Type); {
			case isLeaf(inner):
			case inner.Kind() == reflect.Struct:
				walk(inner, path)
			case inner.Kind() == reflect.Slice && deref(inner.Elem()).Kind() == reflect.Struct && !isLeaf(deref(inner.Elem())):
				walk(deref(inner.Elem()), path+"[]")
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return paths
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// typeWord is how the reference names the type of a value.
func typeWord(t reflect.Type) string {
	t = deref(t)
	switch {
	case t == reflect.TypeFor[Secret]():
		return "secret"
	case t == reflect.TypeFor[Duration]():
		return "duration"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Bool:
		return "bool"
	case t.Kind() == reflect.Struct:
		return "mapping"
	case t.Kind() == reflect.Slice && deref(t.Elem()).Kind() == reflect.String:
		return "list of strings"
	case t.Kind() == reflect.Slice && deref(t.Elem()).Kind() == reflect.Struct:
		return "list of mappings"
	}
	return t.String()
}

// referenceRow is one row of a key table in the reference: | `path` | type | default | meaning |.
type referenceRow struct {
	line                    int
	path, typ, def, meaning string
}

func readReference(t *testing.T) []referenceRow {
	t.Helper()
	data, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("read the configuration reference: %v", err)
	}
	var rows []referenceRow
	for i, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := splitRow(line)
		if len(cells) != 4 {
			t.Errorf("%s:%d: a key row needs 4 cells (key, type, default, meaning), has %d", referencePath, i+1, len(cells))
			continue
		}
		path := strings.Trim(cells[0], "`")
		rows = append(rows, referenceRow{i + 1, path, cells[1], cells[2], cells[3]})
	}
	if len(rows) == 0 {
		t.Fatalf("%s has no key rows (lines starting with \"| `\")", referencePath)
	}
	return rows
}

// splitRow splits a Markdown table row into its trimmed cells; "\|" stays inside a cell.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	line = strings.TrimSuffix(line, "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

func TestReferenceCoversEveryKey(t *testing.T) {
	rows := readReference(t)
	byPath := map[string]referenceRow{}
	for _, r := range rows {
		if prev, dup := byPath[r.path]; dup {
			t.Errorf("%s:%d: key %s is already documented at line %d", referencePath, r.line, r.path, prev.line)
		}
		byPath[r.path] = r
	}
	known := map[string]bool{}
	for _, k := range configKeyPaths() {
		known[k.path] = true
		r, ok := byPath[k.path]
		if !ok {
			t.Errorf("%s does not document key %s", referencePath, k.path)
			continue
		}
		if want := typeWord(k.typ); r.typ != want {
			t.Errorf("%s:%d: %s has type %q, want %q", referencePath, r.line, k.path, r.typ, want)
		}
		if r.meaning == "" {
			t.Errorf("%s:%d: %s has no meaning", referencePath, r.line, k.path)
		}
	}
	for _, r := range rows {
		if !known[r.path] {
			t.Errorf("%s:%d: documents %s, which is not a configuration key", referencePath, r.line, r.path)
		}
	}
}

// defaultsYAML sets only what each part needs to exist, so that every other setting
// takes its default.
const defaultsYAML = `
sources:
  - {name: fedreg, type: federalregister}
  - {name: news, type: feed, url: "https://example.org/feed.xml"}
channels:
  - {id: "console:main", watches: [{name: Dahua}]}
slack: {bot_token: x, app_token: y}
matrix: {homeserver: "https://matrix.example.org", user_id: "@vigil:example.org", password: z}
`

var codeSpan = regexp.MustCompile("`([^`]+)`")

// TestReferenceDefaults checks that every value the reference shows, in code, as a
// default is what Vigil fills in for that key (for one of the source types, where the
// default depends on the type).
func TestReferenceDefaults(t *testing.T) {
	c, err := Parse([]byte(defaultsYAML), "defaults.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range readReference(t) {
		literals := codeSpan.FindAllStringSubmatch(r.def, -1)
		if len(literals) == 0 {
			continue
		}
		values, ok := valuesAt(reflect.ValueOf(*c), strings.Split(strings.ReplaceAll(r.path, "[]", ".[]"), "."))
		if !ok {
			t.Errorf("%s:%d: %s shows a default, but is not a single setting", referencePath, r.line, r.path)
			continue
		}
		for _, l := range literals {
			if !slices.Contains(values, l[1]) {
				t.Errorf("%s:%d: %s shows default %q; the defaults there are %q", referencePath, r.line, r.path, l[1], values)
			}
		}
	}
}

// valuesAt returns the non-empty values at a key path as text; "[]" stands for every
// element of a list. ok is false when the path ends at a mapping or a list of mappings.
func valuesAt(v reflect.Value, path []string) (values []string, ok bool) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, true
		}
		v = v.Elem()
	}
	if len(path) == 0 {
		return render(v)
	}
	if path[0] == "[]" {
		ok = true
		for i := range v.Len() {
			vs, iok := valuesAt(v.Index(i), path[1:])
			values, ok = append(values, vs...), ok && iok
		}
		return values, ok
	}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.IsExported() && name == path[0] {
			return valuesAt(v.Field(i), path[1:])
		}
	}
	return nil, false
}

func render(v reflect.Value) ([]string, bool) {
	switch {
	case v.Type() == reflect.TypeFor[Duration]():
		return []string{Duration(v.Int()).String()}, true
	case v.Kind() == reflect.String:
		if v.String() == "" {
			return nil, true
		}
		return []string{v.String()}, true
	case v.Kind() == reflect.Bool:
		return []string{strconv.FormatBool(v.Bool())}, true
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		var out []string
		for i := range v.Len() {
			out = append(out, v.Index(i).String())
		}
		return out, true
	}
	return nil, false
}

// commentedKey is a line of the example that, once its comment markers are gone, sets a
// key: settings shown commented out are still part of what the example teaches.
var commentedKey = regexp.MustCompile(`^\s*(- )?[a-z_]+:(\s|$)`)

// uncommentKeys removes the comment markers ("#" and one space, as often as they come)
// from every line of an example that then sets a key, keeping its indentation.
func uncommentKeys(src string) string {
	lines := strings.Split(src, "\n")
	for i, line := range lines {
		l := line
		for {
			rest := strings.TrimLeft(l, " ")
			if !strings.HasPrefix(rest, "#") {
				break
			}
			indent := l[:len(l)-len(rest)]
			l = indent + strings.TrimPrefix(rest[1:], " ")
		}
		if l != line && commentedKey.MatchString(l) {
			lines[i] = l
		}
	}
	return strings.Join(lines, "\n")
}

// nodeKeyPaths returns the key paths of a YAML node tree, lists written as "[]".
func nodeKeyPaths(n *yaml.Node, prefix string, into map[string]int) {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			nodeKeyPaths(c, prefix, into)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" {
				nodeKeyPaths(v, prefix, into)
				continue
			}
			path := joinPath(prefix, k.Value)
			if _, ok := into[path]; !ok {
				into[path] = k.Line
			}
			nodeKeyPaths(v, path, into)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			nodeKeyPaths(c, prefix+"[]", into)
		}
	}
}

func TestExampleShowsEveryKeyPath(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(uncommentKeys(string(Example()))), &doc); err != nil {
		t.Fatalf("example.yaml with its commented-out settings uncommented is not YAML: %v", err)
	}
	shown := map[string]int{}
	nodeKeyPaths(&doc, "", shown)
	known := map[string]bool{}
	for _, k := range configKeyPaths() {
		known[k.path] = true
		if _, ok := shown[k.path]; !ok {
			t.Errorf("example.yaml does not show key %s, set or commented out", k.path)
		}
	}
	for path, line := range shown {
		if !known[path] {
			t.Errorf("example.yaml:%d: shows %s, which is not a configuration key", line, path)
		}
	}
}

func TestUncommentKeys(t *testing.T) {
	in := "# Prose: stays.\n# slack:\n#   bot_token: x\n#   # bot_token_file: /f\n    # since: 2023-02-01\n# note that: prose\n#\n"
	want := "# Prose: stays.\nslack:\n  bot_token: x\n  bot_token_file: /f\n    since: 2023-02-01\n# note that: prose\n#\n"
	if got := uncommentKeys(in); got != want {
		t.Errorf("uncommentKeys:\n got %q\nwant %q", got, want)
	}
}

// TestContainerConfig checks the configuration baked into the container image: valid,
// its database in the /data volume, its HTTP server reachable from outside the container.
func TestContainerConfig(t *testing.T) {
	c, err := Load("../deploy/vigil.container.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Database.URL, "sqlite:///data/vigil.db"; got != want {
		t.Errorf("database.url = %q, want %q", got, want)
	}
	if got, want := c.HTTP.Listen, "0.0.0.0:9464"; got != want {
		t.Errorf("http.listen = %q, want %q", got, want)
	}
	if ws := c.Warnings(); len(ws) != 0 {
		t.Errorf("Warnings() = %q, want none", ws)
	}
}
