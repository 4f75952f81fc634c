package codec

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dynamosession/dynamosession/internal/wire"
)

// maxMsgpackDepth is how deeply MessagePack arrays and maps (a struct is a
// map) may nest in what [Msgpack] writes and reads: 256, as the package
// documentation states. It bounds the decoder's recursion, and so the
// stack a crafted record can claim; a session nested this deep is a bug or
// an attack (DynamoDB itself stores documents 32 levels deep at most).
const maxMsgpackDepth = wire.MaxMsgpackDepth

// ErrMalformedMsgpack reports bytes that are not exactly one MessagePack
// value within this package's limits: a length header that promises more
// bytes or elements than remain, arrays and maps nested deeper than 256
// levels, an extension other than the timestamp, the code 0xC1
// that MessagePack never uses, or bytes after the value. [Msgpack] refuses
// such bytes before decoding, and refuses to write a value whose encoding
// would be one (nested too deeply, or holding another extension type).
var ErrMalformedMsgpack = errors.New("codec: malformed MessagePack")

// timestampExt is MessagePack's timestamp extension type, the only one
// vmihailenco/msgpack writes for time.Time and the only one this package
// reads. Its payload is 4, 8 or 12 bytes (MessagePack specification,
// "Timestamp extension type").
const timestampExt = -1

// checkMsgpack reports, as an error wrapping [ErrMalformedMsgpack], why b
// is not exactly one MessagePack value within the limits. It walks the
// bytes once, without recursion and without allocating (unless it fails),
// and checks every length against the bytes that remain: an array or map
// of n elements needs at least n (2n for a map) more bytes, since every
// element takes at least one; a string, binary or extension of n bytes
// needs n.
//
// Its success is what the allocation bound of the package doc rests on:
// every element a header promises is then a value present in b, starting
// at a byte of its own, so all the slices and maps a decoder may
// preallocate from headers hold at most len(b) elements together.
func checkMsgpack(b []byte) error {
	var open [maxMsgpackDepth]uint64 // elements still to read in each enclosing container
	depth := 0
	pending := uint64(1) // elements still to read at this depth: the value itself
	i := 0
	for {
		for pending == 0 {
			if depth == 0 {
				if i != len(b) {
					return malformed(i, "%d bytes after the value", len(b)-i)
				}
				return nil
			}
			depth--
			pending = open[depth]
		}
		// Most values of a session are small integers, short strings,
		// booleans, nils, and structs and short arrays: those are read
		// here, the rest (and every error) by readHeader.
		if i >= len(b) {
			return malformed(i, "input ends inside a value")
		}
		at, c, elems := i, b[i], uint64(0)
		switch {
		case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
			i++
			pending--
			continue
		case c >= 0xa0 && c <= 0xbf && int(c&0x1f) < len(b)-i:
			i += 1 + int(c&0x1f)
			pending--
			continue
		case c >= 0x80 && c <= 0x9f && fixElems(c) < uint64(len(b)-i):
			elems = fixElems(c)
			i++
		case scalarBytes[c] != 0 && int(scalarBytes[c]) < len(b)-i:
			i += 1 + int(scalarBytes[c])
			pending--
			continue
		case c == 0xd9 && len(b)-i > 1 && int(b[i+1]) <= len(b)-i-2: // str8
			i += 2 + int(b[i+1])
			pending--
			continue
		case (c == 0xd6 || c == 0xd7) && len(b)-i > 1 && b[i+1] == 0xff && int(c-0xd6+1)*4 <= len(b)-i-2: // timestamp32, timestamp64
			i += 2 + int(c-0xd6+1)*4
			pending--
			continue
		default:
			h, err := readHeader(b, i)
			if err != nil {
				return err
			}
			i = h.end
			if !h.container {
				pending--
				continue
			}
			elems = h.elems
		}
		pending--
		if depth == maxMsgpackDepth {
			return malformed(at, "arrays and maps nested deeper than %d levels", maxMsgpackDepth)
		}
		if elems > 0 {
			open[depth] = pending
			depth++
			pending = elems
		}
	}
}

// scalarBytes is how many bytes follow the code of a fixed-size scalar
// (uint8 to uint64, int8 to int64, float32, float64), 0 for every other
// code: checkMsgpack steps over these, and str8 strings, without calling
// readHeader, which walked a 64 KB session at 1.7 bytes per ns when every
// number and string over 31 bytes took the call.
var scalarBytes = [256]uint8{
	0xcc: 1, 0xd0: 1,
	0xcd: 2, 0xd1: 2,
	0xca: 4, 0xce: 4, 0xd2: 4,
	0xcb: 8, 0xcf: 8, 0xd3: 8,
}

func malformed(at int, format string, args ...any) error {
	return fmt.Errorf("%w: offset %d: %s", ErrMalformedMsgpack, at, fmt.Sprintf(format, args...))
}

// A header is what readHeader found at offset at: the value's code and
// length fields end at start; a scalar's bytes (a string's, an
// extension's) end at end; a container's elements follow start, elems of
// them (keys and values both, for a map), and end is start.
type header struct {
	at, start, end int
	elems          uint64
	container      bool
	isMap          bool
}

// readHeader reads the header of the value at b[i], checking that the
// bytes it promises remain: a container of n elements needs n more bytes
// at least, since every element takes one or more.
func readHeader(b []byte, i int) (header, error) {
	h := header{at: i}
	if i >= len(b) {
		return h, malformed(i, "input ends inside a value")
	}
	c := b[i]
	i++
	var size uint64 // bytes after the header, for a scalar
	switch {
	case c <= 0x7f || c >= 0xe0: // positive and negative fixint
	case c <= 0x9f: // fixmap, fixarray
		h.elems, h.container, h.isMap = fixElems(c), true, c <= 0x8f
	case c <= 0xbf: // fixstr
		size = uint64(c & 0x1f)
	default:
		switch c {
		case 0xc0, 0xc2, 0xc3: // nil, false, true
		case 0xc1:
			return h, malformed(h.at, "code 0xc1, which MessagePack never uses")
		case 0xcc, 0xd0:
			size = 1
		case 0xcd, 0xd1:
			size = 2
		case 0xca, 0xce, 0xd2:
			size = 4
		case 0xcb, 0xcf, 0xd3:
			size = 8
		case 0xc4, 0xd9, 0xc5, 0xda, 0xc6, 0xdb: // bin and str with a length field
			n, err := lengthField(b, &i, c)
			if err != nil {
				return h, malformed(h.at, "%v", err)
			}
			size = n
		case 0xdc, 0xdd: // array16, array32
			n, err := lengthField(b, &i, c)
			if err != nil {
				return h, malformed(h.at, "%v", err)
			}
			h.elems, h.container = n, true
		case 0xde, 0xdf: // map16, map32
			n, err := lengthField(b, &i, c)
			if err != nil {
				return h, malformed(h.at, "%v", err)
			}
			h.elems, h.container, h.isMap = 2*n, true, true
		default: // 0xd4-0xd8 fixext, 0xc7-0xc9 ext with a length field
			n, err := lengthField(b, &i, c)
			if err != nil {
				return h, malformed(h.at, "%v", err)
			}
			if i >= len(b) {
				return h, malformed(h.at, "input ends inside an extension header")
			}
			typ := int8(b[i])
			i++
			if typ != timestampExt || (n != 4 && n != 8 && n != 12) {
				return h, malformed(h.at, "extension type %d of %d bytes; only the timestamp extension (type -1, 4, 8 or 12 bytes) is read", typ, n)
			}
			size = n
		}
	}
	h.start = i
	remain := uint64(len(b) - i)
	if h.elems > remain {
		return h, malformed(h.at, "a header promises %d elements, but only %d bytes remain", h.elems, remain)
	}
	if size > remain {
		return h, malformed(h.at, "a header promises %d bytes, but only %d remain", size, remain)
	}
	h.end = i + int(size)
	return h, nil
}

// checkForeign checks a payload bound for inner the way [Msgpack] checks
// its input, when inner is a Binary codec of another package that says it
// is MessagePack; this package's codecs check their input themselves.
func checkForeign[T any](inner Binary[T], payload []byte) error {
	if _, ours := inner.(msgpackCodec[T]); ours || inner.Format() != FormatMsgpack {
		return nil
	}
	return checkMsgpack(payload)
}

// fixElems returns how many elements a fixmap (0x80-0x8f, key-value pairs:
// two each) or fixarray (0x90-0x9f) code holds.
func fixElems(c byte) uint64 {
	n := uint64(c & 0x0f)
	if c <= 0x8f {
		n *= 2
	}
	return n
}

// lengthField reads the length that follows code c (of a str, bin, array,
// map or extension with a length field) at b[*i:], advancing *i past it.
// The fixext codes have their length in the code itself.
func lengthField(b []byte, i *int, c byte) (uint64, error) {
	var width int
	switch c {
	case 0xd4:
		return 1, nil
	case 0xd5:
		return 2, nil
	case 0xd6:
		return 4, nil
	case 0xd7:
		return 8, nil
	case 0xd8:
		return 16, nil
	case 0xc4, 0xd9, 0xc7:
		width = 1
	case 0xc5, 0xda, 0xdc, 0xde, 0xc8:
		width = 2
	default: // 0xc6, 0xdb, 0xdd, 0xdf, 0xc9
		width = 4
	}
	if len(b)-*i < width {
		return 0, fmt.Errorf("input ends inside a %d-byte length", width)
	}
	f := b[*i : *i+width]
	*i += width
	switch width {
	case 1:
		return uint64(f[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(f)), nil
	}
	return uint64(binary.BigEndian.Uint32(f)), nil
}
