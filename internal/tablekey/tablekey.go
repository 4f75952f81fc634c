// Package tablekey judges a DynamoDB table's key schema for sessions: the
// migration (package migrate) and the dynamosession command's table checks
// refuse, before they scan or report, a table whose key is not a single
// string partition key named as the repository's KeyAttr.
package tablekey

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Problem says what is wrong with the key of the table described as d
// for a session store, or "" when it is a single string partition key
// named keyAttr. A nil d is a problem: there is nothing to judge.
func Problem(d *types.TableDescription, keyAttr string) string {
	if d == nil {
		return "no table description"
	}
	attrTypes := map[string]types.ScalarAttributeType{}
	for _, a := range d.AttributeDefinitions {
		attrTypes[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	hash, sort := Names(d.KeySchema)
	switch {
	case hash != keyAttr:
		return fmt.Sprintf("partition key is %q, want %q", hash, keyAttr)
	case attrTypes[hash] != types.ScalarAttributeTypeS:
		return fmt.Sprintf("partition key %q has type %s, want S (string)", hash, attrTypes[hash])
	case sort != "":
		return fmt.Sprintf("table has a sort key %q; a session table has a partition key only", sort)
	}
	return ""
}

// Names returns the partition (hash) and sort (range) key attributes of a
// table's or an index's key schema, "" for one it does not have.
func Names(schema []types.KeySchemaElement) (hash, sort string) {
	for _, k := range schema {
		switch k.KeyType {
		case types.KeyTypeHash:
			hash = aws.ToString(k.AttributeName)
		case types.KeyTypeRange:
			sort = aws.ToString(k.AttributeName)
		}
	}
	return hash, sort
}
