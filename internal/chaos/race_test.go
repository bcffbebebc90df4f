//go:build race

package chaos

// CI runs the whole suite twice, the second time with -race; the long tests run in the
// first pass only.
const raceEnabled = true
