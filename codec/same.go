package codec

import (
	"bytes"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A Comparer is a codec that can tell whether two stored values of its
// format hold the same data when their bytes differ: MessagePack maps
// whose entries come in another order (Go randomises map iteration, and
// vmihailenco/msgpack sorts the keys of only three map types), sealed
// envelopes that differ by their random nonce, compressed envelopes
// stored with another threshold. A repository's Save asks it, when the
// new encoding differs from the stored bytes, whether the data changed:
// unchanged data is then never written, whatever T holds.
//
// [Msgpack], [Compressor] and [Sealer] are Comparers.
type Comparer interface {
	// SameData reports whether stored and encoded, two values of the
	// codec's format, hold the same data. key is the full stored key (a
	// sealed envelope is bound to it). A value it cannot read is not the
	// same as anything.
	SameData(key string, stored, encoded types.AttributeValue) bool
}

// A payloadComparer compares two payloads of a [Binary] codec the way a
// [Comparer] compares attribute values. The Binary codecs of this package
// are payloadComparers, so that a [Sealer] can compare what it opens.
type payloadComparer interface {
	samePayload(a, b []byte) bool
}

// bothBinary returns the bytes of two B attributes.
func bothBinary(a, b types.AttributeValue) ([]byte, []byte, bool) {
	x, ok1 := a.(*types.AttributeValueMemberB)
	y, ok2 := b.(*types.AttributeValueMemberB)
	if !ok1 || !ok2 {
		return nil, nil, false
	}
	return x.Value, y.Value, true
}

// sameMsgpack reports whether a and b are well-formed MessagePack (within
// this package's limits) holding the same value, map entries in any
// order. Every other difference counts, down to the width of an integer
// header: what this package writes for one value is always the same bytes
// except for the order of map entries, so anything else is another value
// or another writer's bytes.
func sameMsgpack(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return checkMsgpack(a) == nil
	}
	// Reordering entries keeps the length, so different lengths are
	// different data: the common case of a Save that changed something
	// costs no more than this.
	if len(a) != len(b) || checkMsgpack(a) != nil || checkMsgpack(b) != nil {
		return false
	}
	ca, _, err1 := appendCanonical(make([]byte, 0, len(a)), a, 0)
	cb, _, err2 := appendCanonical(make([]byte, 0, len(b)), b, 0)
	return err1 == nil && err2 == nil && bytes.Equal(ca, cb)
}

// appendCanonical appends the value at b[i] to dst with the entries of
// every map sorted by their bytes (key, then value, each already in this
// form), and returns the offset after the value. Everything else is kept
// byte for byte, so the result is as long as the value. b must have
// passed checkMsgpack, which bounds the recursion to [MaxMsgpackDepth].
func appendCanonical(dst, b []byte, i int) ([]byte, int, error) {
	h, err := readHeader(b, i)
	if err != nil {
		return dst, i, err
	}
	dst = append(dst, b[i:h.end]...)
	i = h.end
	if !h.isMap {
		for range h.elems {
			if dst, i, err = appendCanonical(dst, b, i); err != nil {
				return dst, i, err
			}
		}
		return dst, i, nil
	}
	type entry struct{ start, keyEnd, end int } // offsets in dst
	base := len(dst)
	entries := make([]entry, 0, h.elems/2)
	for range h.elems / 2 {
		e := entry{start: len(dst)}
		if dst, i, err = appendCanonical(dst, b, i); err != nil {
			return dst, i, err
		}
		e.keyEnd = len(dst)
		if dst, i, err = appendCanonical(dst, b, i); err != nil {
			return dst, i, err
		}
		e.end = len(dst)
		entries = append(entries, e)
	}
	cmp := func(x, y entry) int {
		if c := bytes.Compare(dst[x.start:x.keyEnd], dst[y.start:y.keyEnd]); c != 0 {
			return c
		}
		return bytes.Compare(dst[x.keyEnd:x.end], dst[y.keyEnd:y.end])
	}
	if slices.IsSortedFunc(entries, cmp) {
		return dst, i, nil
	}
	slices.SortFunc(entries, cmp)
	unsorted := bytes.Clone(dst[base:])
	out := dst[:base]
	for _, e := range entries {
		out = append(out, unsorted[e.start-base:e.end-base]...)
	}
	return out, i, nil
}
