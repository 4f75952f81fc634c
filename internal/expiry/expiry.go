// Package expiry is the one rule, shared by the repository, the migration
// tool and the CLI, for reading a stored expiry attribute and for asking
// DynamoDB the same question in a condition expression.
//
// Session stores have written three forms of expiry: integer Unix seconds
// (dynamosession, @pwrdrvr/dynamodb-session-store), fractional seconds
// (connect-dynamodb 3.0.3 and later, "1796482408.999") and milliseconds
// (connect-dynamodb before 3.x). A value above [MillisAbove] cannot be
// seconds (that is the year 5138), so it is milliseconds.
//
// Reads compare in Go; writes compare on the server, in a condition
// expression. The two must never disagree, or a write would succeed
// against a record a read calls expired (a Save reviving it) or fail
// against one a read calls gone (a Put refused for an expired
// connect-dynamodb record). So both compare exact decimals: [Parse] reads
// the stored text without going through float64 and rounds up to the
// nanosecond, and the conditions compare the stored number with the
// current time written out to the nanosecond. For a stored decimal x and a
// time n in whole nanoseconds, x > n exactly when ceil(x) > n, so Go and
// DynamoDB give the same answer for every stored value.
package expiry

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MillisAbove is the largest stored expiry read as seconds: larger values
// are milliseconds.
const MillisAbove = 100_000_000_000

// MaxSeconds bounds the expiries Parse reads: 1e18 seconds, some 31.7
// billion years either side of 1970. Far beyond any expiry a session
// store writes, it keeps every expiry inside what time.Time computes with.
const MaxSeconds = 1e18

var (
	// ErrNotNumber reports an expiry attribute whose text is not a number
	// DynamoDB could store.
	ErrNotNumber = errors.New("expiry is not a decimal number")

	// ErrRange reports an expiry more than MaxSeconds from 1970 (after
	// the milliseconds rule). It is the same outcome on every platform; a
	// float64 conversion would not be (amd64 gives MinInt64, an expired
	// session; arm64 saturates, a session that never expires).
	ErrRange = errors.New("ttl: expiry out of range")
)

var (
	millisAbove = big.NewRat(MillisAbove, 1)
	nanosPerSec = big.NewInt(1e9)
	maxSeconds  = big.NewInt(MaxSeconds)
)

// Parse reads the text of a stored expiry number in any form session
// stores wrote, exactly: the result is the stored instant rounded up to
// the nanosecond (see the package doc for why up). Negative expiries are
// instants before 1970 and so expired. It returns an error wrapping
// [ErrRange] for an expiry more than [MaxSeconds] from 1970 (a reader
// reports such a record as undecodable; a condition then treats it as
// live, so it is never overwritten either), and one wrapping
// [ErrNotNumber] for text that is not a number DynamoDB could store (NaN,
// infinity, 1e400).
func Parse(n string) (time.Time, error) {
	// Fast path: integer seconds, what every current writer stores.
	if len(n) <= 18 && n != "" && strings.IndexFunc(n, notDigit) < 0 {
		s, err := strconv.ParseInt(n, 10, 64)
		if err == nil && s <= MillisAbove {
			return time.Unix(s, 0), nil
		}
	}
	x, ok := parseDecimal(n)
	switch {
	case !ok:
		return time.Time{}, fmt.Errorf("%w: %q", ErrNotNumber, n)
	case x == nil:
		return time.Time{}, fmt.Errorf("%w: %q", ErrRange, n)
	}
	if x.Cmp(millisAbove) > 0 {
		x.Quo(x, big.NewRat(1000, 1))
	}
	// ceil(x × 1e9) nanoseconds.
	ns := new(big.Rat).Mul(x, new(big.Rat).SetInt(nanosPerSec))
	q, r := new(big.Int).QuoRem(ns.Num(), ns.Denom(), new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1)) // QuoRem truncates towards zero: up for positives
	}
	sec, nsec := new(big.Int).QuoRem(q, nanosPerSec, new(big.Int))
	if nsec.Sign() < 0 { // normalise negatives so 0 <= nsec < 1e9
		sec.Sub(sec, big.NewInt(1))
		nsec.Add(nsec, nanosPerSec)
	}
	if sec.Cmp(maxSeconds) > 0 || sec.Cmp(new(big.Int).Neg(maxSeconds)) < 0 {
		return time.Time{}, fmt.Errorf("%w: %q", ErrRange, n)
	}
	return time.Unix(sec.Int64(), nsec.Int64()), nil
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

// parseDecimal reads a DynamoDB number's text (an optional sign, digits
// with an optional point, an optional exponent) as an exact rational. A
// number of that syntax whose magnitude DynamoDB cannot store (1e126 and
// beyond) is reported as ok with a nil rational: it is out of range, not
// garbage. DynamoDB numbers have at most 38 significant digits and
// exponents from -130 to +125, so the rational stays small.
func parseDecimal(n string) (*big.Rat, bool) {
	if n == "" || len(n) > 200 {
		return nil, false
	}
	for _, c := range n {
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return nil, false // refuses NaN, Inf, hex and fractions, which SetString would take
		}
	}
	mant, exp, hasExp := strings.Cut(strings.ToLower(n), "e")
	if hasExp {
		e, err := strconv.Atoi(exp)
		switch {
		case err != nil:
			return nil, false
		case e > 400:
			return nil, true // far beyond 1e126: no need to build the number
		case e < -400:
			return new(big.Rat), true // far below DynamoDB's 1e-130: zero for an expiry
		}
	}
	if mant == "" || mant == "." || mant == "-" || mant == "+" {
		return nil, false
	}
	x, ok := new(big.Rat).SetString(n)
	if !ok {
		return nil, false
	}
	if new(big.Rat).Abs(x).Cmp(tooLarge) >= 0 {
		return nil, true // DynamoDB stores no number this large
	}
	return x, true
}

// tooLarge is 10^126: DynamoDB numbers stay below it ("Positive range:
// 1E-130 to 9.9999999999999999999999999999999999999E+125", Amazon DynamoDB
// Developer Guide, Data types).
var tooLarge = new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(126), nil))

// Format returns t as a stored expiry: whole Unix seconds, what DynamoDB's
// TTL reads.
func Format(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// exact returns t as decimal Unix seconds to the nanosecond, and as
// decimal Unix milliseconds to the nanosecond.
func exact(t time.Time) (sec, ms string) {
	var buf [exactLen]byte
	b, n := appendExact(buf[:0], t)
	both := string(b)
	return both[:n], both[n:]
}

// exactLen bounds appendExact's text: two numbers of at most 20 digits,
// a sign and a point each.
const exactLen = 64

// appendExact appends to b the seconds and then the milliseconds of
// exact, and returns b and the length of b with the seconds. Both are
// cut from one text: every conditional write makes them, and building
// them piece by piece cost three allocations more.
func appendExact(b []byte, t time.Time) ([]byte, int) {
	ns := t.UnixNano()
	neg := ns < 0
	if neg {
		ns = -ns
	}
	var num [24]byte
	digits := strconv.AppendUint(num[:0], uint64(ns), 10)
	var pad [10]byte
	if len(digits) < 10 {
		digits = append(append(pad[:0], "0000000000"[:10-len(digits)]...), digits...)
	}
	if neg {
		b = append(b, '-')
	}
	b = append(append(append(b, digits[:len(digits)-9]...), '.'), digits[len(digits)-9:]...)
	n := len(b)
	if neg {
		b = append(b, '-')
	}
	b = append(append(append(b, digits[:len(digits)-6]...), '.'), digits[len(digits)-6:]...)
	return b, n
}

// millisAboveText is MillisAbove's text, made once.
var millisAboveText = strconv.Itoa(MillisAbove)

// Condition clauses. Each refers to the expiry attribute by the name
// placeholder e (such as "#e") and adds its values, under the placeholders
// :xnow, :xnowms and :xmsabove, to values.

// Live returns a condition that holds when the stored expiry has not
// passed at now by [Parse]'s rule, or there is none.
func Live(e string, now time.Time, values map[string]types.AttributeValue) string {
	addValues(now, values)
	if e == "#e" { // what every Save sends: spare it the concatenation
		return liveE
	}
	return live(e)
}

var liveE = live("#e")

func live(e string) string {
	return "(attribute_not_exists(" + e + ") OR (" + e + " > :xnow AND " + e + " <= :xmsabove) OR " + e + " > :xnowms)"
}

// Expired returns a condition that holds when the item has an expiry
// attribute that has passed at now by [Parse]'s rule. An expiry that is
// not a number satisfies neither Live nor Expired: the record is left to
// whoever can read it.
func Expired(e string, now time.Time, values map[string]types.AttributeValue) string {
	addValues(now, values)
	values[":xmin"] = &types.AttributeValueMemberN{Value: "-1000000000000000000"}
	// Below -MaxSeconds a read reports ErrRange: not expired, never replaced.
	return "((" + e + " >= :xmin AND " + e + " <= :xnow) OR (" + e + " > :xmsabove AND " + e + " <= :xnowms))"
}

// nowValues is what addValues allocates, in one allocation for a
// conditional write: the three values and the text of the first two.
type nowValues struct {
	v    [3]types.AttributeValueMemberN
	text [exactLen]byte
}

func addValues(now time.Time, values map[string]types.AttributeValue) {
	x := new(nowValues)
	b, n := appendExact(x.text[:0], now)
	// The values' strings point into x.text, which x keeps alive and
	// nothing writes after this.
	both := unsafe.String(unsafe.SliceData(b), len(b))
	x.v[0].Value, x.v[1].Value, x.v[2].Value = both[:n], both[n:], millisAboveText
	values[":xnow"], values[":xnowms"], values[":xmsabove"] = &x.v[0], &x.v[1], &x.v[2]
}
