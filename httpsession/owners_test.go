package httpsession_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/httpsession"
)

// newOwnerEnv is newEnv with owners on (the owner is Cart.User) and a
// table that has the owner index ListOwner and RevokeOwner query.
func newOwnerEnv(t *testing.T, repoOpt func(*dynamosession.Options[Cart])) *env {
	t.Helper()
	e := newEnv(t, func(o *dynamosession.Options[Cart]) {
		o.Owner = func(c *Cart) string { return c.User }
		if repoOpt != nil {
			repoOpt(o)
		}
	})
	withOwnerIndex(t, e)
	return e
}

// withOwnerIndex replaces newEnv's table, which has no index, with one
// that has the owner index (keys only, as dynamosession.Options.OwnerIndex
// documents). The repository names the table only, so it follows.
func withOwnerIndex(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)}); err != nil {
		t.Fatal(err)
	}
	in := createTableInput(table)
	in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("owner"), AttributeType: types.ScalarAttributeTypeS})
	in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
		IndexName:  aws.String("owner-index"),
		KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("owner"), KeyType: types.KeyTypeHash}},
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
	}}
	if _, err := e.db.CreateTable(ctx, in); err != nil {
		t.Fatal(err)
	}
	e.db.ResetStats()
}

// devices is a site with sign-in, a device list and "sign out other
// devices", over e's manager.
func (e *env) devices() http.Handler {
	return e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
		switch r.URL.Path {
		case "/login":
			if err := s.Regenerate(); err != nil {
				e.t.Fatal(err)
			}
			s.Data.User = r.URL.Query().Get("user")
		case "/whoami":
			fmt.Fprintf(w, "user=%q", s.Data.User)
		case "/list":
			list, err := s.OwnerSessions()
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			for _, os := range list {
				fmt.Fprintf(w, "%s current=%v\n", os.RedactedID, os.Current)
			}
		case "/revoke-others":
			rev, err := s.RevokeOthers()
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			fmt.Fprintf(w, "ended=%d dead=%d", rev.Ended, rev.Dead)
		}
	})
}

// spent returns the calls and the read and write units (index writes
// included) the fake counted since the last reset, and resets.
func (e *env) spent() (map[string]int, string) {
	st := e.db.Stats()
	return e.calls(), fmt.Sprintf("%.1f RU %.1f WU", st.ReadUnits, st.WriteUnits)
}

func redacted(id string) string { return id[:6] + "…" }

// TestRevokeOthers: a user signed in on three devices lists them from one
// (marked as the current one), signs the two others out, and keeps
// working there; the others' next requests find no session, and another
// user's session is untouched.
func TestRevokeOthers(t *testing.T) {
	e := newOwnerEnv(t, nil)
	h := e.devices()
	a, b, c, bob := newBrowser(), newBrowser(), newBrowser(), newBrowser()
	for _, sign := range []struct {
		b    *browser
		user string
	}{{a, "ada"}, {b, "ada"}, {c, "ada"}, {bob, "bob"}} {
		sign.b.do(h, "GET", "/login?user="+sign.user)
		if sign.b.jar["sid"] == "" {
			t.Fatalf("sign-in as %s set no cookie", sign.user)
		}
	}
	e.spent()

	res := a.do(h, "GET", "/list")
	var want []string
	for _, d := range []*browser{a, b, c} {
		want = append(want, fmt.Sprintf("%s current=%v", redacted(d.jar["sid"]), d == a))
	}
	got := strings.Split(strings.TrimSpace(body(res)), "\n")
	// All three were written at the same instant: the order is the
	// redacted IDs', which are random.
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(x, y string) bool { return x < y })); diff != "" {
		t.Errorf("list from device A mismatch (-want +got):\n%s", diff)
	}
	// The page's read, one Query, one BatchGetItem of the three items.
	calls, units := e.spent()
	if diff := cmp.Diff(map[string]int{"GetItem": 1, "Query": 1, "BatchGetItem": 1}, calls); diff != "" {
		t.Errorf("listing calls mismatch (-want +got):\n%s", diff)
	}
	if got, want := units, "2.5 RU 0.0 WU"; got != want {
		t.Errorf("listing cost %s, want %s (0.5 read, 0.5 query, 3 × 0.5 items)", got, want)
	}

	if got, want := body(a.do(h, "POST", "/revoke-others")), "ended=2 dead=0"; got != want {
		t.Errorf("revoke from A = %q, want %q", got, want)
	}
	calls, units = e.spent()
	if diff := cmp.Diff(map[string]int{"GetItem": 1, "Query": 1, "DeleteItem": 2}, calls); diff != "" {
		t.Errorf("revocation calls mismatch (-want +got):\n%s", diff)
	}
	if got, want := units, "1.0 RU 4.0 WU"; got != want {
		t.Errorf("revocation cost %s, want %s (0.5 read, 0.5 query; 2 deletes of 1 table and 1 index unit)", got, want)
	}

	for _, tc := range []struct {
		name     string
		b        *browser
		wantUser string
		signedIn bool
	}{
		{"device A keeps its session", a, "ada", true},
		{"device B is signed out", b, "", false},
		{"device C is signed out", c, "", false},
		{"another user is untouched", bob, "bob", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.b.jar["sid"]
			if got, want := body(tc.b.do(h, "GET", "/whoami")), fmt.Sprintf("user=%q", tc.wantUser); got != want {
				t.Errorf("whoami = %s, want %s", got, want)
			}
			if kept := tc.b.jar["sid"] == before; kept != tc.signedIn {
				t.Errorf("cookie kept = %v, want %v (a revoked device's cookie is cleared)", kept, tc.signedIn)
			}
		})
	}
	if got, want := strings.TrimSpace(body(a.do(h, "GET", "/list"))), redacted(a.jar["sid"])+" current=true"; got != want {
		t.Errorf("list after the revocation = %q, want %q", got, want)
	}
}

// TestRevokeOthersKeepsARegeneratedSession: a password change rotates the
// current session's ID (Regenerate, then Save stores it) and signs out
// the other devices; the new ID is the one kept.
func TestRevokeOthersKeepsARegeneratedSession(t *testing.T) {
	e := newOwnerEnv(t, nil)
	h := e.devices()
	a, b := newBrowser(), newBrowser()
	a.do(h, "GET", "/login?user=ada")
	b.do(h, "GET", "/login?user=ada")
	old := a.jar["sid"]

	var rev dynamosession.Revocation
	var revErr error
	change := e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
		if err := s.Regenerate(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RevokeOthers(); !errors.Is(err, dynamosession.ErrInvalidOwner) {
			t.Errorf("RevokeOthers before the regenerated session is saved = %v, want ErrInvalidOwner", err)
		}
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		rev, revErr = s.RevokeOthers()
	})
	a.do(change, "POST", "/password")
	if revErr != nil || rev.Ended != 1 {
		t.Errorf("RevokeOthers after Regenerate and Save = %+v, %v; want 1 ended", rev, revErr)
	}
	if a.jar["sid"] == old || a.jar["sid"] == "" {
		t.Fatalf("device A's cookie %q after the password change, want a new ID", a.jar["sid"])
	}
	if got := body(a.do(h, "GET", "/whoami")); got != `user="ada"` {
		t.Errorf("device A with its new ID: %s, want ada", got)
	}
	if got := body(b.do(h, "GET", "/whoami")); got != `user=""` {
		t.Errorf("device B: %s, want signed out", got)
	}
}

// TestRevokeOthersOutlivesTheClient: the client hanging up after asking
// does not cut the revocation short.
func TestRevokeOthersOutlivesTheClient(t *testing.T) {
	e := newOwnerEnv(t, nil)
	h := e.devices()
	a, b := newBrowser(), newBrowser()
	a.do(h, "GET", "/login?user=ada")
	b.do(h, "GET", "/login?user=ada")

	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	var rev dynamosession.Revocation
	var revErr error
	revoke := e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
		hangUp()
		rev, revErr = s.RevokeOthers()
	})
	r := httptest.NewRequest("POST", "https://example.com/revoke-others", nil).WithContext(ctx)
	r.Header.Set("Cookie", "sid="+a.jar["sid"])
	revoke.ServeHTTP(httptest.NewRecorder(), r)
	if revErr != nil || rev.Ended != 1 {
		t.Errorf("RevokeOthers after the client hung up = %+v, %v; want 1 ended", rev, revErr)
	}
}

// TestOwnerHelpersWithoutOwner: a request whose session has no stored
// owner gets dynamosession.ErrInvalidOwner from both helpers, and nothing is sent.
func TestOwnerHelpersWithoutOwner(t *testing.T) {
	tests := []struct {
		name    string
		noOwner bool // the repository has no Options.Owner
		setup   string
		handle  func(s *httpsession.State[Cart])
	}{
		{name: "a visitor", handle: func(*httpsession.State[Cart]) {}},
		{name: "a session stored without an owner", setup: "/anonymous", handle: func(*httpsession.State[Cart]) {}},
		{name: "a session destroyed in this request", setup: "/login?user=ada", handle: func(s *httpsession.State[Cart]) { s.Destroy() }},
		{name: "a session regenerated and not saved", setup: "/login?user=ada", handle: func(s *httpsession.State[Cart]) { s.Regenerate() }},
		{name: "a repository without Options.Owner", noOwner: true, setup: "/login?user=ada", handle: func(*httpsession.State[Cart]) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e *env
			if tt.noOwner {
				e = newEnv(t, nil)
				withOwnerIndex(t, e)
			} else {
				e = newOwnerEnv(t, nil)
			}
			site := e.devices()
			anonymous := e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				s.Data.Items = []string{"apple"}
			})
			br := newBrowser()
			switch tt.setup {
			case "/anonymous":
				br.do(anonymous, "GET", tt.setup)
			case "":
			default:
				br.do(site, "GET", tt.setup)
			}
			var listErr, revokeErr error
			h := e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				tt.handle(s)
				e.calls()
				_, listErr = s.OwnerSessions()
				_, revokeErr = s.RevokeOthers()
				if c := e.calls(); len(c) != 0 {
					t.Errorf("the helpers sent %v, want nothing", c)
				}
			})
			br.do(h, "POST", "/")
			if !errors.Is(listErr, dynamosession.ErrInvalidOwner) || !errors.Is(revokeErr, dynamosession.ErrInvalidOwner) {
				t.Errorf("OwnerSessions: %v; RevokeOthers: %v; want both ErrInvalidOwner", listErr, revokeErr)
			}
		})
	}
}

// "Sign out other devices": a user signed in on a laptop and a phone
// lists the devices from the laptop and signs the phone out; the laptop
// stays signed in. The table has the owner index, and the repository's
// Options.Owner says whose a session is.
func ExampleState_RevokeOthers() {
	ctx := context.Background()
	db := fake.New()
	db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String("sessions"),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("owner"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  aws.String("owner-index"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("owner"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}},
	})
	repo, err := dynamosession.New[Session](db, "sessions", func(o *dynamosession.Options[Session]) {
		o.Owner = func(s *Session) string { return s.User } // "" for a visitor: not indexed
	})
	if err != nil {
		panic(err)
	}
	sessions, err := httpsession.New(repo)
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := httpsession.Get[Session](r)
		s.Regenerate()
		s.Data.User = r.FormValue("user")
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /devices", func(w http.ResponseWriter, r *http.Request) {
		devices, err := httpsession.Get[Session](r).OwnerSessions()
		if err != nil {
			http.Error(w, "sign in first", http.StatusForbidden)
			return
		}
		others := 0
		for _, d := range devices {
			// A page would show d.RedactedID (the ID's first 6
			// characters), d.LastWritten and d.ExpiresAt.
			if !d.Current {
				others++
			}
		}
		fmt.Fprintf(w, "signed in on %d: this device and %d other", len(devices), others)
	})
	mux.HandleFunc("POST /devices/sign-out-others", func(w http.ResponseWriter, r *http.Request) {
		rev, err := httpsession.Get[Session](r).RevokeOthers()
		if err != nil {
			http.Error(w, "sign in first", http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "signed out %d other device(s)", rev.Ended)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "user %q", httpsession.Get[Session](r).Data.User)
	})

	srv := httptest.NewTLSServer(sessions.Handler(mux))
	defer srv.Close()
	device := func() *http.Client {
		c := *srv.Client() // a client of its own: srv.Client returns one shared client
		c.Jar, _ = cookiejar.New(nil)
		return &c
	}
	laptop, phone := device(), device()
	show := func(who string) func(*http.Response, error) {
		return func(res *http.Response, err error) {
			if err != nil {
				panic(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			fmt.Printf("%s: %s\n", who, strings.TrimSpace(string(b)))
		}
	}
	for _, c := range []*http.Client{laptop, phone} {
		show("login")(c.PostForm(srv.URL+"/login", url.Values{"user": {"ada"}}))
	}
	show("laptop")(laptop.Get(srv.URL + "/devices"))
	show("laptop")(laptop.Post(srv.URL+"/devices/sign-out-others", "", nil))
	show("phone")(phone.Get(srv.URL + "/"))
	show("laptop")(laptop.Get(srv.URL + "/devices"))
	show("laptop")(laptop.Get(srv.URL + "/"))
	// Output:
	// login: user "ada"
	// login: user "ada"
	// laptop: signed in on 2: this device and 1 other
	// laptop: signed out 1 other device(s)
	// phone: user ""
	// laptop: signed in on 1: this device and 0 other
	// laptop: user "ada"
}
