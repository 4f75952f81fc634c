package codec

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrUnknownFormat reports a stored data attribute whose format no codec of
// a [Reader] decodes.
var ErrUnknownFormat = errors.New("codec: unknown stored format")

// A Reader decodes a stored data attribute in whatever format it was written,
// choosing the codec by [Detect]. It is how a repository that writes one
// format keeps reading the others.
//
// A Reader is safe for concurrent use once built.
type Reader[T any] struct {
	byFormat map[Format]Codec[T]
}

// NewReader returns a Reader that decodes with the given codecs, the first
// one given for a format winning, and falls back to the zero [Map], [JSON]
// and [Msgpack] codecs and a default [Compressed] one (decompression needs
// no configuration) for formats none of them writes. Pass the codec a
// repository writes with first, then any that can only be configured by the
// caller (an encrypting codec with its keys).
func NewReader[T any](codecs ...Codec[T]) *Reader[T] {
	r := &Reader[T]{byFormat: make(map[Format]Codec[T], len(codecs)+3)}
	for _, c := range append(codecs, Map[T]{}, JSON[T]{}, Msgpack[T]{}, Compressed[T](Msgpack[T]{})) {
		if c == nil {
			continue
		}
		if _, ok := r.byFormat[c.Format()]; !ok {
			r.byFormat[c.Format()] = c
		}
	}
	return r
}

// NewStrictReader returns a Reader that decodes with the given codecs
// only: a stored value in any other format is an error wrapping
// [ErrUnknownFormat]. Use it for a table that must hold only what these
// codecs write, such as sealed sessions, so that a plain record planted
// by someone with write access to the table is refused rather than read.
func NewStrictReader[T any](codecs ...Codec[T]) *Reader[T] {
	r := &Reader[T]{byFormat: make(map[Format]Codec[T], len(codecs))}
	for _, c := range codecs {
		if c == nil {
			continue
		}
		if _, ok := r.byFormat[c.Format()]; !ok {
			r.byFormat[c.Format()] = c
		}
	}
	return r
}

// Decode fills v from av and reports the format it found.
func (r *Reader[T]) Decode(key string, av types.AttributeValue, v *T) (Format, error) {
	f := Detect(av)
	c, ok := r.byFormat[f]
	if !ok {
		if f == FormatUnknown {
			return f, fmt.Errorf("%w: attribute of type %s", ErrUnknownFormat, typeName(av))
		}
		return f, fmt.Errorf("%w: no codec configured for %q", ErrUnknownFormat, f)
	}
	return f, c.Decode(key, av, v)
}

// Codec returns the codec the Reader uses for format f, if any.
func (r *Reader[T]) Codec(f Format) (Codec[T], bool) {
	c, ok := r.byFormat[f]
	return c, ok
}
