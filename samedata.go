package dynamosession

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/attr"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/jsonscan"
)

// A Map or JSON session is compared with what is stored member by member
// (the top-level fields): a Save then pays for the members that differ,
// not for the whole stored session.
//
//   - Unknown fields: a member whose encoding equals the stored one is this
//     code's own encoding of a field T declares, so it holds nothing T
//     does not know; only the differing stored members are merged back
//     into the fresh encoding (codecs.KeepUnknown gives the same result as
//     with the whole stored value, without walking the rest).
//   - Unchanged: decoding the differing members alone, on each side, into
//     a zero T and comparing the two tells whether the data changed, as
//     decoding the whole stored value did (a struct or map decodes member
//     by member), at the cost of those members only. A Save of changed
//     data cost 2.6 (Map) and 4.7 (JSON) times the raw SDK's when the whole
//     stored value was decoded.

// memberDiff is how a fresh encoding differs from the stored value: the
// members of each side that the other lacks or holds otherwise, as an
// object of the format each (M, or S holding a JSON object); both nil when
// every member is the same.
type memberDiff struct {
	stored, fresh types.AttributeValue
	// changed says that the data differs and that stored holds nothing
	// to keep (stored and fresh are nil): see ownJSON and diffJSON.
	changed bool
	// m holds diffAV's two M values, allocated with the diff (each Save
	// of a Map session makes one: two allocations fewer).
	m [2]types.AttributeValueMemberM

	// pairs are the differing members of a JSON diff made in step
	// (diffJSON): the same keys on both sides, in the same order, as
	// slices of the two texts. Such a diff builds stored and fresh only
	// when something needs them (objects): sameData compares the pairs
	// with T's fields, and with scalars there is nothing to keep.
	pairs   []jsonPair
	pairBuf [inlinePairs]jsonPair // pairs' first backing array: one allocation for the diff
	// scalars says that every stored value of pairs is a scalar: it holds
	// no field T does not declare (its key is one fresh holds).
	scalars bool
}

// inlinePairs is how many differing members a diff holds without
// another allocation: a Save usually changes one or two.
const inlinePairs = 4

// jsonPair is a member whose value differs between the stored and the
// fresh JSON: its key text and both value texts.
type jsonPair struct{ key, stored, fresh []byte }

// sameJSONText and changedOwnJSON are the diffs of JSON that need no
// scan; shared, as nothing changes a diff once made.
var (
	sameJSONText   = &memberDiff{}
	changedOwnJSON = &memberDiff{changed: true}
)

func (d *memberDiff) none() bool {
	return d.stored == nil && d.fresh == nil && !d.changed && len(d.pairs) == 0
}

// keeps reports whether the differing stored members may hold fields T
// does not declare, for codecs.KeepUnknown to put back: not when they are
// all scalars of keys the fresh encoding holds (KeepUnknown would find
// nothing, at the cost of parsing them and three allocations).
func (d *memberDiff) keeps() bool { return !d.none() && !(d.pairs != nil && d.scalars) }

// storedObject returns the differing stored members as an object of their
// format, building it (and its fresh counterpart) from pairs if needed.
func (d *memberDiff) storedObject() types.AttributeValue {
	if d.stored == nil && d.fresh == nil && len(d.pairs) > 0 {
		d.stored = &types.AttributeValueMemberS{Value: pairsObject(d.pairs, func(p jsonPair) []byte { return p.stored })}
		d.fresh = &types.AttributeValueMemberS{Value: pairsObject(d.pairs, func(p jsonPair) []byte { return p.fresh })}
	}
	return d.stored
}

// diffMembers returns how fresh differs from what s holds stored, or nil
// when members cannot be compared: another format than the codec's, not
// Map or JSON, or with a stored key equal to another ignoring case, or JSON
// with an escaped key (the decoders match keys in ways a byte comparison
// does not see).
func (r *Repo[T]) diffMembers(s *Session[T], fresh types.AttributeValue) *memberDiff {
	if s.stored == nil || s.format != r.opts.Codec.Format() {
		return nil
	}
	switch s.format {
	case codec.FormatMap:
		return diffAV(s.stored, fresh)
	case codec.FormatJSON:
		if st, ok := s.stored.(*types.AttributeValueMemberS); ok && attr.Equal(st, fresh) {
			return sameJSONText // the same text: spare the scans
		}
		if r.ownJSON(s) {
			return changedOwnJSON
		}
		return diffJSON(s.stored, fresh, isCanonical(r.opts.Codec))
	}
	return nil
}

// sameData reports whether the differing members hold the same data on
// both sides; ok is false when it cannot tell (T decodes itself from the
// whole object, or a side does not decode), and the caller decodes the
// whole stored value. A codec whose encoding is canonical (Exclusive)
// says that different members are different data.
func (r *Repo[T]) sameData(key string, d *memberDiff) (same, ok bool) {
	switch {
	case d.none():
		return true, true
	case d.changed, isCanonical(r.opts.Codec):
		return false, true
	case d.pairs != nil:
		if same, ok := r.samePairs(d.pairs); ok {
			return same, true
		}
	}
	if !partialDecodable[T](codecs.Detect(d.storedObject())) {
		return false, false
	}
	xy := new([2]T) // one allocation for both
	x, y := &xy[0], &xy[1]
	if _, err := r.reader.Decode(key, d.stored, x); err != nil {
		return false, false
	}
	if _, err := r.reader.Decode(key, d.fresh, y); err != nil {
		return false, false
	}
	return reflect.DeepEqual(x, y), true // pointers: no copy of either T
}

func isCanonical(c any) bool {
	cc, ok := c.(canonical)
	return ok && cc.Canonical()
}

// partialDecodable reports whether a T decodes member by member in format:
// a struct or map type that does not decode itself.
func partialDecodable[T any](format codec.Format) bool {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct && t.Kind() != reflect.Map {
		return false
	}
	self := reflect.TypeFor[attributevalue.Unmarshaler]()
	if format == codec.FormatJSON {
		self = reflect.TypeFor[json.Unmarshaler]()
	}
	return !t.Implements(self) && !reflect.PointerTo(t).Implements(self)
}

// diffAV diffs two M values; it allocates nothing when they are equal.
func diffAV(stored, fresh types.AttributeValue) *memberDiff {
	sm, ok1 := stored.(*types.AttributeValueMemberM)
	fm, ok2 := fresh.(*types.AttributeValueMemberM)
	if !ok1 || !ok2 {
		return nil
	}
	var ds, df map[string]types.AttributeValue
	put := func(m *map[string]types.AttributeValue, k string, v types.AttributeValue) {
		if *m == nil {
			*m = map[string]types.AttributeValue{}
		}
		(*m)[k] = v
	}
	for k, v := range sm.Value {
		e, ok := fm.Value[k]
		switch {
		case !ok:
			if foldsWithAnother(sm.Value, k) {
				return nil
			}
			put(&ds, k, v)
		case !attr.Equal(v, e):
			put(&ds, k, v)
			put(&df, k, e)
		}
	}
	if len(fm.Value) > len(sm.Value)-len(ds)+len(df) { // fresh has members stored lacks
		for k, e := range fm.Value {
			if _, ok := sm.Value[k]; !ok {
				put(&df, k, e)
			}
		}
	}
	d := &memberDiff{}
	if ds != nil || df != nil {
		d.m[0].Value, d.m[1].Value = orEmpty(ds), orEmpty(df)
		d.stored, d.fresh = &d.m[0], &d.m[1]
	}
	return d
}

// foldsWithAnother reports whether m holds another key equal to k ignoring
// case (Unicode simple folding): attributevalue reads a key with no field
// of its exact name into the field whose name equals it so (its
// cachedFields.FieldByName, strings.EqualFold), so the differing members
// alone can decode otherwise than the whole value (found by a breaker).
// Only a stored member the fresh encoding lacks needs the check: two
// keys both in the fresh encoding are two fields.
func foldsWithAnother(m map[string]types.AttributeValue, k string) bool {
	for other := range m {
		if other != k && strings.EqualFold(other, k) {
			return true
		}
	}
	return false
}

func orEmpty(m map[string]types.AttributeValue) map[string]types.AttributeValue {
	if m == nil {
		return map[string]types.AttributeValue{}
	}
	return m
}

// ownJSON reports whether what s holds stored is r's own encoding of the
// data it held, with nothing of an older record merged in (s.encoded: a
// Put, a Save that kept nothing), from a codec that writes equal data
// as equal text (Deterministic) or that promises different text for
// different data (Canonical, Options.Exclusive). Then stored holds no
// field T does not declare, and text other than stored is data other than
// stored: Save needs neither the member diff nor a decode to compare
// (Save of a changed JSON session cost 1.9 times the raw SDK's with them).
// A session from Get never qualifies, whoever wrote the record: telling
// that stored text is what this code would write costs an encode.
func (r *Repo[T]) ownJSON(s *Session[T]) bool {
	if s.encodedBy != r || s.encoded != s.stored {
		return false
	}
	d, ok := r.opts.Codec.(deterministic)
	return ok && d.Deterministic() || isCanonical(r.opts.Codec)
}

// deterministic is implemented by codecs that can tell whether their
// Encode writes the same bytes for equal data, every time (codec.JSON: not
// when the data may hold a type that writes itself).
type deterministic interface{ Deterministic() bool }

// jsonMember is a member of a JSON object: its key text (between the
// quotes) and its value text.
type jsonMember struct{ key, val []byte }

// diffJSON diffs two S values holding JSON objects, by the text of their
// members; the members of each side keep their order. canonical says that
// the codec takes different text for different data (Exclusive).
//
// Stored members of the same keys in the same order as fresh (a record
// this code wrote, or a Node app whose object has the fields in T's
// order) pair in step (jsonscan.PairMembers), with no scan of what is the
// same and no allocation. Every stored key is then a field's name, so
// only the differing values can hold fields T does not declare; when
// those are all scalars (a counter, a timestamp) nothing is to be kept,
// and a canonical codec needs nothing more. Others are paired by key.
func diffJSON(stored, fresh types.AttributeValue, canonical bool) *memberDiff {
	ss, ok1 := stored.(*types.AttributeValueMemberS)
	fs, ok2 := fresh.(*types.AttributeValueMemberS)
	if !ok1 || !ok2 {
		return nil
	}
	var buf [inlinePairs]jsonPair
	pairs, scalars := buf[:0], true
	if jsonscan.PairMembers(textBytes(ss.Value), textBytes(fs.Value), func(key, sv, fv []byte) {
		pairs = append(pairs, jsonPair{key, sv, fv})
		scalars = scalars && sv[0] != '{' && sv[0] != '['
	}) {
		switch {
		case len(pairs) == 0:
			return sameJSONText
		case canonical && scalars:
			return changedOwnJSON
		}
		d := &memberDiff{scalars: scalars}
		d.pairs = append(d.pairBuf[:0], pairs...)
		return d
	}
	sm, ok1 := jsonMembers(ss.Value)
	fm, ok2 := jsonMembers(fs.Value)
	if !ok1 || !ok2 {
		return nil
	}
	// Members in the same order (what this code wrote) pair by position;
	// others are found by key.
	var freshAt map[string]int
	find := func(i int, key []byte) int {
		if i < len(fm) && bytes.Equal(fm[i].key, key) {
			return i
		}
		if freshAt == nil {
			freshAt = make(map[string]int, len(fm))
			for j, m := range fm {
				freshAt[string(m.key)] = j
			}
		}
		if j, ok := freshAt[string(key)]; ok {
			return j
		}
		return -1
	}
	var ds, df []jsonMember
	paired := 0
	for i, m := range sm {
		switch j := find(i, m.key); {
		case j < 0:
			ds = append(ds, m)
		case !bytes.Equal(m.val, fm[j].val):
			ds, df = append(ds, m), append(df, fm[j])
			paired++
		default:
			paired++
		}
	}
	if paired < len(fm) { // fresh has members stored lacks
		seen := make(map[string]bool, len(sm))
		for _, m := range sm {
			seen[string(m.key)] = true
		}
		for _, m := range fm {
			if !seen[string(m.key)] {
				df = append(df, m)
			}
		}
	}
	d := &memberDiff{}
	if ds != nil || df != nil {
		d.stored = &types.AttributeValueMemberS{Value: jsonObject(ds)}
		d.fresh = &types.AttributeValueMemberS{Value: jsonObject(df)}
	}
	return d
}

// textBytes returns the bytes of text without copying them, to be read
// only: copying a session's JSON into a []byte first was a tenth of a
// Save.
func textBytes(text string) []byte { return unsafe.Slice(unsafe.StringData(text), len(text)) }

// jsonMembers returns the members of the JSON object text, or false for
// anything else, or for an object with an escaped key or two keys
// encoding/json reads into one field (see repeatedKey). The
// members are slices of text itself (textBytes).
func jsonMembers(text string) ([]jsonMember, bool) {
	out := make([]jsonMember, 0, 16)
	plain := true
	ok := jsonscan.EachMember(textBytes(text), func(key, val []byte) bool {
		if bytes.IndexByte(key, '\\') >= 0 {
			plain = false
			return false
		}
		out = append(out, jsonMember{key, val})
		return true
	})
	if !ok || !plain || repeatedKey(out) {
		return nil, false
	}
	return out, true
}

// repeatedKey reports whether two members have keys encoding/json reads
// into the same field: equal, or equal ignoring case under Unicode simple
// folding ("USER" and "user", "ſeen" and "seen"), as it matches a key
// with no field of its exact name (encoding/json's fold.go: foldName is
// bytes.EqualFold). The last such member wins, so the differing members
// alone can decode otherwise than the whole object (found by a breaker).
// By pairs for the few members a session has, by a set beyond.
func repeatedKey(ms []jsonMember) bool {
	if len(ms) <= 32 {
		for i := range ms {
			for j := i + 1; j < len(ms); j++ {
				if bytes.EqualFold(ms[i].key, ms[j].key) {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]bool, len(ms))
	for _, m := range ms {
		k := foldKey(m.key)
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}

// foldKey returns key folded so that foldKey(x) == foldKey(y) exactly
// when bytes.EqualFold(x, y): each rune replaced by the smallest of its
// simple folding orbit.
func foldKey(key []byte) string {
	out := make([]byte, 0, len(key))
	for _, r := range string(key) {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		out = utf8.AppendRune(out, m)
	}
	return string(out)
}

func jsonObject(ms []jsonMember) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range ms {
		writeMember(&b, i, m.key, m.val)
	}
	b.WriteByte('}')
	return b.String()
}

// pairsObject returns the object of the members of pairs, each with the
// value side picks.
func pairsObject(pairs []jsonPair, side func(jsonPair) []byte) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range pairs {
		writeMember(&b, i, p.key, side(p))
	}
	b.WriteByte('}')
	return b.String()
}

// writeMember writes the i-th member of an object, key (its text between
// the quotes) and val.
func writeMember(b *bytes.Buffer, i int, key, val []byte) {
	if i > 0 {
		b.WriteByte(',')
	}
	b.WriteByte('"')
	b.Write(key)
	b.WriteString(`":`)
	b.Write(val)
}
