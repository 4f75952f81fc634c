package httpsession

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/dynamosession/dynamosession"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrResponseStarted reports session work that came too late: the
	// handler changed the session after the response's headers were sent,
	// in a way that needs a new cookie (a new session, a regenerated ID).
	// The Set-Cookie header cannot follow the body, so nothing was stored.
	// An error passed to the ErrorHandler wraps it when the response has
	// already started: the handler can then only log.
	ErrResponseStarted = errors.New("httpsession: response already started")

	// ErrCommitFailed is what a handler's Write returns after saving the
	// session failed as the response was about to start: the ErrorHandler
	// has answered the request instead, and the handler's body is
	// discarded.
	ErrCommitFailed = errors.New("httpsession: session not saved; the error handler answered the request")
)

// defaultErrorHandler is the ErrorHandler a [Manager] uses unless told
// otherwise; Options.ErrorHandler documents what it does. The body is only
// the status text: errors carry table and attribute names that a visitor
// has no business seeing.
func defaultErrorHandler(w http.ResponseWriter, r *http.Request, err error) {
	slog.ErrorContext(r.Context(), "httpsession: session error", "method", r.Method, "path", r.URL.Path, "err", err)
	if errors.Is(err, ErrResponseStarted) {
		return
	}
	code := http.StatusInternalServerError
	if errors.Is(err, dynamosession.ErrConflict) {
		code = http.StatusConflict
	}
	http.Error(w, http.StatusText(code), code)
}
