package httpsession_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
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
	look := func(s *httpsession.State[Cart]) { got = append(got, view{s.ID(), s.IsNew(), s.ExpiresAt()}) }
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
	want := &httpsession.ExpressCookie{Secure: true, HTTPOnly: true, Path: "/", SameSite: "strict"}
	if diff := cmp.Diff(want, s.Data.Cookie); diff != "" {
		t.Errorf("cookie object mismatch (-want +got):\n%s", diff)
	}
	wantHeader := "connect.sid=" + httpsession.ExpressCookieValue(id, "s") + "; Path=/; HttpOnly; Secure; SameSite=Strict"
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
			r.Header.Set("Cookie", "connect.sid="+httpsession.ExpressCookieValue(id, "s"))
			m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(httptest.NewRecorder(), r)
			if n := db.Stats().Calls["GetItem"]; n != 0 {
				t.Errorf("%d GetItem calls, want none", n)
			}
		})
	}
}
