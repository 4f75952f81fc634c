package attr_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/attr"
)

func TestCanonicalNumber(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"0", "0"}, {"-0", "0"}, {"+0", "0"}, {"0.000", "0"}, {"0e10", "0"},
		{"7", "7"}, {"007", "7"}, {"+5", "5"}, {"-12", "-12"},
		{"1.50", "1.5"}, {"2.0", "2"}, {"2.5e3", "2500"}, {"2.5E-3", "0.0025"},
		{".5", "0.5"}, {"5.", "5"}, {"-0.250", "-0.25"}, {"1e-130", "0." + zeros(129) + "1"},
		{"123.456e1", "1234.56"}, {"9007199254740993", "9007199254740993"},
		{"abc", "abc"}, {"", ""}, {"1e", "1e"}, {"--1", "--1"}, {"1.2.3", "1.2.3"},
	}
	for _, tt := range tests {
		got, changed := attr.CanonicalNumber(tt.in)
		if got != tt.want || changed != (tt.want != tt.in) {
			t.Errorf("CanonicalNumber(%q) = %q, %v; want %q", tt.in, got, changed, tt.want)
		}
	}
}

func zeros(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
	}
	return string(b)
}

// TestEqualNumbersBySpelling: DynamoDB Local returns numbers spelled as
// sent, so a stored "1.50" must equal a codec's "1.5".
func TestEqualNumbersBySpelling(t *testing.T) {
	n := func(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }
	tests := []struct {
		a, b types.AttributeValue
		want bool
	}{
		{n("1.50"), n("1.5"), true},
		{n("007"), n("7"), true},
		{n("2.5e3"), n("2500"), true},
		{n("-0"), n("0"), true},
		{n("1.5"), n("1.05"), false},
		{n("1"), n("-1"), false},
		{n("x"), n("x"), true},
		{n("x"), n("y"), false},
		{&types.AttributeValueMemberNS{Value: []string{"1.0", "2e1"}}, &types.AttributeValueMemberNS{Value: []string{"1", "20"}}, true},
		{&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"a": n("1.50")}}, &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"a": n("1.5")}}, true},
		{n("1"), &types.AttributeValueMemberS{Value: "1"}, false},
	}
	for _, tt := range tests {
		if got := attr.Equal(tt.a, tt.b); got != tt.want {
			t.Errorf("Equal(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
