package httpsession_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/express"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/httpsession"
)

// createsSession reports whether a handler that sets data to v makes a
// Manager[T] store a new session.
func createsSession[T any](t *testing.T, v T) bool {
	t.Helper()
	db := fake.New()
	createTable(t, db)
	repo, err := dynamosession.New[T](db, table)
	if err != nil {
		t.Fatal(err)
	}
	m, err := httpsession.New(repo)
	if err != nil {
		t.Fatal(err)
	}
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpsession.Get[T](r).Data = v
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	return db.Stats().Calls["PutItem"] == 1
}

// TestWhatCountsAsData: a new session is stored only once its Data holds
// something.
func TestWhatCountsAsData(t *testing.T) {
	type flags struct{ Seen bool }
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"zero struct", createsSession(t, Cart{}), false},
		{"struct with a field set", createsSession(t, Cart{User: "ada"}), true},
		{"struct with an empty, non-nil slice", createsSession(t, Cart{Items: []string{}}), true},
		{"struct with a false bool", createsSession(t, flags{}), false},
		{"struct with a true bool", createsSession(t, flags{Seen: true}), true},
		{"nil map", createsSession[map[string]any](t, nil), false},
		{"empty map", createsSession(t, map[string]any{}), false},
		{"map with a key", createsSession(t, map[string]any{"user": "ada"}), true},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: session created = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestStateAccessors follows ID, IsNew and ExpiresAt through one request
// that logs out and in again.
func TestStateAccessors(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser()
	b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
	old := b.jar["sid"]
	e.clock.Advance(time.Minute)
	type view struct {
		ID        string
		IsNew     bool
		ExpiresAt time.Time
	}
	var got []view
	look := func(s *httpsession.State[Cart]) { got = append(got, view{s.ID(), s.ID() == "", s.ExpiresAt()}) }
	b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
		look(s)
		s.Destroy()
		look(s)
		s.Data.User = "grace" // logs in as someone else: a new session
		w.WriteHeader(http.StatusNoContent)
		look(s)
	}), "GET", "/")
	if b.jar["sid"] == old || b.jar["sid"] == "" {
		t.Fatalf("cookie %q after logout and login, want a new one", b.jar["sid"])
	}
	want := []view{
		{old, false, t0.Add(24 * time.Hour)},
		{"", true, time.Time{}},
		{b.jar["sid"], false, t0.Add(24*time.Hour + time.Minute)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if e.stored(old) != nil {
		t.Error("old session still stored")
	}
	if diff := cmp.Diff(&Cart{User: "grace"}, e.stored(b.jar["sid"])); diff != "" {
		t.Errorf("new session mismatch (-want +got):\n%s", diff)
	}
}

// TestRegenerateNewSession: Regenerate stores a session even with empty
// Data: the handler asked for an ID.
func TestRegenerateNewSession(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser()
	b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Regenerate() }), "GET", "/")
	if diff := cmp.Diff(map[string]int{"PutItem": 1}, e.calls()); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
	if b.jar["sid"] == "" {
		t.Error("no cookie")
	}
}

// TestDestroyCreatedAfterBody: a session created as the response started
// and destroyed after it is deleted when the handler returns.
func TestDestroyCreatedAfterBody(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser()
	b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
		s.Data.User = "ada"
		w.Write([]byte("hi"))
		s.Destroy()
	}), "GET", "/")
	if diff := cmp.Diff(map[string]int{"PutItem": 1, "DeleteItem": 1}, e.calls()); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
	if got := e.stored(b.jar["sid"]); got != nil {
		t.Errorf("stored: %+v", got)
	}
}

// TestResponseControllerReachesTheServer: deadlines and the like go
// through Unwrap to the server's own ResponseWriter.
func TestResponseControllerReachesTheServer(t *testing.T) {
	e := newEnv(t, nil)
	var deadlineErr error
	srv := httptest.NewServer(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
		deadlineErr = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute))
	}))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if deadlineErr != nil {
		t.Errorf("SetWriteDeadline through the middleware: %v", deadlineErr)
	}
}

// TestExpressBrowserSessionCookie: with a browser-session cookie the
// cookie object Go stores has no expiry, as express-session's has none.
func TestExpressBrowserSessionCookie(t *testing.T) {
	db := fake.New()
	createTable(t, db)
	repo, err := dynamosession.New[ExpressCart](db, table)
	if err != nil {
		t.Fatal(err)
	}
	m, err := httpsession.New(repo, func(o *httpsession.Options) {
		o.ExpressSecrets, o.MaxAge, o.SameSite = []string{"s"}, -1, http.SameSiteStrictMode
	})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	rec := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := httpsession.Get[ExpressCart](r)
		s.Data.User.Name = "ada"
		w.WriteHeader(http.StatusNoContent)
		id = s.ID()
	})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	s, err := repo.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := &express.Cookie{Secure: true, HTTPOnly: true, Path: "/", SameSite: "strict"}
	if diff := cmp.Diff(want, s.Data.Cookie); diff != "" {
		t.Errorf("cookie object mismatch (-want +got):\n%s", diff)
	}
	wantHeader := "connect.sid=" + express.CookieValue(id, "s") + "; Path=/; HttpOnly; Secure; SameSite=Strict"
	if got := rec.Header().Get("Set-Cookie"); got != wantHeader {
		t.Errorf("Set-Cookie %q, want %q", got, wantHeader)
	}
}

// TestExpressSignedGarbage: a validly signed ID that cannot be a key (a
// control character, an absurd length) is refused without a request.
func TestExpressSignedGarbage(t *testing.T) {
	for name, id := range map[string]string{"control character": "a\x01b", "too long": string(make([]byte, 300))} {
		t.Run(name, func(t *testing.T) {
			db := fake.New()
			createTable(t, db)
			repo, _ := dynamosession.New[ExpressCart](db, table)
			m, err := httpsession.New(repo, func(o *httpsession.Options) { o.ExpressSecrets = []string{"s"} })
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Cookie", "connect.sid="+express.CookieValue(id, "s"))
			m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(httptest.NewRecorder(), r)
			if n := db.Stats().Calls["GetItem"]; n != 0 {
				t.Errorf("%d GetItem calls, want none", n)
			}
		})
	}
}

// TestDroppedWrite: when a concurrent logout wins over a request's save,
// the write is dropped and reported to the Logger; a handler whose answer
// depends on it saves explicitly first and learns the outcome from
// State.Save.
func TestDroppedWrite(t *testing.T) {
	tests := []struct {
		name      string
		explicit  bool // the handler calls State.Save before answering
		wantCode  int
		wantSaved error
	}{
		{"implicit save: reported to the Logger", false, http.StatusCreated, nil},
		{"explicit save: the handler answers accordingly", true, http.StatusGone, dynamosession.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log strings.Builder
			e := newEnv(t, nil, func(o *httpsession.Options) { o.Logger = slog.New(slog.NewTextHandler(&log, nil)) })
			b := newBrowser()
			b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
			id := b.jar["sid"]
			other := newBrowser()
			other.jar["sid"] = id
			var saveErr error
			res := b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				other.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Destroy() }), "POST", "/logout")
				s.Data.Items = append(s.Data.Items, "book")
				if tt.explicit {
					if saveErr = s.Save(); errors.Is(saveErr, dynamosession.ErrNotFound) {
						http.Error(w, "signed out meanwhile", http.StatusGone)
						return
					}
				}
				w.WriteHeader(http.StatusCreated)
			}), "POST", "/cart")
			if res.StatusCode != tt.wantCode {
				t.Errorf("status %d, want %d", res.StatusCode, tt.wantCode)
			}
			if !errors.Is(saveErr, tt.wantSaved) || (tt.wantSaved == nil) != (saveErr == nil) {
				t.Errorf("State.Save = %v, want %v", saveErr, tt.wantSaved)
			}
			if !strings.Contains(log.String(), "dropped") {
				t.Errorf("log %q, want the dropped write", log.String())
			}
			if !facts(b, id).Cleared {
				t.Error("cookie not cleared after the logout won")
			}
			if e.stored(id) != nil || len(e.errs) > 0 {
				t.Errorf("stored %+v, errors %v; want nothing, none", e.stored(id), e.errs)
			}
		})
	}
}

// TestStateSave: an explicit save stores the session before the handler
// answers, sends the cookie with the response, and leaves later changes
// to the save after the handler returns.
func TestStateSave(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser()
	var first, second error
	res := b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
		s.Data.User = "ada"
		first = s.Save()
		s.Data.Items = []string{"book"}
		second = s.Save()
		s.Data.Items = append(s.Data.Items, "pen")
		w.WriteHeader(http.StatusCreated)
	}), "POST", "/")
	if first != nil || second != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("Save = %v, then %v; status %d; want nil, nil, 201", first, second, res.StatusCode)
	}
	if diff := cmp.Diff(map[string]int{"PutItem": 1, "UpdateItem": 2}, e.calls()); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&Cart{User: "ada", Items: []string{"book", "pen"}}, e.stored(b.jar["sid"])); diff != "" {
		t.Errorf("stored mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(res.Header.Get("Cache-Control"), "private") {
		t.Errorf("Cache-Control %q on a response setting a cookie", res.Header.Get("Cache-Control"))
	}
}
