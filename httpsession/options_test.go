package httpsession_test

import (
	"errors"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/httpsession"
)

func TestMain(m *testing.M) {
	// The default ErrorHandler logs every error the tests provoke on purpose.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

func TestNewRejectsBadOptions(t *testing.T) {
	db := fake.New()
	createTable(t, db)
	repo, err := dynamosession.New[Cart](db, table)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opt  func(*httpsession.Options)
	}{
		{"cookie name with a space", func(o *httpsession.Options) { o.CookieName = "my sid" }},
		{"cookie name with a semicolon", func(o *httpsession.Options) { o.CookieName = "sid;" }},
		{"relative path", func(o *httpsession.Options) { o.CookiePath = "app" }},
		{"path with a semicolon", func(o *httpsession.Options) { o.CookiePath = "/a;b" }},
		{"bad domain", func(o *httpsession.Options) { o.CookieDomain = "exa mple.com" }},
		{"max age under a second", func(o *httpsession.Options) { o.MaxAge = 500 * time.Millisecond }},
		{"SameSite=None without Secure", func(o *httpsession.Options) {
			o.SameSite, o.InsecureCookie = http.SameSiteNoneMode, true
		}},
		{"unknown SameSite", func(o *httpsession.Options) { o.SameSite = 42 }},
		{"empty express secret", func(o *httpsession.Options) { o.ExpressSecrets = []string{"new", ""} }},
		{"express secrets for a type without express.Session", func(o *httpsession.Options) { o.ExpressSecrets = []string{"s"} }},
		{"negative timeout", func(o *httpsession.Options) { o.Timeout = -time.Second }},
		{"unknown undecodable policy", func(o *httpsession.Options) { o.Undecodable = 7 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := httpsession.New(repo, tt.opt)
			if !errors.Is(err, dynamosession.ErrInvalidOptions) {
				t.Errorf("New = %v, want an error wrapping dynamosession.ErrInvalidOptions", err)
			}
		})
	}
	t.Run("nil repository", func(t *testing.T) {
		if _, err := httpsession.New[Cart](nil); !errors.Is(err, dynamosession.ErrInvalidOptions) {
			t.Errorf("New(nil) = %v, want dynamosession.ErrInvalidOptions", err)
		}
	})
}

func TestDefaults(t *testing.T) {
	e := newEnv(t, nil)
	o := e.m.EffectiveOptions()
	if o.Logger != slog.Default() {
		t.Errorf("Logger = %v, want slog.Default()", o.Logger)
	}
	o.ErrorHandler, o.Logger = nil, nil // functions and loggers do not compare
	want := httpsession.Options{
		CookieName: "sid", CookiePath: "/", SameSite: http.SameSiteLaxMode,
		Timeout: 5 * time.Second, RegenerateGrace: 30 * time.Second, Undecodable: dynamosession.KeepUndecodable,
	}
	if diff := cmp.Diff(want, o); diff != "" {
		t.Errorf("effective options mismatch (-want +got):\n%s", diff)
	}
}

// TestCookieAttributes checks the Set-Cookie header each option gives,
// byte for byte, as a browser would parse it.
func TestCookieAttributes(t *testing.T) {
	tests := []struct {
		name string
		opt  func(*httpsession.Options)
		want string // with ID for the session ID
	}{
		{"defaults", func(*httpsession.Options) {},
			"sid=ID; Path=/; Expires=Sun, 22 Nov 2026 12:00:00 GMT; Max-Age=86400; HttpOnly; Secure; SameSite=Lax"},
		{"name, path, domain", func(o *httpsession.Options) {
			o.CookieName, o.CookiePath, o.CookieDomain = "app_session", "/app", "example.com"
		},
			"app_session=ID; Path=/app; Domain=example.com; Expires=Sun, 22 Nov 2026 12:00:00 GMT; Max-Age=86400; HttpOnly; Secure; SameSite=Lax"},
		{"fixed max age", func(o *httpsession.Options) { o.MaxAge = time.Hour },
			"sid=ID; Path=/; Expires=Sat, 21 Nov 2026 13:00:00 GMT; Max-Age=3600; HttpOnly; Secure; SameSite=Lax"},
		{"browser-session cookie", func(o *httpsession.Options) { o.MaxAge = -1 },
			"sid=ID; Path=/; HttpOnly; Secure; SameSite=Lax"},
		{"strict, insecure", func(o *httpsession.Options) { o.SameSite, o.InsecureCookie = http.SameSiteStrictMode, true },
			"sid=ID; Path=/; Expires=Sun, 22 Nov 2026 12:00:00 GMT; Max-Age=86400; HttpOnly; SameSite=Strict"},
		{"no SameSite attribute", func(o *httpsession.Options) { o.SameSite = http.SameSiteDefaultMode },
			"sid=ID; Path=/; Expires=Sun, 22 Nov 2026 12:00:00 GMT; Max-Age=86400; HttpOnly; Secure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, tt.opt)
			var id string
			res := newBrowser().do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				s.Data.User = "ada"
				w.WriteHeader(http.StatusNoContent)
				id = s.ID()
			}), "GET", "/")
			got := res.Header.Values("Set-Cookie")
			want := []string{replaceID(tt.want, id)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Set-Cookie mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{`private, no-cache="Set-Cookie"`}, res.Header.Values("Cache-Control")); diff != "" {
				t.Errorf("Cache-Control mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"Cookie"}, res.Header.Values("Vary")); diff != "" {
				t.Errorf("Vary mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func replaceID(s, id string) string {
	for i := 0; i+2 <= len(s); i++ {
		if s[i:i+2] == "ID" {
			return s[:i] + id + s[i+2:]
		}
	}
	return s
}

// TestClearedCookie checks the header that logs a browser out.
func TestClearedCookie(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser()
	b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
	res := b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Destroy() }), "GET", "/")
	want := []string{"sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Lax"}
	if diff := cmp.Diff(want, res.Header.Values("Set-Cookie")); diff != "" {
		t.Errorf("Set-Cookie mismatch (-want +got):\n%s", diff)
	}
}
