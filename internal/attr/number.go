package attr

import (
	"strconv"
	"strings"
)

// Decimal is a number's value in a canonical form, so that two spellings
// of one number ("2.5e3", "2500", "2500.0", "+2500") compare equal with ==:
// Digits without leading or trailing zeros, times ten to the power Exp.
// Zero is the zero Decimal, whatever its sign or spelling.
type Decimal struct {
	Neg    bool
	Digits string
	Exp    int
}

// ParseDecimal reads number text as DynamoDB and JSON spell it: an
// optional sign, digits with an optional point, an optional exponent
// (at most ±2^20, far beyond DynamoDB's range). It reports false for
// anything else.
func ParseDecimal(s string) (Decimal, bool) {
	var d Decimal
	if s != "" && (s[0] == '+' || s[0] == '-') {
		d.Neg = s[0] == '-'
		s = s[1:]
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || e > 1<<20 || e < -1<<20 {
			return Decimal{}, false
		}
		mant, exp = s[:i], e
	}
	whole, frac, _ := strings.Cut(mant, ".")
	if whole == "" && frac == "" {
		return Decimal{}, false
	}
	for _, part := range []string{whole, frac} {
		for i := range len(part) {
			if part[i] < '0' || part[i] > '9' {
				return Decimal{}, false
			}
		}
	}
	digits := strings.TrimLeft(whole+frac, "0")
	exp -= len(frac)
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	if trimmed == "" {
		return Decimal{}, true // zero
	}
	d.Digits, d.Exp = trimmed, exp
	return d, true
}

// String returns d in the spelling AWS stores, which trims leading and
// trailing zeros: plain decimal digits, no exponent, no "+", "0" for zero.
func (d Decimal) String() string {
	if d.Digits == "" {
		return "0"
	}
	var b strings.Builder
	if d.Neg {
		b.WriteByte('-')
	}
	switch point := len(d.Digits) + d.Exp; {
	case d.Exp >= 0:
		b.WriteString(d.Digits)
		b.WriteString(strings.Repeat("0", d.Exp))
	case point > 0:
		b.WriteString(d.Digits[:point])
		b.WriteByte('.')
		b.WriteString(d.Digits[point:])
	default:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -point))
		b.WriteString(d.Digits)
	}
	return b.String()
}

// CanonicalNumber returns the number text s spelled as AWS stores it, and
// whether that differs from s. DynamoDB Local keeps the spelling it was
// sent ("007", "2.0", "2.5e3"); AWS stores "7", "2", "2500". Text that is
// not a number is returned unchanged.
func CanonicalNumber(s string) (string, bool) {
	if plainInteger(s) {
		return s, false
	}
	d, ok := ParseDecimal(s)
	if !ok {
		return s, false
	}
	c := d.String()
	return c, c != s
}

// plainInteger reports the common canonical case cheaply: an optional "-"
// and digits without a leading zero, or "0".
func plainInteger(s string) bool {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || digits[0] == '0' && (len(digits) > 1 || len(s) > 1) {
		return false
	}
	for i := range len(digits) {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// EqualNumbers reports whether the number texts a and b are the same
// number, however spelled, as DynamoDB compares numbers. Texts that are
// not numbers are equal only when identical.
func EqualNumbers(a, b string) bool {
	if a == b {
		return true
	}
	da, okA := ParseDecimal(a)
	db, okB := ParseDecimal(b)
	return okA && okB && da == db
}
