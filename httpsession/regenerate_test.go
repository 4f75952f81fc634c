package httpsession_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/httpsession"
)

// TestRequestInFlightDuringLogin: a request the browser sent with the old
// cookie before the login's response arrived (a poll, a prefetch, a second
// tab) must not log the user out of the session the login created, must
// not act as a session itself, and must learn nothing of the new ID.
func TestRequestInFlightDuringLogin(t *testing.T) {
	type outcome struct {
		Status      int
		SetCookie   []string // what the stale request's response sent
		SawSession  bool     // the stale request's handler saw stored data
		SawID       string
		NewSession  *Cart // the login's session afterwards
		OldReads    string
		Logged      bool // a dropped change went to the Logger
		StoredCalls map[string]int
	}
	login := func(s *httpsession.State[Cart]) {
		if err := s.Regenerate(); err != nil {
			panic(err) // the response has not started
		}
		s.Data.User = "ada"
	}
	tests := []struct {
		name string
		// before: the stale request loads its session before the login
		// runs (inside its handler), instead of arriving after it.
		before   bool
		advance  time.Duration // between the login and the stale request
		stale    func(s *httpsession.State[Cart])
		want     outcome
		wantLogs bool
	}{
		{
			name:  "arrives after the login, reads",
			stale: func(s *httpsession.State[Cart]) {},
			want:  outcome{Status: 200, NewSession: &Cart{User: "ada", Items: []string{"book"}}, OldReads: "superseded", StoredCalls: map[string]int{"GetItem": 1}},
		},
		{
			name:     "arrives after the login, sets data",
			stale:    func(s *httpsession.State[Cart]) { s.Data.Items = []string{"from the stale tab"} },
			want:     outcome{Status: 200, NewSession: &Cart{User: "ada", Items: []string{"book"}}, OldReads: "superseded", Logged: true, StoredCalls: map[string]int{"GetItem": 1}},
			wantLogs: true,
		},
		{
			name:     "arrives after the login, logs in again",
			stale:    login,
			want:     outcome{Status: 200, NewSession: &Cart{User: "ada", Items: []string{"book"}}, OldReads: "superseded", Logged: true, StoredCalls: map[string]int{"GetItem": 1}},
			wantLogs: true,
		},
		{
			name:   "loaded before the login, saves after it",
			before: true,
			stale:  func(s *httpsession.State[Cart]) { s.Data.Items = append(s.Data.Items, "from the stale tab") },
			want: outcome{Status: 200, SawSession: true, NewSession: &Cart{User: "ada", Items: []string{"book"}}, OldReads: "superseded", Logged: true,
				// The failed save, and the strong read that tells a
				// regeneration from a logout.
				StoredCalls: map[string]int{"UpdateItem": 1, "GetItem": 1}},
			wantLogs: true,
		},
		{
			name:   "loaded before the login, touch due",
			before: true,
			stale:  func(s *httpsession.State[Cart]) {},
			want:   outcome{Status: 200, SawSession: true, NewSession: &Cart{User: "ada", Items: []string{"book"}}, OldReads: "superseded", StoredCalls: map[string]int{"UpdateItem": 1}},
		},
		{
			name:    "after the grace period the old cookie is dead",
			advance: 31 * time.Second,
			stale:   func(s *httpsession.State[Cart]) {},
			want: outcome{Status: 200, NewSession: &Cart{User: "ada", Items: []string{"book"}}, OldReads: "expired",
				SetCookie:   []string{"sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Lax"},
				StoredCalls: map[string]int{"GetItem": 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log strings.Builder
			e := newEnv(t, nil, func(o *httpsession.Options) { o.Logger = slog.New(slog.NewTextHandler(&log, nil)) })
			b := newBrowser()
			b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				s.Data.Items = []string{"book"}
			}), "GET", "/")
			old := b.jar["sid"]
			e.clock.Advance(2 * time.Hour) // so that a read wants to touch
			stale := newBrowser()
			stale.jar["sid"] = old
			var got outcome
			staleHandler := func(inner func()) http.Handler {
				return e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
					got.SawSession, got.SawID = s.ID() != "", s.ID()
					if inner != nil {
						inner()
						e.calls()
					}
					tt.stale(s)
				})
			}
			doLogin := func() {
				b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { login(s) }), "POST", "/login")
				e.clock.Advance(tt.advance)
			}
			var res *http.Response
			if tt.before {
				res = stale.do(staleHandler(doLogin), "GET", "/poll")
			} else {
				doLogin()
				e.calls()
				res = stale.do(staleHandler(nil), "GET", "/poll")
			}
			newID := b.jar["sid"]
			if newID == old || newID == "" {
				t.Fatalf("login cookie %q, want a new ID", newID)
			}
			got.Status = res.StatusCode
			got.SetCookie = res.Header.Values("Set-Cookie")
			got.StoredCalls = e.calls()
			got.NewSession = e.stored(newID)
			switch _, err := e.repo.Get(context.Background(), old); {
			case errors.Is(err, dynamosession.ErrSuperseded):
				got.OldReads = "superseded"
			case errors.Is(err, dynamosession.ErrExpired):
				got.OldReads = "expired"
			default:
				got.OldReads = errString(err)
			}
			got.Logged = strings.Contains(log.String(), "dropped")
			want := tt.want
			if want.SawSession {
				want.SawID = old
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s\nlog: %s", diff, log.String())
			}
			if strings.Contains(log.String(), old) || strings.Contains(log.String(), newID) {
				t.Errorf("log holds a whole session ID: %s", log.String())
			}
			if len(e.errs) > 0 {
				t.Errorf("ErrorHandler got %v", e.errs)
			}
		})
	}
}
