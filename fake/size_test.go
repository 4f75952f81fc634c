package fake_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestSizeOfStringCountsUTF16 pins size() on strings to what DynamoDB
// Local answers: UTF-16 code units, not bytes (size("héé") = 3,
// size("😀") = 2).
func TestSizeOfStringCountsUTF16(t *testing.T) {
	tests := []struct {
		value string
		size  string
		want  bool // whether `size(a) = :n` holds
	}{
		{"héé", "3", true},
		{"héé", "5", false},
		{"😀", "2", true},
		{"😀", "4", false},
		{"abc", "3", true},
	}
	for _, tt := range tests {
		db, _ := newDB(t)
		mustPut(t, db, "sessions", item{"id": &types.AttributeValueMemberS{Value: "k"}, "a": &types.AttributeValueMemberS{Value: tt.value}})
		_, err := db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
			TableName:                 aws.String("sessions"),
			Key:                       item{"id": &types.AttributeValueMemberS{Value: "k"}},
			UpdateExpression:          aws.String("SET b = :n"),
			ConditionExpression:       aws.String("size(a) = :n"),
			ExpressionAttributeValues: item{":n": &types.AttributeValueMemberN{Value: tt.size}},
		})
		if got := err == nil; got != tt.want {
			t.Errorf("size(%q) = %s: condition held = %v, want %v (err %v)", tt.value, tt.size, got, tt.want, err)
		}
	}
}
