package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/httpsession"
)

// step is one click in the login flow and what it should cost.
type step struct {
	name, method, path string
	form               url.Values
	wantPage           string // a regexp the final page matches
	wantCalls          map[string]int
}

// flow is the login flow a visitor goes through; the calls are per step,
// redirects included (POST /login answers 303 to /account, whose GET is
// one read).
var flow = []step{
	{"anonymous home", "GET", "/", nil, `Not signed in`, map[string]int{}},
	{"login form", "GET", "/login", nil, `<form method="post" action="/login">`, map[string]int{}},
	{"login, redirected to /account", "POST", "/login", url.Values{"user": {"ada"}}, `Signed in as <b id="user">ada</b> since`, map[string]int{"PutItem": 1, "GetItem": 1}},
	{"home while signed in", "GET", "/", nil, `Signed in as <b id="user">ada</b>`, map[string]int{"GetItem": 1}},
	{"account again", "GET", "/account", nil, `Signed in as <b id="user">ada</b>`, map[string]int{"GetItem": 1}},
	{"logout, redirected home", "POST", "/logout", nil, `Not signed in`, map[string]int{"GetItem": 1, "DeleteItem": 1}},
	{"account after logout redirects to the form", "GET", "/account", nil, `<form method="post" action="/login">`, map[string]int{}},
}

// TestLoginFlow runs the flow against the site on the embedded fake, and
// checks what each page view costs and that the cookie stays the same
// from the login to the logout.
func TestLoginFlow(t *testing.T) {
	db, client := newFakeTable(t)
	walk(t, client, db)
}

// TestLoginFlowOnDynamoDBLocal runs the same flow against DynamoDB Local
// (or AWS) when DYNAMODB_ENDPOINT is set, as make test does.
func TestLoginFlowOnDynamoDBLocal(t *testing.T) {
	if os.Getenv("DYNAMODB_ENDPOINT") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("DYNAMODB_ENDPOINT is not set under CI=true; run through scripts/dynamodb-local run")
		}
		t.Skip("DYNAMODB_ENDPOINT is not set: skipping the run against DynamoDB Local (make test sets it)")
	}
	name := fmt.Sprintf("webapp-test-%d", time.Now().UnixNano())
	t.Setenv("DYNAMOSESSION_TABLE", name)
	ctx := context.Background()
	if _, _, _, err := openTable(ctx); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("openTable before the table exists = %v, want a does-not-exist error", err)
	}
	admin, _, err := openClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateTable(ctx, tableSchema(name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	client, db, where, err := openTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if db != nil {
		t.Fatal("openTable chose the fake")
	}
	t.Logf("sessions in %s", where)
	walk(t, client, nil)
}

func walk(t *testing.T, client dynamosession.API, db *fake.DB) {
	t.Helper()
	repo, err := dynamosession.New[Session](client, table())
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := httpsession.New(repo)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(routes(sessions, db))
	defer srv.Close()
	c := srv.Client()
	c.Jar, _ = cookiejar.New(nil)
	u, _ := url.Parse(srv.URL)

	var cookies []string
	for _, st := range flow {
		if db != nil {
			db.ResetStats()
		}
		var res *http.Response
		var err error
		if st.method == "POST" {
			res, err = c.PostForm(srv.URL+st.path, st.form)
		} else {
			res, err = c.Get(srv.URL + st.path)
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !regexp.MustCompile(st.wantPage).Match(b) {
			t.Errorf("%s: page does not match %q:\n%s", st.name, st.wantPage, b)
		}
		if db != nil {
			calls := db.Stats().Calls
			for op, n := range calls {
				if n == 0 {
					delete(calls, op)
				}
			}
			if diff := cmp.Diff(st.wantCalls, calls); diff != "" {
				t.Errorf("%s: DynamoDB calls mismatch (-want +got):\n%s", st.name, diff)
			}
		}
		v := ""
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "sid" {
				v = ck.Value
			}
		}
		cookies = append(cookies, v)
	}
	// Nothing before the login, one cookie from the login to the logout,
	// nothing after.
	want := []string{"", "", cookies[2], cookies[2], cookies[2], "", ""}
	if cookies[2] == "" {
		t.Error("no cookie after the login")
	}
	if diff := cmp.Diff(want, cookies); diff != "" {
		t.Errorf("cookie over the flow mismatch (-want +got):\n%s", diff)
	}
}

func newFakeTable(t *testing.T) (*fake.DB, dynamosession.API) {
	t.Helper()
	t.Setenv("DYNAMODB_ENDPOINT", "")
	t.Setenv("DYNAMOSESSION_TABLE", "")
	client, db, _, err := openTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return db, client
}
