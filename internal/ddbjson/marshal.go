// Package ddbjson converts DynamoDB items between the aws-sdk-go-v2
// [types.AttributeValue] form and DynamoDB's JSON wire format, the shape the
// low-level API and the AWS CLI use:
//
//	{"id":{"S":"sess:abc"},"expires":{"N":"1700000000"},"sess":{"M":{"n":{"NULL":true}}}}
//
// It exists for golden files: fixtures written by the Node.js session stores
// and records written by this module's codecs are stored in this format under
// codec/testdata, so Go tests and the Node scripts in codec/testdata/nodegen
// can exchange them without a DynamoDB server.
//
// Output is deterministic: object keys are sorted, the text is indented with
// two spaces and ends with a newline, HTML characters are not escaped. The
// Node generator writes the same bytes, so files diff cleanly after a re-run.
//
// Input is strict: every value must be an object with exactly one known type
// tag (S, N, B, SS, NS, BS, M, L, NULL, BOOL), names may not repeat within an
// object, NULL must be true, B and BS must be standard padded base64, and
// sets may not be empty (DynamoDB rejects empty sets). N is kept as the exact
// string given: checking number syntax and precision is DynamoDB's job.
//
// The functions are safe for concurrent use.
package ddbjson

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MarshalItem returns item in DynamoDB JSON wire format, with sorted keys and
// indented, ending in a newline. A nil item is written as {}. It fails on a
// nil value, an empty set, NULL false, or a member type it does not know:
// what it writes, [UnmarshalItem] always reads back.
func MarshalItem(item map[string]types.AttributeValue) ([]byte, error) {
	tree, err := itemTree(item, "")
	if err != nil {
		return nil, err
	}
	return encode(tree)
}

// MarshalValue returns one attribute value in DynamoDB JSON wire format, such
// as {"S": "x"}, formatted as [MarshalItem] formats an item.
func MarshalValue(v types.AttributeValue) ([]byte, error) {
	tree, err := valueTree(v, "value")
	if err != nil {
		return nil, err
	}
	return encode(tree)
}

// encode writes tree the way the golden files are written. encoding/json
// sorts map keys; HTML escaping is turned off because it only makes fixtures
// harder to read and is not what the Node generator writes.
func encode(tree any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(tree); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// itemTree turns an item into the map[string]any that encoding/json writes as
// the wire format. path names the item in error messages ("" for the top).
func itemTree(item map[string]types.AttributeValue, path string) (map[string]any, error) {
	out := make(map[string]any, len(item))
	for name, v := range item {
		t, err := valueTree(v, joinName(path, name))
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

func valueTree(v types.AttributeValue, path string) (map[string]any, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return tagged("S", v.Value), nil
	case *types.AttributeValueMemberN:
		return tagged("N", v.Value), nil
	case *types.AttributeValueMemberB:
		return tagged("B", nonNilBytes(v.Value)), nil
	case *types.AttributeValueMemberBOOL:
		return tagged("BOOL", v.Value), nil
	case *types.AttributeValueMemberNULL:
		// DynamoDB only accepts NULL: true; writing false would make a file
		// that UnmarshalItem and DynamoDB both reject.
		if !v.Value {
			return nil, pathError(path, "NULL must be true")
		}
		return tagged("NULL", true), nil
	case *types.AttributeValueMemberSS:
		if len(v.Value) == 0 {
			return nil, errEmptySet(path, "SS")
		}
		return tagged("SS", v.Value), nil
	case *types.AttributeValueMemberNS:
		if len(v.Value) == 0 {
			return nil, errEmptySet(path, "NS")
		}
		return tagged("NS", v.Value), nil
	case *types.AttributeValueMemberBS:
		if len(v.Value) == 0 {
			return nil, errEmptySet(path, "BS")
		}
		bs := make([][]byte, len(v.Value))
		for i, b := range v.Value {
			bs[i] = nonNilBytes(b)
		}
		return tagged("BS", bs), nil
	case *types.AttributeValueMemberM:
		m, err := itemTree(v.Value, path)
		if err != nil {
			return nil, err
		}
		return tagged("M", m), nil
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			t, err := valueTree(e, joinIndex(path, i))
			if err != nil {
				return nil, err
			}
			l[i] = t
		}
		return tagged("L", l), nil
	case nil:
		return nil, pathError(path, "nil attribute value")
	default:
		return nil, pathError(path, fmt.Sprintf("unsupported attribute value type %T", v))
	}
}

func tagged(tag string, v any) map[string]any { return map[string]any{tag: v} }

// nonNilBytes keeps encoding/json from writing a nil []byte as null, which is
// not a valid B value; an empty binary is "".
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func errEmptySet(path, tag string) error {
	return pathError(path, "empty "+tag+" set (DynamoDB rejects empty sets)")
}
