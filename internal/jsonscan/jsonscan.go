// Package jsonscan reads the structure of JSON text: the members of an
// object and the elements of an array as slices of the text they stand
// in, without decoding or copying them. encoding/json offers only
// Decoder.Token for this, which allocates for every token and made
// keeping unknown fields cost more than the whole rest of a Save
// (measured: 1,455 more allocations per JSON Save of the cost model's
// session). The codec's unknown-field merge and the repository's
// unchanged check read text that has been through encoding/json already
// (a stored value that decoded, a fresh encoding); on anything else these
// report false, never panic.
package jsonscan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
)

// EachMember calls fn with the key (its JSON text between the quotes) and
// the value text of each member of the object text, until fn returns
// false. It reports whether text is an object it read to the end.
func EachMember(text []byte, fn func(key, val []byte) bool) bool {
	i := skipSpace(text, 0)
	if i >= len(text) || text[i] != '{' {
		return false
	}
	i = skipSpace(text, i+1)
	if i < len(text) && text[i] == '}' {
		return true
	}
	for i < len(text) {
		key, val, end, ok := member(text, i)
		if !ok {
			return false
		}
		if !fn(key, val) {
			return true
		}
		i = skipSpace(text, end)
		switch {
		case i < len(text) && text[i] == ',':
			i = skipSpace(text, i+1)
		case i < len(text) && text[i] == '}':
			return true
		default:
			return false
		}
	}
	return false
}

// EachElement calls fn with the text of each element of the array text,
// until fn returns false. It reports whether text is an array it read to
// the end.
func EachElement(text []byte, fn func(val []byte) bool) bool {
	i := skipSpace(text, 0)
	if i >= len(text) || text[i] != '[' {
		return false
	}
	i = skipSpace(text, i+1)
	if i < len(text) && text[i] == ']' {
		return true
	}
	for i < len(text) {
		end, ok := skipValue(text, i)
		if !ok {
			return false
		}
		if !fn(text[i:end]) {
			return true
		}
		i = skipSpace(text, end)
		switch {
		case i < len(text) && text[i] == ',':
			i = skipSpace(text, i+1)
		case i < len(text) && text[i] == ']':
			return true
		default:
			return false
		}
	}
	return false
}

// Key returns the string a member's key text stands for.
func Key(key []byte) string {
	for _, c := range key {
		if c == '\\' {
			var s string
			quoted := make([]byte, 0, len(key)+2)
			quoted = append(append(append(quoted, '"'), key...), '"')
			if json.Unmarshal(quoted, &s) == nil {
				return s
			}
			break
		}
	}
	return string(key)
}

func skipSpace(text []byte, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at text[i]. It
// jumps from quote to quote with bytes.IndexByte (vectorised): most of a
// session's JSON is inside strings, and a byte-by-byte loop here was most
// of the cost of reading a member list.
func skipString(text []byte, i int) (int, bool) {
	if i >= len(text) || text[i] != '"' {
		return 0, false
	}
	for i++; ; {
		j := bytes.IndexByte(text[i:], '"')
		if j < 0 {
			return 0, false
		}
		end := i + j
		// The quote ends the string unless an odd number of backslashes
		// escapes it (the opening quote stops the count).
		n := 0
		for k := end - 1; text[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return end + 1, true
		}
		i = end + 1
	}
}

// skipValue returns the index after the value starting at text[i]: a
// string, or an object or array (brackets counted outside strings), or a
// literal or number (up to the next delimiter).
func skipValue(text []byte, i int) (int, bool) {
	if i >= len(text) {
		return 0, false
	}
	switch text[i] {
	case '"':
		return skipString(text, i)
	case '{', '[':
		depth := 0
		for ; i < len(text); i++ {
			switch text[i] {
			case '"':
				end, ok := skipString(text, i)
				if !ok {
					return 0, false
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
		}
		return 0, false
	}
	start := i
	for i < len(text) {
		switch text[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i, i > start
		}
		i++
	}
	return i, i > start
}

// PairMembers walks the members of two JSON objects in step, without
// allocating: stored, any text, and fresh, the text of an object
// encoding/json wrote (it is read as carefully as stored, so anything
// else only makes PairMembers report false). It calls fn with the key and
// both value texts of each pair of members whose keys are the same bytes
// and whose values are not, and reports whether the two objects hold
// members of the same keys in the same order, stored with no text after
// its object but white space. On false, fn may have been called for some
// pairs already; the caller then pairs the members by other means.
//
// A member of fresh is compared with the same number of bytes of stored,
// followed there by a delimiter, before stored is scanned: text that is
// the same bytes in the same position is read the same way (the scan is
// a function of the bytes before it), so the members a change left alone
// cost a comparison, not a scan. Once the rest of both texts is the same
// bytes, nothing further is read.
func PairMembers(stored, fresh []byte, fn func(key, storedVal, freshVal []byte)) bool {
	tail := commonSuffix(stored, fresh)
	si, fi := skipSpace(stored, 0), skipSpace(fresh, 0)
	if si >= len(stored) || fi >= len(fresh) || stored[si] != '{' || fresh[fi] != '{' {
		return false
	}
	si, fi = skipSpace(stored, si+1), skipSpace(fresh, fi+1)
	if fi < len(fresh) && fresh[fi] == '}' {
		return si < len(stored) && stored[si] == '}' && onlySpace(stored, si+1)
	}
	for {
		if len(stored)-si == len(fresh)-fi && len(stored)-si <= tail {
			return true // the same bytes to the end: the same members
		}
		fk, fv, fend, ok := member(fresh, fi)
		if !ok {
			return false
		}
		if n := fend - fi; si+n < len(stored) && bytes.Equal(stored[si:si+n], fresh[fi:fend]) && delimiter(stored[si+n]) {
			si += n
		} else {
			sk, sv, send, ok := member(stored, si)
			if !ok || !bytes.Equal(sk, fk) {
				return false
			}
			if !bytes.Equal(sv, fv) {
				fn(fk, sv, fv)
			}
			si = send
		}
		fi = fend
		si, fi = skipSpace(stored, si), skipSpace(fresh, fi)
		switch {
		case si >= len(stored) || fi >= len(fresh) || stored[si] != fresh[fi]:
			return false
		case fresh[fi] == ',':
			si, fi = skipSpace(stored, si+1), skipSpace(fresh, fi+1)
		case fresh[fi] == '}':
			return onlySpace(stored, si+1)
		default:
			return false
		}
	}
}

// member reads the member starting at text[i]: its key (between the
// quotes), its value, and the index after the value.
func member(text []byte, i int) (key, val []byte, end int, ok bool) {
	kend, ok := skipString(text, i)
	if !ok {
		return nil, nil, 0, false
	}
	j := skipSpace(text, kend)
	if j >= len(text) || text[j] != ':' {
		return nil, nil, 0, false
	}
	start := skipSpace(text, j+1)
	end, ok = skipValue(text, start)
	if !ok {
		return nil, nil, 0, false
	}
	return text[i+1 : kend-1], text[start:end], end, true
}

// delimiter reports a byte that can follow a member's value.
func delimiter(c byte) bool {
	return c == ',' || c == '}' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func onlySpace(text []byte, i int) bool { return skipSpace(text, i) == len(text) }

// commonSuffix returns the length of the longest common suffix of a and
// b. It compares blocks with bytes.Equal (vectorised: most of a session
// after the changed member is the same bytes, and an eight-bytes-at-a-time
// loop over it was 4% of a JSON Save), doubling the block after each
// equal one and halving it down to 64 bytes after a different one, then
// finds the difference in the last 64 bytes eight bytes, then one byte,
// at a time.
func commonSuffix(a, b []byte) int {
	m := min(len(a), len(b))
	n := 0
	for block := 64; n < m; {
		k := min(block, m-n)
		switch {
		case bytes.Equal(a[len(a)-n-k:len(a)-n], b[len(b)-n-k:len(b)-n]):
			n, block = n+k, block*2
			continue
		case block > 64:
			block /= 2 // the difference is in there: narrow it down
			continue
		}
		break
	}
	for ; n+8 <= m; n += 8 {
		if binary.LittleEndian.Uint64(a[len(a)-n-8:]) != binary.LittleEndian.Uint64(b[len(b)-n-8:]) {
			break
		}
	}
	for n < m && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}
