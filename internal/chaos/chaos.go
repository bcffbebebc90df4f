// Package chaos runs the real vigil binary under the conditions its users fear: SIGKILL
// at random moments while it polls and delivers, feeds that hang, drip, storm, bomb and
// lie, and configurations full of secrets. It measures what the program promises — no
// alert lost, duplicates bounded, memory bounded, health showing every fault, no secret
// in any output line — and returns the figures.
//
// The short versions run in CI from this package's tests; bench/chaos runs the long ones
// and prints the figures that docs/RELIABILITY.md records. Everything it starts listens
// on the loopback interface only. It drives the binary from outside (flags, stdin,
// stdout, stderr, SIGKILL) and reads the database only to explain a missing alert.
package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Build builds the vigil binary with scripts/build.sh into dir and returns its path.
func Build(ctx context.Context, dir string) (string, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "vigil")
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "build.sh"), out)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "VERSION=chaos")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("scripts/build.sh: %w\n%s", err, b)
	}
	return out, nil
}

// ModuleRoot is the directory of the module's go.mod.
func ModuleRoot(ctx context.Context) (string, error) {
	b, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(b))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the vigil module: run from its directory")
	}
	return filepath.Dir(mod), nil
}

// Line is one line a process printed, with the time it was read.
type Line struct {
	At   time.Time
	Text string
}

// Lines records what processes print, line by line, across restarts. It is an
// io.Writer safe for concurrent use.
type Lines struct {
	mu      sync.Mutex
	lines   []Line
	partial []byte
	changed chan struct{} // closed and replaced on every new line
}

// NewLines returns an empty record.
func NewLines() *Lines { return &Lines{changed: make(chan struct{})} }

func (l *Lines) Write(p []byte) (int, error) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	added := false
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, Line{At: now, Text: string(l.partial[:i])})
		l.partial = l.partial[i+1:]
		added = true
	}
	if added {
		close(l.changed)
		l.changed = make(chan struct{})
	}
	return len(p), nil
}

// Break ends a line cut short by a killed process, so that the next process's first
// line does not run into it.
func (l *Lines) Break() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.lines = append(l.lines, Line{At: time.Now(), Text: string(l.partial)})
		l.partial = nil
		close(l.changed)
		l.changed = make(chan struct{})
	}
}

// Snapshot returns the lines so far.
func (l *Lines) Snapshot() []Line {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Line(nil), l.lines...)
}

// Len is the number of lines so far.
func (l *Lines) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

// Changed is closed when a line is added.
func (l *Lines) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// String is everything printed, one line per line.
func (l *Lines) String() string {
	var b strings.Builder
	for _, ln := range l.Snapshot() {
		b.WriteString(ln.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// SourceHealth is one source as `vigil sources --output json` shows it.
type SourceHealth struct {
	Name        string     `json:"name"`
	Type        string     `json:"type"`
	URL         string     `json:"url"`
	Healthy     bool       `json:"healthy"`
	Baselined   bool       `json:"baselined"`
	LastPoll    *time.Time `json:"last_poll"`
	LastSuccess *time.Time `json:"last_success"`
	LastError   string     `json:"last_error"`
	ErrorKind   string     `json:"last_error_kind"`
	LastErrorAt *time.Time `json:"last_error_at"`
	Failures    int        `json:"consecutive_failures"`
	NextPoll    *time.Time `json:"next_poll"`
	ItemsSeen   int64      `json:"items_seen"`
}

// Sources runs `vigil sources --output json` and returns the sources by name. It may run
// while the daemon runs on the same database.
func Sources(ctx context.Context, binary, config string) (map[string]SourceHealth, error) {
	return sources(ctx, binary, config, nil)
}

func sources(ctx context.Context, binary, config string, env []string) (map[string]SourceHealth, error) {
	out, err := cli(ctx, binary, config, env, "sources", "--output", "json")
	if err != nil {
		return nil, err
	}
	if out.Code != 0 {
		return nil, fmt.Errorf("vigil sources: exit status %d\n%s", out.Code, out.Stderr)
	}
	var list []SourceHealth
	if err := json.Unmarshal(out.Stdout, &list); err != nil {
		return nil, fmt.Errorf("vigil sources --output json: %w\n%s", err, out.Stdout)
	}
	m := make(map[string]SourceHealth, len(list))
	for _, s := range list {
		m[s.Name] = s
	}
	return m, nil
}

// Output is what a one-shot command printed.
type Output struct {
	Stdout, Stderr []byte
	Code           int
}

// CLI runs a one-shot vigil command with --config and returns what it printed and its
// exit code; only a command that could not run is an error.
func CLI(ctx context.Context, binary, config string, args ...string) (Output, error) {
	return cli(ctx, binary, config, nil, args...)
}

func cli(ctx context.Context, binary, config string, env []string, args ...string) (Output, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, append(args, "--config", config)...)
	cmd.Dir = filepath.Dir(config)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = daemonEnv(env)
	err := cmd.Run()
	out := Output{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return out, fmt.Errorf("vigil %s: %w", strings.Join(args, " "), err)
	}
	out.Code = cmd.ProcessState.ExitCode()
	return out, nil
}

// daemonEnv is the environment of every vigil process: the harness's own, without a
// VIGIL_CONFIG that could point elsewhere, plus extra.
func daemonEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "VIGIL_CONFIG=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}
