package ttl

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// maxExpirySeconds bounds the expiries ParseExpiry reads: 1e18 seconds,
// some 31.7 billion years either side of 1970. Far beyond any expiry a
// session store writes, it keeps every expiry exactly convertible to an
// int64 of seconds and inside what time.Time computes with (its Unix
// seconds plus 62135596800 must fit an int64).
const maxExpirySeconds = 1e18

// ErrExpiryRange reports a stored expiry more than 1e18 seconds (about
// 31.7 billion years) from 1970, which [ParseExpiry] refuses.
var ErrExpiryRange = errors.New("ttl: expiry out of range")

// ParseExpiry reads a stored expiry attribute (the text of a DynamoDB
// number) in every form session stores have written: integer Unix seconds
// (dynamosession, @pwrdrvr/dynamodb-session-store), fractional seconds
// (connect-dynamodb 3.0.3 and later, e.g. "1796482408.999") and
// milliseconds (older connect-dynamodb). A value above 1e11 cannot be
// seconds (that is the year 5138), so it is taken as milliseconds.
//
// A number of seconds (after that division) beyond ±1e18 is
// an error wrapping [ErrExpiryRange], on every platform: it is no expiry
// any store writes, and Go converts such a float to an integer differently
// on each architecture (amd64 gave MinInt64, an expired session; arm64
// saturates, a session that never expires).
//
// The repository, the migration tool and the CLI all read expiries with
// this one rule, so a record one of them calls expired is expired to all.
func ParseExpiry(n string) (time.Time, error) {
	f, err := strconv.ParseFloat(n, 64)
	if errors.Is(err, strconv.ErrRange) || math.IsInf(f, 0) {
		return time.Time{}, fmt.Errorf("%w: %q", ErrExpiryRange, n)
	}
	if err != nil || math.IsNaN(f) {
		return time.Time{}, fmt.Errorf("expiry %q is not a number", n)
	}
	if f > 1e11 {
		f /= 1000
	}
	if f > maxExpirySeconds || f < -maxExpirySeconds {
		return time.Time{}, fmt.Errorf("%w: %q", ErrExpiryRange, n)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// FormatExpiry formats t as DynamoDB's TTL wants it: integer Unix seconds.
func FormatExpiry(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
