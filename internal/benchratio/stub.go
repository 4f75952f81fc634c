package benchratio

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Stub is a DynamoDB client that does no work, so that a benchmark times
// only the code on either side of it: GetItem returns Item whatever the
// key, and the writes return an empty output. Both sides of a ratio call
// the same stub. Its methods are not inlined, as a *dynamodb.Client's
// never are: inlined, code calling the stub directly would keep its
// request and output on the stack, which no caller of the real client can.
type Stub struct {
	Item map[string]types.AttributeValue
}

//go:noinline
func (s Stub) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{Item: s.Item}, nil
}

//go:noinline
func (Stub) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return &dynamodb.PutItemOutput{}, nil
}

//go:noinline
func (Stub) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return &dynamodb.UpdateItemOutput{}, nil
}

//go:noinline
func (Stub) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return &dynamodb.DeleteItemOutput{}, nil
}
