package chaos

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Canary secrets: distinctive, so that any output line carrying one (or its distinctive
// middle) is found.
const (
	canaryBot     = "xoxb-LEAKCANARY-bot-7f3a9c1e5d2b"
	canaryApp     = "xapp-1-LEAKCANARY-app-4b2e8d0c6a9f"
	canarySigning = "LEAKCANARY-signing-0e9d8c7b6a5f4e3d"
	canaryPass    = "LEAKCANARY-matrix-password-3c5e7a9b"
	canaryToken   = "syt_LEAKCANARY_matrix_token_6d8f0a2c"
	canaryPickle  = "LEAKCANARY-pickle-key-1a3b5c7d9e"
	canaryMark    = "LEAKCANARY"
)

// TestNoSecretInOutput runs the binary with Slack tokens and Matrix credentials read from
// *_file and makes the chat side fail every way it can — a closed port, then a hostile
// server that echoes the credentials it was sent into its error messages — while feeds
// fail too, and checks that no line of any process's output, stdout or stderr, carries a
// secret.
func TestNoSecretInOutput(t *testing.T) {
	t.Parallel()
	bin := vigil(t)
	dir := t.TempDir()
	files := map[string]string{"bot.token": canaryBot, "app.token": canaryApp, "signing.secret": canarySigning,
		"matrix.password": canaryPass, "matrix.token": canaryToken, "matrix.pickle": canaryPickle}
	for name, v := range files {
		// A trailing newline, as editors and `echo` leave them.
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stream := NewStream("leak", 3)
	defer stream.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	defer broken.Close()

	var outputs []string // every output of every process, labelled
	collect := func(label string, out, errs string) {
		outputs = append(outputs, label+" stdout:\n"+out, label+" stderr:\n"+errs)
	}

	t.Run("closed port", func(t *testing.T) {
		closed := closedPort(t)
		cfg := leakConfig(t, dir, "socket", stream.URL(), broken.URL, "http://"+closed+"/api/", "")
		out, errs := runFor(t, bin, cfg, stream, []string{"slack: auth.test failed", "slack: connection failed", "poll failed", "delivery failed"}, nil)
		collect("run (Socket Mode, closed port)", out, errs)
		for _, args := range [][]string{{"config", "check"}, {"sources", "--output", "json"}, {"scan", "--once", "--all", "--dry-run", "--output", "jsonl"}, {"watch", "list", "--channel", "slack:C0LEAK"}} {
			o, err := CLI(t.Context(), bin, cfg, args...)
			if err != nil {
				t.Fatal(err)
			}
			collect("vigil "+strings.Join(args, " "), string(o.Stdout), string(o.Stderr))
		}
	})

	t.Run("echoing API", func(t *testing.T) {
		echo := echoSlack(t)
		listen := closedPort(t)
		cfg := leakConfig(t, dir, "http", stream.URL(), broken.URL, echo.URL+"/api/", listen)
		out, errs := runFor(t, bin, cfg, stream, []string{"poll failed", "delivery failed", "slack: request refused"}, func() {
			base := "http://" + listen
			// A signed slash command whose reply must go through the hostile API, an
			// unsigned one, and one signed with another secret.
			form := url.Values{"command": {"/watch"}, "text": {"list"}, "channel_id": {"C0LEAK"}, "user_id": {"U0ADMIN"},
				"team_id": {"T0CHAOS"}, "response_url": {echo.URL + "/respond"}, "trigger_id": {"1.2.3"}}.Encode()
			for _, secret := range []string{canarySigning, "", "wrong-secret"} {
				postSigned(t, base+"/slack/commands", form, secret)
			}
			event := `{"type":"event_callback","team_id":"T0CHAOS","event":{"type":"app_mention","user":"U0ADMIN","channel":"C0LEAK","text":"<@UBOT> list","ts":"1.000001"},"event_id":"Ev1","event_time":1}`
			postSigned(t, base+"/slack/events", event, canarySigning)
		})
		collect("run (HTTP mode, echoing API)", out, errs)
		if !strings.Contains(errs, "<secret>") {
			t.Errorf("no echoed token was scrubbed in stderr: the echo was not exercised")
		}
		if echo.calls() == 0 {
			t.Errorf("the echoing API was never called: the failure was not exercised")
		}
	})

	// Matrix logs in (with a password, or checks an access token) before anything else;
	// a refused login ends the daemon. The echoing homeserver repeats the request, body
	// and Authorization header, in its error.
	echoHS := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		b, _ := json.Marshal(map[string]string{"errcode": "M_FORBIDDEN",
			"error": "Invalid credentials: you sent " + string(body) + " with " + r.Header.Get("Authorization")})
		w.Write(b)
	}))
	defer echoHS.Close()
	for _, tc := range []struct{ name, homeserver, credential string }{
		{"matrix password, closed port", "http://" + closedPort(t), "password_file"},
		{"matrix password, echoing homeserver", echoHS.URL, "password_file"},
		{"matrix access token, echoing homeserver", echoHS.URL, "access_token_file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := map[string]string{"password_file": "matrix.password", "access_token_file": "matrix.token"}[tc.credential]
			cfg := filepath.Join(t.TempDir(), "vigil.yaml")
			yaml := fmt.Sprintf(`database:
  url: sqlite://%s
sources: []
matrix:
  homeserver: %s
  user_id: "@vigil:localhost"
  %s: %s
  pickle_key_file: %s
  allowed_inviters: [localhost]
  admins: ["@alice:localhost"]
log:
  level: debug
`, filepath.Join(t.TempDir(), "vigil.db"), tc.homeserver, tc.credential, filepath.Join(dir, file), filepath.Join(dir, "matrix.pickle"))
			if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			out, errs := NewLines(), NewLines()
			dm, err := StartDaemon(bin, cfg, out, errs)
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-dm.Done():
			case <-time.After(20 * time.Second):
				dm.Stop(10 * time.Second)
			}
			collect("run ("+tc.name+")", out.String(), errs.String())
			if !strings.Contains(errs.String(), "matrix") {
				t.Errorf("stderr says nothing of Matrix: the failure was not exercised\n%s", errs)
			}
			o, err := CLI(t.Context(), bin, cfg, "config", "check")
			if err != nil {
				t.Fatal(err)
			}
			collect("vigil config check ("+tc.name+")", string(o.Stdout), string(o.Stderr))
		})
	}

	var leaks int
	for _, o := range outputs {
		label, text, _ := strings.Cut(o, "\n")
		for n, line := range strings.Split(text, "\n") {
			for _, secret := range []string{canaryBot, canaryApp, canarySigning, canaryPass, canaryToken, canaryPickle, canaryMark} {
				if strings.Contains(line, secret) {
					leaks++
					t.Errorf("%s, line %d carries a secret: %s", strings.TrimSuffix(label, ":"), n+1, line)
					break
				}
			}
		}
	}
	t.Logf("checked %d outputs of %d processes: %d lines carry a secret", len(outputs), len(outputs)/2, leaks)
}

// leakConfig writes a configuration with Slack in Socket Mode ("socket") or HTTP mode
// ("http"), its secrets read from files, a healthy and a broken feed, and a channel
// watching the stream's matching items.
func leakConfig(t *testing.T, dir, mode, feed, broken, api, listen string) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "vigil.db")
	var slack strings.Builder
	fmt.Fprintf(&slack, "slack:\n  bot_token_file: %s\n  api_url: %s\n  admins: [U0ADMIN]\n", filepath.Join(dir, "bot.token"), api)
	httpSection := ""
	if mode == "socket" {
		fmt.Fprintf(&slack, "  app_token_file: %s\n", filepath.Join(dir, "app.token"))
	} else {
		fmt.Fprintf(&slack, "  signing_secret_file: %s\n", filepath.Join(dir, "signing.secret"))
		httpSection = "http:\n  listen: " + listen + "\n"
	}
	cfg := fmt.Sprintf(`database:
  url: sqlite://%s
sources:
  - {name: news, type: feed, url: %q, schedule: "@every 1s"}
  - {name: broken, type: feed, url: %q, schedule: "@every 1s"}
channels:
  - id: slack:C0LEAK
    watches:
%sops:
  channel: slack:C0OPS
  alert_after: 1s
%s%slog:
  level: debug
`, db, feed, broken+"/feed", watchYAML, slack.String(), httpSection)
	path := filepath.Join(t.TempDir(), "vigil.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runFor runs the daemon with matching items arriving, calls during (if any) once it has
// started, and stops it once its stderr shows every one of wants (at most 30 s): the
// failures the test means to exercise. It returns what the daemon printed.
func runFor(t *testing.T, bin, cfg string, stream *Stream, wants []string, during func()) (string, string) {
	t.Helper()
	out, errs := NewLines(), NewLines()
	dm, err := StartDaemon(bin, cfg, out, errs)
	if err != nil {
		t.Fatal(err)
	}
	defer dm.Kill()
	if err := dm.WaitStarted(30 * time.Second); err != nil {
		t.Fatalf("%v\n%s", err, errs)
	}
	stream.Start(200*time.Millisecond, 1)
	defer stream.Stop()
	if during != nil {
		time.Sleep(time.Second)
		during()
	}
	deadline := time.After(30 * time.Second)
	for missing := wants; len(missing) > 0; {
		changed := errs.Changed()
		text := errs.String()
		missing = slices.DeleteFunc(slices.Clone(wants), func(w string) bool { return strings.Contains(text, w) })
		if len(missing) == 0 {
			break
		}
		select {
		case <-changed:
		case <-deadline:
			t.Errorf("after 30 s stderr shows no %q: the failures were not all exercised", missing)
			missing = nil
		}
	}
	if err := dm.Stop(20 * time.Second); err != nil {
		t.Errorf("stop: %v", err)
	}
	return out.String(), errs.String()
}

// echoServer is a hostile Slack API: every answer but auth.test is an error whose text
// repeats the credentials it was sent.
type echoServer struct {
	*httptest.Server
	n chan struct{}
}

func (e *echoServer) calls() int { return len(e.n) }

func echoSlack(t *testing.T) *echoServer {
	t.Helper()
	e := &echoServer{n: make(chan struct{}, 10000)}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case e.n <- struct{}{}:
		default:
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/auth.test") {
			fmt.Fprint(w, `{"ok":true,"user_id":"UBOT","team":"chaos","user":"vigil"}`)
			return
		}
		echoed := "invalid_arguments: you sent " + r.Header.Get("Authorization") + " with " + string(body)
		b, _ := json.Marshal(map[string]any{"ok": false, "error": echoed, "warning": echoed})
		w.Write(b)
	}))
	t.Cleanup(e.Close)
	return e
}

// postSigned posts body as Slack would, signed with secret (unsigned when empty).
func postSigned(t *testing.T, u, body, secret string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if secret != "" {
		mac := hmac.New(sha256.New, []byte(secret))
		fmt.Fprintf(mac, "v0:%s:%s", ts, body)
		req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("post %s: %v", u, err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// closedPort returns a loopback host:port on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
