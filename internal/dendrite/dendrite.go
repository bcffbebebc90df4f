// Package dendrite runs a throwaway Dendrite homeserver on 127.0.0.1 for end-to-end tests:
// it builds Dendrite once into a cache directory with `go install`, generates a
// configuration (SQLite, federation and open registration off, rate limiting off), starts
// the server on a free loopback port, creates users with create-account and stops the
// server when the test ends.
//
// It is test infrastructure only: nothing outside _test.go files may import it, and it
// must never listen on anything but the loopback interface.
//
// Without VIGIL_E2E=1 a server that cannot be built or started skips the test with a
// message; with VIGIL_E2E=1 (CI) that is a test failure.
package dendrite

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// Version is the Dendrite release the harness builds.
const Version = "v0.13.8"

// ServerName is the server name of every test server: user IDs are @name:localhost.
const ServerName = "localhost"

var tools = []string{"dendrite", "generate-keys", "generate-config", "create-account"}

const (
	buildTimeout = 10 * time.Minute
	startTimeout = 60 * time.Second
	stopTimeout  = 10 * time.Second
	startTries   = 5
)

// Server is a running Dendrite.
type Server struct {
	URL        string // http://127.0.0.1:PORT
	ServerName string
	Dir        string // state directory: config, databases, dendrite.log

	bin    string
	config string
	cmd    *exec.Cmd
	exited chan struct{}

	stopOnce sync.Once
}

// User is an account on a test server.
type User struct {
	ID          string // @localpart:localhost
	Localpart   string
	Password    string
	AccessToken string // of a device created with the account
}

// Start builds Dendrite if needed, starts a fresh server for this test and stops it when
// the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() && !required() {
		t.Skip("Dendrite end-to-end test skipped in -short mode")
	}
	bin := Build(t)
	dir := t.TempDir()
	s, err := start(bin, dir)
	if err != nil {
		unavailable(t, "start dendrite %s: %v", Version, err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("dendrite log (last lines of %s):\n%s", filepath.Join(dir, "dendrite.log"), s.logTail(40))
		}
	})
	return s
}

// Build returns the directory holding the Dendrite binaries, building them first if the
// cache does not have them.
func Build(t testing.TB) string {
	t.Helper()
	bin, err := build()
	if err != nil {
		unavailable(t, "build dendrite %s: %v", Version, err)
	}
	return bin
}

// CacheDir is where the binaries are kept: $VIGIL_CACHE/dendrite/VERSION/bin, or the
// user's cache directory (~/.cache/vigil/dendrite/VERSION/bin on Linux).
func CacheDir() (string, error) {
	if c := os.Getenv("VIGIL_CACHE"); c != "" {
		return filepath.Join(c, "dendrite", Version, "bin"), nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (set VIGIL_CACHE): %w", err)
	}
	return filepath.Join(c, "vigil", "dendrite", Version, "bin"), nil
}

func required() bool { return os.Getenv("VIGIL_E2E") == "1" }

func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if required() {
		t.Fatalf("%s (VIGIL_E2E=1: the Dendrite tier is required)", msg)
	}
	t.Skipf("%s; skipping (set VIGIL_E2E=1 to make this a failure)", msg)
}

func haveTools(bin string) bool {
	for _, name := range tools {
		if fi, err := os.Stat(filepath.Join(bin, name)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

func build() (string, error) {
	bin, err := CacheDir()
	if err != nil {
		return "", err
	}
	if haveTools(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return "", err
	}
	// Test binaries of several packages may get here at once: one builds, the others wait.
	unlock, err := lockFile(filepath.Join(filepath.Dir(bin), ".build.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if haveTools(bin) {
		return bin, nil
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go tool is needed once to build dendrite: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(bin), "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	args := []string{"install"}
	for _, name := range tools {
		args = append(args, "github.com/matrix-org/dendrite/cmd/"+name+"@"+Version)
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, args...)
	// GOFLAGS belongs to Vigil's build (-tags=goolm), not Dendrite's.
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, tail(out, 20))
	}
	for _, name := range tools {
		// Rename within one file system: a reader sees a whole binary or none.
		if err := os.Rename(filepath.Join(tmp, name), filepath.Join(bin, name)); err != nil {
			return "", err
		}
	}
	return bin, nil
}

func start(bin, dir string) (*Server, error) {
	s := &Server{ServerName: ServerName, Dir: dir, bin: bin, config: filepath.Join(dir, "dendrite.yaml")}
	if err := s.configure(); err != nil {
		return nil, err
	}
	var lastErr error
	for range startTries {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		err = s.run(port)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	return nil, lastErr
}

// configure writes dendrite.yaml: generate-config's CI defaults (SQLite in dir, rate
// limiting off), federation and open registration off, a shared secret for create-account.
func (s *Server) configure() error {
	key := filepath.Join(s.Dir, "matrix_key.pem")
	if out, err := exec.Command(filepath.Join(s.bin, "generate-keys"), "-private-key", key).CombinedOutput(); err != nil {
		return fmt.Errorf("generate-keys: %w: %s", err, tail(out, 5))
	}
	generated, err := exec.Command(filepath.Join(s.bin, "generate-config"), "-ci", "-dir", s.Dir, "-server", ServerName).Output()
	if err != nil {
		return fmt.Errorf("generate-config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(generated, &doc); err != nil {
		return fmt.Errorf("parse generated config: %w", err)
	}
	sets := []struct {
		path  []string
		value string
		tag   string
	}{
		{[]string{"global", "private_key"}, key, "!!str"},
		{[]string{"global", "disable_federation"}, "true", "!!bool"},
		{[]string{"client_api", "registration_disabled"}, "true", "!!bool"},
		{[]string{"client_api", "registration_shared_secret"}, randomHex(24), "!!str"},
		{[]string{"client_api", "rate_limiting", "enabled"}, "false", "!!bool"},
	}
	for _, st := range sets {
		if err := setScalar(&doc, st.value, st.tag, st.path...); err != nil {
			return fmt.Errorf("config layout changed: %w", err)
		}
	}
	if err := setLogLevel(&doc, "info"); err != nil {
		return fmt.Errorf("config layout changed: %w", err)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return err
	}
	return os.WriteFile(s.config, out, 0o600)
}

// setScalar sets the existing scalar at path in a YAML document; a missing key is an error
// so that a changed layout cannot silently leave a default in place.
func setScalar(doc *yaml.Node, value, tag string, path ...string) error {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for _, key := range path {
		next := mapValue(n, key)
		if next == nil {
			return fmt.Errorf("no %s in the generated config", strings.Join(path, "."))
		}
		n = next
	}
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%s is not a scalar", strings.Join(path, "."))
	}
	n.Value, n.Tag, n.Style = value, tag, 0
	return nil
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// setLogLevel sets the level of every configured log sink (the CI defaults trace).
func setLogLevel(doc *yaml.Node, level string) error {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	logging := mapValue(root, "logging")
	if logging == nil || logging.Kind != yaml.SequenceNode || len(logging.Content) == 0 {
		return errors.New("no logging sinks in the generated config")
	}
	for _, sink := range logging.Content {
		l := mapValue(sink, "level")
		if l == nil {
			return errors.New("a logging sink has no level")
		}
		l.Value = level
	}
	return nil
}

var errPortTaken = errors.New("port taken")

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// run starts Dendrite on port and waits until it answers; errPortTaken if another process
// got the port first.
func (s *Server) run(port int) error {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logPath := filepath.Join(s.Dir, "dendrite.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(s.bin, "dendrite"), "-config", s.config, "-http-bind-address", addr)
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited
	s.URL = "http://" + addr

	// Our own listener line first, then an answer: another server answering on the same
	// port cannot fool us.
	listening := "listener on " + addr
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			if bytes.Contains(log, []byte("address already in use")) {
				return errPortTaken
			}
			return fmt.Errorf("dendrite exited: %s", tail(log, 10))
		case <-time.After(100 * time.Millisecond):
		}
		log, _ := os.ReadFile(logPath)
		if !bytes.Contains(log, []byte(listening)) {
			continue
		}
		resp, err := client.Get(s.URL + "/_matrix/client/versions")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
	}
	s.Stop()
	return fmt.Errorf("dendrite not ready after %s: %s", startTimeout, s.logTail(10))
}

// Stop stops the server (SIGTERM, then SIGKILL) and waits for it to exit. It is safe to
// call more than once; Start's cleanup calls it.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		if s.cmd == nil || s.cmd.Process == nil {
			return
		}
		select {
		case <-s.exited:
			return
		default:
		}
		_ = s.cmd.Process.Signal(terminate)
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
}

var tokenRe = regexp.MustCompile(`AccessToken: ([^) \n]+)`)

// CreateUser creates an account with a random password and returns it with an access
// token of a new device.
func (s *Server) CreateUser(t testing.TB, localpart string) User {
	t.Helper()
	u, err := s.createUser(localpart)
	if err != nil {
		t.Fatalf("create user %s: %v", localpart, err)
	}
	return u
}

func (s *Server) createUser(localpart string) (User, error) {
	password := randomHex(12)
	cmd := exec.Command(filepath.Join(s.bin, "create-account"), "-config", s.config, "-url", s.URL,
		"-username", localpart, "-passwordstdin")
	cmd.Stdin = strings.NewReader(password)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return User{}, fmt.Errorf("create-account: %w: %s", err, tail(out, 5))
	}
	m := tokenRe.FindSubmatch(out)
	if m == nil {
		return User{}, fmt.Errorf("create-account printed no access token: %s", tail(out, 5))
	}
	return User{ID: "@" + localpart + ":" + s.ServerName, Localpart: localpart, Password: password, AccessToken: string(m[1])}, nil
}

func (s *Server) logTail(n int) string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "dendrite.log"))
	return tail(b, n)
}

func tail(b []byte, n int) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
