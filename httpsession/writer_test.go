package httpsession_test

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/httpsession"
)

// plainWriter is a ResponseWriter that can neither flush nor hijack.
type plainWriter struct{ h http.Header }

func (w *plainWriter) Header() http.Header         { return w.h }
func (w *plainWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *plainWriter) WriteHeader(int)             {}

// unwrapOnly is a middleware's ResponseWriter that implements nothing but
// Unwrap: http.ResponseController still reaches what is below it.
type unwrapOnly struct{ http.ResponseWriter }

func (w unwrapOnly) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// TestOptionalInterfaces: a handler's direct type assertions on the
// middleware's ResponseWriter tell the truth about the writer below it,
// as http.ResponseController would find it.
func TestOptionalInterfaces(t *testing.T) {
	type caps struct{ Flusher, Hijacker, ReaderFrom bool }
	tests := []struct {
		name  string
		serve func(h http.Handler) // runs one request through h
		want  caps
	}{
		{"net/http server", serveOnce, caps{Flusher: true, Hijacker: true, ReaderFrom: true}},
		{"net/http server behind an Unwrap-only middleware", func(h http.Handler) {
			serveOnce(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(unwrapOnly{w}, r) }))
		}, caps{Flusher: true, Hijacker: true, ReaderFrom: true}},
		{"httptest.ResponseRecorder", func(h http.Handler) {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		}, caps{Flusher: true, ReaderFrom: true}},
		{"a writer that supports neither", func(h http.Handler) {
			h.ServeHTTP(&plainWriter{h: http.Header{}}, httptest.NewRequest("GET", "/", nil))
		}, caps{ReaderFrom: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			var got caps
			tt.serve(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				_, got.Flusher = w.(http.Flusher)
				_, got.Hijacker = w.(http.Hijacker)
				_, got.ReaderFrom = w.(io.ReaderFrom)
			}))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// serveOnce runs one GET through h on a real net/http server.
func serveOnce(h http.Handler) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	if res, err := srv.Client().Get(srv.URL); err == nil {
		res.Body.Close()
	}
}

// TestFlushUnsupported: flushing through http.ResponseController where
// nothing below can flush reports http.ErrNotSupported and does not start
// the response: the handler may still regenerate.
func TestFlushUnsupported(t *testing.T) {
	e := newEnv(t, nil)
	var flushErr, regenErr error
	e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
		flushErr = http.NewResponseController(w).Flush()
		regenErr = s.Regenerate()
	}).ServeHTTP(&plainWriter{h: http.Header{}}, httptest.NewRequest("GET", "/", nil))
	if !errors.Is(flushErr, http.ErrNotSupported) || regenErr != nil {
		t.Errorf("Flush = %v, Regenerate = %v; want ErrNotSupported, nil", flushErr, regenErr)
	}
}

// TestHijack: a handler that takes the connection over (a WebSocket
// upgrade) gets it through a direct assertion or a ResponseController,
// and the middleware writes nothing after that: a cookie could never
// reach the browser. Changes the handler made are reported as dropped.
func TestHijack(t *testing.T) {
	tests := []struct {
		name     string
		loggedIn bool
		hijack   func(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error)
		change   func(s *httpsession.State[Cart])
		wantLog  bool
	}{
		{"direct assertion, new session", false, func(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error) {
			return w.(http.Hijacker).Hijack()
		}, func(s *httpsession.State[Cart]) { s.Data.User = "ada" }, true},
		{"ResponseController, new session", false, func(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error) {
			return http.NewResponseController(w).Hijack()
		}, func(s *httpsession.State[Cart]) { s.Data.User = "ada" }, true},
		{"direct assertion, stored session changed", true, func(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error) {
			return w.(http.Hijacker).Hijack()
		}, func(s *httpsession.State[Cart]) { s.Data.User = "grace" }, true},
		{"direct assertion, stored session destroyed", true, func(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error) {
			return w.(http.Hijacker).Hijack()
		}, func(s *httpsession.State[Cart]) { s.Destroy() }, true},
		{"direct assertion, stored session only read", true, func(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error) {
			return w.(http.Hijacker).Hijack()
		}, func(s *httpsession.State[Cart]) {}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log strings.Builder
			e := newEnv(t, nil, func(o *httpsession.Options) { o.Logger = slog.New(slog.NewTextHandler(&log, nil)) })
			var cookie string
			if tt.loggedIn {
				b := newBrowser()
				b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
				cookie = "sid=" + b.jar["sid"]
			}
			e.calls()
			// A hijacked connection is not the server's any more: Close
			// does not wait for its handler, done does.
			done := make(chan struct{})
			h := e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				tt.change(s)
				conn, buf, err := tt.hijack(w)
				if err != nil {
					t.Errorf("Hijack: %v", err)
					return
				}
				defer conn.Close()
				buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
				buf.Flush()
				tt.change(s) // changes after the hijack are not written either
			})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(done)
				h.ServeHTTP(w, r)
			}))
			defer srv.Close()
			req, _ := http.NewRequest("GET", srv.URL, nil)
			if cookie != "" {
				req.Header.Set("Cookie", cookie)
			}
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if got := body(res); got != "hijacked" {
				t.Errorf("body %q, want the hijacker's", got)
			}
			res.Body.Close()
			<-done
			want := map[string]int{}
			if tt.loggedIn {
				want["GetItem"] = 1
			}
			if diff := cmp.Diff(want, e.calls()); diff != "" {
				t.Errorf("DynamoDB calls mismatch (-want +got):\n%s", diff)
			}
			if got := strings.Contains(log.String(), "hijacked"); got != tt.wantLog {
				t.Errorf("logged a dropped change = %v, want %v; log: %s", got, tt.wantLog, log.String())
			}
			if len(e.errs) > 0 {
				t.Errorf("ErrorHandler got %v", e.errs)
			}
		})
	}
}
