package gorillastore_test

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/gorilla/sessions"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/gorillastore"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/dynamosession/dynamosession/internal/metered"
	"github.com/dynamosession/dynamosession/internal/testclock"
	"github.com/dynamosession/dynamosession/ttl"
)

// What gorilla users store: their own types, registered with gob.
type cart struct {
	Items []string
	Total int
}

type profile struct {
	Name  string
	Since time.Time
}

func init() {
	gob.Register(cart{})
	gob.Register(&profile{})
	gob.Register(map[string]interface{}{})
	gob.Register(time.Time{})
}

var (
	hashKey  = bytes.Repeat([]byte("h"), 32)
	blockKey = bytes.Repeat([]byte("b"), 32)
	otherKey = bytes.Repeat([]byte("o"), 32)
)

const sessionName = "sid"

// backend is what a test needs of DynamoDB: the repository's API and table
// management.
type backend interface {
	dynamosession.API
	dynamotest.TableAPI
}

// env is one test's world: a backend and table, a clock, a repository and
// a store on them, and a count of the requests the repository made.
type env struct {
	db    backend
	fake  *fake.DB // nil on DynamoDB Local
	table string
	clock *testclock.Clock
	repo  *dynamosession.Repo[gorillastore.Record]
	store *gorillastore.Store

	mu    sync.Mutex
	calls map[string]int
}

// eachBackend runs fn on the in-memory fake and on DynamoDB Local (which
// skips without DYNAMODB_ENDPOINT, or fails under CI=true).
func eachBackend(t *testing.T, fn func(t *testing.T, db backend, fk *fake.DB)) {
	t.Run("fake", func(t *testing.T) {
		fk := fake.New()
		fn(t, fk, fk)
	})
	t.Run("dynamodb-local", func(t *testing.T) {
		fn(t, dynamotest.Client(t), nil)
	})
}

// newEnv creates a table on db and a store with hashKey on it; repoOpts
// adjust the repository's options after the test's defaults.
func newEnv(t testing.TB, db backend, fk *fake.DB, repoOpts ...func(*dynamosession.Options[gorillastore.Record])) *env {
	t.Helper()
	e := &env{db: db, fake: fk, clock: testclock.New(time.Now()), calls: map[string]int{}}
	e.table = dynamotest.CreateTable(t, db, "id", "expires")
	opts := append([]func(*dynamosession.Options[gorillastore.Record]){func(o *dynamosession.Options[gorillastore.Record]) {
		o.Codec = codec.Msgpack[gorillastore.Record]()
		o.TTL = ttl.Sliding(24 * time.Hour)
		o.Touch = ttl.TouchAfter(time.Hour)
		o.Clock = e.clock.Now
	}}, repoOpts...)
	repo, err := dynamosession.New[gorillastore.Record](metered.New(db, e.observe), e.table, opts...)
	if err != nil {
		t.Fatal(err)
	}
	e.repo = repo
	e.store = e.newStore(t, hashKey)
	return e
}

// newStore returns another store on e's repository.
func (e *env) newStore(t testing.TB, keyPairs ...[]byte) *gorillastore.Store {
	t.Helper()
	s, err := gorillastore.New(e.repo, keyPairs...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *env) observe(c metered.Call) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls[c.Op]++
}

// requests returns the requests made since the last call, by operation.
func (e *env) requests() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.calls
	e.calls = map[string]int{}
	return c
}

// rawItem reads the stored item of session id as it is, strongly.
func (e *env) rawItem(t *testing.T, id string) map[string]types.AttributeValue {
	t.Helper()
	strong := true
	out, err := e.db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      &e.table,
		Key:            map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#" + id}},
		ConsistentRead: &strong,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

// browser keeps the cookies a user agent would between requests.
type browser struct {
	cookies map[string]*http.Cookie
}

func newBrowser() *browser { return &browser{cookies: map[string]*http.Cookie{}} }

// do runs handler on a request carrying b's cookies, keeps the cookies the
// response sets, and returns them.
func (b *browser) do(handler func(w http.ResponseWriter, r *http.Request)) []*http.Cookie {
	r := httptest.NewRequest(http.MethodGet, "https://example.com/", nil)
	for _, c := range b.cookies {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	w := httptest.NewRecorder()
	handler(w, r)
	set := w.Result().Cookies()
	for _, c := range set {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return set
}

// save is a request that loads the session, lets change edit it, and saves
// it; it returns the session as the handler saw it and the errors of Get
// and Save.
func (b *browser) save(store *gorillastore.Store, change func(s *sessions.Session)) (s *sessions.Session, getErr, saveErr error) {
	b.do(func(w http.ResponseWriter, r *http.Request) {
		s, getErr = store.Get(r, sessionName)
		if change != nil {
			change(s)
		}
		saveErr = s.Save(r, w)
	})
	return s, getErr, saveErr
}

// load is a request that only reads the session.
func (b *browser) load(store *gorillastore.Store) (*sessions.Session, error) {
	var s *sessions.Session
	var err error
	b.do(func(w http.ResponseWriter, r *http.Request) { s, err = store.Get(r, sessionName) })
	return s, err
}

// sealFor computes a record's MAC as the package documentation specifies
// it (HMAC-SHA256 of uvarint(len(id)) || id || values under
// HKDF-SHA256(hash key, info)), independently of the package: records
// stored by one release must open in the next.
func sealFor(t testing.TB, key []byte, id string, values []byte) gorillastore.Record {
	t.Helper()
	k, err := hkdf.Key(sha256.New, key, nil, "github.com/dynamosession/dynamosession/gorillastore record MAC v1", 32)
	if err != nil {
		t.Fatal(err)
	}
	h := hmac.New(sha256.New, k)
	h.Write(binary.AppendUvarint(nil, uint64(len(id))))
	h.Write([]byte(id))
	h.Write(values)
	return gorillastore.Record{Values: values, MAC: h.Sum(nil)}
}

// gobOf gob-encodes a Values map.
func gobOf(t testing.TB, v map[interface{}]interface{}) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
