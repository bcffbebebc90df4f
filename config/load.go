package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxSecretFile bounds what a *_file may hold, so that pointing one at a device or a
// large file fails instead of exhausting memory.
const maxSecretFile = 64 << 10

// Load reads the configuration file at path and returns it as Parse does. Every error
// names the file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, path)
}

// Parse reads a configuration from YAML; name (usually the file path) prefixes every error
// message, with the line where one is known.
//
// The steps, in order:
//   - parse strictly: a syntax error, an unknown or repeated key, or a value of the wrong
//     kind (a list where a string belongs) is an error naming its line;
//   - expand ${VAR} in scalar values (never in keys): an unset variable expands to the
//     empty string, "$$" is a literal "$", and any other "$" is kept as it is;
//   - read each *_file secret (password_file, bot_token_file, …) into its field, trimming
//     trailing white space; a relative path is relative to the working directory;
//   - note which secrets were read from ${VAR} rather than written in the file, for
//     Warnings;
//   - apply defaults; a file without a "sources" key gets the default Federal Register
//     source, while "sources: []" (or an empty "sources:") means no sources;
//   - Validate.
//
// Several problems are reported together, one per line of the error.
func Parse(data []byte, name string) (*Config, error) {
	root, err := parseDocument(data, name)
	if err != nil {
		return nil, err
	}
	cfg := &Config{}
	lines := map[string]int{}
	if root != nil {
		w := &walker{
			name:     name,
			lines:    lines,
			seen:     map[visit]bool{},
			expanded: map[*yaml.Node]bool{},
			envNodes: map[*yaml.Node]bool{},
			secrets:  map[string]secretOrigin{},
		}
		w.walk(root, reflect.TypeFor[Config](), "")
		if len(w.errs) > 0 {
			return nil, errors.Join(w.errs...)
		}
		if err := decode(root, cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		cfg.secretsFromEnv = fromEnvOnly(w.secrets)
	}
	if err := readSecretFiles(cfg, name, lines); err != nil {
		return nil, err
	}
	_, sourcesSet := lines["sources"]
	applyDefaults(cfg, sourcesSet)
	if err := cfg.Validate(); err != nil {
		return nil, locate(err, name, lines)
	}
	return cfg, nil
}

// parseDocument parses data into a node tree and returns its top-level mapping, or nil
// when the document is empty.
func parseDocument(data []byte, name string) (root *yaml.Node, err error) {
	// yaml.v3 re-panics on anything but its own errors; a config file must never crash
	// the program, so turn a parser bug into an error.
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("%s: YAML parser failed: %v", name, r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(name, data, err)
	}
	for {
		var extra yaml.Node
		err := dec.Decode(&extra)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, syntaxError(name, data, err)
		}
		if n := documentContent(&extra); n != nil && !isNull(n) {
			return nil, fmt.Errorf("%s:%d: only one YAML document is allowed", name, n.Line)
		}
	}
	root = documentContent(&doc)
	if root == nil || isNull(root) {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping of settings at the top level, got %s",
			name, root.Line, kindName(root))
	}
	return root, nil
}

func documentContent(doc *yaml.Node) *yaml.Node {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	return resolveAlias(doc.Content[0])
}

var yamlLine = regexp.MustCompile(`^yaml: line \d+: `)

// syntaxError reports a YAML syntax error as "name:N: msg". yaml.v3's own line is often
// that of the enclosing block, off by one, or missing, so N is instead the first line at
// which the document, cut after that line, fails with the same error: where the problem
// first shows.
func syntaxError(name string, data []byte, err error) error {
	msg := err.Error()
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	// The smallest failing prefix, by binary search: a prefix that holds the problem
	// fails the same way however much follows it.
	lo, hi := 1, len(lines)
	for lo < hi {
		mid := lo + (hi-lo)/2
		if e := firstError(bytes.Join(lines[:mid], nil)); e != nil && e.Error() == msg {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	msg = strings.TrimPrefix(yamlLine.ReplaceAllString(msg, ""), "yaml: ")
	if len(lines) == 0 {
		return fmt.Errorf("%s: %s", name, msg)
	}
	return fmt.Errorf("%s:%d: %s", name, lo, msg)
}

// firstError returns the first error met parsing every document in data.
func firstError(data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// decode fills cfg from the checked, expanded node tree.
func decode(root *yaml.Node, cfg *Config) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("YAML decoder failed: %v", r)
		}
	}()
	if err := root.Decode(cfg); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return errors.New(strings.Join(te.Errors, "; "))
		}
		return err
	}
	return nil
}

// visit is one node checked against one Go type; an anchor used several times is checked
// once per type, which keeps alias bombs linear.
type visit struct {
	node *yaml.Node
	typ  reflect.Type
}

// walker checks a node tree against the Config types before decoding, because yaml.v3's
// Node.Decode cannot reject unknown keys, and expands ${VAR} on the way. It records the
// line of every value by its path ("sources[0].schedule") for later error messages.
type walker struct {
	name     string
	errs     []error
	lines    map[string]int
	seen     map[visit]bool
	expanded map[*yaml.Node]bool
	envNodes map[*yaml.Node]bool     // scalars in which a ${VAR} was expanded
	secrets  map[string]secretOrigin // by path: where the secret values met there came from
}

func (w *walker) errorf(n *yaml.Node, format string, args ...any) {
	w.errs = append(w.errs, fmt.Errorf("%s:%d: %s", w.name, n.Line, fmt.Sprintf(format, args...)))
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) {
	if _, ok := w.lines[path]; !ok && path != "" {
		w.lines[path] = n.Line
	}
	n = resolveAlias(n)
	if n.Kind == yaml.AliasNode { // an alias without a target; the parser should prevent it
		w.errorf(n, "%s: unresolved alias", path)
		return
	}
	if w.seen[visit{n, t}] {
		w.noteSecret(n, t, path) // an alias: the same value, at another path
		return
	}
	w.seen[visit{n, t}] = true
	if isNull(n) {
		return // an empty value leaves the zero value, and so the default
	}
	switch {
	case isLeaf(t):
		w.leaf(n, t, path)
		w.noteSecret(n, t, path)
	case t.Kind() == reflect.Pointer:
		w.walk(n, t.Elem(), path)
	case t.Kind() == reflect.Struct:
		w.mapping(n, t, path)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.errorf(n, "%s: want a list, got %s", path, kindName(n))
			return
		}
		for i, item := range n.Content {
			w.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	default:
		w.errorf(n, "%s: unsupported setting type %s", path, t) // a bug in the types above
	}
}

// leaf checks a value that must be a single scalar, after expanding ${VAR} in it.
func (w *walker) leaf(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode {
		w.errorf(n, "%s: want %s, got %s", path, describe(t), kindName(n))
		return
	}
	if !w.expanded[n] {
		w.expanded[n] = true
		fromEnv, err := expandNode(n, t.Kind() != reflect.String)
		if err != nil {
			w.errorf(n, "%s: %v", path, err)
			return
		}
		if fromEnv {
			w.envNodes[n] = true
		}
	}
	if isNull(n) {
		return
	}
	// Decoding the lone scalar gives the error its line and path, which yaml.v3 omits for
	// errors returned by an UnmarshalYAML method.
	if err := decodeScalar(n, t); err != nil {
		w.errorf(n, "%s: %v", path, err)
	}
}

func decodeScalar(n *yaml.Node, t reflect.Type) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("YAML decoder failed: %v", r)
		}
	}()
	err = n.Decode(reflect.New(t).Interface())
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return fmt.Errorf("want %s", describe(t))
	}
	return err
}

// mapping checks a mapping against the struct type t: every key must be one of t's YAML
// field names, once.
func (w *walker) mapping(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		w.errorf(n, "%s: want a mapping of settings, got %s", orTop(path), kindName(n))
		return
	}
	fields := yamlFields(t)
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolveAlias(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			w.errorf(k, "want a setting name as key %s, got %s", where(path), kindName(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			w.merge(v, t, path)
			continue
		}
		if line, dup := first[k.Value]; dup {
			w.errorf(k, "duplicate key %q %s (first at line %d)", k.Value, where(path), line)
			continue
		}
		first[k.Value] = k.Line
		f, ok := fields[k.Value]
		if !ok {
			w.errorf(k, "unknown key %q %s%s", k.Value, where(path), suggest(k.Value, fields))
			continue
		}
		w.walk(v, f.Type, joinPath(path, k.Value))
	}
}

// merge checks the value of a "<<" merge key, a mapping or a list of mappings whose keys
// belong to the mapping that holds it.
func (w *walker) merge(v *yaml.Node, t reflect.Type, path string) {
	v = resolveAlias(v)
	switch v.Kind {
	case yaml.MappingNode:
		w.walk(v, t, path)
	case yaml.SequenceNode:
		for _, item := range v.Content {
			if item = resolveAlias(item); item.Kind != yaml.MappingNode {
				w.errorf(item, "%s: \"<<\" merges mappings, got %s", orTop(path), kindName(item))
				continue
			}
			w.walk(item, t, path)
		}
	default:
		w.errorf(v, "%s: \"<<\" merges mappings, got %s", orTop(path), kindName(v))
	}
}

// yamlFields maps the YAML names of a struct's fields to the fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	fields := make(map[string]reflect.StructField, t.NumField())
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name)
		}
		fields[name] = f
	}
	return fields
}

// suggest returns a "did you mean" hint when a known key is a likely misspelling of key.
func suggest(key string, fields map[string]reflect.StructField) string {
	names := slices.Sorted(maps.Keys(fields))
	best, bestDist := "", 3 // more than two edits away is not a misspelling
	for _, name := range names {
		if d := editDistance(key, name); d < bestDist {
			best, bestDist = name, d
		}
	}
	if best == "" || bestDist > len(key)/2 {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func isLeaf(t reflect.Type) bool {
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	case reflect.Pointer:
		return isLeaf(t.Elem())
	}
	return false
}

// describe says in words what a value of type t looks like.
func describe(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[Duration]():
		return "a duration like 90s, 6h or 2d"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64:
		return "a number"
	}
	return "a single value"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	// The parser rejects anchors that contain themselves; the bound is only a safeguard.
	for i := 0; i < 100 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func where(path string) string {
	if path == "" {
		return "at the top level"
	}
	return "in " + path
}

func orTop(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

// expandNode replaces ${VAR} in a scalar's value and reports whether the value named a
// variable. When retag is set (the value is not a string), a plain scalar loses its
// resolved tag so that the expanded text is resolved afresh: "public_inspection: ${PI}"
// becomes a bool, and an empty expansion a null.
func expandNode(n *yaml.Node, retag bool) (fromEnv bool, err error) {
	if !strings.Contains(n.Value, "$") {
		return false, nil
	}
	v, fromEnv, err := expandEnvRefs(n.Value)
	if err != nil {
		return false, err
	}
	if v == n.Value {
		return fromEnv, nil
	}
	n.Value = v
	const explicit = yaml.TaggedStyle | yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle |
		yaml.LiteralStyle | yaml.FoldedStyle
	if retag && n.Style&explicit == 0 {
		n.Tag = ""
	}
	return fromEnv, nil
}

// expandEnv expands ${VAR} from the environment (unset is empty) and "$$" to "$"; any
// other "$" stays. Its errors never quote s, which may be a secret.
func expandEnv(s string) (string, error) {
	v, _, err := expandEnvRefs(s)
	return v, err
}

// expandEnvRefs is expandEnv that also reports whether s named a variable ("$${X}" names
// none: it is the literal text "${X}").
func expandEnvRefs(s string) (v string, named bool, err error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case s[i] != '$':
			b.WriteByte(s[i])
			i++
		case strings.HasPrefix(s[i:], "$$"):
			b.WriteByte('$')
			i += 2
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", false, errors.New(`"${" without a closing "}"`)
			}
			name := s[i+2 : i+2+end]
			if !validEnvName(name) {
				return "", false, errors.New(`invalid variable name in "${…}": use letters, digits and "_"`)
			}
			b.WriteString(os.Getenv(name))
			named = true
			i += 2 + end + 1
		default:
			b.WriteByte('$')
			i++
		}
	}
	return b.String(), named, nil
}

func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range name {
		if c != '_' && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') && !(i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// secretField is a secret and the *_file setting it may be read from.
type secretField struct {
	section, key string
	value        *Secret
	file         *string
}

func secretFields(c *Config) []secretField {
	var fs []secretField
	if s := c.Slack; s != nil {
		fs = append(fs,
			secretField{"slack", "bot_token", &s.BotToken, &s.BotTokenFile},
			secretField{"slack", "app_token", &s.AppToken, &s.AppTokenFile},
			secretField{"slack", "signing_secret", &s.SigningSecret, &s.SigningSecretFile},
		)
	}
	if m := c.Matrix; m != nil {
		fs = append(fs,
			secretField{"matrix", "password", &m.Password, &m.PasswordFile},
			secretField{"matrix", "access_token", &m.AccessToken, &m.AccessTokenFile},
			secretField{"matrix", "pickle_key", &m.PickleKey, &m.PickleKeyFile},
		)
	}
	return fs
}

// readSecretFiles fills every secret whose *_file is set. Its errors name the setting and
// the file, never what the file holds.
func readSecretFiles(c *Config, name string, lines map[string]int) error {
	var errs []error
	for _, f := range secretFields(c) {
		if *f.file == "" {
			continue
		}
		at := position(name, lines, f.section+"."+f.key+"_file")
		if *f.value != "" {
			errs = append(errs, fmt.Errorf("%s: %s: set %s or %s_file, not both", at, f.section, f.key, f.key))
			continue
		}
		v, err := readSecretFile(*f.file)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %s_file: %w", at, f.section, f.key, err))
			continue
		}
		*f.value = Secret(v)
	}
	return errors.Join(errs...)
}

func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d bytes", path, maxSecretFile)
	}
	v := strings.TrimRight(string(data), " \t\r\n")
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}

// position returns "name:line" for the value at path, or for the nearest enclosing value
// whose line is known, or just "name".
func position(name string, lines map[string]int, path string) string {
	for path != "" {
		if line, ok := lines[path]; ok {
			return name + ":" + strconv.Itoa(line)
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return name
}

// locate prefixes each problem found by Validate with the file name and line.
func locate(err error, name string, lines map[string]int) error {
	var errs []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		path := ""
		var fe *fieldError
		if errors.As(e, &fe) {
			path = fe.path
		}
		out = append(out, fmt.Errorf("%s: %w", position(name, lines, path), e))
	}
	return errors.Join(out...)
}
