package httpsession_test

import (
	"context"
	"encoding/json"
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
	"github.com/dynamosession/dynamosession/internal/golden"
	"github.com/dynamosession/dynamosession/ttl"
)

// The files exchanged with the Node harness in testdata/express, which runs
// the real express-session and connect-dynamodb against what Go wrote.
const (
	goIssuedFile     = "testdata/express/go-issued.json"
	expressResultDir = "testdata/express"
	expressResult    = "testdata/express/express-result.json"
	harnessSecret    = "dynamosession-go-secret"
	harnessTable     = "sessions-go"
)

// goIssued is a session a Manager in Express mode created: the Set-Cookie
// header the browser got and the record stored.
type goIssued struct {
	Note        string          `json:"note"`
	Secret      string          `json:"secret"`
	Table       string          `json:"table"`
	Prefix      string          `json:"table_prefix"`
	SID         string          `json:"sid"`
	SetCookie   string          `json:"set_cookie"`
	GeneratedMs int64           `json:"generated_ms"`
	Item        json.RawMessage `json:"item"`
}

// expressResultFile is what testdata/express/accept.js recorded.
type expressResultFile struct {
	Versions  map[string]string `json:"versions"`
	InputSID  string            `json:"input_sid"`
	Scenarios map[string]struct {
		Note    string   `json:"note"`
		Secrets []string `json:"secrets"`
		Cookie  string   `json:"request_cookie"`
		Status  int      `json:"status"`
		Body    struct {
			SessionID string          `json:"sessionID"`
			Session   json.RawMessage `json:"session"`
			Error     string          `json:"error"`
		} `json:"body"`
		SetCookie *string         `json:"set_cookie"`
		ItemAfter json.RawMessage `json:"item_after"`
	} `json:"scenarios"`
}

func expressRepo(t *testing.T, db *fake.DB, now func() time.Time) *dynamosession.Repo[ExpressCart] {
	t.Helper()
	repo, err := dynamosession.New[ExpressCart](db, harnessTable, func(o *dynamosession.Options[ExpressCart]) {
		o.Prefix = "sess:" // connect-dynamodb's
		o.Codec = codec.JSON[ExpressCart]()
		o.TTL = ttl.Sliding(14 * 24 * time.Hour)
		o.Clock = now
	})
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func newHarnessDB(t *testing.T) *fake.DB {
	db := fake.New()
	_, err := db.CreateTable(context.Background(), createTableInput(harnessTable))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestGoIssuedSession checks testdata/express/go-issued.json, the session
// the Node harness feeds to express-session, against the current code, and
// rewrites it with -update (then re-run the Node harness: see
// testdata/express/README.md). It is no golden.Check: the file holds a
// session created at the time it was written, so it is read, not compared.
func TestGoIssuedSession(t *testing.T) {
	if golden.Update() {
		writeGoIssued(t)
	}
	var g goIssued
	readJSON(t, goIssuedFile, &g)
	c, err := http.ParseSetCookie(g.SetCookie)
	if err != nil {
		t.Fatal(err)
	}
	if want := express.CookieValue(g.SID, g.Secret); c.Name != "connect.sid" || c.Value != want {
		t.Errorf("go-issued cookie %s=%s, want connect.sid=%s: regenerate with -update", c.Name, c.Value, want)
	}
	item, err := ddbjson.UnmarshalItem(g.Item)
	if err != nil {
		t.Fatal(err)
	}
	db := newHarnessDB(t)
	if err := db.PutRaw(harnessTable, item); err != nil {
		t.Fatal(err)
	}
	s, err := expressRepo(t, db, func() time.Time { return time.UnixMilli(g.GeneratedMs) }).Get(context.Background(), g.SID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Data.User.Name != "Ada" || s.Data.Cookie == nil {
		t.Errorf("go-issued session = %+v, want Ada with a cookie object", s.Data)
	}
}

func writeGoIssued(t *testing.T) {
	now := time.Now().Truncate(time.Millisecond)
	db := newHarnessDB(t)
	m, err := httpsession.New(expressRepo(t, db, func() time.Time { return now }), func(o *httpsession.Options) {
		o.ExpressSecrets = []string{harnessSecret}
	})
	if err != nil {
		t.Fatal(err)
	}
	var sid string
	rec := newRecorder()
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := httpsession.Get[ExpressCart](r)
		s.Data.User.ID, s.Data.User.Name = 7, "Ada"
		w.WriteHeader(http.StatusNoContent)
		sid = s.ID()
	})).ServeHTTP(rec, mustRequest("POST", "https://example.com/login"))
	item, ok := db.Item(harnessTable, map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "sess:" + sid}})
	if !ok {
		t.Fatal("no item written")
	}
	wire, err := ddbjson.MarshalItem(item)
	if err != nil {
		t.Fatal(err)
	}
	g := goIssued{
		Note:        "written by `go test ./httpsession -run TestGoIssuedSession -update`: a session a Go Manager in Express mode created on POST /login; expires 14 days after generated_ms",
		Secret:      harnessSecret,
		Table:       harnessTable,
		Prefix:      "sess:",
		SID:         sid,
		SetCookie:   rec.Header().Get("Set-Cookie"),
		GeneratedMs: now.UnixMilli(),
		Item:        wire,
	}
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goIssuedFile, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s; now re-run the Node harness (testdata/express/README.md)", goIssuedFile)
}

// TestExpressAcceptsGoSessions reads what the real express-session and
// connect-dynamodb did with the Go-issued cookie and record
// (testdata/express/accept.js recorded it) and checks both directions of
// the interop: Express loads Go's session from Go's cookie; Go verifies the
// cookies Express sends back and reads the records Express rewrote.
func TestExpressAcceptsGoSessions(t *testing.T) {
	var g goIssued
	readJSON(t, goIssuedFile, &g)
	var res expressResultFile
	readJSON(t, expressResult, &res)
	if res.InputSID != g.SID {
		t.Fatalf("%s was recorded for session %q, but go-issued.json holds %q: re-run the Node harness (testdata/express/README.md)", expressResult, res.InputSID, g.SID)
	}
	goCookie, err := http.ParseSetCookie(g.SetCookie)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"read", "modify", "rotated", "no-cookie-object"} {
		if _, ok := res.Scenarios[name]; !ok {
			t.Fatalf("scenario %q missing from %s", name, expressResult)
		}
	}

	t.Run("express loads the Go session from the Go cookie", func(t *testing.T) {
		sc := res.Scenarios["read"]
		if sc.Cookie != "connect.sid="+goCookie.Value {
			t.Errorf("harness sent %q, want the Go cookie %q", sc.Cookie, goCookie.Value)
		}
		var sess ExpressCart
		if err := json.Unmarshal(sc.Body.Session, &sess); err != nil {
			t.Fatal(err)
		}
		got := struct {
			Status    int
			SessionID string
			User      string
			SetCookie *string
		}{sc.Status, sc.Body.SessionID, sess.User.Name, sc.SetCookie}
		want := got
		want.Status, want.SessionID, want.User, want.SetCookie = 200, g.SID, "Ada", nil
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("express re-signs the Go cookie identically, and Go reads what express wrote", func(t *testing.T) {
		sc := res.Scenarios["modify"]
		if sc.Status != 200 || sc.SetCookie == nil {
			t.Fatalf("status %d, Set-Cookie %v; want 200 and a cookie", sc.Status, sc.SetCookie)
		}
		c, err := http.ParseSetCookie(*sc.SetCookie)
		if err != nil {
			t.Fatal(err)
		}
		if c.Value != goCookie.Value {
			t.Errorf("express sent %q, Go sent %q: want the same signed value", c.Value, goCookie.Value)
		}
		item, err := ddbjson.UnmarshalItem(sc.ItemAfter)
		if err != nil {
			t.Fatal(err)
		}
		db := newHarnessDB(t)
		if err := db.PutRaw(harnessTable, item); err != nil {
			t.Fatal(err)
		}
		s, err := expressRepo(t, db, func() time.Time { return time.UnixMilli(g.GeneratedMs) }).Get(context.Background(), g.SID)
		if err != nil {
			t.Fatal(err)
		}
		if s.Data.User.Name != "Ada" || s.Data.Visits != 1 || s.Format() != codec.FormatJSON {
			t.Errorf("Go read %+v in %s, want Ada with 1 visit, JSON", s.Data, s.Format())
		}
	})

	t.Run("a rotated express secret list: Go verifies the new signature", func(t *testing.T) {
		sc := res.Scenarios["rotated"]
		if sc.Status != 200 || sc.SetCookie == nil || sc.Body.SessionID != g.SID {
			t.Fatalf("status %d, session %q, Set-Cookie %v; want 200, %q and a cookie", sc.Status, sc.Body.SessionID, sc.SetCookie, g.SID)
		}
		c, err := http.ParseSetCookie(*sc.SetCookie)
		if err != nil {
			t.Fatal(err)
		}
		id, secret, err := expresscookie.Unsign(expresscookie.DecodeValue(c.Value), sc.Secrets...)
		if err != nil || id != g.SID || secret != 0 {
			t.Errorf("Unsign = %q, %d, %v; want %q signed with the first secret", id, secret, err, g.SID)
		}
	})

	t.Run("without the cookie object express-session cannot load a session", func(t *testing.T) {
		sc := res.Scenarios["no-cookie-object"]
		if sc.Status != 500 || !strings.Contains(sc.Body.Error, "expires") {
			t.Errorf("status %d, error %q; want express-session's 500 on reading cookie.expires", sc.Status, sc.Body.Error)
		}
	})
}

// versions are recorded for the reader; check they are the pinned ones so a
// silent upgrade shows.
func TestExpressHarnessVersions(t *testing.T) {
	var res expressResultFile
	readJSON(t, expressResult, &res)
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	readJSON(t, filepath.Join(expressResultDir, "package.json"), &pkg)
	for name, v := range res.Versions {
		if pinned, ok := pkg.Dependencies[name]; ok && pinned != v {
			t.Errorf("%s: harness ran %s, package.json pins %s", name, v, pinned)
		}
	}
	if res.Versions["express-session"] == "" || res.Versions["connect-dynamodb"] == "" {
		t.Errorf("versions %v: want express-session and connect-dynamodb", res.Versions)
	}
}
