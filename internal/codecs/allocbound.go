package codecs

import (
	"reflect"
	"sync"
	"time"
)

// Constants of the allocation bound; see package codec's documentation
// ("Stored bytes are untrusted"), which states them, and
// [MsgpackAllocBound].
const (
	// allocFactor is k: how many units one input byte may cost. The worst
	// case found (codec/msgpackbounds_test.go, TestMsgpackAllocWorstCases)
	// is about 5.5: maps nested in maps, two bytes a level, each
	// allocating a group of 8 slots (Go's map implementation) rounded up
	// to a size class, plus the map's header. A slice decoded from an
	// array is allocated and then copied once (reflect.AppendSlice): 2
	// and a bit.
	allocFactor = 8
	// minAllocUnit is the least unit of any T: what the decoder allocates
	// for one value of the generic types an interface decodes into (a
	// []any slot and the value it boxes, a map[string]any slot, a
	// time.Time) fits in it.
	minAllocUnit = 64
	// allocConstant covers what a decode allocates whatever its input:
	// the reader, a pooled decoder's first buffers, an error message.
	allocConstant = 16 << 10
)

// MsgpackAllocBound returns the most bytes, on the heap, that
// [codec.Msgpack] may allocate to decode n bytes into a T, whatever the
// bytes are, as package codec's documentation promises:
//
//	k × n × unit(T) + c,   k = 8, c = 16 KiB
//
// where unit(T) is the largest of 64 bytes, the in-memory size of every
// type a T can hold (its fields, slice and array elements, pointer
// targets, map keys and values, recursively) and the slot of every map
// type it holds (key and value, aligned). A 12-byte record decoded into a
// struct of strings, ints and slices of them may thus allocate at most
// 8 × 12 × 64 + 16 KiB = 22,528 bytes. The bound holds because a decode
// refuses, before allocating, bytes whose length headers promise more
// than remains (see [codec.ErrMalformedMsgpack]); the tests and fuzz
// targets of package codec measure it. The first decode of a type also fills
// vmihailenco/msgpack's per-type tables once; that is not counted.
//
// For a [codec.Compressed] codec, n is the decompressed payload, at most
// its MaxBytes; for a [codec.Sealed] one, n is the plaintext. See package
// codec's documentation for what those add.
func MsgpackAllocBound[T any](n int) int64 {
	return allocFactor*int64(n)*int64(allocUnit(reflect.TypeFor[T]())) + allocConstant
}

var allocUnits sync.Map // reflect.Type -> uintptr

// allocUnit returns unit(t) of [MsgpackAllocBound].
func allocUnit(t reflect.Type) uintptr {
	if u, ok := allocUnits.Load(t); ok {
		return u.(uintptr)
	}
	u := uintptr(minAllocUnit)
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		if seen[t] {
			return
		}
		seen[t] = true
		u = max(u, t.Size())
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(t.Elem())
		case reflect.Map:
			slot := reflect.StructOf([]reflect.StructField{{Name: "K", Type: t.Key()}, {Name: "V", Type: t.Elem()}})
			u = max(u, slot.Size())
			walk(t.Key())
			walk(t.Elem())
		case reflect.Struct:
			if t == reflect.TypeFor[time.Time]() {
				return
			}
			for i := range t.NumField() {
				walk(t.Field(i).Type)
			}
		}
	}
	walk(t)
	allocUnits.Store(t, u)
	return u
}
