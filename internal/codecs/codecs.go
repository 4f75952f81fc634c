// Package codecs is what this repository does with package codec's codecs
// beyond the public [codec.Codec] interface: detect a stored format, carry
// unknown fields into a save, refuse a rewrite that would lose data,
// decode a session as the shape it had before a deploy changed it, and
// compute the MessagePack allocation bound that codec's documentation
// promises. The root package, internal/reader, migrate and the CLI call
// it; users never need it.
//
// Package codec's codecs offer what these functions need as methods of
// their unexported types (KeepUnknown, Lossy, DecodeInto); each function
// here declares the interface it asserts, so a codec of another package,
// which has none of them, gets the documented fallback.
package codecs

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/wire"
)

// Detect reports the format of a stored data attribute by its DynamoDB
// type: M is [codec.FormatMap], S is [codec.FormatJSON], B is
// [codec.FormatMsgpack] unless it is an envelope (its first byte is
// [wire.EnvelopeMarker]), whose second byte names [codec.FormatCompressed]
// or [codec.FormatSealed]. It returns "" for anything else, an envelope of
// an unknown kind included.
func Detect(av types.AttributeValue) codec.Format {
	switch v := av.(type) {
	case *types.AttributeValueMemberM:
		return codec.FormatMap
	case *types.AttributeValueMemberS:
		return codec.FormatJSON
	case *types.AttributeValueMemberB:
		if len(v.Value) == 0 || v.Value[0] != wire.EnvelopeMarker {
			return codec.FormatMsgpack
		}
		if len(v.Value) >= 2 {
			switch v.Value[1] {
			case wire.CompressedKind:
				return codec.FormatCompressed
			case wire.SealedKind:
				return codec.FormatSealed
			}
		}
	}
	return ""
}

// KeepUnknown returns fresh, the encoding by c of a session that was read
// from stored and then changed, with what stored holds that the session
// type does not declare put back, as package codec's documentation
// describes ("Fields the session type does not declare"). Only the Map and
// JSON codecs keep unknown fields; with any other codec, or a nil stored or
// fresh, it returns fresh unchanged. A stored field that cannot be carried
// into c's format exactly is an error wrapping [codec.ErrUnsupported], and
// nothing should be written.
func KeepUnknown[T any](c codec.Codec[T], stored, fresh types.AttributeValue) (types.AttributeValue, error) {
	k, ok := c.(unknownKeeper)
	if !ok || stored == nil || fresh == nil {
		return fresh, nil
	}
	return k.KeepUnknown(stored, fresh)
}

// An unknownKeeper puts back into a fresh encoding the fields of the
// stored value that the session type does not declare: codec.Map and
// codec.JSON.
type unknownKeeper interface {
	KeepUnknown(stored, fresh types.AttributeValue) (types.AttributeValue, error)
}

// Lossy returns an error wrapping [codec.ErrUnsupported] when a session
// read from stored cannot be written back with to exactly as it is stored,
// and nil when it can. It is what a rewrite that nobody asked for (a
// repository's RewriteOnRead, the migration tool) checks first, so that it
// never changes data:
//
//   - JSON text (an S attribute) holding an unpaired UTF-16 surrogate
//     escape such as \ud800: JavaScript's JSON.stringify writes one for a
//     string cut between the halves of a surrogate pair (a nickname
//     truncated in the middle of an emoji), and encoding/json decodes it
//     as U+FFFD, which Go strings hold where the escape stood;
//   - a Map or JSON value holding fields T does not declare, when to does
//     not keep them (only codec.Map and codec.JSON do; see [KeepUnknown]).
//
// Values in the other formats are written by this library alone and read
// back exactly.
func Lossy[T any](to codec.Codec[T], stored types.AttributeValue) error {
	var from codec.Codec[T] // the codec that reads stored
	switch stored.(type) {
	case *types.AttributeValueMemberM:
		from = codec.Map[T]()
	case *types.AttributeValueMemberS:
		from = codec.JSON[T]()
	default:
		return nil
	}
	_, keeps := to.(unknownKeeper)
	if err := from.(lossyReader).Lossy(stored, keeps || to == nil); err != nil {
		if to != nil {
			return fmt.Errorf("writing it as %s: %w", to.Format(), err)
		}
		return err
	}
	return nil
}

// A lossyReader reports what decoding a stored value into T loses that a
// codec writing the session back would not restore, keepsUnknown telling
// whether that codec puts back unknown fields: codec.Map and codec.JSON.
type lossyReader interface {
	Lossy(stored types.AttributeValue, keepsUnknown bool) error
}

// DecodeAs fills v, a value of another type than the T that c encodes,
// from av as c would decode it into a T: what a repository does to read a
// session stored in the shape T had before a deploy changed it. c's
// configuration applies (its keyring, its compression limits). When V is
// T, it is c.Decode. Otherwise c must be one of package codec's codecs,
// wrapping only codecs of package codec; for a codec of another package
// it returns an error.
func DecodeAs[V, T any](c codec.Codec[T], key string, av types.AttributeValue, v *V) error {
	if same, ok := c.(codec.Codec[V]); ok {
		return same.Decode(key, av, v)
	}
	d, ok := c.(intoDecoder)
	if !ok {
		return fmt.Errorf("codecs: %T decodes into %T only, not into %T", c, (*T)(nil), v)
	}
	return d.DecodeInto(key, av, v)
}

// An intoDecoder decodes into a value of any type, as it decodes into its
// own T: the codecs of package codec.
type intoDecoder interface {
	DecodeInto(key string, av types.AttributeValue, ptr any) error
}
