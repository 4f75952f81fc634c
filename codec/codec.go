// Package codec turns a session value of type T into the DynamoDB attribute
// that stores it, and back.
//
// Session tables hold a session in one of three attribute types, and a
// [Codec] exists for each:
//
//   - [Map] stores the session as a native DynamoDB map (M), as
//     @pwrdrvr/dynamodb-session-store does. It is queryable and readable in
//     the console, and the largest and slowest of the three.
//   - [JSON] stores it as a JSON string (S) beside `type: connect-session`,
//     exactly as connect-dynamodb does.
//   - [Msgpack] stores it as MessagePack bytes (B): the smallest and fastest.
//
// Two more codecs wrap a [Binary] one in an envelope, also stored as B:
// [Compressed] (zstd, for large sessions) and [Sealed] (encrypted and
// bound to the session's key).
//
// All of them map struct fields by their `json` tags (the Map codec names
// a field without one by its `dynamodbav` tag), so one Go struct reads the
// same in every format and matches the field names Node.js apps wrote.
//
// # Exactness
//
// What a codec stores reads back as the same value, or the codec refuses it
// with an error wrapping [ErrUnsupported]; it never stores an approximation.
//
// Numbers in interface values (map[string]any, []any, fields of type any)
// come back with one Go type per value, the same in every codec: an integer
// in int64's range as int64, a larger one in uint64's range as uint64, any
// other number as float64. An integral float therefore reads back as an
// int64 (Map and JSON text cannot tell 3.0 from 3), and a float32 as the
// float64 of the same value; Map and JSON write such numbers as the exact
// value they read back as (an integral float64 beyond 2^53 with all its
// digits, not its shortest text, which is another integer). A stored
// number that none
// of these types holds exactly, such as 0.1000000000000000000001 or 2^70
// written out in full, is refused when decoding into an interface value,
// rather than rounded and written back rounded by the next save; decode it
// into a typed field (a json.Number or attributevalue.Number field keeps
// every digit). Typed fields decode as encoding/json and attributevalue
// always did, except that Map reads a number however it is spelled ("007",
// "2.0", "2.5e3" into an int field: DynamoDB Local keeps the spelling a
// number was sent in, AWS trims it). (Before this rule, Map and JSON
// returned float64 for every number, and an int64 beyond 2^53 came back
// rounded.)
//
// time.Time keeps its instant to the nanosecond. Map and JSON write RFC
// 3339 text with the zone offset, except for an offset RFC 3339 cannot
// write (one with seconds, such as Europe/Amsterdam's +00:19:32 before
// 1937 or the local mean time most places kept before 1900, or one of a
// day or more): such a time is written in UTC. No codec stores a
// location's name: a time reads back in time.UTC (written as "Z"), in
// time.Local when its offset is the local zone's, and otherwise in a fixed
// zone of its offset; MessagePack reads every time back in time.Local.
// Map and JSON refuse years before 0000 and after 9999, which RFC 3339
// cannot write.
//
// DynamoDB numbers have no negative zero: Map reads -0 back as 0.
//
// Map and JSON refuse strings and map keys that are not valid UTF-8
// ([ErrInvalidUTF8]); the SDK and encoding/json would store U+FFFD in their
// place. MessagePack stores such bytes unchanged. Map also refuses what
// DynamoDB refuses in an attribute (see [Map]).
//
// # Fields the session type does not declare
//
// A Node.js app sharing the table, or an older deploy, stores fields the Go
// type does not declare. Decoding ignores them; [KeepUnknown] puts them
// back into the encoding of a changed session, so a repository's save of
// a Map or JSON session keeps them, at every level (see KeepUnknown for
// lists and what cannot be carried across formats).
//
// [Detect] tells the stored format from the attribute's type alone, which is
// what lets a repository write one format and read all of them: a table
// migrates lazily as sessions are written.
//
// Binary payloads that start with the byte 0xC1 are envelopes written by
// wrapping codecs (compression, encryption). MessagePack never uses 0xC1
// ("never used" in its specification), so an envelope can never be mistaken
// for a plain MessagePack value. The byte after it names the envelope.
//
// # Stored bytes are untrusted
//
// A table holds whatever anyone with write access left in it, so no stored
// MessagePack makes a decoder here panic, end the process or allocate more
// than a small multiple of its size. [Msgpack] checks the bytes before it
// decodes them, in one linear walk that allocates nothing: a length header
// (array, map, str, bin, ext) that promises more than the bytes that
// remain, arrays and maps nested deeper than [MaxMsgpackDepth], and
// extensions other than the timestamp are refused with
// [ErrMalformedMsgpack]. (vmihailenco/msgpack v5.4.1 preallocates what a
// header claims: twelve bytes claiming 2^32-1 array elements end the
// process with "fatal error: out of memory".) Decoding n bytes into a T
// then allocates at most
//
//	8 × n × unit(T) + 16 KiB
//
// where unit(T) is the largest of 64 bytes and the size of each type a T
// can hold; [MsgpackAllocBound] computes it. Around MessagePack:
//
//   - a [Compressor] decompresses first, and stops at MaxBytes (default
//     [MaxDecompressedBytes], then [ErrTooLarge]); that costs at most
//     2 × MaxBytes + 64 KiB, and n is the decompressed size;
//   - a [Sealer] opens the envelope first, which costs at most 2 × the
//     stored size + 4 KiB, and n is the plaintext size.
//
// The tests measure these bounds with runtime.MemStats around every
// decode the fuzz targets FuzzMsgpackDecode, FuzzMsgpackAlloc and
// FuzzEnvelopeAlloc run, and around the worst inputs found
// (TestMsgpackAllocWorstCases: 5.4 units a byte, for maps nested in maps).
package codec

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamosession/dynamosession/internal/attr"
)

// Format names a stored representation of a session.
type Format string

// The formats this package writes and detects.
const (
	FormatUnknown Format = ""
	FormatMap     Format = "map"     // M attribute
	FormatJSON    Format = "json"    // S attribute holding JSON text
	FormatMsgpack Format = "msgpack" // B attribute holding MessagePack
)

// envelopeMarker is the first byte of a binary envelope. MessagePack never
// emits it, so [Detect] can tell envelopes from plain MessagePack.
const envelopeMarker byte = 0xC1

// A Codec encodes a T into the attribute value stored under a session's data
// attribute and decodes it back. Codecs must be safe for concurrent use; the
// ones in this package are stateless values whose zero value is ready.
//
// key is the full stored key (prefix and session ID). Most codecs ignore it;
// an encrypting codec binds its ciphertext to it so that a record copied to
// another key does not decrypt.
type Codec[T any] interface {
	// Format reports the format Encode writes.
	Format() Format
	// Encode returns the attribute value that stores v.
	Encode(key string, v *T) (types.AttributeValue, error)
	// Decode fills v from a stored attribute value.
	Decode(key string, av types.AttributeValue, v *T) error
}

// A Binary codec stores its format as bytes, so other codecs can wrap it
// (compress it, encrypt it).
type Binary[T any] interface {
	Codec[T]
	Marshal(v *T) ([]byte, error)
	Unmarshal(data []byte, v *T) error
}

// ErrWrongType reports a stored attribute whose DynamoDB type does not match
// the codec decoding it.
var ErrWrongType = errors.New("codec: stored attribute has the wrong type")

// Detect reports the format of a stored data attribute by its DynamoDB type:
// M is [FormatMap], S is [FormatJSON], B is [FormatMsgpack] unless it is an
// envelope, whose format is registered by the wrapping codec with
// [registerEnvelope]. It returns [FormatUnknown] for anything else.
func Detect(av types.AttributeValue) Format {
	switch v := av.(type) {
	case *types.AttributeValueMemberM:
		return FormatMap
	case *types.AttributeValueMemberS:
		return FormatJSON
	case *types.AttributeValueMemberB:
		if len(v.Value) >= 2 && v.Value[0] == envelopeMarker {
			if f, ok := envelopes[v.Value[1]]; ok {
				return f
			}
			return FormatUnknown
		}
		return FormatMsgpack
	}
	return FormatUnknown
}

// envelopes maps the byte after [envelopeMarker] to the format of the
// wrapping codec. It is written only from package init functions.
var envelopes = map[byte]Format{}

// registerEnvelope records that binary payloads starting with
// [envelopeMarker] and then kind are in format f. Call it from an init
// function; it panics on a kind registered twice, which is a programming
// error.
func registerEnvelope(kind byte, f Format) {
	if old, ok := envelopes[kind]; ok {
		panic(fmt.Sprintf("codec: envelope kind %q registered twice (%s, %s)", kind, old, f))
	}
	envelopes[kind] = f
}

// ErrUnknownFormat reports a stored data attribute whose format no codec a
// repository reads with decodes (a repository wraps it in its
// *DecodeError).
var ErrUnknownFormat = errors.New("codec: unknown stored format")

// typeName names an attribute value's DynamoDB type for error messages.
func typeName(av types.AttributeValue) string {
	if av == nil {
		return "missing"
	}
	if n := attr.TypeName(av); n != "" {
		return n
	}
	return fmt.Sprintf("%T", av)
}

func wrongType(want string, av types.AttributeValue) error {
	return fmt.Errorf("%w: want %s, stored %s", ErrWrongType, want, typeName(av))
}
