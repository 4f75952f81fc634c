package fake

import "strings"

// tokenKind classifies the tokens of DynamoDB's expression language.
type tokenKind int

const (
	tokEOF      tokenKind = iota
	tokIdent              // bare attribute name, keyword or function name
	tokName               // #placeholder
	tokValue              // :placeholder
	tokNumber             // unsigned integer, legal only as a list index
	tokLParen             // (
	tokRParen             // )
	tokLBracket           // [
	tokRBracket           // ]
	tokComma              // ,
	tokDot                // .
	tokEq                 // =
	tokNe                 // <>
	tokLt                 // <
	tokLe                 // <=
	tokGt                 // >
	tokGe                 // >=
	tokPlus               // +
	tokMinus              // -
	tokIllegal            // anything else; its text is what DynamoDB names in the error
)

type token struct {
	kind tokenKind
	text string
	pos  int // byte offset in the expression
}

// lex splits an expression into tokens. It never fails: a character the
// language does not know becomes a tokIllegal, so the parser reports it in
// DynamoDB's "Syntax error; token: …" form at the place it occurs.
func lex(src string) []token {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case isIdentStart(c):
			for i < len(src) && isIdentChar(src[i]) {
				i++
			}
			toks = append(toks, token{tokIdent, src[start:i], start})
			continue
		case c >= '0' && c <= '9':
			for i < len(src) && src[i] >= '0' && src[i] <= '9' {
				i++
			}
			toks = append(toks, token{tokNumber, src[start:i], start})
			continue
		case c == '#' || c == ':':
			i++
			for i < len(src) && isIdentChar(src[i]) {
				i++
			}
			kind := tokName
			if c == ':' {
				kind = tokValue
			}
			if i == start+1 {
				kind = tokIllegal
			}
			toks = append(toks, token{kind, src[start:i], start})
			continue
		}
		kind, width := tokIllegal, 1
		switch c {
		case '(':
			kind = tokLParen
		case ')':
			kind = tokRParen
		case '[':
			kind = tokLBracket
		case ']':
			kind = tokRBracket
		case ',':
			kind = tokComma
		case '.':
			kind = tokDot
		case '=':
			kind = tokEq
		case '+':
			kind = tokPlus
		case '-':
			kind = tokMinus
		case '<':
			kind = tokLt
			if strings.HasPrefix(src[i:], "<>") {
				kind, width = tokNe, 2
			} else if strings.HasPrefix(src[i:], "<=") {
				kind, width = tokLe, 2
			}
		case '>':
			kind = tokGt
			if strings.HasPrefix(src[i:], ">=") {
				kind, width = tokGe, 2
			}
		default:
			// Report a whole UTF-8 character, not a stray byte of one.
			for width < 4 && i+width < len(src) && src[i+width]&0xC0 == 0x80 {
				width++
			}
		}
		toks = append(toks, token{kind, src[i : i+width], start})
		i += width
	}
	return append(toks, token{tokEOF, "<EOF>", len(src)})
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9')
}
