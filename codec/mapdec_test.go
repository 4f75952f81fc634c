package codec

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestMapDecodeNeverPanics: stored values on which attributevalue panics
// are errors. B into a byte array of another length made it call
// reflect.Value.SetLen on the array; a typed nil member dereferenced it.
func TestMapDecodeNeverPanics(t *testing.T) {
	type record struct {
		ByteArr [4]byte   `json:"byteArr"`
		S       string    `json:"s"`
		Item    *struct{} `json:"item"`
	}
	m := func(k string, v types.AttributeValue) types.AttributeValue {
		return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{k: v}}
	}
	tests := []struct {
		name string
		av   types.AttributeValue
	}{
		{"B shorter than a byte array", m("byteArr", &types.AttributeValueMemberB{Value: []byte{1, 2}})},
		{"B longer than a byte array", m("byteArr", &types.AttributeValueMemberB{Value: []byte{1, 2, 3, 4, 5}})},
		{"empty B into a byte array", m("byteArr", &types.AttributeValueMemberB{})},
		{"typed nil S", m("s", (*types.AttributeValueMemberS)(nil))},
		{"typed nil M", m("item", (*types.AttributeValueMemberM)(nil))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v record
			err := Map[record]().Decode("", tt.av, &v)
			if err == nil || !strings.Contains(err.Error(), "cannot decode") {
				t.Errorf("Decode = %v, want an error that says it cannot decode", err)
			}
		})
	}
}
