package httpsession_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/httpsession"
	"github.com/dynamosession/dynamosession/internal/sessionid"
)

// cookieFacts is what a test checks of a Set-Cookie header.
type cookieFacts struct {
	Sent     bool
	SameID   bool // same value as the cookie the browser held before
	Cleared  bool
	MaxAge   int
	HTTPOnly bool
	Secure   bool
	SameSite http.SameSite
	Path     string
}

func facts(b *browser, before string) cookieFacts {
	for _, c := range b.setCookie {
		if c.Name != "sid" {
			continue
		}
		return cookieFacts{
			Sent: true, SameID: c.Value == before, Cleared: c.MaxAge < 0, MaxAge: max(c.MaxAge, 0),
			HTTPOnly: c.HttpOnly, Secure: c.Secure, SameSite: c.SameSite, Path: c.Path,
		}
	}
	return cookieFacts{}
}

func sent(sameID bool, maxAge int) cookieFacts {
	return cookieFacts{Sent: true, SameID: sameID, MaxAge: maxAge, HTTPOnly: true, Secure: true, SameSite: http.SameSiteLaxMode, Path: "/"}
}

var cleared = cookieFacts{Sent: true, Cleared: true, HTTPOnly: true, Secure: true, SameSite: http.SameSiteLaxMode, Path: "/"}

// TestLifecycle walks one visitor through a session's life and checks, at
// each step, what the handler saw, which DynamoDB calls were made and what
// cookie was sent.
func TestLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser()
	const day = 24 * 60 * 60

	steps := []struct {
		name      string
		advance   time.Duration
		fn        func(s *httpsession.State[Cart])
		wantSeen  Cart
		wantNew   bool
		wantCalls map[string]int
		wantCook  cookieFacts
	}{
		{
			name:      "anonymous visit costs nothing",
			fn:        func(s *httpsession.State[Cart]) {},
			wantNew:   true,
			wantCalls: map[string]int{},
		},
		{
			name:      "setting data creates the session",
			fn:        func(s *httpsession.State[Cart]) { s.Data.User = "ada" },
			wantNew:   true,
			wantCalls: map[string]int{"PutItem": 1},
			wantCook:  sent(false, day),
		},
		{
			name:      "a read-only page view is one read and no cookie",
			advance:   10 * time.Minute,
			fn:        func(s *httpsession.State[Cart]) {},
			wantSeen:  Cart{User: "ada"},
			wantCalls: map[string]int{"GetItem": 1},
		},
		{
			name:      "writing the same value back costs no write",
			advance:   10 * time.Minute,
			fn:        func(s *httpsession.State[Cart]) { s.Data = Cart{User: "ada"} },
			wantSeen:  Cart{User: "ada"},
			wantCalls: map[string]int{"GetItem": 1},
		},
		{
			name:      "a change is one update and refreshes the cookie",
			advance:   10 * time.Minute,
			fn:        func(s *httpsession.State[Cart]) { s.Data.Items = append(s.Data.Items, "book") },
			wantSeen:  Cart{User: "ada"},
			wantCalls: map[string]int{"GetItem": 1, "UpdateItem": 1},
			wantCook:  sent(true, day),
		},
		{
			name:      "inside the touch interval a read does not touch",
			advance:   59 * time.Minute,
			fn:        func(s *httpsession.State[Cart]) {},
			wantSeen:  Cart{User: "ada", Items: []string{"book"}},
			wantCalls: map[string]int{"GetItem": 1},
		},
		{
			name:      "a read after the touch interval touches and resends the cookie",
			advance:   time.Minute,
			fn:        func(s *httpsession.State[Cart]) {},
			wantSeen:  Cart{User: "ada", Items: []string{"book"}},
			wantCalls: map[string]int{"GetItem": 1, "UpdateItem": 1},
			wantCook:  sent(true, day),
		},
		{
			// The old record becomes a tombstone (a second PutItem) for
			// the requests still in flight with the old ID.
			name:      "regenerate issues a new ID and supersedes the old record",
			fn:        func(s *httpsession.State[Cart]) { must(t, s.Regenerate()) },
			wantSeen:  Cart{User: "ada", Items: []string{"book"}},
			wantCalls: map[string]int{"GetItem": 1, "PutItem": 2},
			wantCook:  sent(false, day),
		},
		{
			name:      "destroy deletes and clears the cookie",
			fn:        func(s *httpsession.State[Cart]) { s.Destroy() },
			wantSeen:  Cart{User: "ada", Items: []string{"book"}},
			wantCalls: map[string]int{"GetItem": 1, "DeleteItem": 1},
			wantCook:  cleared,
		},
		{
			name:      "after logout the visitor is anonymous again",
			fn:        func(s *httpsession.State[Cart]) {},
			wantNew:   true,
			wantCalls: map[string]int{},
		},
	}
	var ids []string
	for _, st := range steps {
		e.clock.Advance(st.advance)
		before := b.jar["sid"]
		var seen Cart
		var isNew bool
		res := b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
			seen, isNew = s.Data, s.ID() == ""
			st.fn(s)
		}), "GET", "/")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", st.name, res.StatusCode)
		}
		if diff := cmp.Diff(st.wantSeen, seen); diff != "" {
			t.Errorf("%s: handler saw mismatch (-want +got):\n%s", st.name, diff)
		}
		if isNew != st.wantNew {
			t.Errorf("%s: IsNew = %v, want %v", st.name, isNew, st.wantNew)
		}
		if diff := cmp.Diff(st.wantCalls, e.calls()); diff != "" {
			t.Errorf("%s: DynamoDB calls mismatch (-want +got):\n%s", st.name, diff)
		}
		if diff := cmp.Diff(st.wantCook, facts(b, before)); diff != "" {
			t.Errorf("%s: Set-Cookie mismatch (-want +got):\n%s", st.name, diff)
		}
		if id := b.jar["sid"]; id != "" && (len(ids) == 0 || ids[len(ids)-1] != id) {
			ids = append(ids, id)
		}
	}
	if len(ids) != 2 {
		t.Fatalf("session IDs over the walk: %q, want the first and the regenerated one", ids)
	}
	for _, id := range ids {
		if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(id) {
			t.Errorf("session ID %q is not 43 base64url characters (256 bits)", id)
		}
		if got := e.stored(id); got != nil {
			t.Errorf("session %q still stored after logout: %+v", id, got)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestBadCookiesStartFreshSessions: a cookie naming nothing usable is never
// an error page, and costs at most the reads needed to know.
func TestBadCookiesStartFreshSessions(t *testing.T) {
	tests := []struct {
		name        string
		value       func(e *env) string
		wantCalls   map[string]int
		wantCleared bool
	}{
		{"malformed characters", func(*env) string { return "not/an;id" }, map[string]int{}, false},
		{"too long", func(*env) string { return strings.Repeat("a", 300) }, map[string]int{}, false},
		{
			// An eventual miss is confirmed by a strong read before the
			// cookie is declared dead.
			"unknown", func(*env) string { return sessionid.New() },
			map[string]int{"GetItem": 2}, true,
		},
		{
			"expired", func(e *env) string {
				id := sessionid.New()
				must2(e.t)(e.repo.Put(context.Background(), id, Cart{User: "old"}))
				e.clock.Advance(25 * time.Hour)
				return id
			},
			map[string]int{"GetItem": 1}, true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			b := newBrowser()
			b.jar["sid"] = tt.value(e)
			e.calls()
			var seen Cart
			var isNew bool
			res := b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				seen, isNew = s.Data, s.ID() == ""
			}), "GET", "/")
			if res.StatusCode != http.StatusOK || !isNew || !cmp.Equal(seen, Cart{}) {
				t.Errorf("status %d, IsNew %v, Data %+v; want 200, a new empty session", res.StatusCode, isNew, seen)
			}
			if diff := cmp.Diff(tt.wantCalls, e.calls()); diff != "" {
				t.Errorf("DynamoDB calls mismatch (-want +got):\n%s", diff)
			}
			if got := facts(b, "").Cleared; got != tt.wantCleared {
				t.Errorf("cookie cleared = %v, want %v", got, tt.wantCleared)
			}
			if len(e.errs) > 0 {
				t.Errorf("ErrorHandler called: %v", e.errs)
			}
		})
	}
}

// TestStaleReadAfterLogin: the request right after a login may hit a
// replica that has not seen the new session; the strong confirmation read
// finds it instead of logging the user out.
func TestStaleReadAfterLogin(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser()
	e.db.SetReplicaLag(time.Hour)
	b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "POST", "/login")
	e.calls()
	var seen string
	b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { seen = s.Data.User }), "GET", "/")
	if seen != "ada" {
		t.Errorf("second page saw user %q, want ada", seen)
	}
	if diff := cmp.Diff(map[string]int{"GetItem": 2}, e.calls()); diff != "" {
		t.Errorf("DynamoDB calls mismatch (-want +got):\n%s", diff)
	}
	if facts(b, "").Cleared {
		t.Error("cookie cleared")
	}
}

// TestStoreErrors: DynamoDB failures reach the ErrorHandler, whose default
// answers without details, and never a half-done response.
func TestStoreErrors(t *testing.T) {
	boom := errors.New("boom: table sessions is on fire")
	tests := []struct {
		name      string
		failOp    string
		loggedIn  bool
		fn        func(w http.ResponseWriter, s *httpsession.State[Cart])
		wantCode  int
		wantRan   bool
		wantWrite error // what the handler's Write returned
	}{
		{
			name: "load fails: the handler does not run", failOp: "GetItem", loggedIn: true,
			fn: func(w http.ResponseWriter, s *httpsession.State[Cart]) {}, wantCode: 500,
		},
		{
			name: "create fails as the response starts: the redirect is replaced", failOp: "PutItem",
			fn: func(w http.ResponseWriter, s *httpsession.State[Cart]) {
				s.Data.User = "ada"
				w.Header().Set("Location", "/account")
				w.WriteHeader(http.StatusSeeOther)
			},
			wantCode: 500, wantRan: true,
		},
		{
			name: "save fails on the first Write", failOp: "UpdateItem", loggedIn: true,
			fn: func(w http.ResponseWriter, s *httpsession.State[Cart]) {
				s.Data.Items = []string{"book"}
				_, err := w.Write([]byte("saved!"))
				if !errors.Is(err, httpsession.ErrCommitFailed) {
					panic("Write returned " + errString(err))
				}
			},
			wantCode: 500, wantRan: true,
		},
		{
			name: "save fails after the handler returned without writing", failOp: "UpdateItem", loggedIn: true,
			fn:       func(w http.ResponseWriter, s *httpsession.State[Cart]) { s.Data.Items = []string{"book"} },
			wantCode: 500, wantRan: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			b := newBrowser()
			if tt.loggedIn {
				b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
			}
			e.db.FailNext(tt.failOp, 1, boom)
			ran := false
			res := b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				ran = true
				tt.fn(w, s)
			}), "POST", "/")
			got := struct {
				Code     int
				Ran      bool
				Body     string
				Location string
				Errors   int
			}{res.StatusCode, ran, body(res), res.Header.Get("Location"), len(e.errs)}
			want := got
			want.Code, want.Ran, want.Body, want.Location, want.Errors = tt.wantCode, tt.wantRan, http.StatusText(tt.wantCode)+"\n", "", 1
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if len(e.errs) == 1 && !errors.Is(e.errs[0], boom) {
				t.Errorf("ErrorHandler got %v, want it to wrap %v", e.errs[0], boom)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// TestConcurrentRequests pins down what happens when two requests work on
// one session: request A loads it, request B runs to completion inside A's
// handler, then A finishes.
func TestConcurrentRequests(t *testing.T) {
	tests := []struct {
		name        string
		versioned   bool
		b           func(s *httpsession.State[Cart])
		a           func(s *httpsession.State[Cart])
		wantCode    int
		wantStored  *Cart
		wantCleared bool
	}{
		{
			name:       "unversioned: the later save wins whole",
			b:          func(s *httpsession.State[Cart]) { s.Data.Items = []string{"from B"} },
			a:          func(s *httpsession.State[Cart]) { s.Data.User = "A" },
			wantCode:   200,
			wantStored: &Cart{User: "A"},
		},
		{
			name:       "versioned: the later save is a conflict, answered 409",
			versioned:  true,
			b:          func(s *httpsession.State[Cart]) { s.Data.Items = []string{"from B"} },
			a:          func(s *httpsession.State[Cart]) { s.Data.User = "A" },
			wantCode:   409,
			wantStored: &Cart{User: "ada", Items: []string{"from B"}},
		},
		{
			name:        "a logout wins over a concurrent save",
			b:           func(s *httpsession.State[Cart]) { s.Destroy() },
			a:           func(s *httpsession.State[Cart]) { s.Data.User = "A" },
			wantCode:    200,
			wantCleared: true,
		},
		{
			name:       "a touch never overwrites a concurrent save",
			versioned:  true,
			b:          func(s *httpsession.State[Cart]) { s.Data.Items = []string{"from B"} },
			a:          func(s *httpsession.State[Cart]) {},
			wantCode:   200,
			wantStored: &Cart{User: "ada", Items: []string{"from B"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(o *dynamosession.Options[Cart]) { o.Versioned = tt.versioned })
			b := newBrowser()
			b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
			id := b.jar["sid"]
			e.clock.Advance(2 * time.Hour) // so that A's read-only variant wants to touch
			other := newBrowser()
			other.jar["sid"] = id
			res := b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				other.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { tt.b(s) }), "POST", "/b")
				tt.a(s)
				w.Write([]byte("done")) // the save happens here, then the late one after the handler
			}), "POST", "/a")
			if res.StatusCode != tt.wantCode {
				t.Errorf("A's status = %d, want %d", res.StatusCode, tt.wantCode)
			}
			if diff := cmp.Diff(tt.wantStored, e.stored(id)); diff != "" {
				t.Errorf("stored session mismatch (-want +got):\n%s", diff)
			}
			if got := facts(b, id).Cleared; got != tt.wantCleared {
				t.Errorf("A's cookie cleared = %v, want %v", got, tt.wantCleared)
			}
			if tt.wantCode == 409 && (len(e.errs) != 1 || !errors.Is(e.errs[0], dynamosession.ErrConflict)) {
				t.Errorf("ErrorHandler got %v, want one error wrapping ErrConflict", e.errs)
			}
			if tt.wantCode != 409 && len(e.errs) != 0 {
				t.Errorf("ErrorHandler got %v, want none", e.errs)
			}
		})
	}
}

// TestAfterResponseStarted: a handler that changes the session after
// writing its body still gets a stored session saved, but cannot create
// one or change its ID, since the cookie would have to follow the body.
func TestAfterResponseStarted(t *testing.T) {
	t.Run("changes to a stored session are saved", func(t *testing.T) {
		e := newEnv(t, nil)
		b := newBrowser()
		b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
		b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
			w.Write([]byte("hello"))
			s.Data.Items = []string{"late"}
		}), "GET", "/")
		if diff := cmp.Diff(&Cart{User: "ada", Items: []string{"late"}}, e.stored(b.jar["sid"])); diff != "" {
			t.Errorf("stored mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("changes to a session created before the body are saved", func(t *testing.T) {
		e := newEnv(t, nil)
		b := newBrowser()
		b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
			s.Data.User = "ada"
			w.Write([]byte("hello"))
			s.Data.Items = []string{"late"}
		}), "GET", "/")
		if diff := cmp.Diff(map[string]int{"PutItem": 1, "UpdateItem": 1}, e.calls()); diff != "" {
			t.Errorf("calls mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(&Cart{User: "ada", Items: []string{"late"}}, e.stored(b.jar["sid"])); diff != "" {
			t.Errorf("stored mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("a new session after the body is an error, and nothing is stored", func(t *testing.T) {
		e := newEnv(t, nil)
		b := newBrowser()
		var regenErr error
		res := b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
			w.Write([]byte("hello"))
			s.Data.User = "ada"
			regenErr = s.Regenerate()
		}), "GET", "/")
		if got := body(res); got != "hello" {
			t.Errorf("body = %q, want the handler's", got)
		}
		if !errors.Is(regenErr, httpsession.ErrResponseStarted) {
			t.Errorf("Regenerate = %v, want ErrResponseStarted", regenErr)
		}
		if len(e.errs) != 1 || !errors.Is(e.errs[0], httpsession.ErrResponseStarted) {
			t.Errorf("ErrorHandler got %v, want one ErrResponseStarted", e.errs)
		}
		if diff := cmp.Diff(map[string]int{}, e.calls()); diff != "" {
			t.Errorf("calls mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("destroy after the body still deletes", func(t *testing.T) {
		e := newEnv(t, nil)
		b := newBrowser()
		b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
		id := b.jar["sid"]
		b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
			w.Write([]byte("bye"))
			s.Destroy()
		}), "GET", "/")
		if got := e.stored(id); got != nil {
			t.Errorf("stored after late Destroy: %+v", got)
		}
	})
}

// TestCookieBeforeBody: however the handler starts its response, the
// Set-Cookie header is in it. It runs a real server, whose ResponseWriter
// has the Flush, ReadFrom and 1xx behaviour the middleware must preserve.
func TestCookieBeforeBody(t *testing.T) {
	tests := []struct {
		name     string
		start    func(w http.ResponseWriter)
		wantCode int
	}{
		{"WriteHeader", func(w http.ResponseWriter) { w.WriteHeader(http.StatusCreated) }, 201},
		{"Write", func(w http.ResponseWriter) { w.Write([]byte("x")) }, 200},
		{"Flush", func(w http.ResponseWriter) { w.(http.Flusher).Flush() }, 200},
		{"ResponseController.Flush", func(w http.ResponseWriter) {
			if err := http.NewResponseController(w).Flush(); err != nil {
				panic(err)
			}
		}, 200},
		{"ReadFrom", func(w http.ResponseWriter) { w.(io.ReaderFrom).ReadFrom(strings.NewReader("x")) }, 200},
		{"Early Hints, then WriteHeader", func(w http.ResponseWriter) {
			w.Header().Set("Link", "</app.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusAccepted)
		}, 202},
		{"nothing at all", func(w http.ResponseWriter) {}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			srv := httptest.NewServer(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				s.Data.User = "ada"
				tt.start(w)
			}))
			defer srv.Close()
			res, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.wantCode {
				t.Errorf("status %d, want %d", res.StatusCode, tt.wantCode)
			}
			if len(res.Cookies()) != 1 || res.Cookies()[0].Name != "sid" {
				t.Errorf("cookies %v, want the session cookie", res.Cookies())
			}
		})
	}
}

// TestPanicSavesNothing: a handler that panics has not finished its work.
func TestPanicSavesNothing(t *testing.T) {
	e := newEnv(t, nil)
	h := e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
		s.Data.User = "ada"
		panic(http.ErrAbortHandler)
	})
	func() {
		defer func() { _ = recover() }()
		newBrowser().do(h, "GET", "/")
	}()
	if diff := cmp.Diff(map[string]int{}, e.calls()); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
}

func TestGetOutsideMiddlewarePanics(t *testing.T) {
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "Get[httpsession_test.Cart]") || !strings.Contains(msg, "Handler") {
			t.Errorf("panic = %q, want one naming the type and the missing middleware", msg)
		}
	}()
	httpsession.Get[Cart](httptest.NewRequest("GET", "/", nil))
}

// TestTouchFailureServesThePage: a touch is only the expiry's extension;
// when it fails the page is served, the failure logged, and the next
// request touches instead.
func TestTouchFailureServesThePage(t *testing.T) {
	var log strings.Builder
	e := newEnv(t, nil, func(o *httpsession.Options) { o.Logger = slog.New(slog.NewTextHandler(&log, nil)) })
	b := newBrowser()
	b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
	e.clock.Advance(2 * time.Hour)
	e.db.FailNext("UpdateItem", 1, errors.New("throttled"))
	e.calls()
	res := b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {}), "GET", "/")
	if res.StatusCode != 200 || len(e.errs) != 0 || facts(b, "").Sent {
		t.Errorf("status %d, errors %v, cookie sent %v; want 200, none, no cookie", res.StatusCode, e.errs, facts(b, "").Sent)
	}
	if !strings.Contains(log.String(), "touch failed") || !strings.Contains(log.String(), "throttled") {
		t.Errorf("log = %q, want the touch failure", log.String())
	}
	b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {}), "GET", "/")
	if diff := cmp.Diff(map[string]int{"GetItem": 2, "UpdateItem": 2}, e.calls()); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
	if !facts(b, "").Sent {
		t.Error("the retried touch sent no cookie")
	}
}

// must2 is must for calls that also return a value.
func must2(t *testing.T) func(any, error) {
	return func(_ any, err error) { t.Helper(); must(t, err) }
}

// TestHandlerContext: the request a handler gets carries the request's
// own context, its values, its cancellation (found by the context
// package: a child context is canceled with it at once, not by a
// goroutine watching it) and its cause, with the session added; an inner
// Manager of the same type wins over an outer one.
func TestHandlerContext(t *testing.T) {
	type key struct{}
	clientGone := errors.New("client hung up")
	type seen struct {
		Value         any
		User          string
		Err, Cause    error
		ChildCanceled bool
	}
	t.Run("request's context", func(t *testing.T) {
		e := newEnv(t, nil)
		b := newBrowser()
		b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
		ctx, hangUp := context.WithCancelCause(context.WithValue(context.Background(), key{}, "v"))
		defer hangUp(nil)
		r := mustRequest("GET", "https://example.com/").WithContext(ctx)
		r.Header.Set("Cookie", "sid="+b.jar["sid"])
		var got seen
		e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
			got.Value, got.User = r.Context().Value(key{}), s.Data.User
			child, stop := context.WithCancel(r.Context())
			defer stop()
			hangUp(clientGone)
			got.Err, got.Cause, got.ChildCanceled = r.Context().Err(), context.Cause(r.Context()), child.Err() != nil
		}).ServeHTTP(newRecorder(), r)
		want := seen{Value: "v", User: "ada", Err: context.Canceled, Cause: clientGone, ChildCanceled: true}
		if diff := cmp.Diff(want, got, cmpopts.EquateErrors()); diff != "" {
			t.Errorf("handler's context mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("nested managers", func(t *testing.T) {
		outer, inner := newEnv(t, nil), newEnv(t, nil)
		b := newBrowser()
		b.do(outer.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
		var innerID, outerID string
		b.do(outer.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
			outerID = s.ID()
			inner.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				innerID = s.ID()
			}).ServeHTTP(w, r)
		}), "GET", "/")
		// The inner repository has no such session: its State is a new one.
		if outerID == "" || innerID != "" {
			t.Errorf("outer handler saw ID %q, inner %q; want the session, then none", outerID, innerID)
		}
	})
}

// TestCanceledRequestLoadsNothing: a load keeps the request's
// cancellation (only saves are detached from it): a client gone before
// its session was read gets no read, and the ErrorHandler sees
// context.Canceled.
func TestCanceledRequestLoadsNothing(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser()
	b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
	e.calls()
	ctx, hangUp := context.WithCancel(context.Background())
	hangUp()
	r := mustRequest("GET", "https://example.com/").WithContext(ctx)
	r.Header.Set("Cookie", "sid="+b.jar["sid"])
	ran := false
	e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { ran = true }).ServeHTTP(newRecorder(), r)
	if ran || len(e.errs) != 1 || !errors.Is(e.errs[0], context.Canceled) {
		t.Errorf("handler ran %v, ErrorHandler got %v; want no handler and one error wrapping context.Canceled", ran, e.errs)
	}
}
