package main

import (
	"errors"
	"fmt"
	"html/template"
	"log"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/httpsession"
	"github.com/dynamosession/dynamosession/ttl"
)

// Session is what the site keeps per signed-in visitor.
type Session struct {
	User       string    `json:"user"`
	SignedInAt time.Time `json:"signedInAt"`
	Theme      string    `json:"theme,omitempty"` // "" (light) or "dark"
}

// The session lifetime and the touch throttle.
const (
	lifetime   = 14 * 24 * time.Hour // signed out after two idle weeks
	touchEvery = time.Hour           // at most one expiry write an hour
)

// app serves the site's pages.
type app struct {
	sessions *httpsession.Manager[Session]
	clock    *demoClock // nil unless on the embedded fake
}

// newSite returns the site over the backend's table: its pages behind the
// session middleware and the cost collector, /debug/requests, and on the
// embedded fake the demo's clock control.
func newSite(b backend) (http.Handler, error) {
	tot := &totals{}
	repo, err := dynamosession.New[Session](meter{b.client, tot}, b.table, func(o *dynamosession.Options[Session]) {
		o.Codec = codec.Msgpack[Session]() // the smallest records
		o.TTL = ttl.Sliding(lifetime)
		o.Touch = ttl.TouchAfter(touchEvery)
		o.Owner = func(s *Session) string { return s.User } // "" for a visitor: not indexed
		if b.clock != nil {
			o.Clock = b.clock.Now
		}
	})
	if err != nil {
		return nil, err
	}
	sessions, err := httpsession.New(repo)
	if err != nil {
		return nil, err
	}
	a := &app{sessions: sessions, clock: b.clock}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		a.render(w, r, http.StatusOK, "home", view{})
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		a.render(w, r, http.StatusOK, "login", view{})
	})
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("GET /account", a.signedIn(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Session]) {
		a.render(w, r, http.StatusOK, "account", view{})
	}))
	mux.HandleFunc("POST /theme", a.signedIn(a.theme))
	mux.HandleFunc("GET /sessions", a.signedIn(a.listSessions))
	mux.HandleFunc("POST /sessions/revoke-others", a.signedIn(a.revokeOthers))
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		httpsession.Get[Session](r).Destroy()
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})

	top := http.NewServeMux()
	top.Handle("/", metered(sessions.Handler(mux)))
	// Outside the session middleware: what needs no session costs no read.
	top.Handle("GET /debug/requests", tot)
	top.HandleFunc("GET /favicon.ico", http.NotFound)
	if b.clock != nil {
		top.Handle("POST /debug/clock", metered(http.HandlerFunc(a.advance)))
	}
	return top, nil
}

// signedIn runs h for a signed-in user, and sends anyone else to the
// sign-in form.
func (a *app) signedIn(h func(http.ResponseWriter, *http.Request, *httpsession.State[Session])) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := httpsession.Get[Session](r)
		if s.Data.User == "" {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		h(w, r, s)
	}
}

func (a *app) now() time.Time {
	if a.clock != nil {
		return a.clock.Now()
	}
	return time.Now()
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	user := strings.TrimSpace(r.PostFormValue("user"))
	if user == "" || len(user) > 64 {
		a.render(w, r, http.StatusBadRequest, "login", view{Problem: "Enter a user name of 1 to 64 characters."})
		return
	}
	s := httpsession.Get[Session](r)
	// A new ID for the new privilege: an ID planted or seen before the
	// login must not become a signed-in session (session fixation).
	if err := s.Regenerate(); err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	s.Data = Session{User: user, SignedInAt: a.now().UTC().Truncate(time.Second)}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// theme stores the user's choice. Choosing the theme the session already
// has changes nothing, and the save then sends no request: the panel of
// the page it redirects to shows it.
func (a *app) theme(w http.ResponseWriter, r *http.Request, s *httpsession.State[Session]) {
	switch r.PostFormValue("theme") {
	case "light":
		s.Data.Theme = ""
	case "dark":
		s.Data.Theme = "dark"
	default:
		a.render(w, r, http.StatusBadRequest, "account", view{Problem: "Choose light or dark."})
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

func (a *app) listSessions(w http.ResponseWriter, r *http.Request, s *httpsession.State[Session]) {
	list, err := s.OwnerSessions()
	if err != nil {
		log.Printf("list sessions: %v", err)
		a.render(w, r, http.StatusInternalServerError, "sessions", view{Problem: "Your sessions could not be listed; try again."})
		return
	}
	v := view{Sessions: list}
	if n, err := strconv.Atoi(r.URL.Query().Get("ended")); err == nil && n >= 0 {
		v.Ended = &n
	}
	a.render(w, r, http.StatusOK, "sessions", v)
}

func (a *app) revokeOthers(w http.ResponseWriter, r *http.Request, s *httpsession.State[Session]) {
	rev, err := s.RevokeOthers()
	if err != nil {
		// Some may be signed out already; trying again finishes the job.
		log.Printf("sign out other devices: %v", err)
		a.render(w, r, http.StatusInternalServerError, "sessions", view{Problem: "Not every other device could be signed out; try again."})
		return
	}
	http.Redirect(w, r, "/sessions?ended="+strconv.Itoa(rev.Ended), http.StatusSeeOther)
}

// advance moves the embedded fake's clock an hour and a minute ahead, so
// the next page view finds the touch due: the stored expiry is rounded up
// to a whole second (ttl.Sliding), so exactly an hour after a write the
// expiry can be a second short of due. Only the demo on the fake has it:
// on a real DynamoDB, time is time.
func (a *app) advance(w http.ResponseWriter, r *http.Request) {
	a.clock.Advance(touchEvery + time.Minute)
	back := "/"
	switch p := r.PostFormValue("back"); p {
	case "/account", "/sessions":
		back = p
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// view is what a page shows.
type view struct {
	Data     Session
	Problem  string
	Sessions []dynamosession.OwnedSession // the sessions page's list
	Ended    *int                         // how many other sessions a revocation ended
	Now      time.Time
	Cost     panel
}

// panel is the cost panel at the bottom of every page.
type panel struct {
	Method, Path string
	This         units    // this request's DynamoDB requests
	Prev         *summary // the request that redirected here, if any
	Record       *record  // the session record as this request read or wrote it
	// The touch throttle, for a signed-in page: when the expiry was last
	// written, when a page view will write it again, and whether this one
	// did.
	Touched                           bool
	LastWritten, NextTouch, ExpiresAt time.Time
	Fake                              bool // the demo's clock can be moved
}

// render answers with page. It starts the response first: the session
// middleware saves (or touches) the session then, so what that cost is in
// the panel the page ends with.
func (a *app) render(w http.ResponseWriter, r *http.Request, code int, page string, v view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	s := httpsession.Get[Session](r)
	c := costOf(r.Context())
	v.Data, v.Now = s.Data, a.now()
	v.Cost = panel{Method: c.Method, Path: c.Path, Prev: c.prev, Fake: a.clock != nil}
	v.Cost.This, v.Cost.Record = c.snapshot()
	if exp := s.ExpiresAt(); s.Data.User != "" && !exp.IsZero() {
		v.Cost.ExpiresAt = exp
		v.Cost.LastWritten = exp.Add(-lifetime)
		v.Cost.NextTouch = v.Cost.LastWritten.Add(touchEvery)
		v.Cost.Touched = r.Method == http.MethodGet && v.Cost.This.Ops["UpdateItem"] > 0
	}
	if err := pages.ExecuteTemplate(w, page, v); err != nil && !errors.Is(err, httpsession.ErrCommitFailed) {
		log.Printf("render %s: %v", page, err)
	}
}

// When returns t as the page shows it, with how far from now it is.
func (v view) When(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	// Toward zero: a stored expiry is rounded up to the second, so the
	// last write it implies can be a fraction of a second "ahead".
	d := t.Sub(v.Now).Truncate(time.Second)
	rel := "in " + span(d)
	switch {
	case d < 0:
		rel = span(-d) + " ago"
	case d == 0:
		rel = "now"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC") + " (" + rel + ")"
}

// span returns d in the two largest of days, hours, minutes and seconds
// it needs: "13d 23h", "1h 0m", "59m 12s", "5s".
func span(d time.Duration) string {
	units := []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	var out []string
	for _, u := range units {
		if n := d / u.size; n > 0 || len(out) > 0 {
			out = append(out, fmt.Sprintf("%d%s", n, u.name))
			d -= n * u.size
			if len(out) == 2 {
				break
			}
		}
	}
	if len(out) == 0 {
		return "0s"
	}
	return strings.Join(out, " ")
}

var pages = template.Must(template.New("").Parse(`
{{define "top"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dynamosession webapp</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem}
body.dark{background:#1b1b1f;color:#e6e6e6} body.dark a{color:#9ecbff}
table{border-collapse:collapse} td,th{padding:.2rem .6rem;text-align:left;border-bottom:1px solid #8884}
#cost{margin-top:2.5rem;padding:.5rem 1rem;border:1px solid #8886;border-radius:.4rem;font-size:.9rem}
#cost h2{font-size:1rem;margin:.3rem 0}
</style></head>
<body{{if eq .Data.Theme "dark"}} class="dark"{{end}}><nav><a href="/">Home</a> · <a id="account-link" href="/account">Account</a> · <a id="sessions-link" href="/sessions">Sessions</a></nav>{{end}}

{{define "bottom"}}{{with .Cost}}
<section id="cost">
<h2>What this page cost in DynamoDB</h2>
<p>This request, <code>{{.Method}} {{.Path}}</code>: <b id="cost-requests">{{.This.Requests}}</b> request(s)
(<span id="cost-ops">{{.This.OpList}}</span>), <b id="cost-read">{{.This.Read}}</b> read units,
<b id="cost-write">{{.This.Write}}</b> write units{{if .This.Index}} (<span id="cost-index">{{.This.Index}}</span> of them the owner index's){{end}}.</p>
{{with .Prev}}<p id="prev">Before it, <code id="prev-request">{{.Method}} {{.Path}}</code> answered {{.StatusText}}:
<b id="prev-requests">{{.Requests}}</b> request(s) (<span id="prev-ops">{{.OpList}}</span>),
<b id="prev-read">{{.Read}}</b> read units, <b id="prev-write">{{.Write}}</b> write units{{if .Index}} (<span id="prev-index">{{.Index}}</span> of them the owner index's){{end}}.</p>{{end}}
{{with .Record}}<p id="record">The session record: <b id="record-format">{{.Format}}</b>, <b id="record-bytes">{{.Bytes}}</b> bytes.
An eventually consistent read of up to 4 KB costs 0.5 read unit; a write costs 1 write unit per started KB.</p>{{end}}
{{if not .ExpiresAt.IsZero}}<p id="touch">{{if .Touched}}This page view <b id="touched">touched</b> the session: it wrote the expiry, now {{$.When .ExpiresAt}}.
The next touch is due {{$.When .NextTouch}}.{{else}}Touch throttle: the expiry was last written {{$.When .LastWritten}}; page views
<b id="not-touched">write nothing</b> until {{$.When .NextTouch}}, when one writes it again (1 write unit).{{end}}
A save of a session the page did not change sends no request at all.</p>{{end}}
{{if .Fake}}<form method="post" action="/debug/clock"><input type="hidden" name="back" value="{{.Path}}">
<button id="advance">Move the in-memory DynamoDB's clock 61 minutes ahead</button></form>{{end}}
<p><a href="/debug/requests">Totals since start</a></p>
</section>{{end}}
</body></html>{{end}}

{{define "home"}}{{template "top" .}}
<h1>Home</h1>
{{if .Data.User}}<p id="status">Signed in as <b id="user">{{.Data.User}}</b>.</p>
<form method="post" action="/logout"><button id="logout">Sign out</button></form>
{{else}}<p id="status">Not signed in. <a id="login-link" href="/login">Sign in</a></p>{{end}}
{{template "bottom" .}}{{end}}

{{define "login"}}{{template "top" .}}
<h1>Sign in</h1>
{{with .Problem}}<p id="problem">{{.}}</p>{{end}}
<form method="post" action="/login">
<label>User <input id="user-input" name="user" autocomplete="username" required maxlength="64"></label>
<button id="login">Sign in</button>
</form>
{{template "bottom" .}}{{end}}

{{define "account"}}{{template "top" .}}
<h1>Account</h1>
{{with .Problem}}<p id="problem">{{.}}</p>{{end}}
<p id="status">Signed in as <b id="user">{{.Data.User}}</b> since {{.Data.SignedInAt.Format "2006-01-02 15:04:05 MST"}}.</p>
<form method="post" action="/theme">Theme:
<button id="theme-light" name="theme" value="light">Light</button>
<button id="theme-dark" name="theme" value="dark">Dark</button>
(choosing the theme you have saves nothing)</form>
<form method="post" action="/logout"><button id="logout">Sign out</button></form>
{{template "bottom" .}}{{end}}

{{define "sessions"}}{{template "top" .}}
<h1>Your sessions</h1>
{{with .Problem}}<p id="problem">{{.}}</p>{{end}}
{{with .Ended}}<p id="ended">Signed out <b id="ended-count">{{.}}</b> other session(s).</p>{{end}}
<table id="sessions"><thead><tr><th>Session</th><th>Signed in</th><th>Last written</th><th>Expires</th><th></th></tr></thead><tbody>
{{range .Sessions}}<tr class="session{{if .Current}} current{{end}}"><td><code>{{.RedactedID}}</code></td>
<td>{{$.When .OwnedAt}}</td><td>{{$.When .LastWritten}}</td><td>{{$.When .ExpiresAt}}</td><td>{{if .Current}}<b>this device</b>{{end}}</td></tr>
{{end}}</tbody></table>
<form method="post" action="/sessions/revoke-others"><button id="revoke-others">Sign out other devices</button></form>
<p>The list is one Query of the owner index and one BatchGetItem of the sessions it names (0.5 read unit
per started 4 KB of each). Signing out deletes each other session: 1 write unit, plus 1 for its index entry.
Session IDs are shown cut to 6 characters: a full ID would let anyone who sees this page use that session.</p>
{{template "bottom" .}}{{end}}
`))
