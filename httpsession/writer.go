package httpsession

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
)

// responseWriter commits the session just before the response starts, so
// that its Set-Cookie header goes out with the status line and not after
// the body, where it could no longer be sent.
//
// Handlers get it through wrapped, which adds Flush and Hijack exactly
// when the writer below provides them, so that a direct type assertion
// (w.(http.Flusher), w.(http.Hijacker)) answers as it would without the
// middleware. It also implements FlushError (http.ResponseController
// prefers it over unwrapping, so a flush commits first), ReadFrom (io.Copy
// into it keeps the server's sendfile path), and Unwrap for everything
// else http.ResponseController reaches: deadlines, full duplex.
type responseWriter struct {
	http.ResponseWriter
	sess     committer // the request's session
	canFlush bool      // the writer below can flush
	started  bool      // commit has run (the response is starting or has started)
	failed   bool      // commit failed and fail answered instead
	hijacked bool      // the handler took the connection over

	// setsCookie: the commit added a Set-Cookie. The handler may still
	// change headers between an explicit State.Save and its first write,
	// so the Cache-Control is checked again as the headers go out.
	setsCookie  bool
	headersSent bool
}

// committer is what the writer calls on the request's session (a
// *State): an interface rather than two closures, which cost a page view
// two allocations.
type committer interface {
	// commit saves the session and adds its headers to h.
	commit(h http.Header) error
	// fail answers the request when commit fails.
	fail(err error)
}

// wrapped returns w as the handler sees it: with a Flush method if the
// writer below can flush, and a Hijack method if it can hijack, as
// http.ResponseController finds them (on the writer or on what its Unwrap
// chain returns). Hijacking through w is how the middleware learns of it:
// a hijack it could not see would leave it saving, and perhaps creating a
// session whose cookie can never be sent.
func (w *responseWriter) wrapped() http.ResponseWriter {
	var hijack bool
	w.canFlush, hijack = capabilities(w.ResponseWriter)
	switch {
	case w.canFlush && hijack:
		return flushHijacker{w}
	case w.canFlush:
		return flusher{w}
	case hijack:
		return hijacker{w}
	}
	return w
}

// maxUnwrap bounds the Unwrap chain capabilities follows, in case a
// writer's Unwrap leads back to itself.
const maxUnwrap = 32

// capabilities reports whether http.ResponseController would find a way
// to flush and to hijack rw: on rw itself or down its Unwrap chain.
func capabilities(rw http.ResponseWriter) (flush, hijack bool) {
	for range maxUnwrap {
		switch rw.(type) {
		case interface{ FlushError() error }, http.Flusher:
			flush = true
		}
		if _, ok := rw.(http.Hijacker); ok {
			hijack = true
		}
		u, ok := rw.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		rw = u.Unwrap()
	}
	return flush, hijack
}

// start commits the session once and reports whether the handler's
// response may proceed.
func (w *responseWriter) start() bool {
	if w.started {
		return !w.failed
	}
	w.started = true
	if err := w.sess.commit(w.ResponseWriter.Header()); err != nil {
		w.failed = true
		// The handler's headers (a Location, a Content-Type) describe a
		// response that will not be sent.
		h := w.Header()
		for k := range h {
			delete(h, k)
		}
		h.Set("Vary", "Cookie")
		w.sess.fail(err)
		return false
	}
	return true
}

// send commits the session if that has not happened yet and reports
// whether the handler's response may proceed, as its headers are about to
// go out.
func (w *responseWriter) send() bool {
	if !w.start() {
		return false
	}
	if !w.headersSent {
		w.headersSent = true
		if w.setsCookie {
			keepFromSharedCaches(w.Header())
		}
	}
	return true
}

func (w *responseWriter) WriteHeader(code int) {
	// Informational responses (103 Early Hints) go out before the final
	// one and do not end the header phase. 101 Switching Protocols does.
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		if !w.started {
			w.ResponseWriter.WriteHeader(code)
		}
		return
	}
	if w.send() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.send() {
		return 0, ErrCommitFailed
	}
	return w.ResponseWriter.Write(b)
}

func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if !w.send() {
		return 0, ErrCommitFailed
	}
	// io.Copy uses the underlying writer's ReadFrom when it has one.
	return io.Copy(w.ResponseWriter, src)
}

// FlushError flushes through the writer below, committing the session
// first. Where nothing below can flush it reports http.ErrNotSupported, as
// http.ResponseController does, without starting the response.
func (w *responseWriter) FlushError() error {
	if !w.canFlush {
		return fmt.Errorf("httpsession: flush: %w", http.ErrNotSupported)
	}
	if !w.send() {
		return ErrCommitFailed
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// hijack hands the connection to the handler. From then on the middleware
// writes nothing: not the session (its cookie could never be sent) and not
// the response.
func (w *responseWriter) hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		// started keeps any later Write from committing.
		w.hijacked, w.started = true, true
	}
	return conn, rw, err
}

// Unwrap returns the underlying ResponseWriter, for
// http.ResponseController. A handler that hijacks the connection through
// what Unwrap returns, bypassing the middleware's writer, leaves the
// middleware unaware: it then saves the session as for any response.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// The combinations of optional interfaces wrapped returns. Each embeds the
// responseWriter and adds only what the writer below supports.
type (
	flusher       struct{ *responseWriter }
	hijacker      struct{ *responseWriter }
	flushHijacker struct{ *responseWriter }
)

func (w flusher) Flush()       { _ = w.FlushError() }
func (w flushHijacker) Flush() { _ = w.FlushError() }

func (w hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error)      { return w.hijack() }
func (w flushHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.hijack() }
