package httpsession_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/httpsession"
	"github.com/dynamosession/dynamosession/internal/sessionid"
)

// TestUndecodableSession: a stored session that nothing can decode (a
// deploy changed the session type) is, by default, dropped for a fresh
// session with a log line and a word to the handler, never an error page
// on every request; the strict policy answers through the ErrorHandler.
func TestUndecodableSession(t *testing.T) {
	type outcome struct {
		Status     int
		Ran        bool
		Dropped    bool // State.Dropped returned the *DecodeError
		IsNew      bool
		Cleared    bool // the cookie was cleared
		Replaced   bool // a new session's cookie was sent
		RecordKept bool
		Logged     bool
		Errors     int
	}
	tests := []struct {
		name   string
		policy dynamosession.UndecodablePolicy
		signIn bool // the handler stores something: a new session
		want   outcome
	}{
		{"default: fresh session, record kept, cookie cleared", dynamosession.KeepUndecodable, false,
			outcome{Status: 200, Ran: true, Dropped: true, IsNew: true, Cleared: true, RecordKept: true, Logged: true}},
		{"default: the handler signs in again, cookie replaced", dynamosession.KeepUndecodable, true,
			outcome{Status: 200, Ran: true, Dropped: true, IsNew: true, Replaced: true, RecordKept: true, Logged: true}},
		{"delete: the record goes", dynamosession.DeleteUndecodable, false,
			outcome{Status: 200, Ran: true, Dropped: true, IsNew: true, Cleared: true, Logged: true}},
		{"strict: 500 through the ErrorHandler", dynamosession.FailUndecodable, false,
			outcome{Status: 500, RecordKept: true, Errors: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log strings.Builder
			e := newEnv(t, nil, func(o *httpsession.Options) {
				o.Undecodable = tt.policy
				o.Logger = slog.New(slog.NewTextHandler(&log, nil))
			})
			id := sessionid.New()
			// Items was a list of strings; a deploy made it a number.
			must(t, e.db.PutRaw(table, map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: "session#" + id},
				"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(t0.Add(time.Hour).Unix())},
				"sess": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
					"items": &types.AttributeValueMemberN{Value: "3"},
				}},
			}))
			b := newBrowser()
			b.jar["sid"] = id
			var got outcome
			res := b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				got.Ran, got.IsNew = true, s.ID() == ""
				var de *dynamosession.DecodeError
				got.Dropped = errors.As(s.Dropped(), &de) && de.ID == id
				if tt.signIn {
					s.Data.User = "ada"
				}
			}), "GET", "/")
			got.Status = res.StatusCode
			for _, c := range b.setCookie {
				got.Cleared = got.Cleared || c.MaxAge < 0
				got.Replaced = got.Replaced || (c.MaxAge > 0 && c.Value != id)
			}
			got.RecordKept = e.raw("session#"+id) != nil
			got.Logged = strings.Contains(log.String(), "cannot decode")
			got.Errors = len(e.errs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s\nlog: %s", diff, log.String())
			}
			if strings.Contains(log.String(), id) {
				t.Errorf("log holds the whole session ID: %s", log.String())
			}
			if tt.policy == dynamosession.FailUndecodable {
				var de *dynamosession.DecodeError
				if len(e.errs) != 1 || !errors.As(e.errs[0], &de) {
					t.Errorf("ErrorHandler got %v, want a *DecodeError", e.errs)
				}
			}
		})
	}
}

// TestUndecodableOncePerRecord: under the default policy the second
// request does not read the undecodable record again: the cookie that
// named it was cleared.
func TestUndecodableOncePerRecord(t *testing.T) {
	e := newEnv(t, nil)
	id := sessionid.New()
	must(t, e.db.PutRaw(table, map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: "session#" + id},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(t0.Add(time.Hour).Unix())},
		"sess":    &types.AttributeValueMemberS{Value: `{"items":`},
	}))
	b := newBrowser()
	b.jar["sid"] = id
	for range 3 {
		b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {}), "GET", "/")
	}
	if diff := cmp.Diff(map[string]int{"GetItem": 1}, e.calls()); diff != "" {
		t.Errorf("calls over three requests mismatch (-want +got):\n%s", diff)
	}
}
