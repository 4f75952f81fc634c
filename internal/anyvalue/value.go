// Package anyvalue holds [Value], session data of any shape, for the
// command-line tool (which reads, converts and counts records of tables
// whose Go type it cannot know) and for the tests of package migrate
// (which prove its conversions lossless through it). It is internal: an
// application migrates its records with its own session type.
package anyvalue

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Value is session data of any shape, for records whose Go type is
// unknown: sessions a Node.js app wrote, or any table the command-line
// tool is pointed at. Use it as the T of a repository and of migrate.Run
// with the codecs of package codec (codec.JSON[Value], codec.Map[Value], codec.Msgpack[Value], and
// wrappers of codec.Msgpack[Value] such as codec.Sealed): Value implements
// the hooks each of them calls, so every codec reads and writes it
// generically.
//
// Converting through a Value is lossless or it fails; a record it cannot
// carry exactly is reported and left untouched, never approximated:
//
//   - Numbers keep their decimal text (JSON is decoded with UseNumber, and
//     DynamoDB numbers are kept as text), so a 64-bit integer beyond 2^53
//     survives JSON → msgpack. In MessagePack an integral number becomes an
//     integer (int64 or uint64); any other number becomes a float64 only if
//     that float prints back as the same number (0.1 does; a 20-digit
//     decimal does not, and fails).
//   - Binary data ([]byte) stays binary in Map and MessagePack, and becomes
//     a base64 string in JSON, as encoding/json (and so codec.JSON) writes
//     a []byte field.
//   - MessagePack timestamps become RFC 3339 strings in JSON and Map, as
//     codec.JSON and codec.Map write a time.Time field.
//   - DynamoDB sets (SS, NS, BS) exist only in the Map format: converting
//     one to JSON or MessagePack fails.
//   - MessagePack map keys must be strings or integers (integers become
//     their decimal text, as the other codecs write integer map keys).
//
// The zero Value is JSON null, and MessagePack nil; codec.Map, which
// stores only maps, writes it as an empty map (an empty session), so that a
// repository of Values accepts codec.Map (dynamosession.New checks that
// its codec can write a zero T). A stored null converted to Map therefore
// reads back as an empty object, not null, and the conversion is refused.
type Value struct {
	v any // nil, bool, string, Number, []byte, time.Time, []any, map[string]any, or a set
}

// Number is a number as decimal text, exactly as it was stored.
type Number string

// DynamoDB sets, which only the Map format can hold.
type (
	stringSet []string
	numberSet []Number
	binarySet [][]byte
)

// maxDepth bounds nesting, so a hostile record cannot exhaust the stack.
// DynamoDB itself allows 32 levels of documents.
const maxDepth = 256

var errTooDeep = fmt.Errorf("value nested deeper than %d levels", maxDepth)

// MarshalJSON writes the value as JSON, for codec.JSON[Value].
func (v *Value) MarshalJSON() ([]byte, error) {
	tree, err := toJSONTree(v.v, 0)
	if err != nil {
		return nil, err
	}
	return json.Marshal(tree)
}

// UnmarshalJSON reads any JSON value, keeping numbers as their text.
func (v *Value) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return err
	}
	out, err := fromJSONTree(x, 0)
	if err != nil {
		return err
	}
	v.v = out
	return nil
}

func fromJSONTree(x any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	switch x := x.(type) {
	case json.Number:
		return Number(x), nil
	case []any:
		for i, e := range x {
			c, err := fromJSONTree(e, depth+1)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
	case map[string]any:
		for k, e := range x {
			c, err := fromJSONTree(e, depth+1)
			if err != nil {
				return nil, err
			}
			x[k] = c
		}
	}
	return x, nil // nil, bool, string
}

func toJSONTree(x any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	switch x := x.(type) {
	case nil, bool, string, []byte, time.Time:
		return x, nil // encoding/json writes []byte as base64 and time.Time as RFC 3339
	case Number:
		return json.Number(x), nil // json.Marshal rejects text that is not a JSON number
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := toJSONTree(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, err := toJSONTree(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	}
	return nil, fmt.Errorf("a DynamoDB %s has no JSON equivalent", kindName(x))
}

// EncodeMsgpack writes the value as MessagePack, for codec.Msgpack[Value].
// Map keys are written sorted, as codec.Msgpack writes them, so equal
// values encode to equal bytes.
func (v *Value) EncodeMsgpack(enc *msgpack.Encoder) error {
	return encodeMsgpack(enc, v.v, 0)
}

func encodeMsgpack(enc *msgpack.Encoder, x any, depth int) error {
	if depth > maxDepth {
		return errTooDeep
	}
	switch x := x.(type) {
	case nil:
		return enc.EncodeNil()
	case bool:
		return enc.EncodeBool(x)
	case string:
		return enc.EncodeString(x)
	case []byte:
		return enc.EncodeBytes(x)
	case time.Time:
		return enc.EncodeTime(x)
	case Number:
		return encodeNumber(enc, x)
	case []any:
		if err := enc.EncodeArrayLen(len(x)); err != nil {
			return err
		}
		for _, e := range x {
			if err := encodeMsgpack(enc, e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		if err := enc.EncodeMapLen(len(x)); err != nil {
			return err
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := enc.EncodeString(k); err != nil {
				return err
			}
			if err := encodeMsgpack(enc, x[k], depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("a DynamoDB %s has no MessagePack equivalent", kindName(x))
}

// ratOf reads a number's decimal text as an exact rational, refusing an
// exponent beyond ±400 before building it: no float64 or DynamoDB number
// comes near (DynamoDB keeps 1e-130 to 1e126), and big.Rat would
// otherwise spend megabytes on a 16-byte "1e999999".
func ratOf(n string) (*big.Rat, bool) {
	if i := strings.IndexAny(n, "eE"); i >= 0 {
		e, err := strconv.Atoi(n[i+1:])
		if err != nil || e > 400 || e < -400 {
			return nil, false
		}
	}
	return new(big.Rat).SetString(n)
}

// encodeNumber writes an integral number as a MessagePack integer and any
// other number as a float64, refusing a number that would change.
func encodeNumber(enc *msgpack.Encoder, n Number) error {
	r, ok := ratOf(string(n))
	if !ok {
		return fmt.Errorf("%q is not a number MessagePack can hold", string(n))
	}
	if r.IsInt() {
		if i := r.Num(); i.IsInt64() {
			return enc.EncodeInt(i.Int64())
		} else if i.IsUint64() {
			return enc.EncodeUint(i.Uint64())
		}
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return fmt.Errorf("number %s does not fit a 64-bit float", n)
	}
	back, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	if back == nil || back.Cmp(r) != 0 {
		return fmt.Errorf("number %s has more digits than a 64-bit float keeps", n)
	}
	return enc.EncodeFloat64(f)
}

// DecodeMsgpack reads any MessagePack value, for codec.Msgpack[Value].
//
// codec.Msgpack checks every length header against the bytes that remain
// before decoding; DecodeMsgpack does not rely on that, because anyone can
// call it through msgpack.Unmarshal. It preallocates at most 16 elements
// of an array, none of a map, and reads strings and binary data in
// chunks, so what it allocates grows with the bytes actually read, never
// with what a header claims (within codecs.MsgpackAllocBound[Value]).
func (v *Value) DecodeMsgpack(dec *msgpack.Decoder) error {
	x, err := decodeMsgpack(dec, 0)
	if err != nil {
		return err
	}
	v.v = x
	return nil
}

// maxPrealloc is the most elements of an array decodeMsgpack allocates
// room for on the word of its header alone; a longer array grows as its
// elements arrive. A map gets no size hint at all: a hint of 15, which a
// one-byte fixmap header can give, already costs over a kilobyte.
const maxPrealloc = 16

func decodeMsgpack(dec *msgpack.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	c, err := dec.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := dec.DecodeArrayLen()
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, 0, min(n, maxPrealloc))
		for range n {
			e, err := decodeMsgpack(dec, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		n, err := dec.DecodeMapLen()
		if err != nil || n < 0 {
			return nil, err
		}
		out := make(map[string]any)
		for range n {
			k, err := decodeMsgpack(dec, depth+1)
			if err != nil {
				return nil, err
			}
			key, ok := mapKey(k)
			if !ok {
				return nil, fmt.Errorf("map key of type %T has no equivalent in the other formats", k)
			}
			if _, dup := out[key]; dup {
				return nil, fmt.Errorf("map key %q occurs twice (integer and string keys collide)", key)
			}
			if out[key], err = decodeMsgpack(dec, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case msgpcode.IsString(c) || msgpcode.IsBin(c):
		// vmihailenco/msgpack v5.4.1 allocates a binary value's whole
		// claimed length before reading it (4 GiB for five bytes).
		n, err := dec.DecodeBytesLen()
		if err != nil || n < 0 {
			return nil, err
		}
		b, err := readBytes(dec, n)
		if err != nil {
			return nil, err
		}
		if msgpcode.IsString(c) {
			return string(b), nil
		}
		return b, nil
	case msgpcode.IsExt(c) || msgpcode.IsFixedExt(c):
		return decodeTimestamp(dec)
	}
	x, err := dec.DecodeInterface() // nil, booleans and numbers
	if err != nil {
		return nil, err
	}
	switch x := x.(type) {
	case nil, bool:
		return x, nil
	case int8, int16, int32, int64:
		return Number(strconv.FormatInt(reflectInt(x), 10)), nil
	case uint8, uint16, uint32, uint64:
		return Number(strconv.FormatUint(reflectUint(x), 10)), nil
	case float32:
		return floatNumber(float64(x), 32)
	case float64:
		return floatNumber(x, 64)
	}
	return nil, fmt.Errorf("MessagePack value of type %T has no equivalent in the other formats", x)
}

// readBytes reads n bytes in chunks that double, from 512 bytes, so that
// what it allocates is at most about four times what the input actually
// held, whatever n a header claimed.
func readBytes(dec *msgpack.Decoder, n int) ([]byte, error) {
	out := []byte{} // not nil: an empty binary value stays a value
	for len(out) < n {
		k := min(n-len(out), max(len(out), 512))
		out = slices.Grow(out, k)
		if err := dec.ReadFull(out[len(out) : len(out)+k]); err != nil {
			return nil, err
		}
		out = out[:len(out)+k]
	}
	return out, nil
}

// decodeTimestamp reads MessagePack's timestamp extension (type -1, 4, 8
// or 12 bytes), the only extension a Value carries, checking the header
// before reading the payload.
func decodeTimestamp(dec *msgpack.Decoder) (any, error) {
	id, n, err := dec.DecodeExtHeader()
	if err != nil {
		return nil, err
	}
	if id != -1 || (n != 4 && n != 8 && n != 12) {
		return nil, fmt.Errorf("MessagePack extension type %d of %d bytes has no equivalent in the other formats (only timestamps do)", id, n)
	}
	// Rebuild the extension in its shortest form and let the library
	// read it, so the timestamp layout stays the library's business.
	ext := make([]byte, 0, 3+12)
	switch n {
	case 4:
		ext = append(ext, msgpcode.FixExt4, 0xff)
	case 8:
		ext = append(ext, msgpcode.FixExt8, 0xff)
	default:
		ext = append(ext, msgpcode.Ext8, 12, 0xff)
	}
	ext = ext[:len(ext)+n]
	if err := dec.ReadFull(ext[len(ext)-n:]); err != nil {
		return nil, err
	}
	var t time.Time
	if err := msgpack.Unmarshal(ext, &t); err != nil {
		return nil, err
	}
	return t, nil
}

func floatNumber(f float64, bits int) (any, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%v has no equivalent in JSON or DynamoDB", f)
	}
	return Number(strconv.FormatFloat(f, 'g', -1, bits)), nil
}

func mapKey(k any) (string, bool) {
	switch k := k.(type) {
	case string:
		return k, true
	case Number:
		if _, err := strconv.ParseInt(string(k), 10, 64); err == nil {
			return string(k), true
		}
		if _, err := strconv.ParseUint(string(k), 10, 64); err == nil {
			return string(k), true
		}
	}
	return "", false
}

func reflectInt(x any) int64 {
	switch x := x.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	}
	return x.(int64)
}

func reflectUint(x any) uint64 {
	switch x := x.(type) {
	case uint8:
		return uint64(x)
	case uint16:
		return uint64(x)
	case uint32:
		return uint64(x)
	}
	return x.(uint64)
}

// MarshalDynamoDBAttributeValue writes the value as a DynamoDB attribute,
// for codec.Map[Value].
func (v *Value) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	if v.v == nil {
		return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}, nil
	}
	return toAttr(v.v, 0)
}

func toAttr(x any, depth int) (types.AttributeValue, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	switch x := x.(type) {
	case nil:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case bool:
		return &types.AttributeValueMemberBOOL{Value: x}, nil
	case string:
		return &types.AttributeValueMemberS{Value: x}, nil
	case Number:
		return &types.AttributeValueMemberN{Value: string(x)}, nil
	case []byte:
		return &types.AttributeValueMemberB{Value: x}, nil
	case time.Time:
		return &types.AttributeValueMemberS{Value: x.Format(time.RFC3339Nano)}, nil
	case []any:
		out := make([]types.AttributeValue, len(x))
		for i, e := range x {
			c, err := toAttr(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case map[string]any:
		out := make(map[string]types.AttributeValue, len(x))
		for k, e := range x {
			c, err := toAttr(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return &types.AttributeValueMemberM{Value: out}, nil
	case stringSet:
		return &types.AttributeValueMemberSS{Value: x}, nil
	case numberSet:
		out := make([]string, len(x))
		for i, n := range x {
			out[i] = string(n)
		}
		return &types.AttributeValueMemberNS{Value: out}, nil
	case binarySet:
		return &types.AttributeValueMemberBS{Value: x}, nil
	}
	return nil, fmt.Errorf("value of type %T has no DynamoDB equivalent", x)
}

// UnmarshalDynamoDBAttributeValue reads any DynamoDB attribute, for
// codec.Map[Value].
func (v *Value) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	x, err := fromAttr(av, 0)
	if err != nil {
		return err
	}
	v.v = x
	return nil
}

func fromAttr(av types.AttributeValue, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	switch av := av.(type) {
	case *types.AttributeValueMemberNULL:
		return nil, nil
	case *types.AttributeValueMemberBOOL:
		return av.Value, nil
	case *types.AttributeValueMemberS:
		return av.Value, nil
	case *types.AttributeValueMemberN:
		return Number(av.Value), nil
	case *types.AttributeValueMemberB:
		return av.Value, nil
	case *types.AttributeValueMemberL:
		out := make([]any, len(av.Value))
		for i, e := range av.Value {
			c, err := fromAttr(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case *types.AttributeValueMemberM:
		out := make(map[string]any, len(av.Value))
		for k, e := range av.Value {
			c, err := fromAttr(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case *types.AttributeValueMemberSS:
		return stringSet(av.Value), nil
	case *types.AttributeValueMemberNS:
		out := make(numberSet, len(av.Value))
		for i, n := range av.Value {
			out[i] = Number(n)
		}
		return out, nil
	case *types.AttributeValueMemberBS:
		return binarySet(av.Value), nil
	}
	return nil, fmt.Errorf("attribute of type %T is not a DynamoDB value", av)
}

func kindName(x any) string {
	switch x.(type) {
	case stringSet:
		return "string set"
	case numberSet:
		return "number set"
	case binarySet:
		return "binary set"
	}
	return fmt.Sprintf("%T", x)
}

// sameValue reports whether b holds the data of a, allowing the changes of
// representation that Value documents: numbers compare by value, a []byte
// matches its base64 text and a timestamp its RFC 3339 text (what JSON and
// Map make of them), a set matches a list of the same elements.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case Number:
		y, ok := b.(Number)
		return ok && sameNumber(x, y)
	case string:
		switch y := b.(type) {
		case string:
			return x == y
		case []byte, time.Time:
			return sameValue(y, x)
		}
		return false
	case []byte:
		switch y := b.(type) {
		case []byte:
			return bytes.Equal(x, y)
		case string:
			return base64.StdEncoding.EncodeToString(x) == y
		}
		return false
	case time.Time:
		switch y := b.(type) {
		case time.Time:
			return x.Equal(y)
		case string:
			return x.Format(time.RFC3339Nano) == y
		}
		return false
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, e := range x {
			f, ok := y[k]
			if !ok || !sameValue(e, f) {
				return false
			}
		}
		return true
	case stringSet, numberSet, binarySet:
		// Sets only come from and go to the Map format.
		xa, _ := toAttr(x, 0)
		ya, err := toAttr(b, 0)
		return err == nil && sameSet(xa, ya)
	}
	return false
}

func sameNumber(a, b Number) bool {
	if a == b {
		return true
	}
	x, ok1 := ratOf(string(a))
	y, ok2 := ratOf(string(b))
	return ok1 && ok2 && x.Cmp(y) == 0
}

// sameSet compares two set attributes regardless of order.
func sameSet(a, b types.AttributeValue) bool {
	norm := func(av types.AttributeValue) ([]string, bool) {
		var out []string
		switch s := av.(type) {
		case *types.AttributeValueMemberSS:
			out = slices.Clone(s.Value)
		case *types.AttributeValueMemberNS:
			for _, n := range s.Value {
				r, ok := ratOf(n)
				if !ok {
					return nil, false
				}
				out = append(out, r.RatString())
			}
		case *types.AttributeValueMemberBS:
			for _, e := range s.Value {
				out = append(out, string(e))
			}
		default:
			return nil, false
		}
		slices.Sort(out)
		return out, true
	}
	x, ok1 := norm(a)
	y, ok2 := norm(b)
	return ok1 && ok2 && fmt.Sprintf("%T", a) == fmt.Sprintf("%T", b) && slices.Equal(x, y)
}

// Same reports whether b holds the data of a, allowing the changes of
// representation that [Value] documents (see sameValue). Package migrate
// compares a record's data before and after conversion with it.
func Same(a, b *Value) bool { return sameValue(a.v, b.v) }
