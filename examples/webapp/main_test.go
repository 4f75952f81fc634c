package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/codecs"
)

// site is the webapp under test, served over TLS (its cookies are
// Secure), with the backend's fake and clock when it runs on the fake.
type site struct {
	t     *testing.T
	srv   *httptest.Server
	url   *url.URL
	db    *fake.DB   // nil on DynamoDB Local
	clock *demoClock // nil on DynamoDB Local
}

func newSite4Test(t *testing.T, b backend) *site {
	t.Helper()
	h, err := newSite(b)
	if err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, srv: httptest.NewTLSServer(h), clock: b.clock}
	t.Cleanup(s.srv.Close)
	s.url, _ = url.Parse(s.srv.URL)
	s.db, _ = b.client.(*fake.DB)
	return s
}

// onFake returns the site on the embedded fake, as the program starts it
// without configuration.
func onFake(t *testing.T) *site {
	t.Helper()
	t.Setenv("DYNAMODB_ENDPOINT", "")
	t.Setenv("DYNAMOSESSION_TABLE", "")
	b, err := openTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b.clock == nil {
		t.Fatal("openTable without configuration did not choose the fake")
	}
	return newSite4Test(t, b)
}

// device returns a browser of its own: its own cookie jar, following
// redirects.
func (s *site) device() *http.Client {
	c := *s.srv.Client() // srv.Client returns one shared client
	c.Jar, _ = cookiejar.New(nil)
	return &c
}

// visit sends one request, follows its redirects, and returns the final
// page and the DynamoDB calls the fake counted for all of them (nil on
// DynamoDB Local).
func (s *site) visit(c *http.Client, method, path string, form url.Values) (string, map[string]int) {
	s.t.Helper()
	if s.db != nil {
		s.db.ResetStats()
	}
	var res *http.Response
	var err error
	if method == "POST" {
		res, err = c.PostForm(s.srv.URL+path, form)
	} else {
		res, err = c.Get(s.srv.URL + path)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		s.t.Errorf("%s %s ended with %d at %s:\n%s", method, path, res.StatusCode, res.Request.URL, b)
	}
	if s.db == nil {
		return string(b), nil
	}
	calls := s.db.Stats().Calls
	maps.DeleteFunc(calls, func(_ string, n int) bool { return n == 0 })
	return string(b), calls
}

// sid returns the device's session cookie, "" if none.
func (s *site) sid(c *http.Client) string {
	for _, ck := range c.Jar.Cookies(s.url) {
		if ck.Name == "sid" {
			return ck.Value
		}
	}
	return ""
}

// panelRE finds the cost panel's numbers by their elements' IDs.
var panelRE = regexp.MustCompile(`id="((?:cost|prev|record)-[a-z]+|touched|not-touched)"[^>]*>([^<]*)<`)

// panelOf returns the cost panel of page by element ID, the session
// record's size apart (it depends on the session's random ID and time).
func panelOf(page string) (panel map[string]string, recordBytes int) {
	panel = map[string]string{}
	for _, m := range panelRE.FindAllStringSubmatch(page, -1) {
		panel[m[1]] = m[2]
	}
	if b, ok := panel["record-bytes"]; ok {
		recordBytes, _ = strconv.Atoi(b)
		delete(panel, "record-bytes")
	}
	return panel, recordBytes
}

// costs builds an expected panel: this request's requests, operations,
// read and write units, and more IDs and values in pairs.
func costs(requests, ops, read, write string, more ...string) map[string]string {
	m := map[string]string{"cost-requests": requests, "cost-ops": ops, "cost-read": read, "cost-write": write}
	for i := 0; i+1 < len(more); i += 2 {
		m[more[i]] = more[i+1]
	}
	return m
}

// Panels shared by several steps.
var (
	noCost      = costs("0", "none", "0", "0")
	oneRead     = []string{"record-format", "msgpack", "not-touched", "write nothing"}
	oneReadPage = costs("1", "GetItem ×1", "0.5", "0", oneRead...)
)

// after returns panel with a redirecting request's cost added under the
// prev- IDs.
func after(panel map[string]string, request, requests, ops, read, write string, index ...string) map[string]string {
	m := maps.Clone(panel)
	m["prev-request"], m["prev-requests"], m["prev-ops"], m["prev-read"], m["prev-write"] = request, requests, ops, read, write
	if len(index) > 0 {
		m["prev-index"] = index[0]
	}
	return m
}

// step is one click in the login flow and what it should cost.
type step struct {
	name, method, path string
	form               url.Values
	wantPage           string            // a regexp the final page matches
	wantCalls          map[string]int    // on the fake, by its own count, redirects included
	wantPanel          map[string]string // the final page's cost panel
}

// flow is the login flow a visitor goes through. The calls are per step,
// redirects included (POST /login answers 303 to /account, whose GET is
// one read); the panel shows the final page's request and, after a
// redirect, the redirecting one's.
var flow = []step{
	{"anonymous home", "GET", "/", nil, `Not signed in`, map[string]int{}, noCost},
	{"login form", "GET", "/login", nil, `<form method="post" action="/login">`, map[string]int{}, noCost},
	{"login, redirected to /account", "POST", "/login", url.Values{"user": {"ada"}}, `Signed in as <b id="user">ada</b> since`,
		map[string]int{"PutItem": 1, "GetItem": 1},
		after(oneReadPage, "POST /login", "1", "PutItem ×1", "0", "2", "1")},
	{"home while signed in", "GET", "/", nil, `Signed in as <b id="user">ada</b>`, map[string]int{"GetItem": 1}, oneReadPage},
	{"account again", "GET", "/account", nil, `Signed in as <b id="user">ada</b>`, map[string]int{"GetItem": 1}, oneReadPage},
	{"a theme: the save writes", "POST", "/theme", url.Values{"theme": {"dark"}}, `<body class="dark">`,
		map[string]int{"GetItem": 2, "UpdateItem": 1},
		after(oneReadPage, "POST /theme", "2", "GetItem ×1, UpdateItem ×1", "0.5", "1")},
	{"the same theme: the save sends nothing", "POST", "/theme", url.Values{"theme": {"dark"}}, `<body class="dark">`,
		map[string]int{"GetItem": 2},
		after(oneReadPage, "POST /theme", "1", "GetItem ×1", "0.5", "0")},
	{"logout, redirected home", "POST", "/logout", nil, `Not signed in`,
		map[string]int{"GetItem": 1, "DeleteItem": 1},
		after(noCost, "POST /logout", "2", "DeleteItem ×1, GetItem ×1", "0.5", "2", "1")},
	{"account after logout redirects to the form", "GET", "/account", nil, `<form method="post" action="/login">`,
		map[string]int{},
		after(noCost, "GET /account", "0", "none", "0", "0")},
}

// TestLoginFlow runs the flow against the site on the embedded fake, and
// checks what each page view costs, by the fake's count and on the page,
// and that the cookie stays the same from the login to the logout.
func TestLoginFlow(t *testing.T) {
	walk(t, onFake(t))
}

// TestLoginFlowOnDynamoDBLocal runs the same flow against DynamoDB Local
// (or AWS) when DYNAMODB_ENDPOINT is set, as make test does: the panel's
// numbers are then DynamoDB Local's. It also checks that the program
// refuses, at start, a table that is missing or lacks the owner index.
func TestLoginFlowOnDynamoDBLocal(t *testing.T) {
	needLocal(t)
	name := fmt.Sprintf("webapp-test-%d", time.Now().UnixNano())
	t.Setenv("DYNAMOSESSION_TABLE", name)
	ctx := context.Background()
	if _, err := openTable(ctx); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("openTable before the table exists = %v, want a does-not-exist error", err)
	}
	admin, _, err := openClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	noIndex := tableSchema(name)
	noIndex.GlobalSecondaryIndexes = nil
	noIndex.AttributeDefinitions = noIndex.AttributeDefinitions[:1]
	if _, err := admin.CreateTable(ctx, noIndex); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	if _, err := openTable(ctx); err == nil || !strings.Contains(err.Error(), `has no index "owner-index"`) {
		t.Errorf("openTable of a table without the owner index = %v, want a no-index error", err)
	}
	walk(t, onLocal(t))
}

func needLocal(t *testing.T) {
	t.Helper()
	if os.Getenv("DYNAMODB_ENDPOINT") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("DYNAMODB_ENDPOINT is not set under CI=true; run through scripts/dynamodb-local run")
		}
		t.Skip("DYNAMODB_ENDPOINT is not set: skipping the run against DynamoDB Local (make test sets it)")
	}
}

// onLocal returns the site on a new table of its own in DynamoDB Local,
// created as the package documentation says.
func onLocal(t *testing.T) *site {
	t.Helper()
	needLocal(t)
	name := fmt.Sprintf("webapp-test-%d", time.Now().UnixNano())
	t.Setenv("DYNAMOSESSION_TABLE", name)
	ctx := context.Background()
	admin, _, err := openClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	admin.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}) // left by a test before, if any
	if _, err := admin.CreateTable(ctx, tableSchema(name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	b, err := openTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.clock != nil {
		t.Fatal("openTable chose the fake")
	}
	t.Logf("sessions in %s", b.where)
	return newSite4Test(t, b)
}

func walk(t *testing.T, s *site) {
	t.Helper()
	c := s.device()
	var cookies []string
	lastSize := 0
	for _, st := range flow {
		page, calls := s.visit(c, st.method, st.path, st.form)
		if !regexp.MustCompile(st.wantPage).MatchString(page) {
			t.Errorf("%s: page does not match %q:\n%s", st.name, st.wantPage, page)
		}
		if s.db != nil {
			if diff := cmp.Diff(st.wantCalls, calls); diff != "" {
				t.Errorf("%s: DynamoDB calls mismatch (-want +got):\n%s", st.name, diff)
			}
		}
		panel, size := panelOf(page)
		if diff := cmp.Diff(st.wantPanel, panel); diff != "" {
			t.Errorf("%s: cost panel mismatch (-want +got):\n%s", st.name, diff)
		}
		if _, ok := st.wantPanel["record-format"]; ok {
			s.checkRecord(st.name, s.sid(c), size)
			if st.name == "a theme: the save writes" && size <= lastSize {
				t.Errorf("%s: the record is %d bytes, want more than the %d before", st.name, size, lastSize)
			}
			lastSize = size
		}
		cookies = append(cookies, s.sid(c))
	}
	// Nothing before the login, one cookie from the login to the logout,
	// nothing after.
	want := []string{"", "", cookies[2], cookies[2], cookies[2], cookies[2], cookies[2], "", ""}
	if cookies[2] == "" {
		t.Error("no cookie after the login")
	}
	if diff := cmp.Diff(want, cookies); diff != "" {
		t.Errorf("cookie over the flow mismatch (-want +got):\n%s", diff)
	}
}

// checkRecord checks that the panel's record size is that of the item
// stored for sid (on the fake; on DynamoDB Local, that it is plausible).
func (s *site) checkRecord(step, sid string, size int) {
	s.t.Helper()
	if s.db == nil {
		if size < 100 || size > 1024 {
			s.t.Errorf("%s: the panel says the record is %d bytes; a signed-in session is 100 to 1024", step, size)
		}
		return
	}
	item, ok := s.db.Item(table(), map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#" + sid}})
	if !ok {
		s.t.Fatalf("%s: no item stored for the session", step)
	}
	if got, want := fmt.Sprintf("%s, %d bytes", codecs.Detect(item[dataAttr]), size), fmt.Sprintf("msgpack, %d bytes", capacity.ItemSize(item)); got != want {
		s.t.Errorf("%s: the panel says the record is %s, the stored item is %s", step, got, want)
	}
}

// TestTouchThrottle: page views write nothing until the touch is due;
// once the demo's clock has moved an hour ahead, one page view writes the
// expiry, and the next ones write nothing again.
func TestTouchThrottle(t *testing.T) {
	s := onFake(t)
	c := s.device()
	s.visit(c, "POST", "/login", url.Values{"user": {"ada"}})
	cookie := s.sid(c)
	tests := []struct {
		name, method, path string
		form               url.Values
		wantCalls          map[string]int
		wantPanel          map[string]string
	}{
		{"a view within the hour", "GET", "/account", nil, map[string]int{"GetItem": 1}, oneReadPage},
		{"the clock moves an hour, the view touches", "POST", "/debug/clock", url.Values{"back": {"/account"}},
			map[string]int{"GetItem": 1, "UpdateItem": 1},
			after(costs("2", "GetItem ×1, UpdateItem ×1", "0.5", "1", "record-format", "msgpack", "touched", "touched"),
				"POST /debug/clock", "0", "none", "0", "0")},
		{"the next view writes nothing", "GET", "/account", nil, map[string]int{"GetItem": 1}, oneReadPage},
	}
	for _, tt := range tests {
		page, calls := s.visit(c, tt.method, tt.path, tt.form)
		if diff := cmp.Diff(tt.wantCalls, calls); diff != "" {
			t.Errorf("%s: DynamoDB calls mismatch (-want +got):\n%s", tt.name, diff)
		}
		panel, _ := panelOf(page)
		if diff := cmp.Diff(tt.wantPanel, panel); diff != "" {
			t.Errorf("%s: cost panel mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
	if s.sid(c) != cookie {
		t.Error("the touch changed the session ID")
	}
}

// TestSignOutOtherDevices: a user signed in on two devices lists both
// from the first, marked "this device", signs the other out and keeps
// working; the other's next request is sent to the sign-in form.
func TestSignOutOtherDevices(t *testing.T) {
	t.Run("fake", func(t *testing.T) { signOutOtherDevices(t, onFake(t)) })
	t.Run("DynamoDBLocal", func(t *testing.T) { signOutOtherDevices(t, onLocal(t)) })
}

func signOutOtherDevices(t *testing.T, s *site) {
	a, b := s.device(), s.device()
	for _, d := range []*http.Client{a, b} {
		s.visit(d, "POST", "/login", url.Values{"user": {"ada"}})
	}
	rows := regexp.MustCompile(`<tr class="(session(?: current)?)"><td><code>([^<]*)</code>`)
	list := func(page string) []string {
		var got []string
		for _, m := range rows.FindAllStringSubmatch(page, -1) {
			got = append(got, m[1]+" "+m[2])
		}
		return got
	}

	page, calls := s.visit(a, "GET", "/sessions", nil)
	got := list(page)
	if len(got) != 2 || !slices.Contains(got, "session current "+s.sid(a)[:6]+"…") || !slices.Contains(got, "session "+s.sid(b)[:6]+"…") {
		t.Errorf("device A lists %q, want itself (current) and device B, IDs cut to 6 characters", got)
	}
	if strings.Contains(page, s.sid(b)) {
		t.Error("the list shows device B's whole session ID")
	}
	if diff := cmp.Diff(map[string]int{"GetItem": 1, "Query": 1, "BatchGetItem": 1}, calls); s.db != nil && diff != "" {
		t.Errorf("listing: DynamoDB calls mismatch (-want +got):\n%s", diff)
	}
	panel, _ := panelOf(page)
	if diff := cmp.Diff(costs("3", "BatchGetItem ×1, GetItem ×1, Query ×1", "2", "0", oneRead...), panel); diff != "" {
		t.Errorf("listing: cost panel mismatch (-want +got):\n%s", diff)
	}

	page, calls = s.visit(a, "POST", "/sessions/revoke-others", nil)
	if !strings.Contains(page, `<b id="ended-count">1</b>`) || len(list(page)) != 1 {
		t.Errorf("after signing out the others, device A's page says:\n%s", page)
	}
	if diff := cmp.Diff(map[string]int{"GetItem": 2, "Query": 2, "BatchGetItem": 1, "DeleteItem": 1}, calls); s.db != nil && diff != "" {
		t.Errorf("revocation: DynamoDB calls mismatch (-want +got):\n%s", diff)
	}
	panel, _ = panelOf(page)
	want := after(costs("3", "BatchGetItem ×1, GetItem ×1, Query ×1", "1.5", "0", oneRead...),
		"POST /sessions/revoke-others", "3", "DeleteItem ×1, GetItem ×1, Query ×1", "1", "2", "1")
	if diff := cmp.Diff(want, panel); diff != "" {
		t.Errorf("revocation: cost panel mismatch (-want +got):\n%s", diff)
	}

	// Device B: its cookie names a deleted session; an eventually
	// consistent miss is confirmed by a strong read, then the cookie is
	// cleared and /account sends it to the form.
	page, calls = s.visit(b, "GET", "/account", nil)
	if !strings.Contains(page, `<form method="post" action="/login">`) || s.sid(b) != "" {
		t.Errorf("device B after the revocation: cookie %q, page:\n%s", s.sid(b), page)
	}
	if diff := cmp.Diff(map[string]int{"GetItem": 2}, calls); s.db != nil && diff != "" {
		t.Errorf("device B: DynamoDB calls mismatch (-want +got):\n%s", diff)
	}
	panel, _ = panelOf(page)
	if diff := cmp.Diff(after(noCost, "GET /account", "2", "GetItem ×2", "1.5", "0"), panel); diff != "" {
		t.Errorf("device B: cost panel mismatch (-want +got):\n%s", diff)
	}
	if page, _ := s.visit(a, "GET", "/account", nil); !strings.Contains(page, `Signed in as <b id="user">ada</b>`) {
		t.Errorf("device A after the revocation:\n%s", page)
	}
}

// TestUsage: -h prints a usage naming the program (not the build cache's
// path of go run), and arguments, which the program has none of, are
// refused.
func TestUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // a prefix of what goes to stderr
	}{
		{"no arguments", nil, -1, ""},
		{"-h", []string{"-h"}, 0, "usage: webapp\n\nServes a small site"},
		{"--help", []string{"--help"}, 0, "usage: webapp\n"},
		{"an unknown flag", []string{"-port", "8080"}, 2, "flag provided but not defined: -port\nusage: webapp\n"},
		{"an argument", []string{"serve"}, 2, `webapp: unexpected arguments ["serve"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			code := parseArgs(tt.args, &out)
			if code != tt.wantCode || !strings.HasPrefix(out.String(), tt.wantOut) || (tt.wantOut == "") != (out.Len() == 0) {
				t.Errorf("parseArgs(%q) = %d, %q; want %d, %q...", tt.args, code, out.String(), tt.wantCode, tt.wantOut)
			}
			if strings.Contains(out.String(), os.Args[0]) {
				t.Errorf("the usage names %s", os.Args[0])
			}
		})
	}
}

func TestWhen(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	v := view{Now: now}
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"unknown", time.Time{}, "unknown"},
		{"now", now, "2026-11-30 12:00:00 UTC (now)"},
		{"seconds ago", now.Add(-5 * time.Second), "2026-11-30 11:59:55 UTC (5s ago)"},
		{"a fraction ahead", now.Add(700 * time.Millisecond), "2026-11-30 12:00:00 UTC (now)"},
		{"a fraction ago", now.Add(-1700 * time.Millisecond), "2026-11-30 11:59:58 UTC (1s ago)"},
		{"minutes ahead", now.Add(59*time.Minute + 12*time.Second), "2026-11-30 12:59:12 UTC (in 59m 12s)"},
		{"an hour ahead", now.Add(time.Hour), "2026-11-30 13:00:00 UTC (in 1h 0m)"},
		{"days ahead, two units", now.Add(lifetime - time.Minute), "2026-12-14 11:59:00 UTC (in 13d 23h)"},
		{"another zone", now.In(time.FixedZone("X", 3600)).Add(-time.Hour), "2026-11-30 11:00:00 UTC (1h 0m ago)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := v.When(tt.t); got != tt.want {
				t.Errorf("When(%v) = %q, want %q", tt.t, got, tt.want)
			}
		})
	}
}
