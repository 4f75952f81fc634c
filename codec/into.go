package codec

// An intoUnmarshaler is a Binary codec of this package: its Unmarshal does
// not depend on T, so it can fill a value of another type, which is what
// the DecodeInto methods of the wrapping codecs need from their inner one.
type intoUnmarshaler interface {
	unmarshalInto(data []byte, ptr any) error
}

// The Binary codecs of this package can unmarshal into any type.
var (
	_ intoUnmarshaler = msgpackCodec[struct{}]{}
	_ intoUnmarshaler = jsonCodec[struct{}]{}
	_ intoUnmarshaler = (*compressor[struct{}])(nil)
)
