package fake

import (
	"iter"
	"slices"
	"sort"
)

// chunkMax bounds a chunk of an [ordered]: inserting or deleting moves at
// most this many elements, and a table of 10^5 items has a few hundred
// chunks to search.
const chunkMax = 512

// ordered keeps elements sorted by cmp, in chunks of at most chunkMax, so
// that adding or removing an element costs O(log n + chunkMax) and a page
// that starts at a given key finds its place in O(log n). It is what makes
// a Scan or a Query page cost what it reads, not what the table holds.
// Elements must be distinct under cmp. The zero value is not usable; the
// caller sets cmp.
type ordered[T any] struct {
	cmp    func(a, b T) int
	chunks [][]T
}

// locate returns where the first element not less than v is (greater than
// v when after is set): the chunk, and the position in it. The chunk is
// len(o.chunks) when every element is smaller.
func (o *ordered[T]) locate(v T, after bool) (int, int) {
	past := func(e T) bool {
		c := o.cmp(e, v)
		return c > 0 || (c == 0 && !after)
	}
	ci := sort.Search(len(o.chunks), func(i int) bool { c := o.chunks[i]; return past(c[len(c)-1]) })
	if ci == len(o.chunks) {
		return ci, 0
	}
	c := o.chunks[ci]
	return ci, sort.Search(len(c), func(i int) bool { return past(c[i]) })
}

func (o *ordered[T]) insert(v T) {
	if len(o.chunks) == 0 {
		o.chunks = [][]T{{v}}
		return
	}
	ci, i := o.locate(v, false)
	if ci == len(o.chunks) {
		ci = len(o.chunks) - 1
		i = len(o.chunks[ci])
	}
	c := slices.Insert(o.chunks[ci], i, v)
	if len(c) <= chunkMax {
		o.chunks[ci] = c
		return
	}
	half := len(c) / 2
	o.chunks[ci] = c[:half:half]
	o.chunks = slices.Insert(o.chunks, ci+1, slices.Clone(c[half:]))
}

// delete removes the element equal to v, if there is one.
func (o *ordered[T]) delete(v T) {
	ci, i := o.locate(v, false)
	if ci == len(o.chunks) || o.cmp(o.chunks[ci][i], v) != 0 {
		return
	}
	c := slices.Delete(o.chunks[ci], i, i+1)
	if len(c) == 0 {
		o.chunks = slices.Delete(o.chunks, ci, ci+1)
		return
	}
	o.chunks[ci] = c
}

// from yields, in order, the elements not less than v, or greater than v
// when after is set. The caller must not change o while it iterates.
func (o *ordered[T]) from(v T, after bool) iter.Seq[T] {
	return func(yield func(T) bool) {
		ci, i := o.locate(v, after)
		for ; ci < len(o.chunks); ci, i = ci+1, 0 {
			for _, e := range o.chunks[ci][i:] {
				if !yield(e) {
					return
				}
			}
		}
	}
}

// all yields every element in order.
func (o *ordered[T]) all() iter.Seq[T] {
	return func(yield func(T) bool) {
		for _, c := range o.chunks {
			for _, e := range c {
				if !yield(e) {
					return
				}
			}
		}
	}
}
