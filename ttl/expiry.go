package ttl

import (
	"time"

	"github.com/dynamosession/dynamosession/internal/expiry"
)

// ErrExpiryRange reports a stored expiry more than 1e18 seconds (about
// 31.7 billion years) from 1970, which [ParseExpiry] refuses.
var ErrExpiryRange = expiry.ErrRange

// ParseExpiry reads a stored expiry attribute (the text of a DynamoDB
// number) in every form session stores have written: integer Unix seconds
// (dynamosession, @pwrdrvr/dynamodb-session-store), fractional seconds
// (connect-dynamodb 3.0.3 and later, e.g. "1796482408.999") and
// milliseconds (connect-dynamodb before 1.0.12). A value above 1e11 cannot
// be seconds (that is the year 5138), so it is taken as milliseconds.
//
// It reads the decimal text exactly, without going through float64, and
// rounds up to the nanosecond, which is what makes the repository's
// condition expressions (comparing the stored number on the server) agree
// with it for every stored value. An expiry beyond ±1e18 seconds (after
// the milliseconds rule) is an error wrapping [ErrExpiryRange], on every
// platform.
//
// The repository, the migration tool and the CLI all read expiries with
// this one rule, so a record one of them calls expired is expired to all.
func ParseExpiry(n string) (time.Time, error) { return expiry.Parse(n) }

// FormatExpiry formats t as DynamoDB's TTL wants it: integer Unix seconds.
func FormatExpiry(t time.Time) string { return expiry.Format(t) }
