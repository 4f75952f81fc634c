package frameworktest

import (
	"bytes"
	"encoding/gob"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/gorillastore"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/dynamosession/dynamosession/internal/metered"
	"github.com/dynamosession/dynamosession/ttl"
)

// Cart is the typed value the apps keep in their sessions, registered with
// gob as gorilla requires.
type Cart struct {
	Items []string
	Total int
}

func init() { gob.Register(Cart{}) }

var hashKey = bytes.Repeat([]byte("k"), 32)

// backend is what a test needs of DynamoDB.
type backend interface {
	dynamosession.API
	dynamotest.TableAPI
}

// eachBackend runs fn on the in-memory fake and on DynamoDB Local (which
// skips without DYNAMODB_ENDPOINT, or fails under CI=true).
func eachBackend(t *testing.T, fn func(t *testing.T, db backend)) {
	t.Run("fake", func(t *testing.T) { fn(t, fake.New()) })
	t.Run("dynamodb-local", func(t *testing.T) { fn(t, dynamotest.Client(t)) })
}

// calls counts the DynamoDB requests a repository makes, by operation.
type calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *calls) observe(call metered.Call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[call.Op]++
}

// take returns the counts since the last take.
func (c *calls) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = nil
	if n == nil {
		n = map[string]int{}
	}
	return n
}

// newStore creates a table on db and returns a store on it, its
// repository, and the counter of the repository's requests.
func newStore(t *testing.T, db backend) (*gorillastore.Store, *dynamosession.Repo[gorillastore.Record], *calls) {
	t.Helper()
	table := dynamotest.CreateTable(t, db, "id", "expires")
	c := &calls{}
	repo, err := dynamosession.New[gorillastore.Record](metered.New(db, c.observe), table, func(o *dynamosession.Options[gorillastore.Record]) {
		o.Codec = codec.Msgpack[gorillastore.Record]()
		o.TTL = ttl.Sliding(24 * time.Hour)
	})
	if err != nil {
		t.Fatal(err)
	}
	store, err := gorillastore.New(repo, hashKey)
	if err != nil {
		t.Fatal(err)
	}
	return store, repo, c
}

// step is one request of a visit and what it must cost and answer. before,
// if set, runs first (its requests uncounted), given the browser's session
// cookie.
type step struct {
	method, path string
	wantBody     string
	wantCalls    map[string]int
	before       func(sid *http.Cookie)
}

// visit serves app over TLS (the store's cookies are Secure, as they
// should be) and runs steps in order with one cookie jar, as a browser
// would.
func visit(t *testing.T, app http.Handler, c *calls, steps []step) {
	t.Helper()
	srv := httptest.NewTLSServer(app)
	defer srv.Close()
	client := srv.Client()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client.Jar = jar
	for _, s := range steps {
		c.take()
		req, err := http.NewRequest(s.method, srv.URL+s.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.before != nil {
			var sid *http.Cookie
			for _, ck := range jar.Cookies(req.URL) {
				if ck.Name == "sid" {
					sid = ck
				}
			}
			s.before(sid)
			c.take()
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", s.method, s.path, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != s.wantBody {
			t.Errorf("%s %s = %d %q, want 200 %q", s.method, s.path, res.StatusCode, body, s.wantBody)
		}
		if diff := cmp.Diff(s.wantCalls, c.take()); diff != "" {
			t.Errorf("%s %s: DynamoDB requests mismatch (-want +got):\n%s", s.method, s.path, diff)
		}
	}
	u, _ := url.Parse(srv.URL)
	if cookies := jar.Cookies(u); len(cookies) != 0 {
		t.Errorf("cookies left after the visit: %v", cookies)
	}
}

// shopping is the visit every app below serves: a page view without a
// session, a login, page views, a cart change, a logout. Each step says
// what it costs.
var shopping = []step{
	{"GET", "/", "anonymous", map[string]int{}, nil},
	{"POST", "/login", "ok", map[string]int{"PutItem": 1}, nil},
	{"GET", "/", "ada: []", map[string]int{"GetItem": 1}, nil},
	{"POST", "/add?item=tea", "ok", map[string]int{"GetItem": 1, "UpdateItem": 1}, nil},
	{"POST", "/add?item=milk", "ok", map[string]int{"GetItem": 1, "UpdateItem": 1}, nil},
	{"GET", "/", "ada: [tea milk]", map[string]int{"GetItem": 1}, nil},
	{"POST", "/save-unchanged", "ok", map[string]int{"GetItem": 1}, nil},
	{"POST", "/logout", "ok", map[string]int{"GetItem": 1, "DeleteItem": 1}, nil},
	{"GET", "/", "anonymous", map[string]int{}, nil},
}
