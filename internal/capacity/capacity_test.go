package capacity_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/internal/capacity"
)

func TestAttributeSize(t *testing.T) {
	tests := []struct {
		name string
		av   types.AttributeValue
		want int
	}{
		{"nil", nil, 0},
		{"empty string", &types.AttributeValueMemberS{Value: ""}, 0},
		{"ascii string", &types.AttributeValueMemberS{Value: "hello"}, 5},
		{"utf8 string counts bytes not runes", &types.AttributeValueMemberS{Value: "héllo€"}, 9},
		{"binary counts raw bytes", &types.AttributeValueMemberB{Value: []byte{0, 1, 2, 3}}, 4},
		{"empty binary", &types.AttributeValueMemberB{}, 0},
		{"bool", &types.AttributeValueMemberBOOL{Value: true}, 1},
		{"null", &types.AttributeValueMemberNULL{Value: true}, 1},
		{"number zero", &types.AttributeValueMemberN{Value: "0"}, 1},
		{"number one digit", &types.AttributeValueMemberN{Value: "7"}, 2},
		{"number two digits", &types.AttributeValueMemberN{Value: "27"}, 2},
		{"number three digits", &types.AttributeValueMemberN{Value: "123"}, 3},
		{"number trailing zeros trimmed", &types.AttributeValueMemberN{Value: "1000000"}, 2},
		{"number leading zeros trimmed", &types.AttributeValueMemberN{Value: "000012"}, 2},
		{"negative number: pairs aligned on the point, plus a byte", &types.AttributeValueMemberN{Value: "-1.25"}, 4},
		{"number fraction zeros trimmed", &types.AttributeValueMemberN{Value: "0.0050"}, 2},
		{"number exponent ignored", &types.AttributeValueMemberN{Value: "1.5E+9"}, 2},
		{"number 38 digits", &types.AttributeValueMemberN{Value: strings.Repeat("9", 38)}, 20},
		{"epoch seconds", &types.AttributeValueMemberN{Value: "1712345678"}, 6},
		{"round epoch trims zeros", &types.AttributeValueMemberN{Value: "1700000000"}, 2},
		{"string set", &types.AttributeValueMemberSS{Value: []string{"ab", "cde"}}, 5},
		{"number set", &types.AttributeValueMemberNS{Value: []string{"1", "123"}}, 5},
		{"binary set", &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}}, 3},
		{"empty map", &types.AttributeValueMemberM{}, 3},
		{"empty list", &types.AttributeValueMemberL{}, 3},
		{
			"map counts keys and one byte per element",
			&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"ab": &types.AttributeValueMemberS{Value: "xyz"},   // 2 + 3 + 1
				"c":  &types.AttributeValueMemberBOOL{Value: true}, // 1 + 1 + 1
			}},
			3 + 6 + 3,
		},
		{
			"list counts one byte per element",
			&types.AttributeValueMemberL{Value: []types.AttributeValue{
				&types.AttributeValueMemberS{Value: "xyz"}, // 3 + 1
				&types.AttributeValueMemberN{Value: "1"},   // 2 + 1
			}},
			3 + 4 + 3,
		},
		{
			"nested documents",
			&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{ // 1 + (3 + 1+1) + 1
					&types.AttributeValueMemberNULL{Value: true},
				}},
			}},
			3 + 7,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := capacity.AttributeSize(tt.av)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("AttributeSize mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestItemSize(t *testing.T) {
	tests := []struct {
		name string
		item map[string]types.AttributeValue
		want int
	}{
		{"nil", nil, 0},
		{"names count", map[string]types.AttributeValue{
			"id":   &types.AttributeValueMemberS{Value: "session#abc"}, // 2 + 11
			"é":    &types.AttributeValueMemberBOOL{Value: false},      // 2 + 1
			"sess": &types.AttributeValueMemberM{},                     // 4 + 3
		}, 13 + 3 + 7},
		{"exactly the limit", map[string]types.AttributeValue{
			"a": &types.AttributeValueMemberB{Value: make([]byte, capacity.MaxItemBytes-1)},
		}, capacity.MaxItemBytes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := capacity.ItemSize(tt.item)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ItemSize mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteUnits(t *testing.T) {
	tests := []struct {
		bytes int
		want  float64
	}{
		{0, 1},
		{1, 1},
		{1023, 1},
		{1024, 1},
		{1025, 2},
		{2048, 2},
		{2049, 3},
		{capacity.MaxItemBytes, 400},
	}
	for _, tt := range tests {
		got := capacity.WriteUnits(tt.bytes)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("WriteUnits(%d) mismatch (-want +got):\n%s", tt.bytes, diff)
		}
	}
}

func TestReadUnits(t *testing.T) {
	tests := []struct {
		bytes  int
		strong bool
		want   float64
	}{
		{0, true, 1},
		{0, false, 0.5},
		{1, false, 0.5},
		{4095, true, 1},
		{4096, true, 1},
		{4096, false, 0.5},
		{4097, true, 2},
		{4097, false, 1},
		{8193, false, 1.5},
		{capacity.MaxItemBytes, true, 100},
	}
	for _, tt := range tests {
		got := capacity.ReadUnits(tt.bytes, tt.strong)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ReadUnits(%d, %v) mismatch (-want +got):\n%s", tt.bytes, tt.strong, diff)
		}
	}
}

func TestLimits(t *testing.T) {
	got := []int{capacity.MaxItemBytes, capacity.MaxPartitionKeyBytes, capacity.MaxSortKeyBytes}
	want := []int{409600, 2048, 1024}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("limits mismatch (-want +got):\n%s", diff)
	}
}

// TestNumberSizeMatchesDynamoDBLocal pins NumberSize to what DynamoDB Local
// 3.1.0 charged for each number, measured by padding an item to exactly
// 1024 bytes and watching the consumed write units turn from 1 to 2.
func TestNumberSizeMatchesDynamoDBLocal(t *testing.T) {
	measured := map[string]int{
		"1": 2, "12": 2, "123": 3, "100": 2, "1000": 2, "0.001": 2, "0.5": 2, "1.5": 3, "12.5": 3,
		"123456": 4, "1700000000": 2, "1.23e5": 3, "-1": 3, "-12": 3, "-1.5": 4, "-1700000000": 3, "0": 1,
	}
	for n, want := range measured {
		if got := capacity.NumberSize(n); got != want {
			t.Errorf("NumberSize(%q) = %d, DynamoDB Local charges %d", n, got, want)
		}
	}
}

// numberSizeBefore is NumberSize as it was before it stopped allocating,
// kept as the reference the rewrite must agree with.
func numberSizeBefore(s string) int {
	neg := strings.HasPrefix(s, "-")
	mant, exp, _ := strings.Cut(strings.ToLower(strings.TrimLeft(s, "+-")), "e")
	e, _ := strconv.Atoi(exp)
	intPart, frac, _ := strings.Cut(mant, ".")
	all := intPart + frac
	digits := strings.TrimLeft(all, "0")
	if digits == "" {
		return 1
	}
	point := len(intPart) - (len(all) - len(digits)) + e
	digits = strings.TrimRight(digits, "0")
	offset := ((point % 2) + 2) % 2
	n := (len(digits)+offset+1)/2 + 1
	if neg {
		n++
	}
	return n
}

// TestNumberSizeSpellings checks NumberSize against the reference on the
// spellings DynamoDB accepts and some it refuses (which must not panic),
// and that it allocates nothing: every write sizes every number of a Map
// session.
func TestNumberSizeSpellings(t *testing.T) {
	numbers := []string{
		"", "0", "-0", "+0", "00", "0.0", ".5", "5.", "007", "1", "-1", "10", "100", "1000", "12.50", "0.001",
		"1e5", "1E5", "1e+5", "1e-5", "1.5e3", "-2.5E-7", "0e9", "123456789012345678901234567890123456789",
		"9.9999999999999999999999999999999999999E+125", "1E-130", "1e", "e5", "-", "+", ".", "1.2.3", "1e99999999999999999999",
	}
	for _, n := range numbers {
		if got, want := capacity.NumberSize(n), numberSizeBefore(n); got != want {
			t.Errorf("NumberSize(%q) = %d, want %d", n, got, want)
		}
	}
	if a := testing.AllocsPerRun(100, func() { capacity.NumberSize("1700000000") }); a != 0 {
		t.Errorf("NumberSize allocates %v times per call, want 0", a)
	}
}
