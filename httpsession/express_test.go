package httpsession_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/express"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/httpsession"
	"github.com/dynamosession/dynamosession/internal/ddbjson"
	"github.com/dynamosession/dynamosession/internal/expresscookie"
	"github.com/dynamosession/dynamosession/internal/testclock"
	"github.com/dynamosession/dynamosession/ttl"
)

// fixtureDir holds records and cookies the real express-session,
// connect-dynamodb and @pwrdrvr/dynamodb-session-store wrote (see
// codec/testdata/nodegen).
const fixtureDir = "../codec/testdata/fixtures"

// fixtureMeta is the part of a fixture's .meta.json these tests use.
type fixtureMeta struct {
	Case        string `json:"case"`
	Store       string `json:"store"`
	SID         string `json:"sid"`
	Secret      string `json:"secret"`
	CookieName  string `json:"cookie_name"`
	CookieValue string `json:"cookie_value"`
	SetCookie   string `json:"set_cookie"`
	TablePrefix string `json:"table_prefix"`
	WrittenMs   int64  `json:"written_ms"`
	Session     struct {
		User struct {
			Name string `json:"name"`
		} `json:"user"`
	} `json:"session"`
}

func fixtures(t *testing.T) map[string]fixtureMeta {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*.meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no fixtures in %s", fixtureDir)
	}
	out := map[string]fixtureMeta{}
	for _, p := range paths {
		var m fixtureMeta
		readJSON(t, p, &m)
		if m.SetCookie == "" { // handmade records carry no cookie
			continue
		}
		out[strings.TrimSuffix(filepath.Base(p), ".meta.json")] = m
	}
	return out
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestExpressSignatureMatchesFixtures: for every Set-Cookie header the real
// express-session sent, the Go code verifies the signature, finds the
// session ID, and signs that ID to the very same header value.
func TestExpressSignatureMatchesFixtures(t *testing.T) {
	for name, m := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			c, err := http.ParseSetCookie(m.SetCookie)
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != m.CookieName || c.Name != "connect.sid" {
				t.Errorf("cookie name %q, want connect.sid", c.Name)
			}
			decoded := expresscookie.DecodeValue(c.Value)
			id, secret, err := expresscookie.Unsign(decoded, "a-newer-secret", m.Secret)
			got := struct {
				Decoded, ID string
				Secret      int
				Err         error
				Signed      string
				HeaderValue string
			}{decoded, id, secret, err, expresscookie.Sign(m.SID, m.Secret), express.CookieValue(m.SID, m.Secret)}
			want := got
			want.Decoded, want.ID, want.Secret, want.Err = m.CookieValue, m.SID, 1, nil
			want.Signed, want.HeaderValue = m.CookieValue, c.Value
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) })); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpressUnsignRejects(t *testing.T) {
	const secret = "keyboard cat"
	good := expresscookie.Sign("abc", secret)
	tests := []struct {
		name  string
		value string
		want  error
	}{
		{"unsigned", "abc", expresscookie.ErrNotSigned},
		{"no signature", "s:abc", expresscookie.ErrBadSignature},
		{"empty signature", "s:abc.", expresscookie.ErrBadSignature},
		{"tampered ID", strings.Replace(good, "abc", "abd", 1), expresscookie.ErrBadSignature},
		{"tampered signature", good[:len(good)-1] + "A", expresscookie.ErrBadSignature},
		{"truncated signature", good[:len(good)-2], expresscookie.ErrBadSignature},
		{"padded signature", good + "=", expresscookie.ErrBadSignature},
		{"other secret", expresscookie.Sign("abc", "other"), expresscookie.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := expresscookie.Unsign(tt.value, secret); !errors.Is(err, tt.want) {
				t.Errorf("Unsign(%q) = %v, want %v", tt.value, err, tt.want)
			}
		})
	}
}

// ExpressCart models the sessions the fixtures' express app stored.
type ExpressCart struct {
	express.Session
	User struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	} `json:"user"`
	Visits int `json:"visits"`
}

// expressEnv serves sessions from one fixture's record with a Manager in
// Express mode, as a Go service sharing the Node app's table would.
type expressEnv struct {
	db    *fake.DB
	clock *testclock.Clock
	repo  *dynamosession.Repo[ExpressCart]
	m     *httpsession.Manager[ExpressCart]
}

func newExpressEnv(t *testing.T, name string, m fixtureMeta, secrets ...string) *expressEnv {
	t.Helper()
	e := &expressEnv{db: fake.New(), clock: testclock.New(time.UnixMilli(m.WrittenMs))}
	createTable(t, e.db)
	b, err := os.ReadFile(filepath.Join(fixtureDir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	item, err := ddbjson.UnmarshalItem(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.PutRaw(table, item); err != nil {
		t.Fatal(err)
	}
	e.repo, err = dynamosession.New[ExpressCart](e.db, table, func(o *dynamosession.Options[ExpressCart]) {
		o.Prefix = m.TablePrefix
		if m.Store == "connect-dynamodb" {
			o.Codec = codec.JSON[ExpressCart]() // so that connect-dynamodb reads what Go writes
		}
		o.TTL = ttl.Sliding(14 * 24 * time.Hour) // the fixtures' maxAge
		o.Clock = e.clock.Now
	})
	if err != nil {
		t.Fatal(err)
	}
	e.m, err = httpsession.New(e.repo, func(o *httpsession.Options) {
		o.ExpressSecrets = secrets
		o.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			t.Errorf("ErrorHandler: %v", err)
			http.Error(w, "error", 500)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	e.db.ResetStats()
	return e
}

// TestExpressSessionsLoad: a Go service in Express mode reads the sessions
// express-session created with either Node store, from the cookie the
// browser got from Express, and its writes keep that cookie valid.
func TestExpressSessionsLoad(t *testing.T) {
	for name, m := range fixtures(t) {
		if m.Case != "created" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			e := newExpressEnv(t, name, m, m.Secret)
			e.clock.Advance(time.Minute) // a later visit
			browserCookie := strings.SplitN(m.SetCookie, ";", 2)[0]
			var seenID, seenUser string
			var seenCookie *express.Cookie
			h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s := httpsession.Get[ExpressCart](r)
				seenID, seenUser, seenCookie = s.ID(), s.Data.User.Name, s.Data.Cookie
				s.Data.Visits++
			}))
			r, _ := http.NewRequest("GET", "https://example.com/", nil)
			r.Header.Set("Cookie", browserCookie)
			rec := newRecorder()
			h.ServeHTTP(rec, r)

			if seenID != m.SID || seenUser != m.Session.User.Name {
				t.Errorf("handler saw session %q of %q, want %q of %q", seenID, seenUser, m.SID, m.Session.User.Name)
			}
			if seenCookie == nil || seenCookie.OriginalMaxAge == nil || *seenCookie.OriginalMaxAge != 14*24*3600*1000 {
				t.Errorf("express cookie object = %+v, want originalMaxAge 1209600000", seenCookie)
			}
			// The save slid the expiry, so the cookie is re-sent, signed
			// exactly as express-session signed it.
			got := strings.SplitN(rec.Header().Get("Set-Cookie"), ";", 2)[0]
			if got != browserCookie {
				t.Errorf("Set-Cookie value %q, want express-session's %q", got, browserCookie)
			}
			s, err := e.repo.Get(context.Background(), m.SID)
			if err != nil {
				t.Fatal(err)
			}
			if s.Data.Visits != 2 || s.Data.User.Name != m.Session.User.Name {
				t.Errorf("stored visits %d, user %q; want 2, %q", s.Data.Visits, s.Data.User.Name, m.Session.User.Name)
			}
		})
	}
}

// TestExpressCookieHandling: what a Manager in Express mode does with
// cookies it cannot trust, and with a secret rotation.
func TestExpressCookieHandling(t *testing.T) {
	const name = "connect-dynamodb-created"
	m := fixtures(t)[name]
	browserValue := strings.SplitN(strings.SplitN(m.SetCookie, ";", 2)[0], "=", 2)[1]
	tests := []struct {
		name       string
		secrets    []string
		cookie     string
		wantUser   string
		wantCalls  map[string]int
		wantCookie string // the Set-Cookie value, "" for none
	}{
		{
			name:    "rotated secret: verified by the old one, re-signed with the new",
			secrets: []string{"the-new-secret", m.Secret}, cookie: browserValue, wantUser: m.Session.User.Name,
			wantCalls:  map[string]int{"GetItem": 1},
			wantCookie: express.CookieValue(m.SID, "the-new-secret"),
		},
		{
			name:    "tampered signature: fresh session, no read, cookie left alone",
			secrets: []string{m.Secret}, cookie: browserValue[:len(browserValue)-3] + "xyz",
			wantCalls: map[string]int{},
		},
		{
			name:    "secret no longer listed: fresh session, no read",
			secrets: []string{"the-new-secret"}, cookie: browserValue,
			wantCalls: map[string]int{},
		},
		{
			name:    "unsigned ID: ignored, as express-session does",
			secrets: []string{m.Secret}, cookie: m.SID,
			wantCalls: map[string]int{},
		},
		{
			name:    "unencoded signed value is accepted too",
			secrets: []string{m.Secret}, cookie: m.CookieValue, wantUser: m.Session.User.Name,
			wantCalls: map[string]int{"GetItem": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newExpressEnv(t, name, m, tt.secrets...)
			var user string
			h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				user = httpsession.Get[ExpressCart](r).Data.User.Name
			}))
			r, _ := http.NewRequest("GET", "https://example.com/", nil)
			r.Header.Set("Cookie", "connect.sid="+tt.cookie)
			rec := newRecorder()
			h.ServeHTTP(rec, r)
			var gotCookie string
			if sc := rec.Header().Get("Set-Cookie"); sc != "" {
				c, err := http.ParseSetCookie(sc)
				if err != nil {
					t.Fatal(err)
				}
				gotCookie = c.Value
			}
			calls := e.db.Stats().Calls
			for op, n := range calls {
				if n == 0 {
					delete(calls, op)
				}
			}
			got := struct {
				User   string
				Calls  map[string]int
				Cookie string
			}{user, calls, gotCookie}
			want := struct {
				User   string
				Calls  map[string]int
				Cookie string
			}{tt.wantUser, tt.wantCalls, tt.wantCookie}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExpressCookieObject: a session Go creates in Express mode carries
// the cookie object express-session needs to load it, as express-session
// itself would have written it.
func TestExpressCookieObject(t *testing.T) {
	m := fixtures(t)["connect-dynamodb-created"]
	e := newExpressEnv(t, "connect-dynamodb-created", m, m.Secret)
	var id string
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := httpsession.Get[ExpressCart](r)
		s.Data.User.Name = "Ada"
		w.WriteHeader(http.StatusNoContent)
		id = s.ID()
	}))
	h.ServeHTTP(newRecorder(), mustRequest("GET", "https://example.com/"))
	s, err := e.repo.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	maxAge := int64(14 * 24 * 3600 * 1000)
	expires := e.clock.Now().Add(14 * 24 * time.Hour).UTC()
	want := &express.Cookie{OriginalMaxAge: &maxAge, Expires: &expires, Secure: true, HTTPOnly: true, Path: "/", SameSite: "lax"}
	if diff := cmp.Diff(want, s.Data.Cookie); diff != "" {
		t.Errorf("cookie object mismatch (-want +got):\n%s", diff)
	}
}

// TestExpressRememberMe: express-session keeps a lifetime per session in
// cookie.originalMaxAge ("remember me" for 30 days). A Go service sharing
// the table honours it in every touch and save and in the cookie's
// Max-Age, instead of shortening the session to the repository's TTL.
func TestExpressRememberMe(t *testing.T) {
	const (
		day        = 24 * time.Hour
		month      = 30 * day
		sid        = "rememberMeRememberMeRememberMe01"
		secret     = "s3cret"
		nodeRecord = `{"cookie":{"originalMaxAge":%d,"expires":"2026-12-21T12:00:00.000Z","httpOnly":true,"path":"/"},"user":{"id":1,"name":"ada"},"visits":1}`
	)
	type step struct {
		At      time.Duration
		Change  bool
		Expires time.Duration // the stored expiry, after t0
		MaxAge  int           // of the Set-Cookie sent; 0 for none
	}
	tests := []struct {
		name   string
		maxAge int64 // cookie.originalMaxAge as Node stored it, ms
		steps  []step
	}{
		{"30 days", month.Milliseconds(), []step{
			{At: 2 * time.Hour, Expires: 2*time.Hour + month, MaxAge: int(month / time.Second)},               // a due touch
			{At: 2*time.Hour + 30*time.Minute, Expires: 2*time.Hour + month},                                  // not due yet
			{At: 3 * time.Hour, Change: true, Expires: 3*time.Hour + month, MaxAge: int(month / time.Second)}, // a save
		}},
		{"longer than a browser keeps a cookie: 400 days", 1e15, []step{
			{At: 2 * time.Hour, Expires: 2*time.Hour + 400*day, MaxAge: int(400 * day / time.Second)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := testclock.New(t0)
			db := fake.New()
			createTable(t, db)
			must(t, db.PutRaw(table, map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: "sess:" + sid},
				"type":    &types.AttributeValueMemberS{Value: "connect-session"},
				"sess":    &types.AttributeValueMemberS{Value: fmt.Sprintf(nodeRecord, tt.maxAge)},
				"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(t0.Add(month).Unix())},
			}))
			repo, err := dynamosession.New[ExpressCart](db, table, func(o *dynamosession.Options[ExpressCart]) {
				o.Prefix, o.Codec, o.Clock = "sess:", codec.JSON[ExpressCart](), clock.Now
				o.TTL, o.Touch = ttl.Sliding(day), ttl.TouchAfter(time.Hour)
			})
			must(t, err)
			m, err := httpsession.New(repo, func(o *httpsession.Options) { o.ExpressSecrets = []string{secret} })
			must(t, err)
			var got []step
			for _, st := range tt.steps {
				clock.Advance(t0.Add(st.At).Sub(clock.Now()))
				r := mustRequest("GET", "https://example.com/")
				r.Header.Set("Cookie", "connect.sid="+express.CookieValue(sid, secret))
				rec := newRecorder()
				m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if st.Change {
						httpsession.Get[ExpressCart](r).Data.Visits++
					}
				})).ServeHTTP(rec, r)
				s, err := repo.Get(context.Background(), sid)
				must(t, err)
				g := step{At: st.At, Change: st.Change, Expires: s.ExpiresAt.Sub(t0)}
				if sc := rec.Header().Get("Set-Cookie"); sc != "" {
					c, err := http.ParseSetCookie(sc)
					must(t, err)
					g.MaxAge = c.MaxAge
				}
				got = append(got, g)
			}
			if diff := cmp.Diff(tt.steps, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExpressRememberMeFromGo: a Go login handler that sets a lifetime in
// the cookie object gets it, in the record, the expiry and the cookie.
func TestExpressRememberMeFromGo(t *testing.T) {
	const month = 30 * 24 * time.Hour
	clock := testclock.New(t0)
	db := fake.New()
	createTable(t, db)
	repo, err := dynamosession.New[ExpressCart](db, table, func(o *dynamosession.Options[ExpressCart]) {
		o.Prefix, o.Codec, o.Clock = "sess:", codec.JSON[ExpressCart](), clock.Now
	})
	must(t, err)
	m, err := httpsession.New(repo, func(o *httpsession.Options) { o.ExpressSecrets = []string{"s"} })
	must(t, err)
	var id string
	rec := newRecorder()
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := httpsession.Get[ExpressCart](r)
		ms := month.Milliseconds()
		s.Data.Cookie = &express.Cookie{OriginalMaxAge: &ms} // "remember me"
		s.Data.User.Name = "ada"
		w.WriteHeader(http.StatusNoContent)
		id = s.ID()
	})).ServeHTTP(rec, mustRequest("POST", "https://example.com/login"))
	s, err := repo.Get(context.Background(), id)
	must(t, err)
	c, err := http.ParseSetCookie(rec.Header().Get("Set-Cookie"))
	must(t, err)
	ms := month.Milliseconds()
	exp := t0.Add(month)
	want := struct {
		Expires time.Time
		MaxAge  int
		Cookie  *express.Cookie
	}{exp, int(month / time.Second), &express.Cookie{OriginalMaxAge: &ms, Expires: &exp, Secure: true, HTTPOnly: true, Path: "/", SameSite: "lax"}}
	got := want
	got.Expires, got.MaxAge, got.Cookie = s.ExpiresAt, c.MaxAge, s.Data.Cookie
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

// TestExpressSessionEmbedding: in Express mode the Manager fills in the
// cookie object of the express.Session that the session type embeds, by
// value at any depth, and New refuses a type where it could not: none
// embedded, one Go does not promote (embedded twice at one depth), or one
// behind a pointer that may be nil.
func TestExpressSessionEmbedding(t *testing.T) {
	type Base struct {
		express.Session
		Tenant string `json:"tenant"`
	}
	type Nested struct {
		Base
		User string `json:"user"`
	}
	type Other struct{ express.Session }
	type Twice struct {
		Base
		Other `json:"-"` // a second "cookie" for Go, not for JSON (go vet)
	}
	type ViaPointer struct{ *Base }
	type Pointer struct{ *express.Session }

	t.Run("nested by value", func(t *testing.T) {
		db := fake.New()
		createTable(t, db)
		repo, err := dynamosession.New[Nested](db, table, func(o *dynamosession.Options[Nested]) { o.Codec = codec.JSON[Nested]() })
		if err != nil {
			t.Fatal(err)
		}
		m, err := httpsession.New(repo, func(o *httpsession.Options) { o.ExpressSecrets = []string{"s"}; o.MaxAge = -1 })
		if err != nil {
			t.Fatal(err)
		}
		var id string
		m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := httpsession.Get[Nested](r)
			s.Data.User = "ada"
			w.WriteHeader(http.StatusNoContent)
			id = s.ID()
		})).ServeHTTP(newRecorder(), mustRequest("GET", "https://example.com/"))
		s, err := repo.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		want := &express.Cookie{Secure: true, HTTPOnly: true, Path: "/", SameSite: "lax"}
		if diff := cmp.Diff(want, s.Data.Cookie); diff != "" {
			t.Errorf("cookie object mismatch (-want +got):\n%s", diff)
		}
	})

	rejects := []struct {
		name string
		newM func(db *fake.DB) error
	}{
		{"none", newExpressManager[Cart]},
		{"twice at one depth", newExpressManager[Twice]},
		{"through a pointer", newExpressManager[ViaPointer]},
		{"by pointer", newExpressManager[Pointer]},
		{"not a struct", newExpressManager[map[string]any]},
	}
	for _, tt := range rejects {
		t.Run(tt.name, func(t *testing.T) {
			db := fake.New()
			createTable(t, db)
			if err := tt.newM(db); !errors.Is(err, dynamosession.ErrInvalidOptions) {
				t.Errorf("New = %v, want an error wrapping dynamosession.ErrInvalidOptions", err)
			}
		})
	}
}

// newExpressManager returns the error of New for a Manager of T in Express
// mode.
func newExpressManager[T any](db *fake.DB) error {
	repo, err := dynamosession.New[T](db, table)
	if err != nil {
		return err
	}
	_, err = httpsession.New(repo, func(o *httpsession.Options) { o.ExpressSecrets = []string{"s"} })
	return err
}
