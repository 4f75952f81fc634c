package codec

import "github.com/dynamosession/dynamosession/internal/jsonscan"

// The JSON structure reader of KeepUnknown lives in internal/jsonscan, which
// the repository's unchanged check shares.

func eachMember(text []byte, fn func(key, val []byte) bool) bool {
	return jsonscan.EachMember(text, fn)
}

func eachElement(text []byte, fn func(val []byte) bool) bool {
	return jsonscan.EachElement(text, fn)
}

func jsonKey(key []byte) string { return jsonscan.Key(key) }
