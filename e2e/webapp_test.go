// Package e2e tests examples/webapp as a person would use it: in headless
// Chromium, driven over the Chrome DevTools Protocol with chromedp. It is a
// module of its own so that the dynamosession module does not depend on
// chromedp. Run it from the repository root with
//
//	cd e2e && go test ./...
//
// It needs Chromium (Debian: apt-get install chromium; or set CHROMIUM to a
// Chrome or Chromium binary). Without one it skips, except under CI=true,
// where it fails.
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// findChromium returns the browser binary, or skips (fails under CI).
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium found (looked for $CHROMIUM, chromium, chromium-browser, google-chrome): install it with `apt-get install chromium` to run the browser test"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true requires it")
	}
	t.Skip(msg)
	return ""
}

// buildDir holds the webapp binary, built once for all tests.
var buildDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dynamosession-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildWebapp builds examples/webapp once.
var buildWebapp = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(buildDir, "webapp")
	build := exec.Command("go", "build", "-o", bin, "./examples/webapp")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./examples/webapp: %v\n%s", err, out)
	}
	return bin, nil
})

// startWebapp starts examples/webapp on a free port with its sessions on
// the embedded fake, and returns the port.
func startWebapp(t *testing.T) int {
	t.Helper()
	bin, err := buildWebapp()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(withoutVars(os.Environ(), "DYNAMODB_ENDPOINT", "DYNAMOSESSION_TABLE", "PORT"), "PORT=0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	portc := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`listening on http://localhost:(\d+) \(sessions: embedded in-memory DynamoDB\)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				var p int
				fmt.Sscan(m[1], &p)
				portc <- p
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case p := <-portc:
		return p
	case <-time.After(30 * time.Second):
		t.Fatal("webapp did not report its port within 30 s")
	}
	return 0
}

func withoutVars(env []string, names ...string) []string {
	var out []string
outer:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue outer
			}
		}
		out = append(out, kv)
	}
	return out
}

// browser starts headless Chromium with the flags a root user in a
// container needs, and a host rule mapping app.test to the loopback
// interface (a host that is not a secure context over plain HTTP).
func browser(t *testing.T, execPath string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP app.test 127.0.0.1"),
		// Chromium tries https:// first for http:// navigations to hosts other
		// than localhost, and falls back after a timeout: seconds per page.
		chromedp.Flag("disable-features", "HttpsUpgrades,HttpsFirstBalancedModeAutoEnable"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first call starts the browser, which lives as long as this
	// context: no timeout on it (each step below has its own).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", execPath, err)
	}
	return ctx
}

// step runs actions with a timeout, so a missing element fails the test
// instead of hanging it.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// navigate runs actions that make the page navigate (a click on a link or
// a submit button), waits for the new page to load, and returns the URL it
// ended at, after redirects. Waiting for an element instead would race: the
// old page may have it too.
func navigate(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if res.Status != http.StatusOK {
		t.Fatalf("%s: %s answered %d", what, res.URL, res.Status)
	}
	return res.URL
}

// value runs one action that returns a value, with a timeout.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// text waits for the element with the CSS selector sel and returns its text.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	step(t, ctx, "wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	return strings.TrimSpace(value(t, ctx, "text of "+sel, chromedp.Text(chromedp.CSS(sel))))
}

// sessionCookie returns the browser's session cookie for url, or nil.
func sessionCookie(t *testing.T, ctx context.Context, url string) *network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == "sid" {
			return c
		}
	}
	return nil
}

// totals reads the webapp's DynamoDB totals since start (its
// /debug/requests, kept by the meter that wraps its DynamoDB client).
type totals struct {
	Ops                map[string]int
	Read, Write, Index float64
}

func requests(t *testing.T, base string) totals {
	t.Helper()
	res, err := http.Get(base + "/debug/requests")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tot totals
	if err := json.NewDecoder(res.Body).Decode(&tot); err != nil {
		t.Fatal(err)
	}
	return tot
}

// diffCalls returns the requests made between two readings of the
// totals, "GetItem=1 PutItem=1" (operations in alphabetical order).
func diffCalls(before, after totals) string {
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(after.Ops)) {
		if d := after.Ops[op] - before.Ops[op]; d != 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", op, d))
		}
	}
	return strings.Join(parts, " ")
}

// panelIDs are the IDs of the cost panel's elements the tests read.
var panelIDs = regexp.MustCompile(`^(cost|prev|record)-|^(not-)?touched$`)

// panel reads the cost panel at the bottom of the page: the text of its
// elements whose ID starts with cost-, prev- or record-, and of the touch
// throttle's touched or not-touched mark, by ID. The record's size in
// bytes is returned apart: it depends on the session's time.
func panel(t *testing.T, ctx context.Context) (map[string]string, string) {
	t.Helper()
	step(t, ctx, "wait for the cost panel", chromedp.WaitVisible(chromedp.CSS("#cost")))
	all := value(t, ctx, "read the cost panel", chromedp.Evaluate[map[string]string](
		`Object.fromEntries([...document.querySelectorAll("#cost [id]")].map(e => [e.id, e.textContent.trim()]))`))
	got := map[string]string{}
	for id, text := range all {
		if panelIDs.MatchString(id) {
			got[id] = text
		}
	}
	size := got["record-bytes"]
	delete(got, "record-bytes")
	return got, size
}

// costs builds an expected panel: this request's requests, operations,
// read and write units, then more IDs and values in pairs.
func costs(requests, ops, read, write string, more ...string) map[string]string {
	m := map[string]string{"cost-requests": requests, "cost-ops": ops, "cost-read": read, "cost-write": write}
	for i := 0; i+1 < len(more); i += 2 {
		m[more[i]] = more[i+1]
	}
	return m
}

// after adds to panel the cost of the request that redirected to the page.
func after(panel map[string]string, request, requests, ops, read, write string, index ...string) map[string]string {
	m := maps.Clone(panel)
	m["prev-request"], m["prev-requests"], m["prev-ops"], m["prev-read"], m["prev-write"] = request, requests, ops, read, write
	if len(index) > 0 {
		m["prev-index"] = index[0]
	}
	return m
}

var (
	// noCost is the panel of a page that sent DynamoDB nothing.
	noCost = costs("0", "none", "0", "0")
	// aRead is the panel of a signed-in page view that only read: one
	// eventually consistent GetItem, half a read unit, no write.
	aRead = costs("1", "GetItem ×1", "0.5", "0", "record-format", "msgpack", "not-touched", "write nothing")
)

// checkPanel compares the page's cost panel with want.
func checkPanel(t *testing.T, ctx context.Context, what string, want map[string]string) {
	t.Helper()
	got, size := panel(t, ctx)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: cost panel mismatch (-want +got):\n%s", what, diff)
	}
	if _, ok := want["record-format"]; ok && !regexp.MustCompile(`^[1-9][0-9]{1,2}$`).MatchString(size) {
		t.Errorf("%s: the session record is %q bytes, want 10 to 999", what, size)
	}
}

// TestWebappInChromium signs in, visits a second page and signs out in a
// real browser, and checks the cookie the browser kept and the cost panel
// of each page, against the site's own totals.
func TestWebappInChromium(t *testing.T) {
	chromium := findChromium(t)
	port := startWebapp(t)
	ctx := browser(t, chromium)
	base := fmt.Sprintf("http://localhost:%d", port)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	// An anonymous visit: no cookie, no DynamoDB request.
	before := requests(t, base)
	navigate(t, ctx, "open home", chromedp.Navigate(base+"/"))
	if got := text(t, ctx, "#status"); !strings.HasPrefix(got, "Not signed in") {
		t.Errorf("home says %q, want Not signed in", got)
	}
	if c := sessionCookie(t, ctx, base); c != nil {
		t.Errorf("anonymous visit got a cookie: %+v", c)
	}
	if d := diffCalls(before, requests(t, base)); d != "" {
		t.Errorf("anonymous visit made DynamoDB calls: %s", d)
	}
	checkPanel(t, ctx, "anonymous home", noCost)

	// Sign in through the form.
	before = requests(t, base)
	navigate(t, ctx, "open the form", chromedp.Click(css("#login-link")))
	location := navigate(t, ctx, "sign in", chromedp.SendKeys(css("#user-input"), "ada"), chromedp.Click(css("#login")))
	if user := text(t, ctx, "#user"); location != base+"/account" || user != "ada" {
		t.Errorf("after sign-in: at %s as %q, want %s/account as ada", location, user, base)
	}
	if d := diffCalls(before, requests(t, base)); d != "GetItem=1 PutItem=1" {
		t.Errorf("sign-in (POST /login, 303, GET /account) made %q, want GetItem=1 PutItem=1", d)
	}
	// The login's write shows as the request before this page: the new
	// session, 1 write unit, and its entry in the owner index, 1 more.
	checkPanel(t, ctx, "after sign-in", after(aRead, "POST /login", "1", "PutItem ×1", "0", "2", "1"))

	c := sessionCookie(t, ctx, base)
	if c == nil {
		t.Fatal("no session cookie after sign-in")
	}
	id := c.Value
	// Chromium treats http://localhost as a secure context and keeps the
	// Secure cookie; the rest are the middleware's defaults.
	got := fmt.Sprintf("HttpOnly=%v Secure=%v SameSite=%s Path=%s Session=%v", c.HTTPOnly, c.Secure, c.SameSite, c.Path, c.Session)
	if want := "HttpOnly=true Secure=true SameSite=Lax Path=/ Session=false"; got != want {
		t.Errorf("cookie attributes %s, want %s", got, want)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(id) {
		t.Errorf("session ID %q: want 43 base64url characters", id)
	}
	expires := time.Unix(int64(c.Expires), 0)
	if d := time.Until(expires); d < 14*24*time.Hour-time.Minute || d > 14*24*time.Hour+time.Minute {
		t.Errorf("cookie expires %v, want in 14 days (the repository's TTL)", expires)
	}
	if dc := value(t, ctx, "document.cookie", chromedp.Evaluate[string](`document.cookie`)); dc != "" {
		t.Errorf("document.cookie = %q: an HttpOnly cookie must be invisible to scripts", dc)
	}

	// A second page: the browser sends the cookie, the page sees the user,
	// the cookie stays the same, and the view costs one read.
	before = requests(t, base)
	navigate(t, ctx, "open home again", chromedp.Navigate(base+"/"))
	if got := text(t, ctx, "#user"); got != "ada" {
		t.Errorf("second page shows user %q, want ada", got)
	}
	if d := diffCalls(before, requests(t, base)); d != "GetItem=1" {
		t.Errorf("second page view made %q, want GetItem=1", d)
	}
	checkPanel(t, ctx, "second page view", aRead)
	if got := navigate(t, ctx, "open account again", chromedp.Click(css("#account-link"))); got != base+"/account" || text(t, ctx, "#user") != "ada" {
		t.Errorf("account page at %s, want %s/account showing ada", got, base)
	}
	if c := sessionCookie(t, ctx, base); c == nil || c.Value != id {
		t.Errorf("cookie changed on later pages: %+v, want %q", c, id)
	}

	// Sign out: the cookie goes, the site forgets the user.
	before = requests(t, base)
	if got := navigate(t, ctx, "sign out", chromedp.Click(css("#logout"))); got != base+"/" || !strings.HasPrefix(text(t, ctx, "#status"), "Not signed in") {
		t.Errorf("after sign-out at %s, want %s/ not signed in", got, base)
	}
	if c := sessionCookie(t, ctx, base); c != nil {
		t.Errorf("cookie after sign-out: %+v", c)
	}
	if d := diffCalls(before, requests(t, base)); d != "DeleteItem=1 GetItem=1" {
		t.Errorf("sign-out (POST /logout, 303, GET /) made %q, want DeleteItem=1 GetItem=1", d)
	}
	checkPanel(t, ctx, "after sign-out", after(noCost, "POST /logout", "2", "DeleteItem ×1, GetItem ×1", "0.5", "2", "1"))
	if got := navigate(t, ctx, "account after sign-out", chromedp.Navigate(base+"/account")); got != base+"/login" {
		t.Errorf("account after sign-out ended at %s, want the sign-in form", got)
	}
}

// signIn signs the browser in as user through the form.
func signIn(t *testing.T, ctx context.Context, base, user string) {
	t.Helper()
	navigate(t, ctx, "open the form", chromedp.Navigate(base+"/login"))
	if got := navigate(t, ctx, "sign in as "+user, chromedp.SendKeys(chromedp.CSS("#user-input"), user), chromedp.Click(chromedp.CSS("#login"))); got != base+"/account" {
		t.Fatalf("sign-in as %s ended at %s, want %s/account", user, got, base)
	}
}

// TestCostPanelInChromium: the panel shows the skip-unchanged save (a
// theme chosen again writes nothing) and the touch throttle (page views
// write nothing until the demo's clock has moved past the next touch,
// then one view writes the expiry).
func TestCostPanelInChromium(t *testing.T) {
	chromium := findChromium(t)
	port := startWebapp(t)
	ctx := browser(t, chromium)
	base := fmt.Sprintf("http://localhost:%d", port)
	click := func(what, sel string) { navigate(t, ctx, what, chromedp.Click(chromedp.CSS(sel))) }
	signIn(t, ctx, base, "ada")

	click("choose the dark theme", "#theme-dark")
	if class := value(t, ctx, "body class", chromedp.Evaluate[string](`document.body.className`)); class != "dark" {
		t.Errorf("body class %q after choosing dark, want dark", class)
	}
	checkPanel(t, ctx, "a new theme", after(aRead, "POST /theme", "2", "GetItem ×1, UpdateItem ×1", "0.5", "1"))
	click("choose the dark theme again", "#theme-dark")
	checkPanel(t, ctx, "the same theme", after(aRead, "POST /theme", "1", "GetItem ×1", "0.5", "0"))

	click("move the clock past the next touch", "#advance")
	checkPanel(t, ctx, "the first view after an hour",
		after(costs("2", "GetItem ×1, UpdateItem ×1", "0.5", "1", "record-format", "msgpack", "touched", "touched"),
			"POST /debug/clock", "0", "none", "0", "0"))
	navigate(t, ctx, "reload", chromedp.Reload())
	checkPanel(t, ctx, "the next view", aRead)
}

// TestSignOutOtherDevicesInChromium: one user signed in from two browser
// contexts (two devices, each with its own cookies) lists both sessions on
// device A, signs the other out there, and keeps working on A; device B's
// next request finds its session gone and lands on the sign-in form.
func TestSignOutOtherDevicesInChromium(t *testing.T) {
	chromium := findChromium(t)
	port := startWebapp(t)
	a := browser(t, chromium)
	b, cancel := chromedp.NewContext(a, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(b); err != nil {
		t.Fatalf("opening a second browser context: %v", err)
	}
	base := fmt.Sprintf("http://localhost:%d", port)
	signIn(t, a, base, "ada")
	signIn(t, b, base, "ada")
	idA, idB := sessionCookie(t, a, base), sessionCookie(t, b, base)
	if idA == nil || idB == nil || idA.Value == idB.Value {
		t.Fatalf("two devices signed in with cookies %+v and %+v, want two sessions", idA, idB)
	}

	// Device A lists both, itself marked, IDs cut to 6 characters.
	rows := `[...document.querySelectorAll("#sessions tr.session")].map(r => r.querySelector("code").textContent + (r.classList.contains("current") ? " this device" : ""))`
	navigate(t, a, "open the sessions page", chromedp.Click(chromedp.CSS("#sessions-link")))
	got := value(t, a, "the sessions listed", chromedp.Evaluate[[]string](rows))
	want := []string{idA.Value[:6] + "… this device", idB.Value[:6] + "…"}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(x, y string) bool { return x < y })); diff != "" {
		t.Errorf("device A's sessions mismatch (-want +got):\n%s", diff)
	}
	// The page's read, the Query of the owner index, and one BatchGetItem
	// of the two sessions (0.5 read unit each).
	checkPanel(t, a, "the sessions page", costs("3", "BatchGetItem ×1, GetItem ×1, Query ×1", "2", "0",
		"record-format", "msgpack", "not-touched", "write nothing"))

	navigate(t, a, "sign out other devices", chromedp.Click(chromedp.CSS("#revoke-others")))
	if got := text(t, a, "#ended-count"); got != "1" {
		t.Errorf("the page says %s other sessions were signed out, want 1", got)
	}
	if got := value(t, a, "the sessions listed", chromedp.Evaluate[[]string](rows)); !cmp.Equal(got, want[:1]) {
		t.Errorf("after signing out the others, device A lists %q, want %q", got, want[:1])
	}
	// The revocation: the read, the Query, one conditional delete (1 write
	// unit, and 1 for the index entry).
	checkPanel(t, a, "after signing out the others",
		after(costs("3", "BatchGetItem ×1, GetItem ×1, Query ×1", "1.5", "0", "record-format", "msgpack", "not-touched", "write nothing"),
			"POST /sessions/revoke-others", "3", "DeleteItem ×1, GetItem ×1, Query ×1", "1", "2", "1"))

	// Device B is signed out on its next request: its session is gone
	// (the eventually consistent miss is confirmed by a strong read), the
	// cookie is cleared, and /account sends it to the form.
	if got := navigate(t, b, "device B opens its account", chromedp.Navigate(base+"/account")); got != base+"/login" {
		t.Errorf("device B's account page ended at %s, want %s/login", got, base)
	}
	if c := sessionCookie(t, b, base); c != nil {
		t.Errorf("device B still has a session cookie: %+v", c)
	}
	checkPanel(t, b, "device B after the revocation", after(noCost, "GET /account", "2", "GetItem ×2", "1.5", "0"))

	// Device A goes on.
	if got := navigate(t, a, "device A opens its account", chromedp.Navigate(base+"/account")); got != base+"/account" || text(t, a, "#user") != "ada" {
		t.Errorf("device A's account page at %s, want %s/account signed in as ada", got, base)
	}
	if c := sessionCookie(t, a, base); c == nil || c.Value != idA.Value {
		t.Errorf("device A's cookie is %+v, want its session %q", c, idA.Value)
	}
	checkPanel(t, a, "device A after the revocation", aRead)
}

// TestSecureCookieOnPlainHTTPHost: on a host that is not localhost, plain
// HTTP is not a secure context and Chromium drops the Secure cookie, so a
// sign-in does not stick. This is what Options.InsecureCookie exists for
// (in development only), and why the site must be served over HTTPS.
func TestSecureCookieOnPlainHTTPHost(t *testing.T) {
	chromium := findChromium(t)
	port := startWebapp(t)
	ctx := browser(t, chromium)
	base := fmt.Sprintf("http://app.test:%d", port)
	navigate(t, ctx, "open the form on "+base, chromedp.Navigate(base+"/login"))
	// The login answers 303 to /account with a Set-Cookie that Chromium
	// drops, so /account finds no session and sends it back to the form.
	if got := navigate(t, ctx, "sign in on "+base, chromedp.SendKeys(chromedp.CSS("#user-input"), "ada"), chromedp.Click(chromedp.CSS("#login"))); got != base+"/login" {
		t.Errorf("sign-in on %s ended at %s, want back at the form", base, got)
	}
	navigate(t, ctx, "open home on "+base, chromedp.Navigate(base+"/"))
	if c := sessionCookie(t, ctx, base); c != nil {
		t.Errorf("Chromium kept a Secure cookie from plain-HTTP %s: %+v", base, c)
	}
	if status := text(t, ctx, "#status"); !strings.HasPrefix(status, "Not signed in") {
		t.Errorf("home on %s says %q, want Not signed in", base, status)
	}
}
