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
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
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

// requests reads the webapp's DynamoDB call counts.
func requests(t *testing.T, base string) map[string]float64 {
	t.Helper()
	res, err := http.Get(base + "/debug/requests")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]float64
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func diffCalls(before, after map[string]float64) string {
	var parts []string
	for _, op := range []string{"GetItem", "PutItem", "UpdateItem", "DeleteItem"} {
		if d := after[op] - before[op]; d != 0 {
			parts = append(parts, fmt.Sprintf("%s=%v", op, d))
		}
	}
	return strings.Join(parts, " ")
}

// TestWebappInChromium signs in, visits a second page and signs out in a
// real browser, and checks the cookie the browser kept.
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
	if d := diffCalls(before, requests(t, base)); d != "GetItem=1 DeleteItem=1" {
		t.Errorf("sign-out (POST /logout, 303, GET /) made %q, want GetItem=1 DeleteItem=1", d)
	}
	if got := navigate(t, ctx, "account after sign-out", chromedp.Navigate(base+"/account")); got != base+"/login" {
		t.Errorf("account after sign-out ended at %s, want the sign-in form", got)
	}
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
