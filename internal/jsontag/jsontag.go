// Package jsontag holds encoding/json's rules for struct tags that more
// than one package here must follow exactly.
package jsontag

import (
	"strings"
	"unicode"
)

// ValidName reports whether encoding/json takes s as a field's name: a tag
// name it does not take (empty, or with a character other than letters,
// digits and the punctuation below) leaves the field its Go name. It is
// encoding/json's isValidTag (encode.go); attributevalue takes any name.
func ValidName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
			// Backslash and quote chars are reserved, but otherwise any
			// punctuation chars are allowed in a tag name.
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
