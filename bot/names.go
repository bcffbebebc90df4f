package bot

import (
	"strings"
	"unicode"
)

// PlainName turns a name as people typed it into plain text that no platform turns into a
// mention: "@bob" is "bob", a Slack mention "<@U0123ABC|bob>" is "bob" (or "U0123ABC"
// without a label), and "@room", "@channel", "<!here>" lose what would notify everyone. It
// is Clean text; adapters still escape it.
func PlainName(s string) string {
	s = strings.TrimSpace(Clean(s))
	if inner, ok := strings.CutPrefix(s, "<"); ok {
		inner = strings.TrimSuffix(inner, ">")
		if _, label, found := strings.Cut(inner, "|"); found && label != "" {
			inner = label
		}
		s = inner
	}
	s = strings.TrimLeftFunc(s, func(r rune) bool { return r == '@' || r == '!' || r == '#' || unicode.IsSpace(r) })
	// Whatever markup is left is shown, never interpreted.
	s = strings.NewReplacer("<", "", ">", "", "@", "").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}
