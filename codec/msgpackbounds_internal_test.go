package codec

import (
	"errors"
	"testing"
)

// checkMsgpackByHeaders is checkMsgpack as it was before its fast paths:
// every value through readHeader. The oracle for TestCheckMsgpackFastPaths.
func checkMsgpackByHeaders(b []byte) error {
	var open []uint64
	pending, i := uint64(1), 0
	for {
		for pending == 0 {
			if len(open) == 0 {
				if i != len(b) {
					return malformed(i, "trailing bytes")
				}
				return nil
			}
			pending, open = open[len(open)-1], open[:len(open)-1]
		}
		h, err := readHeader(b, i)
		if err != nil {
			return err
		}
		i = h.end
		pending--
		if h.container && h.elems > 0 {
			if len(open) == maxMsgpackDepth {
				return malformed(h.at, "too deep")
			}
			open = append(open, pending)
			pending = h.elems
		}
	}
}

// TestCheckMsgpackFastPaths: the steps checkMsgpack takes without
// readHeader (fixed-size scalars, str8, timestamp32/64) accept and refuse
// exactly what readHeader does, for every code byte followed by every
// length of tail up to 20 bytes, alone and as the last element of an
// array, with tails of zeros and of 0xff (the timestamp type byte).
func TestCheckMsgpackFastPaths(t *testing.T) {
	for c := range 256 {
		for n := range 21 {
			for _, fill := range []byte{0x00, 0xff, 0x05} {
				tail := make([]byte, n)
				for i := range tail {
					tail[i] = fill
				}
				for _, prefix := range [][]byte{nil, {0x92, 0x01}} {
					b := append(append(append([]byte{}, prefix...), byte(c)), tail...)
					got, want := checkMsgpack(b), checkMsgpackByHeaders(b)
					if (got == nil) != (want == nil) || got != nil && !errors.Is(got, ErrMalformedMsgpack) {
						t.Fatalf("% x: checkMsgpack = %v, by headers %v", b, got, want)
					}
				}
			}
		}
	}
}
