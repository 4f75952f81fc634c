// Package codec turns a session value of type T into the DynamoDB attribute
// that stores it, and back.
//
// Three formats exist in session tables today, and a constructor returns
// a [Codec] for each:
//
//   - [Map] stores the session as a native DynamoDB map (M), as
//     @pwrdrvr/dynamodb-session-store does. It is queryable and readable in
//     the console, and the largest and slowest of the three.
//   - [JSON] stores it as a JSON string (S) beside `type: connect-session`,
//     exactly as connect-dynamodb does.
//   - [Msgpack] stores it as MessagePack bytes (B): the smallest and fastest.
//
// Two more wrap a [Binary] codec's bytes in an envelope, also stored as B:
// [Compressed] compresses them with zstd, [Sealed] encrypts them with
// AES-256-GCM.
//
// The three formats map struct fields by their `json` tags (the Map codec names a
// field without one by its `dynamodbav` tag), so one Go struct reads the
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
// (an error wrapping [ErrUnsupported]); the SDK and encoding/json would
// store U+FFFD in their place. MessagePack stores such bytes unchanged. Map also refuses what
// DynamoDB refuses in an attribute (see [Map]).
//
// # Fields the session type does not declare
//
// A Node.js app sharing the table, or an older deploy, stores fields the Go
// type does not declare. Decoding ignores them, and a repository's save of
// a changed Map or JSON session puts them back, at every level: fields of
// the session struct, of nested structs, of structs in maps and in lists.
// A name the type declares is the session's to write, so a field the
// program emptied (omitempty) or a map entry it deleted stays deleted. A
// list element keeps its unknown fields when it is still in the list
// unchanged, wherever it moved, or, when the list kept its length, when it
// was changed in place; an element changed while others were added or
// removed loses them (nothing tells which element it was). Unknown fields
// carry across the two formats too (a JSON record saved as Map, and back);
// one that cannot carry over exactly (a binary value or a set into JSON, a
// lone surrogate or a number DynamoDB refuses into Map) fails the save with
// an error wrapping [ErrUnsupported], and nothing is written. The other
// codecs' formats are written by this library alone, so they have no
// unknown fields to keep.
//
// A repository tells the stored format from the attribute's type alone
// (M is [FormatMap], S is [FormatJSON], B is [FormatMsgpack] or an
// envelope), which is what lets it write one format and read all of them:
// a table migrates lazily as sessions are written.
//
// Binary payloads that start with the byte 0xC1 are envelopes written by
// wrapping codecs: 0xC1 'z' is [Compressed], 0xC1 'e' is [Sealed].
// MessagePack never uses 0xC1 ("never used" in its specification), so an
// envelope can never be mistaken for a plain MessagePack value.
//
// # Stored bytes are untrusted
//
// A table holds whatever anyone with write access left in it, so no stored
// MessagePack makes a decoder here panic, end the process or allocate more
// than a small multiple of its size. [Msgpack] checks the bytes before it
// decodes them, in one linear walk that allocates nothing: a length header
// (array, map, str, bin, ext) that promises more than the bytes that
// remain, arrays and maps nested deeper than 256 levels, and
// extensions other than the timestamp are refused with
// [ErrMalformedMsgpack]. (vmihailenco/msgpack v5.4.1 preallocates what a
// header claims: twelve bytes claiming 2^32-1 array elements end the
// process with "fatal error: out of memory".) Decoding n bytes into a T
// then allocates at most
//
//	8 × n × unit(T) + 16 KiB
//
// where unit(T) is the largest of 64 bytes, the in-memory size of every
// type a T can hold (its fields, slice and array elements, pointer
// targets, map keys and values, recursively) and the slot of every map
// type it holds (key and value, aligned). A 12-byte record decoded into a struct of
// strings, ints and slices of them may thus allocate at most
// 8 × 12 × 64 + 16 KiB = 22,528 bytes. The first decode of a type also
// fills vmihailenco/msgpack's per-type tables once; that is not counted.
// Around MessagePack:
//
//   - a [Compressed] codec decompresses first, and stops at MaxBytes
//     (default 400 KiB, then [ErrTooLarge]); that costs at most
//     2 × MaxBytes + 64 KiB, and n is the decompressed size;
//   - a [Sealed] codec opens the envelope first, which costs at most 2 ×
//     the stored size + 4 KiB, and n is the plaintext size.
//
// The tests measure these bounds with runtime.MemStats around every
// decode the fuzz targets FuzzMsgpackDecode, FuzzMsgpackAlloc and
// FuzzEnvelopeAlloc run, and around the worst inputs found
// (TestMsgpackAllocWorstCases: 5.4 units a byte, for maps nested in maps).
//
// # Writing a codec
//
// Any type with the methods of [Codec] is a codec a repository writes and
// reads with; one with those of [Binary] can also be wrapped by [Sealed]
// (and by [Compressed] if its Format is [FormatMsgpack] or [FormatJSON],
// the inner formats a compressed envelope can name). A repository compares a changed session's
// encoding with the stored value and skips the write when the bytes are
// equal; when they differ, it decodes the stored value and compares the
// data, so a codec need not encode deterministically to save nothing when
// nothing changed.
package codec

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamosession/dynamosession/internal/attr"
)

// Format names a stored representation of a session. The empty Format
// means none: a stored attribute of no format a codec writes.
type Format string

// The formats this package writes.
const (
	FormatMap        Format = "map"        // M attribute
	FormatJSON       Format = "json"       // S attribute holding JSON text
	FormatMsgpack    Format = "msgpack"    // B attribute holding MessagePack
	FormatCompressed Format = "compressed" // B attribute holding a compressed envelope, see [Compressed]
	FormatSealed     Format = "sealed"     // B attribute holding a sealed envelope, see [Sealed]
)

// A Codec encodes a T into the attribute value stored under a session's data
// attribute and decodes it back. Codecs must be safe for concurrent use; the
// ones in this package are.
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
	// Marshal returns the bytes that store v: the payload of the B or S
	// attribute Encode returns.
	Marshal(v *T) ([]byte, error)
	// Unmarshal fills v from bytes Marshal returned.
	Unmarshal(data []byte, v *T) error
}

// ErrUnknownFormat reports a stored attribute in a format the codec
// decoding it does not read: another DynamoDB type than the codec writes
// (an S given to the Msgpack codec) or, from a repository (which wraps it
// in its *DecodeError), a format none of the codecs it reads with decodes,
// such as a sealed record with no sealed codec configured.
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
	return fmt.Errorf("%w: wrong type: want %s, stored %s", ErrUnknownFormat, want, typeName(av))
}
