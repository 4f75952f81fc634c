package fake

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// FuzzExpression feeds arbitrary text to every expression parser. Parsing
// must never panic, and whatever parses must evaluate or apply without
// panicking either.
func FuzzExpression(f *testing.F) {
	for _, seed := range []string{
		"#n = :ten", "#n = :ten AND NOT (#s <> :he)", "attribute_exists(#m)", "(#n) < :five OR #s >= :he",
		"SET #s = :v, #n = #s REMOVE #m", "REMOVE #l, #ss", "((#n = :one))", "#m.#k = :v", "a[0] = :v",
		"(((", "#", ":", "a[", "a.#", "€", "SET #a = #a - #a", "<> <= >= = < >", "#n BETWEEN :one AND :two",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		if c, err := parseCondition(testContext(), kindCondition, expr); err == nil {
			evalCondition(c, testItem())
			evalCondition(c, map[string]types.AttributeValue{})
		}
		if u, err := parseUpdate(testContext(), expr); err == nil {
			applyUpdate(u, testItem())
			applyUpdate(u, map[string]types.AttributeValue{"id": s("a")})
		}
	})
}

// FuzzNumber checks that any number DynamoDB would accept prints in a
// canonical form that parses back to the same value and prints the same.
func FuzzNumber(f *testing.F) {
	for _, seed := range []string{"0", "-0.0", "1E+125", "9.9999999999999999999999999999999999999E+125", "1e-130", "00012.3400", ".5", "5.", "+7", "1e", "--1", "NaN"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		canon, msg := canonicalNumber(in)
		if msg != "" {
			return
		}
		again, msg := canonicalNumber(canon)
		if msg != "" || again != canon {
			t.Fatalf("canonicalNumber(%q) = %q, which canonicalizes to %q (%s)", in, canon, again, msg)
		}
		a, _ := parseDecimal(in)
		b, _ := parseDecimal(canon)
		if a.cmp(b) != 0 {
			t.Fatalf("canonicalNumber(%q) = %q changed the value", in, canon)
		}
	})
}
