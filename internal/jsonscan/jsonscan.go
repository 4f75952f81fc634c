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
		end, ok := skipString(text, i)
		if !ok {
			return false
		}
		key := text[i+1 : end-1]
		i = skipSpace(text, end)
		if i >= len(text) || text[i] != ':' {
			return false
		}
		start := skipSpace(text, i+1)
		end, ok = skipValue(text, start)
		if !ok {
			return false
		}
		if !fn(key, text[start:end]) {
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
