package ttl

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// ParseExpiry reads a stored expiry attribute (the text of a DynamoDB
// number) in every form session stores have written: integer Unix seconds
// (dynamosession, @pwrdrvr/dynamodb-session-store), fractional seconds
// (connect-dynamodb 3.0.3 and later, e.g. "1796482408.999") and
// milliseconds (older connect-dynamodb). A value above 1e11 cannot be
// seconds (that is the year 5138), so it is taken as milliseconds.
//
// The repository, the migration tool and the CLI all read expiries with
// this one rule, so a record one of them calls expired is expired to all.
func ParseExpiry(n string) (time.Time, error) {
	f, err := strconv.ParseFloat(n, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, fmt.Errorf("expiry %q is not a number", n)
	}
	if f > 1e11 {
		f /= 1000
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// FormatExpiry formats t as DynamoDB's TTL wants it: integer Unix seconds.
func FormatExpiry(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
