package dynamosession_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
)

// TestDeleteUndecodable: only a record that still cannot be decoded, and
// is exactly as read, is deleted.
func TestDeleteUndecodable(t *testing.T) {
	bad := &types.AttributeValueMemberS{Value: `{"user":`}
	tests := []struct {
		name        string
		versioned   bool
		sess        types.AttributeValue // nil: no record at all
		meanwhile   types.AttributeValue // written between the read and the delete, if not nil
		wantDeleted bool
		wantKept    bool
	}{
		{name: "undecodable: deleted", sess: bad, wantDeleted: true},
		{name: "undecodable, versioned: deleted", versioned: true, sess: bad, wantDeleted: true},
		{name: "decodes: kept", sess: &types.AttributeValueMemberS{Value: `{"user":"ada"}`}, wantKept: true},
		{name: "absent: nothing to do", sess: nil},
		{name: "rewritten meanwhile: kept", sess: bad, meanwhile: &types.AttributeValueMemberS{Value: `{"user":"new"}`}, wantKept: true},
		{name: "another bad value meanwhile: kept", sess: bad, meanwhile: &types.AttributeValueMemberS{Value: `{"user":1`}, wantKept: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			onBackends(t, map[string]func(t *testing.T, e *env){"case": func(t *testing.T, e *env) {
				repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Versioned = tt.versioned })
				id := newID(t)
				item := func(sess types.AttributeValue) map[string]types.AttributeValue {
					return map[string]types.AttributeValue{
						"id":      &types.AttributeValueMemberS{Value: "session#" + id},
						"sess":    sess,
						"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(e.clock.Now().Add(time.Hour).Unix())},
						"version": &types.AttributeValueMemberN{Value: "3"},
					}
				}
				if tt.sess != nil {
					e.putRaw(t, item(tt.sess))
				}
				ctx := context.Background()
				if tt.meanwhile != nil {
					// The delete's condition is what protects the newer
					// record: make it change just before the DeleteItem.
					ctx = context.WithValue(ctx, beforeDeleteKey{}, func() { e.putRaw(t, item(tt.meanwhile)) })
					repo = newRepo(t, &env{client: beforeDelete{e.client}, table: e.table, clock: e.clock},
						func(o *dynamosession.Options[cart]) { o.Versioned = tt.versioned })
				}
				deleted, err := repo.DeleteUndecodable(ctx, id)
				must(t, err)
				stored := e.raw(t, "session#"+id)
				got := struct{ Deleted, Kept bool }{deleted, stored != nil}
				want := struct{ Deleted, Kept bool }{tt.wantDeleted, tt.wantKept}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
			}})
		})
	}
}

// beforeDelete runs the function a context carries under beforeDeleteKey
// just before each DeleteItem: a concurrent writer at the worst moment.
type beforeDelete struct{ backendClient }

type beforeDeleteKey struct{}

func (b beforeDelete) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if f, ok := ctx.Value(beforeDeleteKey{}).(func()); ok {
		f()
	}
	return b.backendClient.DeleteItem(ctx, in, optFns...)
}
