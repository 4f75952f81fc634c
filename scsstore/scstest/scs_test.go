package scstest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/scsstore"
	"github.com/dynamosession/dynamosession/ttl"
)

// The store satisfies scs's own interfaces, not copies of them.
var (
	_ scs.Store    = (*scsstore.Store)(nil)
	_ scs.CtxStore = (*scsstore.Store)(nil)
)

// clock is the store's clock: scs reads the real time, the store a time
// the test moves.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// TestSCS drives an app using scs's LoadAndSave over a real HTTP server,
// with the store on the in-memory DynamoDB, through a login, a page view,
// a token renewal, expiry and a logout.
func TestSCS(t *testing.T) {
	db := fake.New()
	if _, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String("sessions"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
	clk := &clock{}
	repo, err := dynamosession.New[scsstore.Record](db, "sessions", func(o *dynamosession.Options[scsstore.Record]) {
		o.Codec = codec.Msgpack[scsstore.Record]()
		o.TTL = ttl.Sliding(24 * time.Hour) // reaches beyond scs's Lifetime below
		o.Clock = clk.Now
	})
	if err != nil {
		t.Fatal(err)
	}
	store, err := scsstore.New(repo)
	if err != nil {
		t.Fatal(err)
	}
	sm := scs.New()
	sm.Store = store
	sm.Lifetime = time.Hour

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.RenewToken(r.Context()); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		sm.Put(r.Context(), "user", "ada")
		io.WriteString(w, "logged in")
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "user=%q", sm.GetString(r.Context(), "user"))
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.Destroy(r.Context()); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		io.WriteString(w, "logged out")
	})
	srv := httptest.NewServer(sm.LoadAndSave(mux))
	defer srv.Close()
	client := srv.Client()
	client.Jar, _ = cookiejar.New(nil)

	type result struct {
		Body  string
		Calls map[string]int
	}
	do := func(method, path string) result {
		t.Helper()
		db.ResetStats()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		calls := db.Stats().Calls
		for op, n := range calls {
			if n == 0 {
				delete(calls, op)
			}
		}
		return result{string(b), calls}
	}

	steps := []struct {
		name    string
		advance time.Duration
		method  string
		path    string
		want    result
	}{
		{"anonymous", 0, "GET", "/", result{`user=""`, map[string]int{}}},
		{"login", 0, "POST", "/login", result{"logged in", map[string]int{"PutItem": 1}}},
		{"page view", 0, "GET", "/", result{`user="ada"`, map[string]int{"GetItem": 1}}},
		{"login again renews the token", 0, "POST", "/login", result{"logged in", map[string]int{"GetItem": 1, "DeleteItem": 1, "PutItem": 1}}},
		{"page view with the new token", 0, "GET", "/", result{`user="ada"`, map[string]int{"GetItem": 1}}},
		{"logout", 0, "POST", "/logout", result{"logged out", map[string]int{"GetItem": 1, "DeleteItem": 1}}},
		{"anonymous again", 0, "GET", "/", result{`user=""`, map[string]int{}}},
		{"login before expiry", 0, "POST", "/login", result{"logged in", map[string]int{"PutItem": 1}}},
		// The item is still stored (its TTL attribute is 24 h away), but
		// scs's one-hour Lifetime has passed: the store reports it gone.
		{"after scs's lifetime", time.Hour + time.Second, "GET", "/", result{`user=""`, map[string]int{"GetItem": 1}}},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		if diff := cmp.Diff(st.want, do(st.method, st.path)); diff != "" {
			t.Errorf("%s: mismatch (-want +got):\n%s", st.name, diff)
		}
	}
}
