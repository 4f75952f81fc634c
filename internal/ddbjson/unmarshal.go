package ddbjson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// UnmarshalItem parses one item in DynamoDB JSON wire format, the inverse of
// [MarshalItem]. Whitespace and key order do not matter; anything the package
// doc calls invalid is an error, as is any text after the item.
func UnmarshalItem(data []byte) (map[string]types.AttributeValue, error) {
	d := newDecoder(data)
	item, err := d.item("")
	if err != nil {
		return nil, err
	}
	return item, d.end()
}

// UnmarshalValue parses one attribute value such as {"N": "1.5"}, the inverse
// of [MarshalValue].
func UnmarshalValue(data []byte) (types.AttributeValue, error) {
	d := newDecoder(data)
	v, err := d.value("value")
	if err != nil {
		return nil, err
	}
	return v, d.end()
}

// decoder walks the JSON token stream rather than decoding into Go maps, so
// that a repeated type tag or attribute name is seen instead of silently
// keeping the last one.
type decoder struct {
	dec *json.Decoder
}

func newDecoder(data []byte) *decoder {
	return &decoder{dec: json.NewDecoder(bytes.NewReader(data))}
}

func (d *decoder) token(path string) (json.Token, error) {
	t, err := d.dec.Token()
	if errors.Is(err, io.EOF) {
		return nil, pathError(path, "unexpected end of JSON input")
	}
	if err != nil {
		return nil, pathError(path, err.Error())
	}
	return t, nil
}

func (d *decoder) delim(path string, want json.Delim) error {
	t, err := d.token(path)
	if err != nil {
		return err
	}
	if t != want {
		return pathError(path, fmt.Sprintf("want '%c', got %s", want, describe(t)))
	}
	return nil
}

func (d *decoder) string(path string) (string, error) {
	t, err := d.token(path)
	if err != nil {
		return "", err
	}
	s, ok := t.(string)
	if !ok {
		return "", pathError(path, "want a string, got "+describe(t))
	}
	return s, nil
}

func (d *decoder) binary(path string) ([]byte, error) {
	s, err := d.string(path)
	if err != nil {
		return nil, err
	}
	// Strict rejects non-zero padding bits, so every accepted text has
	// exactly one value and MarshalItem writes it back unchanged.
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, pathError(path, "invalid base64: "+err.Error())
	}
	return b, nil
}

func (d *decoder) bool(path string) (bool, error) {
	t, err := d.token(path)
	if err != nil {
		return false, err
	}
	b, ok := t.(bool)
	if !ok {
		return false, pathError(path, "want a boolean, got "+describe(t))
	}
	return b, nil
}

// end checks that nothing but whitespace follows the parsed value.
func (d *decoder) end() error {
	if _, err := d.dec.Token(); !errors.Is(err, io.EOF) {
		return pathError("", "unexpected data after the top-level value")
	}
	return nil
}

// item parses {"name": value, ...} into an item or an M value.
func (d *decoder) item(path string) (map[string]types.AttributeValue, error) {
	if err := d.delim(path, '{'); err != nil {
		return nil, err
	}
	item := map[string]types.AttributeValue{}
	for d.dec.More() {
		name, err := d.string(path)
		if err != nil {
			return nil, err
		}
		p := joinName(path, name)
		if _, dup := item[name]; dup {
			return nil, pathError(p, "attribute name repeated")
		}
		v, err := d.value(p)
		if err != nil {
			return nil, err
		}
		item[name] = v
	}
	return item, d.delim(path, '}')
}

// value parses {"TAG": payload}.
func (d *decoder) value(path string) (types.AttributeValue, error) {
	if err := d.delim(path, '{'); err != nil {
		return nil, err
	}
	if !d.dec.More() {
		return nil, pathError(path, "value has no type tag")
	}
	tag, err := d.string(path)
	if err != nil {
		return nil, err
	}
	v, err := d.payload(path, tag)
	if err != nil {
		return nil, err
	}
	if d.dec.More() {
		extra, err := d.string(path)
		if err != nil {
			return nil, err
		}
		return nil, pathError(path, fmt.Sprintf("value has more than one type tag (%s and %s)", tag, extra))
	}
	return v, d.delim(path, '}')
}

func (d *decoder) payload(path, tag string) (types.AttributeValue, error) {
	switch tag {
	case "S":
		s, err := d.string(path)
		return &types.AttributeValueMemberS{Value: s}, err
	case "N":
		s, err := d.string(path)
		return &types.AttributeValueMemberN{Value: s}, err
	case "B":
		b, err := d.binary(path)
		return &types.AttributeValueMemberB{Value: b}, err
	case "BOOL":
		b, err := d.bool(path)
		return &types.AttributeValueMemberBOOL{Value: b}, err
	case "NULL":
		b, err := d.bool(path)
		if err == nil && !b {
			err = pathError(path, "NULL must be true")
		}
		return &types.AttributeValueMemberNULL{Value: b}, err
	case "SS":
		ss, err := set(d, path, tag, d.string)
		return &types.AttributeValueMemberSS{Value: ss}, err
	case "NS":
		ns, err := set(d, path, tag, d.string)
		return &types.AttributeValueMemberNS{Value: ns}, err
	case "BS":
		bs, err := set(d, path, tag, d.binary)
		return &types.AttributeValueMemberBS{Value: bs}, err
	case "M":
		m, err := d.item(path)
		return &types.AttributeValueMemberM{Value: m}, err
	case "L":
		l, err := list(d, path, d.value)
		return &types.AttributeValueMemberL{Value: l}, err
	default:
		return nil, pathError(path, fmt.Sprintf("unknown type tag %q", tag))
	}
}

// list parses [elem, ...], naming each element's index in errors.
func list[E any](d *decoder, path string, elem func(path string) (E, error)) ([]E, error) {
	if err := d.delim(path, '['); err != nil {
		return nil, err
	}
	out := []E{}
	for d.dec.More() {
		e, err := elem(joinIndex(path, len(out)))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, d.delim(path, ']')
}

// set is a list that may not be empty, because DynamoDB rejects empty sets.
func set[E any](d *decoder, path, tag string, elem func(path string) (E, error)) ([]E, error) {
	out, err := list(d, path, elem)
	if err == nil && len(out) == 0 {
		err = errEmptySet(path, tag)
	}
	return out, err
}

// describe names a token for an error message.
func describe(t json.Token) string {
	switch t := t.(type) {
	case json.Delim:
		return fmt.Sprintf("'%c'", t)
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	default:
		return fmt.Sprintf("a number (%v)", t)
	}
}
