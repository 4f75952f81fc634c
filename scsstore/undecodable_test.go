package scsstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/scsstore"
	"github.com/dynamosession/dynamosession/ttl"
)

// TestUndecodableRecord: a record the repository cannot decode never
// turns into a failed request on every page (scs would answer 500 until
// the cookie expires) unless the strict policy asks for that (issue 15).
func TestUndecodableRecord(t *testing.T) {
	tests := []struct {
		policy      dynamosession.UndecodablePolicy
		wantErr     bool
		wantDeleted bool
	}{
		{dynamosession.KeepUndecodable, false, false},
		{dynamosession.DeleteUndecodable, false, true},
		{dynamosession.FailUndecodable, true, false},
	}
	for _, tt := range tests {
		t.Run(map[dynamosession.UndecodablePolicy]string{0: "keep", 1: "delete", 2: "fail"}[tt.policy], func(t *testing.T) {
			db := fake.New("sessions")
			repo, err := dynamosession.New[scsstore.Record](db, "sessions", func(o *dynamosession.Options[scsstore.Record]) {
				o.Codec = codec.Msgpack[scsstore.Record]()
				o.TTL = ttl.Sliding(24 * time.Hour)
				o.Clock = db.Now
			})
			if err != nil {
				t.Fatal(err)
			}
			var reported []error
			s, err := scsstore.New(repo, func(o *scsstore.Options) {
				o.Undecodable = tt.policy
				o.OnUndecodable = func(err error) { reported = append(reported, err) }
			})
			if err != nil {
				t.Fatal(err)
			}
			bad := map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: "session#tok"},
				"sess":    &types.AttributeValueMemberB{Value: []byte{0x81, 0xa4, 'd', 'a', 't', 'a', 0xc0, 0xc1}}, // 0xC1 is never MessagePack
				"expires": &types.AttributeValueMemberN{Value: "4102444800"},
			}
			if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("sessions"), Item: bad}); err != nil {
				t.Fatal(err)
			}
			b, found, err := s.Find("tok")
			var de *dynamosession.DecodeError
			switch {
			case tt.wantErr && !errors.As(err, &de):
				t.Fatalf("Find = %v, want the *DecodeError", err)
			case !tt.wantErr && (err != nil || found || b != nil):
				t.Fatalf("Find = %q, %v, %v; want no session and no error", b, found, err)
			case !tt.wantErr && (len(reported) != 1 || !errors.As(reported[0], &de)):
				t.Fatalf("OnUndecodable got %v, want the *DecodeError once", reported)
			}
			out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: map[string]types.AttributeValue{"id": bad["id"]}, ConsistentRead: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantDeleted {
				if out.Item != nil {
					t.Error("DeleteUndecodable left the record")
				}
				return
			}
			if diff := cmp.Diff(bad["sess"], out.Item["sess"], cmp.AllowUnexported(types.AttributeValueMemberB{})); diff != "" {
				t.Errorf("record changed (-want +got):\n%s", diff)
			}
		})
	}
}
