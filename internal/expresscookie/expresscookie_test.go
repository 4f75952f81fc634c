package expresscookie_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/internal/expresscookie"
)

// TestSignUnsign: the value Node's cookie-signature 1.0.7 computes for
// "abc123" with "keyboard cat", its URL-encoded form, and an ID signed by
// an older secret of a rotated list. The fixtures in httpsession's
// testdata/express check the same against values express-session issued.
func TestSignUnsign(t *testing.T) {
	type result struct {
		Signed, Value, ID string
		Secret            int
		Err               error
	}
	id, secret, err := expresscookie.Unsign(expresscookie.Sign("abc123", "old secret"), "new secret", "old secret")
	got := result{expresscookie.Sign("abc123", "keyboard cat"), expresscookie.Value("abc123", "keyboard cat"), id, secret, err}
	want := result{
		Signed: "s:abc123.L3URH8qEUlRhbJErOXuJ/R5i21GJUY02kERb2c2p5w0",
		Value:  "s%3Aabc123.L3URH8qEUlRhbJErOXuJ%2FR5i21GJUY02kERb2c2p5w0",
		ID:     "abc123", Secret: 1,
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) || errors.Is(b, a) })); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
