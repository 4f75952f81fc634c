package dynamosession

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/capacity"
	redactpkg "github.com/dynamosession/dynamosession/internal/redact"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound reports a session that does not exist or has expired.
	// DynamoDB deletes expired items lazily, so an expired record that is
	// still stored reads as ErrNotFound too (and errors.Is(err, ErrExpired)
	// tells the two apart).
	ErrNotFound = errors.New("dynamosession: session not found")

	// ErrExpired reports a record that is still stored but whose expiry has
	// passed. errors.Is(err, ErrNotFound) is true for it as well.
	ErrExpired = fmt.Errorf("%w: expired", ErrNotFound)

	// ErrInvalidID reports a session ID that cannot be a DynamoDB key: empty,
	// not UTF-8, or too long once prefixed. No request is sent.
	ErrInvalidID = errors.New("dynamosession: invalid session ID")

	// ErrItemTooLarge reports a session whose item would exceed DynamoDB's
	// 400 KB limit. It is judged locally, by DynamoDB's sizing rules, before
	// any request is sent.
	ErrItemTooLarge = errors.New("dynamosession: item exceeds DynamoDB's 400 KB limit")

	// ErrConflict reports an optimistic-locking failure: the stored session
	// changed since it was read (or, for a versioned Put, already exists).
	// Nothing was written.
	ErrConflict = errors.New("dynamosession: session changed concurrently")

	// ErrOutcomeUnknown reports a versioned write (Put, Save,
	// DeleteIfUnchanged, Update) whose response was lost (a reset
	// connection, a timeout, a server error) and that the item, read back,
	// cannot settle: it no longer holds the write's token (a versioned item
	// remembers the tokens of its last four writes, 32 bytes) and is not
	// the record that was read either, because more than three other writes
	// landed meanwhile, or the session was deleted, or a writer that keeps
	// no tokens (a Node.js store) replaced it. Such a request is never sent
	// again, so the write was applied at most once. Read the session to find
	// out; Update returns it without running its function again.
	ErrOutcomeUnknown = errors.New("dynamosession: outcome of a write whose response was lost unknown")

	// ErrInvalidOptions reports a bad configuration passed to New, and a
	// call the repository's configuration does not allow (Update without
	// Options.Versioned).
	ErrInvalidOptions = errors.New("dynamosession: invalid options")
)

// A DecodeError reports a stored record that could not be decoded. The
// record is left untouched: a repository never overwrites what it cannot
// read. Its message names the detected format of the data, if any.
type DecodeError struct {
	ID   string // the session ID (without prefix), for Repo.DeleteUndecodable
	Attr string // the attribute that failed
	Err  error  // the underlying error

	format codec.Format // the detected format of the data attribute, if any
}

func (e *DecodeError) Error() string {
	f := ""
	if e.format != "" {
		f = " (" + string(e.format) + ")"
	}
	return fmt.Sprintf("dynamosession: session %s: cannot decode %q%s: %v", redact(e.ID), e.Attr, f, e.Err)
}

// Unwrap returns the underlying error.
func (e *DecodeError) Unwrap() error { return e.Err }

// encodeError reports session data the configured codec cannot encode
// (channels, functions, unsupported values), before anything is sent. It
// wraps the codec's error, so errors.Is(err, codec.ErrUnsupported) holds
// for what the codecs refuse, and errors.Is(err, ErrItemTooLarge) for
// data the codec found larger than any item (capacity.ErrTooLarge: the Map
// codec stops encoding there).
func encodeError(id string, f codec.Format, err error) error {
	if errors.Is(err, capacity.ErrTooLarge) {
		return fmt.Errorf("dynamosession: session %s: cannot encode as %s: %w: %w", redact(id), f, ErrItemTooLarge, err)
	}
	return fmt.Errorf("dynamosession: session %s: cannot encode as %s: %w", redact(id), f, err)
}

// redact shortens a session ID for error messages. A session ID is a bearer
// credential: error strings end up in logs, so they carry only enough of it
// to correlate. A *DecodeError keeps the full ID in its ID field.
func redact(id string) string { return fmt.Sprintf("%q", redactpkg.ID(id)) }

// isItemTooLarge reports DynamoDB's validation error for an item over 400 KB
// ("Item size has exceeded the maximum allowed size"), which a write can
// still meet when other attributes of the stored item push it over.
func isItemTooLarge(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException" &&
		strings.Contains(ae.ErrorMessage(), "Item size")
}

// IsRetryable reports whether the operation that returned err may succeed
// if the caller tries it again later, unchanged: throttling, DynamoDB
// server errors (5xx), network failures the SDK classes as retryable,
// timeouts (context.DeadlineExceeded), and ErrConflict (read the session
// again and reapply the change; [Repo.Update] does that itself). It
// reports false for nil and for errors that another try cannot fix: an
// invalid ID, an item over 400 KB, ErrNotFound and ErrExpired,
// ErrOutcomeUnknown (read the session first: the write may have landed), a
// *DecodeError, data the codec cannot encode, ErrInvalidOptions,
// validation errors, a missing table, and a context the caller canceled.
//
// By the time a repository returns a throttling or network error, the
// client's retryer (three attempts by default) has already retried it:
// retry later, at a higher level, or fail the request.
//
// Retryable does not mean the write did not happen: after a timeout or a
// network failure it may have. Delete, Touch, Put and an unversioned Save
// are safe to repeat; a versioned Save recognises its own earlier write by
// its write token. ErrConflict from a versioned Put means the session
// exists: retrying helps only once it is deleted or expired.
func IsRetryable(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrConflict):
		return true
	case errors.Is(err, ErrInvalidID), errors.Is(err, ErrItemTooLarge), errors.Is(err, ErrNotFound),
		errors.Is(err, ErrInvalidOptions), errors.Is(err, ErrOutcomeUnknown):
		return false
	}
	var de *DecodeError
	if errors.As(err, &de) {
		return false
	}
	// Before the SDK's rules: it classes a deadline as a canceled request.
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	// The SDK's own rules: throttling codes, retryable HTTP statuses,
	// connection errors, errors that say they are retryable.
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary {
		return true
	}
	// A server fault the SDK's status rules cannot see (the response is
	// gone, as with the in-memory fake): InternalServerError and the like.
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultServer
}
