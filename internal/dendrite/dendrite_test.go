package dendrite

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestBuild builds (or finds) the binaries; .ci/dendrite.sh runs it alone as a pre-build step.
func TestBuild(t *testing.T) {
	bin := Build(t)
	if !haveTools(bin) {
		t.Fatalf("Build returned %s without all of %v", bin, tools)
	}
}

func TestServer(t *testing.T) {
	s := Start(t)
	u, err := url.Parse(s.URL)
	if err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("server URL %q: want a 127.0.0.1 address", s.URL)
	}
	alice := s.CreateUser(t, "alice")
	if alice.ID != "@alice:localhost" || alice.AccessToken == "" || alice.Password == "" {
		t.Fatalf("CreateUser = %+v", alice)
	}

	t.Run("token works", func(t *testing.T) {
		var who struct {
			UserID   string `json:"user_id"`
			DeviceID string `json:"device_id"`
		}
		status := call(t, http.MethodGet, s.URL+"/_matrix/client/v3/account/whoami", alice.AccessToken, "", &who)
		if status != http.StatusOK || who.UserID != alice.ID || who.DeviceID == "" {
			t.Errorf("whoami: got %d %+v, want 200 %s with a device", status, who, alice.ID)
		}
	})
	t.Run("password login works", func(t *testing.T) {
		body := `{"type":"m.login.password","identifier":{"type":"m.id.user","user":"alice"},"password":"` + alice.Password + `"}`
		var login struct {
			AccessToken string `json:"access_token"`
		}
		if status := call(t, http.MethodPost, s.URL+"/_matrix/client/v3/login", "", body, &login); status != http.StatusOK || login.AccessToken == "" {
			t.Errorf("login: got %d, want 200 with a token", status)
		}
	})
	t.Run("open registration is off", func(t *testing.T) {
		body := `{"username":"mallory","password":"a long enough password","auth":{"type":"m.login.dummy"}}`
		var e struct {
			ErrCode string `json:"errcode"`
		}
		if status := call(t, http.MethodPost, s.URL+"/_matrix/client/v3/register", "", body, &e); status != http.StatusForbidden {
			t.Errorf("register: got %d %s, want 403", status, e.ErrCode)
		}
	})
	t.Run("stop is idempotent", func(t *testing.T) {
		s.Stop()
		s.Stop()
		if _, err := http.Get(s.URL + "/_matrix/client/versions"); err == nil {
			t.Errorf("server still answers after Stop")
		}
	})
}

func call(t *testing.T, method, url, token, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(out)
	return resp.StatusCode
}

func TestSetScalar(t *testing.T) {
	const doc = "global:\n  disable_federation: false\n  name: x\nlogging:\n- type: std\n  level: trace\n"
	tests := []struct {
		name    string
		path    []string
		wantErr bool
	}{
		{"nested key", []string{"global", "disable_federation"}, false},
		{"missing key", []string{"global", "no_such_key"}, true},
		{"missing section", []string{"client_api", "rate_limiting"}, true},
		{"not a scalar", []string{"global"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
				t.Fatal(err)
			}
			err := setScalar(&n, "true", "!!bool", tt.path...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("setScalar(%v) error = %v, want error %v", tt.path, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			out, _ := yaml.Marshal(&n)
			if !strings.Contains(string(out), "disable_federation: true") {
				t.Errorf("got\n%s\nwant disable_federation: true", out)
			}
		})
	}
	t.Run("log level", func(t *testing.T) {
		var n yaml.Node
		_ = yaml.Unmarshal([]byte(doc), &n)
		if err := setLogLevel(&n, "info"); err != nil {
			t.Fatal(err)
		}
		out, _ := yaml.Marshal(&n)
		if !strings.Contains(string(out), "level: info") || strings.Contains(string(out), "trace") {
			t.Errorf("got\n%s\nwant level info only", out)
		}
	})
}
