package httpsession_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/httpsession"
	"github.com/dynamosession/dynamosession/internal/sessionid"
)

// TestCacheControl: a response that sets or clears the session cookie
// never lets a shared cache store it, whatever the handler said; a
// response without a cookie keeps the handler's caching.
func TestCacheControl(t *testing.T) {
	const private = `private, no-cache="Set-Cookie"`
	tests := []struct {
		name    string
		handler []string // the handler's Cache-Control values
		cookie  string   // "set", "cleared" or "none"
		want    []string
	}{
		{"nothing said", nil, "set", []string{private}},
		{"public", []string{"public, max-age=3600"}, "set", []string{`max-age=3600, private, no-cache="Set-Cookie"`}},
		{"shared max age", []string{"s-maxage=600, max-age=60"}, "set", []string{`max-age=60, private, no-cache="Set-Cookie"`}},
		{"upper case, two header lines", []string{"PUBLIC", "Max-Age=60"}, "set", []string{`Max-Age=60, private, no-cache="Set-Cookie"`}},
		{"public on a logout", []string{"public, max-age=3600"}, "cleared", []string{`max-age=3600, private, no-cache="Set-Cookie"`}},
		{"already private", []string{"private, max-age=60"}, "set", []string{`private, max-age=60, no-cache="Set-Cookie"`}},
		{"no-cache kept", []string{"no-cache"}, "set", []string{"no-cache, private"}},
		{"quoted comma", []string{`public, no-cache="Set-Cookie, X-Token"`}, "set", []string{`no-cache="Set-Cookie, X-Token", private`}},
		{"no-store is enough", []string{"no-store"}, "set", []string{"no-store"}},
		{"no cookie: the handler's own", []string{"public, max-age=3600"}, "none", []string{"public, max-age=3600"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			b := newBrowser()
			if tt.cookie != "set" {
				b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
			}
			res := b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				switch tt.cookie {
				case "set":
					s.Data.User = "ada"
				case "cleared":
					s.Destroy()
				}
				for _, v := range tt.handler {
					w.Header().Add("Cache-Control", v)
				}
				w.Write([]byte("page"))
			}), "GET", "/")
			if got := len(res.Header.Values("Set-Cookie")) > 0; got != (tt.cookie != "none") {
				t.Fatalf("Set-Cookie sent = %v, want %v", got, tt.cookie != "none")
			}
			if diff := cmp.Diff(tt.want, res.Header.Values("Cache-Control")); diff != "" {
				t.Errorf("Cache-Control mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCacheControlAfterSave: headers a handler sets between an explicit
// State.Save and its response are checked as they go out.
func TestCacheControlAfterSave(t *testing.T) {
	e := newEnv(t, nil)
	res := newBrowser().do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
		s.Data.User = "ada"
		must(t, s.Save())
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Write([]byte("page"))
	}), "GET", "/")
	if diff := cmp.Diff([]string{`max-age=60, private, no-cache="Set-Cookie"`}, res.Header.Values("Cache-Control")); diff != "" {
		t.Errorf("Cache-Control mismatch (-want +got):\n%s", diff)
	}
}

// TestVary: every response carries "Vary: Cookie" beside what an outer
// middleware and the handler add, on a page view, on a response that
// sets a cookie, and on one the ErrorHandler answers; a handler that adds
// to Vary or writes into its values changes only its own response.
func TestVary(t *testing.T) {
	tests := []struct {
		name    string
		outer   []string // Vary values set before the middleware runs
		handler func(h http.Header)
		fail    bool // the load fails: the ErrorHandler answers
		want    []string
	}{
		{"page view", nil, func(http.Header) {}, false, []string{"Cookie"}},
		{"outer middleware's", []string{"Accept-Encoding"}, func(http.Header) {}, false, []string{"Accept-Encoding", "Cookie"}},
		{"handler adds", nil, func(h http.Header) { h.Add("Vary", "Accept-Language") }, false, []string{"Cookie", "Accept-Language"}},
		{"handler writes in place", nil, func(h http.Header) { h["Vary"][0] = "Origin" }, false, []string{"Origin"}},
		{"load fails", nil, nil, true, []string{"Cookie"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			b := newBrowser()
			b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
			if tt.fail {
				e.db.FailNext("GetItem", 1, errors.New("throttled"))
			}
			h := e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				tt.handler(w.Header())
				w.Write([]byte("page"))
			})
			res := b.do(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for _, v := range tt.outer {
					w.Header().Add("Vary", v)
				}
				h.ServeHTTP(w, r)
			}), "GET", "/")
			if diff := cmp.Diff(tt.want, res.Header.Values("Vary")); diff != "" {
				t.Errorf("Vary mismatch (-want +got):\n%s", diff)
			}
			// The next request's Vary is its own.
			res = b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {}), "GET", "/")
			if diff := cmp.Diff([]string{"Cookie"}, res.Header.Values("Vary")); diff != "" {
				t.Errorf("next request's Vary mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDuplicateCookies: browsers send one cookie per matching path and
// domain, so a request can carry two of the session's name (a stale one
// from an older Path or Domain setting). The live one is used, and a dead
// one is never "cleared" with the configured Path and Domain, which could
// be the live one's.
func TestDuplicateCookies(t *testing.T) {
	type outcome struct {
		User      string
		SetCookie []string
		Reads     int
	}
	tests := []struct {
		name    string
		cookies func(live, dead, superseded string) string
		want    func(live string) outcome
	}{
		{"dead first, then live", func(live, dead, _ string) string { return "sid=" + dead + "; sid=" + live },
			// The live one is re-sent under the configured Path and
			// Domain, so the browser holds the live ID there too.
			func(live string) outcome {
				return outcome{User: "ada", Reads: 3, SetCookie: []string{"sid=" + live + "; Path=/; Expires=Sun, 22 Nov 2026 12:00:00 GMT; Max-Age=86400; HttpOnly; Secure; SameSite=Lax"}}
			}},
		{"live first, then dead", func(live, dead, _ string) string { return "sid=" + live + "; sid=" + dead },
			func(string) outcome { return outcome{User: "ada", Reads: 1} }},
		{"superseded first, then live", func(live, _, superseded string) string { return "sid=" + superseded + "; sid=" + live },
			func(live string) outcome {
				return outcome{User: "ada", Reads: 2, SetCookie: []string{"sid=" + live + "; Path=/; Expires=Sun, 22 Nov 2026 12:00:00 GMT; Max-Age=86400; HttpOnly; Secure; SameSite=Lax"}}
			}},
		{"the same value twice: one read", func(live, _, _ string) string { return "sid=" + live + "; sid=" + live },
			func(string) outcome { return outcome{User: "ada", Reads: 1} }},
		{"both dead: cleared", func(_, dead, _ string) string { return "sid=" + dead + "; sid=" + sessionid.New() },
			func(string) outcome {
				return outcome{Reads: 4, SetCookie: []string{"sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Lax"}}
			}},
		{"superseded and dead: left alone", func(_, dead, superseded string) string { return "sid=" + dead + "; sid=" + superseded },
			func(string) outcome { return outcome{Reads: 3} }},
		// A forged header must not buy a read per cookie. The ones not
		// looked up may hold the live session: nothing is cleared.
		{"at most three are looked up", func(live, dead, _ string) string {
			return "sid=" + dead + "; sid=" + sessionid.New() + "; sid=" + sessionid.New() + "; sid=" + live
		}, func(string) outcome { return outcome{Reads: 6} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			ctx := context.Background()
			live, dead, superseded := sessionid.New(), sessionid.New(), sessionid.New()
			must2(t)(e.repo.Put(ctx, live, Cart{User: "ada"}))
			must2(t)(e.repo.Put(ctx, superseded, Cart{User: "before login"}))
			must(t, e.repo.Supersede(ctx, superseded, time.Minute))
			e.calls()
			r := mustRequest("GET", "https://example.com/")
			r.Header.Set("Cookie", tt.cookies(live, dead, superseded))
			rec := newRecorder()
			var got outcome
			e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				got.User = s.Data.User
			}).ServeHTTP(rec, r)
			got.SetCookie = rec.Result().Header.Values("Set-Cookie")
			got.Reads = e.calls()["GetItem"]
			if diff := cmp.Diff(tt.want(live), got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
