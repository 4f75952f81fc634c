package httpsession

import (
	"io"
	"net/http"
)

// responseWriter commits the session just before the response starts, so
// that its Set-Cookie header goes out with the status line and not after
// the body, where it could no longer be sent.
//
// It implements Flush and FlushError (http.ResponseController prefers
// them over unwrapping, so a flush commits first) and ReadFrom (io.Copy
// into it keeps the server's sendfile path), and Unwrap for everything
// else http.ResponseController reaches: deadlines, full duplex, Hijack. A
// hijacked connection never starts a response through this writer; the
// session is then saved when the handler returns, without a cookie.
type responseWriter struct {
	http.ResponseWriter
	commit  func() error    // saves the session and adds its headers
	fail    func(err error) // answers the request when commit fails
	started bool            // commit has run (the response is starting or has started)
	failed  bool            // commit failed and fail answered instead
}

// start commits the session once and reports whether the handler's
// response may proceed.
func (w *responseWriter) start() bool {
	if w.started {
		return !w.failed
	}
	w.started = true
	if err := w.commit(); err != nil {
		w.failed = true
		// The handler's headers (a Location, a Content-Type) describe a
		// response that will not be sent.
		h := w.Header()
		for k := range h {
			delete(h, k)
		}
		h.Set("Vary", "Cookie")
		w.fail(err)
		return false
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
	if w.start() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.start() {
		return 0, ErrCommitFailed
	}
	return w.ResponseWriter.Write(b)
}

func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if !w.start() {
		return 0, ErrCommitFailed
	}
	// io.Copy uses the underlying writer's ReadFrom when it has one.
	return io.Copy(w.ResponseWriter, src)
}

func (w *responseWriter) Flush() { _ = w.FlushError() }

func (w *responseWriter) FlushError() error {
	if !w.start() {
		return ErrCommitFailed
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the underlying ResponseWriter, for
// http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
