package codec

import (
	"bytes"
	"errors"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A payloadComparer compares two payloads of a [Binary] codec the way
// their SameData methods compare attribute values. The Msgpack and
// Compressed codecs are payloadComparers, so that a sealed codec can
// compare what it opens.
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
// or another writer's bytes. A map that holds a key twice is not the same
// as anything but its own bytes: which entry a decoder keeps is its
// business.
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
	same, _, _ := sameAt(a, 0, b, 0)
	return same
}

// sameAt reports whether the values at a[i:] and b[j:] are the same, map
// entries in any order, and returns where they end. It walks both in step
// and allocates only for a map whose keys come in another order in a and
// b: then, and only for that map, it compares the entries sorted. a and b
// must have passed checkMsgpack.
func sameAt(a []byte, i int, b []byte, j int) (same bool, endA, endB int) {
	ha, errA := readHeader(a, i)
	hb, errB := readHeader(b, j)
	if errA != nil || errB != nil || !bytes.Equal(a[i:ha.end], b[j:hb.end]) {
		return false, 0, 0
	}
	x, y := ha.end, hb.end
	if !ha.isMap {
		for range ha.elems { // an array's elements; none for a scalar
			if same, x, y = sameAt(a, x, b, y); !same {
				return false, 0, 0
			}
		}
		return true, x, y
	}
	for range ha.elems / 2 {
		kx, ky := valueEnd(a, x), valueEnd(b, y)
		if !bytes.Equal(a[x:kx], b[y:ky]) {
			return sameSorted(a, i, b, j) // keys in another order (or other keys)
		}
		if same, x, y = sameAt(a, kx, b, ky); !same {
			// Same key, another value: different data, whatever the
			// order of the other entries.
			return false, 0, 0
		}
	}
	return true, x, y
}

// sameSorted compares the maps at a[i:] and b[j:] with their entries
// sorted, and returns where they end.
func sameSorted(a []byte, i int, b []byte, j int) (bool, int, int) {
	ca, endA, errA := appendCanonical(nil, a, i)
	cb, endB, errB := appendCanonical(nil, b, j)
	return errA == nil && errB == nil && bytes.Equal(ca, cb), endA, endB
}

// valueEnd returns the offset after the value at b[i], which must have
// passed checkMsgpack.
func valueEnd(b []byte, i int) int {
	for pending := uint64(1); pending > 0; pending-- {
		h, err := readHeader(b, i)
		if err != nil {
			return len(b)
		}
		i = h.end
		pending += h.elems
	}
	return i
}

// errDuplicateKey stops appendCanonical at a map that holds a key twice.
var errDuplicateKey = errors.New("codec: a MessagePack map holds a key twice")

// appendCanonical appends the value at b[i] to dst with the entries of
// every map sorted by their bytes (key, then value, each already in this
// form), and returns the offset after the value. Everything else is kept
// byte for byte, so the result is as long as the value. A map that holds
// a key twice is an error. b must have passed checkMsgpack, which bounds
// the recursion to [maxMsgpackDepth].
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
	key := func(e entry) []byte { return dst[e.start:e.keyEnd] }
	slices.SortFunc(entries, func(x, y entry) int { return bytes.Compare(key(x), key(y)) })
	for k := 1; k < len(entries); k++ {
		if bytes.Equal(key(entries[k-1]), key(entries[k])) {
			return dst, i, errDuplicateKey
		}
	}
	unsorted := bytes.Clone(dst[base:])
	out := dst[:base]
	for _, e := range entries {
		out = append(out, unsorted[e.start-base:e.end-base]...)
	}
	return out, i, nil
}
