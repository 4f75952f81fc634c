// Package capacity implements DynamoDB's rules for item sizes and the read
// and write capacity units a request consumes.
//
// The functions are pure: they look at attribute values only, never at a
// table, so the library can predict what a request will cost before sending
// it, and the fake in [github.com/dynamosession/dynamosession/fake] can charge
// what DynamoDB would charge.
//
// The rules follow "DynamoDB item sizes and formats" in the DynamoDB
// Developer Guide, except for numbers:
//
//   - an attribute costs the UTF-8 bytes of its name plus the size of its value;
//   - S is its UTF-8 bytes, B its raw (not base64) bytes;
//   - N is sized as DynamoDB stores it (see [NumberSize]);
//   - BOOL and NULL are 1 byte;
//   - M and L cost 3 bytes of overhead plus, per element, the element's size
//     and 1 more byte (a map key counts like an attribute name);
//   - SS, NS and BS are the sum of their elements.
//
// For numbers the guide gives an approximation (1 byte per two significant
// digits, rounded up, plus 1 byte), and calls it that. DynamoDB stores a
// number as base-100 digit pairs aligned on the decimal point, so a number
// whose digits straddle the point oddly (1.5), or a negative one, takes a
// byte more than the approximation says. [NumberSize] follows the stored
// form, which is what DynamoDB Local charges, measured number by number: an
// item just under a 1 KB write-unit boundary by the approximation can be
// billed a unit more.
package capacity

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Limits DynamoDB enforces on every write. All sizes use binary units:
// 1 KB is 1024 bytes.
const (
	// MaxItemBytes is the largest item DynamoDB stores, attribute names
	// included.
	MaxItemBytes = 400 * 1024
	// MaxPartitionKeyBytes is the largest partition (hash) key value.
	MaxPartitionKeyBytes = 2048
	// MaxSortKeyBytes is the largest sort (range) key value.
	MaxSortKeyBytes = 1024
)

// ErrTooLarge reports a value larger than [MaxItemBytes], found by a walk
// that stops there rather than encode the rest (a value that shares its
// parts, such as a chain of structs each pointing twice to the next,
// encodes to a tree exponentially larger than itself). The repository
// reports it as its ErrItemTooLarge.
var ErrTooLarge = errors.New("larger than the 400 KB DynamoDB stores in an item")

// Capacity unit sizes: a write unit covers a started KB, a read unit a
// started 4 KB.
const (
	writeUnitBytes = 1024
	readUnitBytes  = 4 * 1024
)

// Overheads of documents (M and L), from the Developer Guide.
// Exported for walks of a value that size it on the way (the Map codec's
// checks), which must count as AttributeSize does.
const (
	DocumentOverhead = 3
	ElementOverhead  = 1
)

// ItemSize returns the size DynamoDB accounts for item: for each attribute,
// the UTF-8 bytes of its name plus [AttributeSize] of its value. A nil or
// empty item has size 0.
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, av := range item {
		n += len(name) + AttributeSize(av)
	}
	return n
}

// ItemSizeKnown is ItemSize(item) for an item whose attribute name has a
// value of known size (AttributeSize of it, measured on the way by the
// walk that made it): the other attributes are sized here, that one is
// not walked again.
func ItemSizeKnown(item map[string]types.AttributeValue, name string, size int) int {
	n := 0
	for k, av := range item {
		if k == name {
			n += len(k) + size
			continue
		}
		n += len(k) + AttributeSize(av)
	}
	return n
}

// AttributeSize returns the size of a value alone, without the name of the
// attribute that holds it. A nil value, or a member type this package does
// not know, has size 0.
func AttributeSize(av types.AttributeValue) int {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		// Go strings hold UTF-8 already, so len is the byte count DynamoDB uses.
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return NumberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += NumberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberM:
		n := DocumentOverhead
		for k, e := range v.Value {
			n += len(k) + AttributeSize(e) + ElementOverhead
		}
		return n
	case *types.AttributeValueMemberL:
		n := DocumentOverhead
		for _, e := range v.Value {
			n += AttributeSize(e) + ElementOverhead
		}
		return n
	}
	return 0
}

// NumberSize returns the size DynamoDB charges for the number written in s
// (its decimal string form). The Developer Guide gives an approximation
// (1 byte per two significant digits, plus 1); what DynamoDB Local charges,
// measured number by number, is the size of its internal base-100 form:
// one byte per pair of digits, with pairs aligned on the decimal point (so
// 1.5 spans two pairs, 0|1 and 5|0), plus 1, plus 1 more for a negative
// number. Zero takes 1 byte. The function does not validate s; it never
// fails on input DynamoDB would reject.
func NumberSize(s string) int {
	// It allocates nothing: a Map session holds a number per integer
	// field, and every write sizes every one of them.
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	mant, e := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, _ = strconv.Atoi(s[i+1:])
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	// The digits are intPart followed by frac, read in place.
	all := len(intPart) + len(frac)
	digit := func(i int) byte {
		if i < len(intPart) {
			return intPart[i]
		}
		return frac[i-len(intPart)]
	}
	lead := 0
	for lead < all && digit(lead) == '0' {
		lead++
	}
	if lead == all {
		return 1
	}
	trail := 0
	for digit(all-1-trail) == '0' {
		trail++
	}
	point := len(intPart) - lead + e // digits before the decimal point
	offset := ((point % 2) + 2) % 2  // an odd count: the first digit shares its byte with a 0
	n := (all-lead-trail+offset+1)/2 + 1
	if neg {
		n++
	}
	return n
}

// WriteUnits returns the write capacity units that writing an item of
// itemBytes consumes: one per started KB, and at least one, because
// DynamoDB charges a write of an absent or tiny item as a full unit.
// For a write that replaces or updates an item, pass the larger of the old
// and the new item's sizes; DynamoDB charges the larger of the two.
func WriteUnits(itemBytes int) float64 {
	return units(itemBytes, writeUnitBytes)
}

// ReadUnits returns the read capacity units that reading itemBytes
// consumes: one per started 4 KB for a strongly consistent read, half that
// for an eventually consistent one. A read of a missing item, or of nothing
// at all, still costs the minimum (1, or 0.5 when eventually consistent).
func ReadUnits(itemBytes int, strong bool) float64 {
	u := units(itemBytes, readUnitBytes)
	if !strong {
		u /= 2
	}
	return u
}

func units(bytes, unit int) float64 {
	if bytes <= unit {
		return 1
	}
	return math.Ceil(float64(bytes) / float64(unit))
}
