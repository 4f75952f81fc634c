package codec

import (
	"bytes"
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
		// A container inside maxMsgpackDepth others is too deep even when
		// empty, as checkMsgpack has always had it.
		if h.container && len(open) == maxMsgpackDepth {
			return malformed(h.at, "too deep")
		}
		if h.container && h.elems > 0 {
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

// FuzzCheckMsgpackFastPaths: checkMsgpack accepts exactly the inputs the
// header-by-header walk accepts, for any bytes.
func FuzzCheckMsgpackFastPaths(f *testing.F) {
	for _, b := range [][]byte{
		{0x92, 0xd9, 0x01, 'a', 0xcd, 0x01},
		{0x81, 0xa1, 'k', 0xd7, 0xff, 0, 0, 0, 0, 0, 0, 0, 0},
		{0x91, 0xd6, 0xfe, 0, 0, 0, 0},
		append(bytes.Repeat([]byte{0x91}, maxMsgpackDepth), 0x90),
		append(bytes.Repeat([]byte{0x91}, maxMsgpackDepth-1), 0xd6, 0xff, 1, 2, 3, 4),
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want := checkMsgpack(b), checkMsgpackByHeaders(b)
		if (got == nil) != (want == nil) || got != nil && !errors.Is(got, ErrMalformedMsgpack) {
			t.Fatalf("% x: checkMsgpack = %v, by headers %v", b, got, want)
		}
	})
}
