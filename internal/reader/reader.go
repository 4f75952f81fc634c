// Package reader decodes a stored data attribute in whatever format it was
// written, choosing the codec by codecs.Detect: how a repository, the
// migration tool and the CLI that write one format keep reading the others.
package reader

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/attr"
	"github.com/dynamosession/dynamosession/internal/codecs"
)

// A Reader decodes a stored data attribute in whatever format it was written,
// choosing the codec by [codecs.Detect]. It is how a repository that writes one
// format keeps reading the others.
//
// A Reader is safe for concurrent use once built.
type Reader[T any] struct {
	byFormat map[codec.Format]codec.Codec[T]
}

// New returns a Reader that decodes with the given codecs, the first
// one given for a format winning, and falls back to the default
// [codec.Map], [codec.JSON], [codec.Msgpack] and [codec.Compressed] codecs
// (decoding needs no configuration but a compressed codec's MaxBytes) for
// formats none of them writes. Pass the codec a
// repository writes with first, then any that can only be configured by the
// caller (an encrypting codec with its keys).
func New[T any](codecs ...codec.Codec[T]) *Reader[T] {
	r := &Reader[T]{byFormat: make(map[codec.Format]codec.Codec[T], len(codecs)+3)}
	for _, c := range append(codecs, codec.Map[T](), codec.JSON[T](), codec.Msgpack[T](), codec.Compressed(codec.Msgpack[T]())) {
		if c == nil {
			continue
		}
		if _, ok := r.byFormat[c.Format()]; !ok {
			r.byFormat[c.Format()] = c
		}
	}
	return r
}

// NewStrict returns a Reader that decodes with the given codecs
// only: a stored value in any other format is an error wrapping
// [codec.ErrUnknownFormat]. Use it for a table that must hold only what these
// codecs write, such as sealed sessions, so that a plain record planted
// by someone with write access to the table is refused rather than read.
func NewStrict[T any](codecs ...codec.Codec[T]) *Reader[T] {
	r := &Reader[T]{byFormat: make(map[codec.Format]codec.Codec[T], len(codecs))}
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
func (r *Reader[T]) Decode(key string, av types.AttributeValue, v *T) (codec.Format, error) {
	f := codecs.Detect(av)
	c, ok := r.byFormat[f]
	if !ok {
		if f == "" {
			return f, fmt.Errorf("%w: attribute of type %s", codec.ErrUnknownFormat, typeName(av))
		}
		return f, fmt.Errorf("%w: no codec configured for %q", codec.ErrUnknownFormat, f)
	}
	return f, c.Decode(key, av, v)
}

// Codec returns the codec the Reader uses for format f, if any.
func (r *Reader[T]) Codec(f codec.Format) (codec.Codec[T], bool) {
	c, ok := r.byFormat[f]
	return c, ok
}

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
