package httpsession_test

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/httpsession"
	"github.com/dynamosession/dynamosession/internal/testclock"
	"github.com/dynamosession/dynamosession/ttl"
)

// Cart is the session type of most tests.
type Cart struct {
	User  string   `json:"user"`
	Items []string `json:"items"`
}

const table = "sessions"

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// env is one test's world: a fake DynamoDB, a clock, a repository and a
// manager over them.
type env struct {
	t     *testing.T
	db    *fake.DB
	clock *testclock.Clock
	repo  *dynamosession.Repo[Cart]
	m     *httpsession.Manager[Cart]
	errs  []error // what the ErrorHandler saw
}

func newEnv(t *testing.T, repoOpt func(*dynamosession.Options[Cart]), opts ...func(*httpsession.Options)) *env {
	t.Helper()
	e := &env{t: t, db: fake.New(), clock: testclock.New(t0)}
	createTable(t, e.db)
	repo, err := dynamosession.New[Cart](e.db, table, func(o *dynamosession.Options[Cart]) {
		o.TTL = ttl.Sliding(24 * time.Hour)
		o.Touch = ttl.TouchAfter(time.Hour)
		o.Clock = e.clock.Now
		if repoOpt != nil {
			repoOpt(o)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	e.repo = repo
	opts = append([]func(*httpsession.Options){func(o *httpsession.Options) {
		o.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			e.errs = append(e.errs, err)
			httpsession.DefaultErrorHandler(w, r, err)
		}
	}}, opts...)
	e.m, err = httpsession.New(repo, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func createTable(t testing.TB, db *fake.DB) {
	t.Helper()
	if _, err := db.CreateTable(context.Background(), createTableInput(table)); err != nil {
		t.Fatal(err)
	}
	db.ResetStats()
}

// calls returns the DynamoDB calls made since the last reset, and resets.
func (e *env) calls() map[string]int {
	c := maps.Clone(e.db.Stats().Calls)
	maps.DeleteFunc(c, func(_ string, n int) bool { return n == 0 })
	e.db.ResetStats()
	return c
}

// stored returns the session stored under id, or nil.
func (e *env) stored(id string) *Cart {
	e.t.Helper()
	s, err := e.repo.Get(context.Background(), id)
	if err != nil {
		return nil
	}
	e.db.ResetStats()
	return &s.Data
}

// raw returns the item stored under key, read strongly consistent
// without the repository, or nil.
func (e *env) raw(key string) map[string]types.AttributeValue {
	e.t.Helper()
	out, err := e.db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.db.ResetStats()
	return out.Item
}

// browser keeps cookies between requests, as a browser would, and records
// the Set-Cookie headers of the last response.
type browser struct {
	jar       map[string]string
	setCookie []*http.Cookie
}

func newBrowser() *browser { return &browser{jar: map[string]string{}} }

// do sends one request through h and returns the response.
func (b *browser) do(h http.Handler, method, path string) *http.Response {
	r := httptest.NewRequest(method, "https://example.com"+path, nil)
	for name, v := range b.jar {
		// Raw, as a browser sends it: AddCookie would sanitise bad values.
		r.Header.Add("Cookie", name+"="+v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	res := rec.Result()
	b.setCookie = res.Cookies()
	for _, c := range b.setCookie {
		if c.MaxAge < 0 {
			delete(b.jar, c.Name)
		} else {
			b.jar[c.Name] = c.Value
		}
	}
	return res
}

// handler returns an http.Handler that runs fn with the request's session
// inside e's manager and answers 200 "ok" unless fn wrote.
func (e *env) handler(fn func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart])) http.Handler {
	return e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fn(w, r, httpsession.Get[Cart](r))
	}))
}

func body(res *http.Response) string {
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func mustRequest(method, url string) *http.Request { return httptest.NewRequest(method, url, nil) }

func createTableInput(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	}
}
