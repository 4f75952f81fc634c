package fake_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

func TestSweepExpired(t *testing.T) {
	db, clock := newDB(t)
	ctx := context.Background()
	now := clock.Now().Unix()
	put := func(id string, expires types.AttributeValue) {
		it := item{"id": s(id)}
		if expires != nil {
			it["expires"] = expires
		}
		mustPut(t, db, "sessions", it)
	}
	put("past", n(fmt.Sprint(now-10)))
	put("fraction", n(fmt.Sprintf("%d.5", now+5)))
	put("future", n(fmt.Sprint(now+3600)))
	put("milliseconds", n(fmt.Sprint(clock.Now().UnixMilli()-1000)))
	put("ancient", n(fmt.Sprint(now-6*365*24*3600)))
	put("string", s("0"))
	put("none", nil)

	// TTL is off: nothing is swept.
	if got := db.SweepExpired(); got != 0 {
		t.Errorf("SweepExpired with TTL disabled = %d, want 0", got)
	}
	if _, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String("sessions"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expires"), Enabled: aws.Bool(true)},
	}); err != nil {
		t.Fatalf("UpdateTimeToLive: %v", err)
	}
	// Expired items stay readable until swept: TTL is lazy.
	if _, ok := db.Item("sessions", item{"id": s("past")}); !ok {
		t.Error("expired item vanished before SweepExpired")
	}
	remaining := func() []string {
		var ids []string
		for _, id := range []string{"past", "fraction", "future", "milliseconds", "ancient", "string", "none"} {
			if _, ok := db.Item("sessions", item{"id": s(id)}); ok {
				ids = append(ids, id)
			}
		}
		return ids
	}
	steps := []struct {
		advance time.Duration
		swept   int
		left    []string
	}{
		{0, 1, []string{"fraction", "future", "milliseconds", "ancient", "string", "none"}},
		{5 * time.Second, 0, []string{"fraction", "future", "milliseconds", "ancient", "string", "none"}},
		{time.Second, 1, []string{"future", "milliseconds", "ancient", "string", "none"}},
		{time.Hour, 1, []string{"milliseconds", "ancient", "string", "none"}},
	}
	for i, st := range steps {
		clock.Advance(st.advance)
		if got := db.SweepExpired(); got != st.swept {
			t.Errorf("step %d: SweepExpired = %d, want %d", i, got, st.swept)
		}
		if diff := cmp.Diff(st.left, remaining()); diff != "" {
			t.Errorf("step %d: remaining items mismatch (-want +got):\n%s", i, diff)
		}
	}
	// Seven puts; the sweeps themselves are free.
	if diff := cmp.Diff(7.0, db.Stats().WriteUnits); diff != "" {
		t.Errorf("WriteUnits mismatch (-want +got):\n%s", diff)
	}
}
