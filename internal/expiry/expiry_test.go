package expiry

import (
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"1800000000", time.Unix(1800000000, 0)},
		{"1796482408.999", time.Unix(1796482408, 999_000_000)},        // connect-dynamodb 3.x
		{"1796482408.9990000001", time.Unix(1796482408, 999_000_001)}, // rounds up
		{"1799996400000", time.Unix(1799996400, 0)},                   // connect-dynamodb 2.x, milliseconds
		{"1799996400000.5", time.Unix(1799996400, 500_000)},
		{"100000000000", time.Unix(100000000000, 0)}, // MillisAbove itself is seconds
		{"100000000001", time.Unix(100000000, 1_000_000)},
		{"1.8e9", time.Unix(1800000000, 0)},
		{"-5", time.Unix(-5, 0)},
		{"-0.5", time.Unix(-1, 500_000_000)},
		{"0", time.Unix(0, 0)},
		{"1e18", time.Unix(1e15, 0)},                  // milliseconds: 1e15 seconds
		{"-1000000000000000000", time.Unix(-1e18, 0)}, // the lower bound
		{"1800003600.25", time.Unix(1800003600, 250_000_000)},
		{"1800003600250", time.Unix(1800003600, 250_000_000)},
		{"1e9", time.Unix(1_000_000_000, 0)},
		{"1e21", time.Unix(1e18, 0)}, // milliseconds: the last second read
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) = %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("Parse(%q) = %v, want %v", tt.in, got.UTC(), tt.want.UTC())
			}
		})
	}
	// Beyond an int64 of seconds, Go's float-to-int conversion is
	// implementation-specific (MinInt64 on amd64: expired; saturated on
	// arm64: never expiring); every such value is ErrRange everywhere.
	for _, far := range []string{"1e125", "-1e125", "9.9999999999999999999999999999999999999E+125", "1e22", "-1000000000000000001", "1e400", "1e126",
		"1.0000001e21", "-1.0000001e18", "9.3e21", "-9223372036854775808", "1e300"} {
		if _, err := Parse(far); !errors.Is(err, ErrRange) {
			t.Errorf("Parse(%q) = %v, want ErrRange", far, err)
		}
	}
	for _, bad := range []string{"", "NaN", "Inf", "-Inf", "0x10", "1/2", "abc", "1.2.3", "e5", "--1", ".", "soon"} {
		if _, err := Parse(bad); !errors.Is(err, ErrNotNumber) {
			t.Errorf("Parse(%q) = %v, want ErrNotNumber", bad, err)
		}
	}
}

// TestConditionsAgreeWithParse checks the package's promise on random
// stored values and times: the decimal comparisons the Live and Expired
// conditions make give the answer Parse gives. The comparison is done here
// with exact rationals, as DynamoDB compares numbers; the contract suite
// checks the same on the fake and DynamoDB Local.
func TestConditionsAgreeWithParse(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Unix(1_800_000_000, 0)
	for i := 0; i < 20000; i++ {
		now := base.Add(time.Duration(rng.Int64N(int64(200 * time.Second))))
		var stored string
		switch rng.IntN(4) {
		case 0:
			stored = fmt.Sprint(base.Unix() + rng.Int64N(200))
		case 1:
			stored = fmt.Sprintf("%d.%d", base.Unix()+rng.Int64N(200), rng.Int64N(1e12))
		case 2:
			stored = fmt.Sprint((base.Unix()+rng.Int64N(200))*1000 + rng.Int64N(1000))
		default:
			stored = fmt.Sprintf("%d.%d", (base.Unix()+rng.Int64N(200))*1000, rng.Int64N(1e9))
		}
		exp, err := Parse(stored)
		if err != nil {
			t.Fatal(err)
		}
		goLive := exp.After(now)
		x, _ := new(big.Rat).SetString(stored)
		sec, ms := exact(now)
		nowR, _ := new(big.Rat).SetString(sec)
		nowMs, _ := new(big.Rat).SetString(ms)
		msAbove := big.NewRat(MillisAbove, 1)
		condLive := (x.Cmp(nowR) > 0 && x.Cmp(msAbove) <= 0) || x.Cmp(nowMs) > 0
		condExpired := (x.Cmp(big.NewRat(-MaxSeconds, 1)) >= 0 && x.Cmp(nowR) <= 0) || (x.Cmp(msAbove) > 0 && x.Cmp(nowMs) <= 0)
		if goLive != condLive || goLive == condExpired {
			t.Fatalf("stored %s at %v: Parse says live=%v, Live=%v, Expired=%v", stored, now.UnixNano(), goLive, condLive, condExpired)
		}
	}
}

// TestFormat: DynamoDB's TTL wants integer Unix seconds. Policies round an
// expiry up to the second before it gets here (ttl.Sliding), so Format
// only drops what is already zero.
func TestFormat(t *testing.T) {
	for _, tt := range []struct {
		in   time.Time
		want string
	}{
		{time.Unix(1800003600, 0), "1800003600"},
		{time.Unix(1800003600, 999_000_000), "1800003600"},
		{time.Unix(-5, 0), "-5"},
	} {
		if got := Format(tt.in); got != tt.want {
			t.Errorf("Format(%v) = %q, want %q", tt.in.UTC(), got, tt.want)
		}
	}
}

// TestExact: the decimal texts of an instant, in seconds and in
// milliseconds, to the nanosecond, for instants before and after the
// epoch and within a second of it (where the digits are padded).
func TestExact(t *testing.T) {
	tests := []struct {
		name    string
		t       time.Time
		sec, ms string
	}{
		{"epoch", time.Unix(0, 0), "0.000000000", "0000.000000"},
		{"a nanosecond after", time.Unix(0, 1), "0.000000001", "0000.000001"},
		{"a nanosecond before", time.Unix(0, -1), "-0.000000001", "-0000.000001"},
		{"a second and 5 ns", time.Unix(1, 5), "1.000000005", "1000.000005"},
		{"2026", time.Unix(1795000000, 123456789), "1795000000.123456789", "1795000000123.456789"},
		{"1901", time.Unix(-2179000000, 987654321), "-2178999999.012345679", "-2178999999012.345679"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sec, ms := exact(tt.t)
			if diff := cmp.Diff([2]string{tt.sec, tt.ms}, [2]string{sec, ms}); diff != "" {
				t.Errorf("exact mismatch (-want +got):\n%s", diff)
			}
			// The values a condition sends: the same texts, from one
			// allocation, none shared with another write's.
			values := make(map[string]types.AttributeValue, 8)
			if n := testing.AllocsPerRun(10, func() { addValues(tt.t, values) }); n != 1 {
				t.Errorf("addValues allocated %v times, want 1", n)
			}
			other := make(map[string]types.AttributeValue, 8)
			addValues(time.Unix(7, 7), other)
			got := [3]string{}
			for i, k := range []string{":xnow", ":xnowms", ":xmsabove"} {
				got[i] = values[k].(*types.AttributeValueMemberN).Value
			}
			if diff := cmp.Diff([3]string{tt.sec, tt.ms, "100000000000"}, got); diff != "" {
				t.Errorf("addValues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
