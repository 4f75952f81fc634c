// Package wire holds the constants of the stored formats that package
// codec writes and that other packages of this module must agree with: the
// bytes that open a binary envelope (which internal/codecs.Detect reads),
// the limits package codec documents, and the `type` value of
// connect-dynamodb records. Package codec states each value in the
// documentation of what it governs; users depend on that text, not on
// these names.
package wire

// Binary envelopes: a B attribute whose first byte is EnvelopeMarker, and
// whose second byte names the wrapping codec. MessagePack never uses
// 0xC1 ("never used" in its specification), so an envelope can never be
// mistaken for a plain MessagePack value.
const (
	EnvelopeMarker byte = 0xC1
	CompressedKind byte = 'z' // codec.Compressed
	SealedKind     byte = 'e' // codec.Sealed
)

// ConnectSessionType is the value connect-dynamodb writes in its `type`
// attribute, and codec.JSON beside every session.
const ConnectSessionType = "connect-session"

// Limits and defaults of package codec; each is documented there with its
// reason.
const (
	// DefaultCompressThreshold is codec.CompressOptions.Threshold's
	// default, in bytes.
	DefaultCompressThreshold = 1024 - 128
	// MaxDecompressedBytes is codec.CompressOptions.MaxBytes's default:
	// DynamoDB's 400 KB item limit.
	MaxDecompressedBytes = 400 * 1024
	// MaxMsgpackDepth is how deeply MessagePack arrays and maps may nest
	// in what codec.Msgpack writes and reads.
	MaxMsgpackDepth = 256
	// MaxKeyIDBytes is the longest codec.Key ID: its length is stored in
	// one byte of the sealed envelope.
	MaxKeyIDBytes = 255
)
