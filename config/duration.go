package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written like "90s", "10m", "6h", "2d", "1w" or "1h30m" in
// the configuration: d is 24 hours and w is 7 days.
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// durationUnits are the units ParseDuration accepts and String writes, largest first.
var durationUnits = []struct {
	name string
	size time.Duration
}{
	{"w", 7 * 24 * time.Hour},
	{"d", 24 * time.Hour},
	{"h", time.Hour},
	{"m", time.Minute},
	{"s", time.Second},
	{"ms", time.Millisecond},
	{"us", time.Microsecond},
	{"µs", time.Microsecond},
	{"ns", time.Nanosecond},
}

// ParseDuration reads a duration such as "90s", "1.5h", "2d", "1w" or "1h30m": one or
// more numbers, each followed by a unit (ns, us, ms, s, m, h, d = 24h, w = 7d). "0" needs
// no unit. Negative durations are rejected.
func ParseDuration(s string) (time.Duration, error) {
	fail := func(why string) (time.Duration, error) {
		return 0, fmt.Errorf("invalid duration %q: %s", s, why)
	}
	switch {
	case s == "":
		return fail("empty")
	case s == "0":
		return 0, nil
	case s[0] == '-':
		return fail("must not be negative")
	}
	var total time.Duration
	for rest := s; rest != ""; {
		// The number: digits with an optional fraction.
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		number := rest[:i]
		if number == "" || number == "." || strings.Count(number, ".") > 1 {
			return fail("want a number before each unit, like 90s or 1h30m")
		}
		rest = rest[i:]
		// The unit: everything up to the next number.
		j := 0
		for j < len(rest) && !(rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.') {
			j++
		}
		unitName := rest[:j]
		rest = rest[j:]
		if unitName == "" {
			return fail("missing unit (one of ms, s, m, h, d, w)")
		}
		size := time.Duration(0)
		for _, u := range durationUnits {
			if u.name == unitName {
				size = u.size
			}
		}
		if size == 0 {
			return fail(fmt.Sprintf("unknown unit %q (want one of ms, s, m, h, d, w)", unitName))
		}
		part, ok := scale(number, size)
		if !ok || total > math.MaxInt64-part {
			return fail("too large")
		}
		total += part
	}
	return total, nil
}

// scale returns number × size, where number is decimal digits with an optional fraction;
// ok is false on overflow.
func scale(number string, size time.Duration) (time.Duration, bool) {
	whole, frac, _ := strings.Cut(number, ".")
	var w uint64
	if whole != "" {
		var err error
		if w, err = strconv.ParseUint(whole, 10, 64); err != nil {
			return 0, false
		}
	}
	if w > uint64(math.MaxInt64/size) {
		return 0, false
	}
	d := time.Duration(w) * size
	if frac != "" {
		// Eighteen digits are finer than a nanosecond for every unit up to a week.
		if len(frac) > 18 {
			frac = frac[:18]
		}
		f, err := strconv.ParseUint(frac, 10, 64)
		if err != nil {
			return 0, false
		}
		part := time.Duration(float64(f) / math.Pow10(len(frac)) * float64(size))
		if d > math.MaxInt64-part {
			return 0, false
		}
		d += part
	}
	return d, true
}

// String writes the duration compactly in the units ParseDuration reads, e.g. "1w2d",
// "1h30m", "1m30s" or "0s".
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	v := uint64(d)
	if d < 0 {
		b.WriteByte('-')
		v = -v // two's complement magnitude, correct for math.MinInt64 too
	}
	for _, u := range durationUnits {
		if u.name == "µs" {
			continue
		}
		if n := v / uint64(u.size); n > 0 {
			b.WriteString(strconv.FormatUint(n, 10))
			b.WriteString(u.name)
			v -= n * uint64(u.size)
		}
	}
	return b.String()
}

// UnmarshalYAML reads a duration scalar; an empty one is zero, so that the default applies.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("want a duration like 90s, 6h or 2d")
	}
	return d.UnmarshalText([]byte(n.Value))
}

// MarshalYAML writes the compact form.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalText reads a duration as ParseDuration does; empty text is zero.
func (d *Duration) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*d = 0
		return nil
	}
	v, err := ParseDuration(string(text))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the compact form.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
