package fake

import (
	"cmp"
	"math/big"
	"strings"
)

// DynamoDB numbers are decimals of up to 38 significant digits with a
// magnitude between 1E-130 and 9.99…E+125. They are kept here as an exact
// coefficient and a power of ten, because float64 would silently round a
// 38-digit counter and big.Float is binary and cannot hold 0.1 exactly.
const (
	maxNumberDigits = 38
	maxAdjustedExp  = 125
	minAdjustedExp  = -130
	// expClamp bounds parsed exponents so that "1E999999999" cannot make
	// the fake allocate huge integers; anything beyond it is out of range
	// for DynamoDB anyway.
	expClamp = 10000
)

// Messages DynamoDB uses for numbers it will not store.
const (
	msgNotANumber      = "A value provided cannot be converted into a number"
	msgTooManyDigits   = "Attempting to store more than 38 significant digits in a Number"
	msgNumberOverflow  = "Number overflow. Attempting to store a number with magnitude larger than supported range"
	msgNumberUnderflow = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
)

// decimal is coef × 10^exp with no trailing zeros in coef (zero is 0×10^0),
// so that equal numbers have equal representations.
type decimal struct {
	coef *big.Int
	exp  int
}

var bigTen = big.NewInt(10)

// parseDecimal reads DynamoDB's number syntax: an optional sign, digits
// with at most one decimal point (at least one digit), and an optional
// exponent. It reports false for anything else, including NaN, Infinity
// and surrounding spaces, which DynamoDB rejects too.
func parseDecimal(s string) (decimal, bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var digits strings.Builder
	seenPoint := false
	frac := 0
	nDigits := 0
digitLoop:
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			nDigits++
			if seenPoint {
				frac++
			}
			if digits.Len() > 0 || c != '0' {
				digits.WriteByte(c)
			}
		case c == '.' && !seenPoint:
			seenPoint = true
		default:
			break digitLoop
		}
	}
	if nDigits == 0 {
		return decimal{}, false
	}
	exp := 0
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return decimal{}, false
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return decimal{}, false
		}
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return decimal{}, false
			}
			if exp < expClamp {
				exp = exp*10 + int(c-'0')
			}
		}
		if eneg {
			exp = -exp
		}
	}
	ds := digits.String()
	if ds == "" {
		return decimal{coef: new(big.Int)}, true
	}
	trimmed := strings.TrimRight(ds, "0")
	exp += len(ds) - len(trimmed) - frac
	coef, _ := new(big.Int).SetString(trimmed, 10)
	if neg {
		coef.Neg(coef)
	}
	return decimal{coef: coef, exp: exp}, true
}

func (d decimal) digits() int {
	if d.coef.Sign() == 0 {
		return 0
	}
	return len(new(big.Int).Abs(d.coef).String())
}

// check reports the message DynamoDB gives when d cannot be stored, or "".
func (d decimal) check() string {
	n := d.digits()
	if n == 0 {
		return ""
	}
	if n > maxNumberDigits {
		return msgTooManyDigits
	}
	adjusted := d.exp + n - 1
	if adjusted > maxAdjustedExp {
		return msgNumberOverflow
	}
	if adjusted < minAdjustedExp {
		return msgNumberUnderflow
	}
	return ""
}

// String prints d in plain notation without an exponent or trailing
// zeros, the canonical form in which DynamoDB returns numbers.
func (d decimal) String() string {
	if d.coef.Sign() == 0 {
		return "0"
	}
	ds := new(big.Int).Abs(d.coef).String()
	var b strings.Builder
	if d.coef.Sign() < 0 {
		b.WriteByte('-')
	}
	switch point := len(ds) + d.exp; {
	case d.exp >= 0:
		b.WriteString(ds)
		b.WriteString(strings.Repeat("0", d.exp))
	case point > 0:
		b.WriteString(ds[:point])
		b.WriteByte('.')
		b.WriteString(ds[point:])
	default:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -point))
		b.WriteString(ds)
	}
	return b.String()
}

// align returns the coefficients of d and e scaled to their common (lower)
// exponent.
func align(d, e decimal) (*big.Int, *big.Int, int) {
	a, b := new(big.Int).Set(d.coef), new(big.Int).Set(e.coef)
	switch {
	case d.exp > e.exp:
		a.Mul(a, new(big.Int).Exp(bigTen, big.NewInt(int64(d.exp-e.exp)), nil))
		return a, b, e.exp
	case e.exp > d.exp:
		b.Mul(b, new(big.Int).Exp(bigTen, big.NewInt(int64(e.exp-d.exp)), nil))
	}
	return a, b, min(d.exp, e.exp)
}

func (d decimal) cmp(e decimal) int {
	if ds, es := d.coef.Sign(), e.coef.Sign(); ds != es || ds == 0 {
		return cmp.Compare(ds, es)
	}
	a, b, _ := align(d, e)
	return a.Cmp(b)
}

// canonicalNumber returns s in DynamoDB's canonical form, or a validation
// message when DynamoDB would refuse it.
func canonicalNumber(s string) (string, string) {
	d, ok := parseDecimal(s)
	if !ok {
		return "", msgNotANumber
	}
	if msg := d.check(); msg != "" {
		return "", msg
	}
	return d.String(), ""
}
