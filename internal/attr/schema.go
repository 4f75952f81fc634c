package attr

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// SchemaVersion reads the schema version a record's data is stored under
// from its schema attribute av (nil when the item has none): 1 without
// one, the version before any was declared; otherwise the positive
// integer av holds. The repository and the migration tool read it by this
// one rule.
func SchemaVersion(av types.AttributeValue) (int, error) {
	if av == nil {
		return 1, nil
	}
	n, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("want a number, stored %T", av)
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || v < 1 {
		return 0, fmt.Errorf("schema version %q is not a positive integer", n.Value)
	}
	return v, nil
}
