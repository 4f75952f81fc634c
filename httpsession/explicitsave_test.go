package httpsession_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/httpsession"
)

// TestExplicitSave: under Options.ExplicitSave a stored session's Data
// is written only in a request that called State.Save, before or after
// the response started (and changes made after Save too); Regenerate and
// Destroy still act, and a due touch still extends the expiry. Without
// the option the Manager finds the change itself.
func TestExplicitSave(t *testing.T) {
	tests := []struct {
		name      string
		marked    bool // Options.ExplicitSave
		handler   func(w http.ResponseWriter, s *httpsession.State[Cart])
		wantItems []string // stored afterwards; nil when the session is gone
		wantCalls map[string]int
	}{
		{
			name:   "a change without State.Save is not written",
			marked: true,
			handler: func(w http.ResponseWriter, s *httpsession.State[Cart]) {
				s.Data.Items = append(s.Data.Items, "tea")
				_, _ = w.Write([]byte("ok"))
			},
			wantItems: []string{"book"},
			wantCalls: map[string]int{"GetItem": 1},
		},
		{
			name:   "a change saved with State.Save is written",
			marked: true,
			handler: func(w http.ResponseWriter, s *httpsession.State[Cart]) {
				s.Data.Items = append(s.Data.Items, "tea")
				if err := s.Save(); err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
				}
			},
			wantItems: []string{"book", "tea"},
			wantCalls: map[string]int{"GetItem": 1, "UpdateItem": 1},
		},
		{
			name:   "a change saved after the response started is written",
			marked: true,
			handler: func(w http.ResponseWriter, s *httpsession.State[Cart]) {
				_, _ = w.Write([]byte("ok"))
				s.Data.Items = append(s.Data.Items, "tea")
				if err := s.Save(); err != nil {
					panic(err) // the response has started: nothing else can report it
				}
			},
			wantItems: []string{"book", "tea"},
			wantCalls: map[string]int{"GetItem": 1, "UpdateItem": 1},
		},
		{
			name:   "a change made after State.Save is written at the end of the request",
			marked: true,
			handler: func(w http.ResponseWriter, s *httpsession.State[Cart]) {
				s.Data.Items = append(s.Data.Items, "tea")
				if err := s.Save(); err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				s.Data.Items = append(s.Data.Items, "milk")
			},
			wantItems: []string{"book", "tea", "milk"},
			wantCalls: map[string]int{"GetItem": 1, "UpdateItem": 2},
		},
		{
			name:      "Destroy still deletes",
			marked:    true,
			handler:   func(w http.ResponseWriter, s *httpsession.State[Cart]) { s.Destroy() },
			wantCalls: map[string]int{"GetItem": 1, "DeleteItem": 1},
		},
		{
			name: "without the option a change is found",
			handler: func(w http.ResponseWriter, s *httpsession.State[Cart]) {
				s.Data.Items = append(s.Data.Items, "tea")
				_, _ = w.Write([]byte("ok"))
			},
			wantItems: []string{"book", "tea"},
			wantCalls: map[string]int{"GetItem": 1, "UpdateItem": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, func(o *httpsession.Options) { o.ExplicitSave = tt.marked })
			b := newBrowser()
			b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				s.Data = Cart{User: "ada", Items: []string{"book"}} // a new session is stored without State.Save
			}), http.MethodGet, "/login")
			id := b.jar["sid"]
			if e.stored(id) == nil {
				t.Fatal("the new session was not stored")
			}
			e.calls()
			b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { tt.handler(w, s) }), http.MethodGet, "/")
			if diff := cmp.Diff(tt.wantCalls, e.calls()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
			var got []string
			if c := e.stored(id); c != nil {
				got = c.Items
			}
			if diff := cmp.Diff(tt.wantItems, got); diff != "" {
				t.Errorf("stored items mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExplicitSaveTouches: a request that changes nothing still
// extends the expiry when the touch is due, and sends the cookie again.
func TestExplicitSaveTouches(t *testing.T) {
	e := newEnv(t, nil, func(o *httpsession.Options) { o.ExplicitSave = true })
	b := newBrowser()
	b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
		s.Data.User = "ada"
	}), http.MethodGet, "/login")
	id := b.jar["sid"]
	e.clock.Advance(2 * time.Hour) // past the one-hour touch interval
	e.calls()
	b.setCookie = nil
	b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
		_, _ = w.Write([]byte(s.Data.User))
	}), http.MethodGet, "/")
	if diff := cmp.Diff(map[string]int{"GetItem": 1, "UpdateItem": 1}, e.calls()); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
	if len(b.setCookie) != 1 || b.setCookie[0].Value != id {
		t.Errorf("cookies sent = %v, want the session's again (its expiry moved)", b.setCookie)
	}
}

// TestTouchTimeout: the commit's context, whose timer is made only when a
// request needs it, still bounds a due touch by Options.Timeout: the touch
// fails with context.DeadlineExceeded (reported to the Logger, the page
// served) rather than waiting for a DynamoDB that does not answer.
func TestTouchTimeout(t *testing.T) {
	for _, marked := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "marked changes only"}[marked], func(t *testing.T) {
			var log bytes.Buffer
			e := newEnv(t, nil, func(o *httpsession.Options) {
				o.Timeout = 20 * time.Millisecond
				o.Logger = slog.New(slog.NewTextHandler(&log, nil))
				o.ExplicitSave = marked
			})
			b := newBrowser()
			b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), http.MethodGet, "/")
			e.clock.Advance(2 * time.Hour) // the touch is due
			res := b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				e.db.SetLatency(5 * time.Second) // after the load: only the touch hangs
			}), http.MethodGet, "/")
			e.db.SetLatency(0)
			if res.StatusCode != http.StatusOK || len(e.errs) != 0 {
				t.Errorf("status %d, errors %v; want 200 and none", res.StatusCode, e.errs)
			}
			if got := log.String(); !strings.Contains(got, "touch failed") || !strings.Contains(got, context.DeadlineExceeded.Error()) {
				t.Errorf("log = %q, want a touch that failed with %v", got, context.DeadlineExceeded)
			}
		})
	}
}
