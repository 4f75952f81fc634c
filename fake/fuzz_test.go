package fake

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func fuzzContext() *exprContext {
	ctx := testContext()
	ctx.names["#n"] = "n"
	ctx.names["#l"] = "l"
	return ctx
}

// FuzzExpression feeds arbitrary text to every expression parser. Parsing
// must never panic, and whatever parses must evaluate or apply without
// panicking either.
func FuzzExpression(f *testing.F) {
	for _, seed := range []string{
		"a = :v", "#n = :ten AND NOT (s IN (:s, :he))", "attribute_exists(#m.#k[0])",
		"size(l) BETWEEN :one AND :five OR begins_with(s, :he)", "contains(ss, :x)",
		"SET a = if_not_exists(a, :zero) + :one, l = list_append(l, :more) REMOVE m.k, l[0] ADD n :one DELETE ss :setx",
		"SET #l[3] = :v", "REMOVE l[0], l[1]", "id, m.nested.deep, l[1]",
		"(((", "#", ":", "a[", "a.#", "€", "a[99999999999999999999]", "SET a = a - a", "<> <= >= = < >",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		if c, err := parseCondition(fuzzContext(), kindCondition, expr); err == nil {
			evalCondition(c, testItem())
			evalCondition(c, map[string]types.AttributeValue{})
		}
		if u, err := parseUpdate(fuzzContext(), expr); err == nil {
			applyUpdate(u, testItem())
			applyUpdate(u, map[string]types.AttributeValue{"id": s("a")})
		}
		if p, err := parseProjection(fuzzContext(), expr); err == nil {
			project(testItem(), p)
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
