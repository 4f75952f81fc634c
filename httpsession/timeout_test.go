package httpsession_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/httpsession"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/dynamosession/dynamosession/ttl"
)

// TestTimeout: every read and write the middleware makes fails within
// Options.Timeout when DynamoDB does not answer, and the failure reaches
// the ErrorHandler; the request does not wait for DynamoDB. The fake's
// latency (far longer than the timeout) stands for a server that hangs.
func TestTimeout(t *testing.T) {
	const latency = 5 * time.Second // never waited for when the timeout works
	tests := []struct {
		name     string
		loggedIn bool
		fn       func(s *httpsession.State[Cart])
		wantCode int
	}{
		{"load", true, func(s *httpsession.State[Cart]) {}, 500},
		{"create", false, func(s *httpsession.State[Cart]) { s.Data.User = "ada" }, 500},
		{"save", true, func(s *httpsession.State[Cart]) { s.Data.Items = []string{"book"} }, 500},
		{"regenerate", true, func(s *httpsession.State[Cart]) { _ = s.Regenerate() }, 500},
		{"logout", true, func(s *httpsession.State[Cart]) { s.Destroy() }, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, func(o *httpsession.Options) { o.Timeout = 20 * time.Millisecond })
			b := newBrowser()
			if tt.loggedIn {
				b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
			}
			if tt.name == "load" {
				e.db.SetLatency(latency)
			}
			res := b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				e.db.SetLatency(latency) // after the load: only the save hangs
				tt.fn(s)
			}), "POST", "/")
			e.db.SetLatency(0)
			if res.StatusCode != tt.wantCode {
				t.Errorf("status %d, want %d", res.StatusCode, tt.wantCode)
			}
			if len(e.errs) != 1 || !errors.Is(e.errs[0], context.DeadlineExceeded) {
				t.Errorf("ErrorHandler got %v, want one error wrapping context.DeadlineExceeded", e.errs)
			}
		})
	}
}

// TestClientHangUpDoesNotCutSaveShort: the save runs on a context detached
// from the request's cancellation (a regeneration cut between its create
// and its delete would leave two live sessions), bounded by Timeout alone.
func TestClientHangUpDoesNotCutSaveShort(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser()
	b.do(e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/")
	old := b.jar["sid"]
	ctx, hangUp := context.WithCancel(context.Background())
	r := mustRequest("POST", "https://example.com/login").WithContext(ctx)
	r.Header.Set("Cookie", "sid="+old)
	rec := newRecorder()
	var newID string
	e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
		_ = s.Regenerate()
		s.Data.User = "grace"
		hangUp()
		w.WriteHeader(http.StatusNoContent)
		newID = s.ID()
	}).ServeHTTP(rec, r)
	if rec.Code != http.StatusNoContent || len(e.errs) > 0 {
		t.Errorf("status %d, errors %v; want 204 and none", rec.Code, e.errs)
	}
	if got := e.stored(newID); got == nil || got.User != "grace" {
		t.Errorf("new session = %+v, want grace's", got)
	}
	if _, err := e.repo.Get(context.Background(), old); !errors.Is(err, dynamosession.ErrSuperseded) {
		t.Errorf("old session: Get = %v, want ErrSuperseded", err)
	}
}

// TestTimeoutDynamoDBLocal: the same on the real server, made to hang.
// By default a proxy between the SDK and DynamoDB Local stops passing
// bytes (the client sees exactly what a paused server shows it: a
// connection that accepts a request and never answers). With
// DYNAMODB_LOCAL_PID set to the server's java process, the test pauses the
// server itself with SIGSTOP instead, and resumes it with SIGCONT.
func TestTimeoutDynamoDBLocal(t *testing.T) {
	local := dynamotest.Client(t)
	tbl := dynamotest.CreateTable(t, local, "id", "expires")
	p := startProxy(t, dynamotest.Endpoint())
	var pause, resume func()
	if pid, err := strconv.Atoi(os.Getenv("DYNAMODB_LOCAL_PID")); err == nil {
		pause = func() { must(t, syscall.Kill(pid, syscall.SIGSTOP)) }
		resume = func() { must(t, syscall.Kill(pid, syscall.SIGCONT)) }
	} else {
		pause, resume = p.pause, p.resume
	}
	t.Cleanup(resume) // never leave the server stopped
	client := dynamodb.New(local.Options(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(p.url)
	})
	repo, err := dynamosession.New[Cart](client, tbl, func(o *dynamosession.Options[Cart]) {
		o.TTL, o.Touch = ttl.Sliding(24*time.Hour), ttl.TouchAfter(time.Hour)
	})
	must(t, err)
	var errs []error
	m, err := httpsession.New(repo, func(o *httpsession.Options) {
		o.Timeout = 300 * time.Millisecond
		o.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			errs = append(errs, err)
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		}
	})
	must(t, err)
	// The login and a first read go through a manager with the default
	// timeout: on a cold or busy JVM the first requests alone can take
	// longer than 300 ms, and what is tested is the server hanging, not
	// the server warming up.
	warm, err := httpsession.New(repo)
	must(t, err)
	b := newBrowser()
	handler := func(m *httpsession.Manager[Cart], fn func(s *httpsession.State[Cart])) http.Handler {
		return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fn(httpsession.Get[Cart](r)) }))
	}
	h := func(fn func(s *httpsession.State[Cart])) http.Handler { return handler(m, fn) }
	if res := b.do(handler(warm, func(s *httpsession.State[Cart]) { s.Data.User = "ada" }), "GET", "/"); res.StatusCode != 200 || len(errs) > 0 {
		t.Fatalf("login with the server running: status %d, errors %v", res.StatusCode, errs)
	}
	for range 3 {
		if res := b.do(handler(warm, func(s *httpsession.State[Cart]) {}), "GET", "/"); res.StatusCode != 200 {
			t.Fatalf("warm-up read with the server running: status %d", res.StatusCode)
		}
	}
	for _, step := range []struct {
		name string
		fn   func(s *httpsession.State[Cart])
	}{
		{"load", func(s *httpsession.State[Cart]) {}},
		{"save", func(s *httpsession.State[Cart]) { s.Data.Items = []string{"book"} }},
	} {
		errs = nil
		start := time.Now()
		var res *http.Response
		if step.name == "load" {
			pause()
			res = b.do(h(step.fn), "GET", "/")
		} else {
			res = b.do(h(func(s *httpsession.State[Cart]) { pause(); step.fn(s) }), "POST", "/")
		}
		took := time.Since(start)
		resume()
		t.Logf("%s with DynamoDB Local hanging: answered %d after %v (Timeout 300ms)", step.name, res.StatusCode, took.Round(time.Millisecond))
		if res.StatusCode != http.StatusServiceUnavailable || len(errs) != 1 || !errors.Is(errs[0], context.DeadlineExceeded) {
			t.Errorf("%s: status %d, errors %v; want the ErrorHandler's 503 for one error wrapping context.DeadlineExceeded", step.name, res.StatusCode, errs)
		}
	}
}

// proxy passes TCP traffic to a server until paused; while paused it
// holds every byte, so requests in flight get no answer.
type proxy struct {
	url    string
	mu     sync.Mutex
	cond   *sync.Cond
	paused bool
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	t.Cleanup(func() { ln.Close() })
	p := &proxy{url: "http://" + ln.Addr().String()}
	p.cond = sync.NewCond(&p.mu)
	host := target[len("http://"):]
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", host)
			if err != nil {
				c.Close()
				continue
			}
			go p.pipe(s, c)
			go p.pipe(c, s)
		}
	}()
	return p
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		p.mu.Lock()
		for p.paused {
			p.cond.Wait()
		}
		p.mu.Unlock()
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) pause() {
	p.mu.Lock()
	p.paused = true
	p.mu.Unlock()
}

func (p *proxy) resume() {
	p.mu.Lock()
	p.paused = false
	p.mu.Unlock()
	p.cond.Broadcast()
}
