package jsonscan

import (
	"bytes"
	"strconv"
	"testing"
)

// suffixByBytes is commonSuffix one byte at a time: the reference.
func suffixByBytes(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}

// TestCommonSuffix: the block comparison finds the same suffix as a byte
// loop for a difference at every position around its block and word
// boundaries, in texts of unequal lengths, and for equal texts.
func TestCommonSuffix(t *testing.T) {
	for _, size := range []int{0, 1, 7, 8, 9, 63, 64, 65, 127, 128, 129, 191, 192, 500, 2048, 5000} {
		base := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		for _, extra := range []int{0, 3} { // a longer than b by extra bytes in front
			a := append(bytes.Repeat([]byte("x"), extra), base...)
			for at := -1; at < size; at++ { // -1: no difference
				b := bytes.Clone(base)
				if at >= 0 {
					b[at] ^= 0xff
				}
				t.Run(strconv.Itoa(size)+"/"+strconv.Itoa(extra)+"/"+strconv.Itoa(at), func(t *testing.T) {
					if got, want := commonSuffix(a, b), suffixByBytes(a, b); got != want {
						t.Errorf("commonSuffix = %d, want %d", got, want)
					}
					if got, want := commonSuffix(b, a), suffixByBytes(b, a); got != want {
						t.Errorf("commonSuffix swapped = %d, want %d", got, want)
					}
				})
			}
		}
	}
}

// FuzzCommonSuffix: commonSuffix agrees with the byte loop on any texts,
// here a shared tail behind two arbitrary heads.
func FuzzCommonSuffix(f *testing.F) {
	f.Add([]byte("a"), []byte("b"), bytes.Repeat([]byte("z"), 300))
	f.Add([]byte{}, []byte("xyz"), []byte("0123456789"))
	f.Fuzz(func(t *testing.T, headA, headB, tail []byte) {
		a, b := append(bytes.Clone(headA), tail...), append(bytes.Clone(headB), tail...)
		if got, want := commonSuffix(a, b), suffixByBytes(a, b); got != want {
			t.Errorf("commonSuffix(%q, %q) = %d, want %d", a, b, got, want)
		}
	})
}
