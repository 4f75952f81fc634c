package httpsession_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/httpsession"
)

// TestLateSaveFailsOnce: State.Save after the response started that
// fails returns its error to the handler, and then, as Save's doc says,
// the Manager writes nothing more for the request and does not call the
// ErrorHandler (found by a breaker: it saved again after the handler
// returned, and reported the same failure twice).
func TestLateSaveFailsOnce(t *testing.T) {
	tests := []struct {
		name      string
		versioned bool
		explicit  bool // Options.ExplicitSave
		stored    bool // the request carries a stored session
		handler   func(e *env, b *browser, w http.ResponseWriter, s *httpsession.State[Cart]) error
		want      error
		wantCalls map[string]int // after the load
	}{
		{
			name: "a new session's data after the response started",
			handler: func(_ *env, _ *browser, w http.ResponseWriter, s *httpsession.State[Cart]) error {
				_, _ = w.Write([]byte("ok"))
				s.Data.Items = []string{"book"}
				return s.Save()
			},
			want:      httpsession.ErrResponseStarted,
			wantCalls: map[string]int{},
		},
		{
			name:      "a conflict after the response started",
			versioned: true,
			stored:    true,
			handler: func(e *env, b *browser, w http.ResponseWriter, s *httpsession.State[Cart]) error {
				_, _ = w.Write([]byte("ok"))
				// Another request saves the session meanwhile.
				other := *b
				other.do(e.handler(func(_ http.ResponseWriter, _ *http.Request, s *httpsession.State[Cart]) {
					s.Data.User = "other tab"
				}), "GET", "/")
				e.db.ResetStats()
				s.Data.Items = append(s.Data.Items, "tea")
				return s.Save()
			},
			want:      dynamosession.ErrConflict,
			wantCalls: map[string]int{"UpdateItem": 1},
		},
		{
			name:      "a conflict after the response started, ExplicitSave",
			versioned: true,
			explicit:  true,
			stored:    true,
			handler: func(e *env, b *browser, w http.ResponseWriter, s *httpsession.State[Cart]) error {
				_, _ = w.Write([]byte("ok"))
				other := *b
				other.do(e.handler(func(_ http.ResponseWriter, _ *http.Request, s *httpsession.State[Cart]) {
					s.Data.User = "other tab"
					_ = s.Save()
				}), "GET", "/")
				e.db.ResetStats()
				s.Data.Items = append(s.Data.Items, "tea")
				return s.Save()
			},
			want:      dynamosession.ErrConflict,
			wantCalls: map[string]int{"UpdateItem": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(o *dynamosession.Options[Cart]) { o.Versioned = tt.versioned },
				func(o *httpsession.Options) { o.ExplicitSave = tt.explicit })
			b := newBrowser()
			if tt.stored {
				b.do(e.handler(func(_ http.ResponseWriter, _ *http.Request, s *httpsession.State[Cart]) {
					s.Data.Items = []string{"book"}
				}), "GET", "/")
			}
			var err error
			b.do(e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				e.db.ResetStats()
				err = tt.handler(e, b, w, httpsession.Get[Cart](r))
				if !errors.Is(err, tt.want) {
					t.Errorf("Save = %v, want an error wrapping %v", err, tt.want)
				}
				if diff := cmp.Diff(tt.wantCalls, e.calls()); diff != "" {
					t.Errorf("requests of the handler's Save mismatch (-want +got):\n%s", diff)
				}
			})), "GET", "/")
			if diff := cmp.Diff(0, len(e.db.Calls())); diff != "" {
				t.Errorf("requests after the handler returned mismatch (-want +got):\n%s\n%v", diff, e.db.Calls())
			}
			if len(e.errs) != 0 {
				t.Errorf("ErrorHandler called with %v; Save already returned %v to the handler", e.errs, err)
			}
		})
	}
}

// TestExplicitSaveNewSession: under ExplicitSave a new session's Data is
// stored as the response starts without State.Save, as documented; a
// change the handler makes after that, without Save, is not (found by a
// breaker: it was saved after the handler returned, unlike the same
// change to a session stored by an earlier request).
func TestExplicitSaveNewSession(t *testing.T) {
	tests := []struct {
		name      string
		handler   func(w http.ResponseWriter, s *httpsession.State[Cart])
		wantItems []string
		wantCalls map[string]int
	}{
		{
			name: "data set before the response, changed after it without Save",
			handler: func(w http.ResponseWriter, s *httpsession.State[Cart]) {
				s.Data.Items = []string{"book"}
				_, _ = w.Write([]byte("ok"))
				s.Data.Items = append(s.Data.Items, "tea")
			},
			wantItems: []string{"book"},
			wantCalls: map[string]int{"PutItem": 1},
		},
		{
			name: "changed after the response with Save",
			handler: func(w http.ResponseWriter, s *httpsession.State[Cart]) {
				s.Data.Items = []string{"book"}
				_, _ = w.Write([]byte("ok"))
				s.Data.Items = append(s.Data.Items, "tea")
				if err := s.Save(); err != nil {
					panic(err)
				}
			},
			wantItems: []string{"book", "tea"},
			wantCalls: map[string]int{"PutItem": 1, "UpdateItem": 1},
		},
		{
			name: "data set and never changed",
			handler: func(w http.ResponseWriter, s *httpsession.State[Cart]) {
				s.Data.Items = []string{"book"}
			},
			wantItems: []string{"book"},
			wantCalls: map[string]int{"PutItem": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, func(o *httpsession.Options) { o.ExplicitSave = true })
			b := newBrowser()
			b.do(e.handler(func(w http.ResponseWriter, _ *http.Request, s *httpsession.State[Cart]) { tt.handler(w, s) }), "GET", "/")
			if diff := cmp.Diff(tt.wantCalls, e.calls()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
			var got []string
			if c := e.stored(b.jar["sid"]); c != nil {
				got = c.Items
			}
			if diff := cmp.Diff(tt.wantItems, got); diff != "" {
				t.Errorf("stored items mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
