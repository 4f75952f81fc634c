package fake

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// maxCalls is how many calls a DB remembers: enough for any one test's
// story, bounded so a long soak does not hold every request it made.
const maxCalls = 1000

// Call is one call a [DB] answered, as [DB.Calls] records it for a test
// to inspect or print.
type Call struct {
	Seq   int       // 1 for the first call since the DB was made or reset
	At    time.Time // the DB's clock when the call was answered
	Op    string    // "GetItem", "UpdateItem", …
	Table string    // the table named; for BatchGetItem, each, comma-separated
	Input any       // the request, as the caller passed it
	Err   error     // what the call returned, before the *smithy.OperationError wrapper; nil on success
}

// String renders the call on one line, with the key and expressions of the
// request and the outcome, for instance
//
//	#3 UpdateItem sessions id=session#abc SET #d = :d IF attribute_exists(#d): ConditionalCheckFailedException
func (c Call) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s %s", c.Seq, c.Op, c.Table)
	for _, part := range describeInput(c.Input) {
		if part != "" {
			b.WriteString(" " + part)
		}
	}
	switch {
	case c.Err == nil:
		b.WriteString(": ok")
	default:
		b.WriteString(": " + c.Err.Error())
	}
	return b.String()
}

// describeInput picks what identifies a request: its key and expressions.
func describeInput(in any) []string {
	if v := reflect.ValueOf(in); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil
	}
	expr := func(prefix string, s *string) string {
		if s == nil {
			return ""
		}
		return prefix + strings.Join(strings.Fields(*s), " ")
	}
	switch in := in.(type) {
	case *dynamodb.GetItemInput:
		return []string{describeKey(in.Key), expr("", in.ProjectionExpression), consistency(in.ConsistentRead)}
	case *dynamodb.PutItemInput:
		return []string{fmt.Sprintf("(%d attributes)", len(in.Item)), expr("IF ", in.ConditionExpression)}
	case *dynamodb.UpdateItemInput:
		return []string{describeKey(in.Key), expr("", in.UpdateExpression), expr("IF ", in.ConditionExpression)}
	case *dynamodb.DeleteItemInput:
		return []string{describeKey(in.Key), expr("IF ", in.ConditionExpression)}
	case *dynamodb.QueryInput:
		return []string{expr("INDEX ", in.IndexName), expr("", in.KeyConditionExpression), describeKey(in.ExclusiveStartKey)}
	case *dynamodb.ScanInput:
		return []string{describeKey(in.ExclusiveStartKey)}
	}
	return nil
}

func consistency(strong *bool) string {
	if aws.ToBool(strong) {
		return "(strong)"
	}
	return ""
}

// describeKey renders a key's scalar values, name=value, in name order.
func describeKey(key map[string]types.AttributeValue) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(key)) {
		switch v := key[name].(type) {
		case *types.AttributeValueMemberS:
			parts = append(parts, name+"="+v.Value)
		case *types.AttributeValueMemberN:
			parts = append(parts, name+"="+v.Value)
		case *types.AttributeValueMemberB:
			parts = append(parts, fmt.Sprintf("%s=%x", name, v.Value))
		}
	}
	return strings.Join(parts, ",")
}

// callLog keeps the most recent maxCalls calls.
type callLog struct {
	seq   int
	calls []Call // a ring once full: the oldest at seq % maxCalls
}

func (l *callLog) add(c Call) {
	l.seq++
	c.Seq = l.seq
	if len(l.calls) < maxCalls {
		l.calls = append(l.calls, c)
		return
	}
	l.calls[(l.seq-1)%maxCalls] = c
}

func (l *callLog) list() []Call {
	out := slices.Clone(l.calls)
	slices.SortFunc(out, func(a, b Call) int { return a.Seq - b.Seq })
	return out
}

// record notes a call that was answered with err.
func (db *DB) record(op string, in any, err error) {
	c := Call{At: db.clock.Now(), Op: op, Input: in, Err: err, Table: tableOf(in)}
	db.mu.Lock()
	defer db.mu.Unlock()
	db.calls.add(c)
}

// tableOf returns the TableName of a request, or for BatchGetItem its
// tables.
func tableOf(in any) string {
	if b, ok := in.(*dynamodb.BatchGetItemInput); ok && b != nil {
		return strings.Join(sortedKeys(b.RequestItems), ",")
	}
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	if f := v.Elem().FieldByName("TableName"); f.IsValid() && f.Kind() == reflect.Pointer && !f.IsNil() {
		return f.Elem().String()
	}
	return ""
}

// Calls returns the calls the DB answered since it was made or its stats
// were last reset, oldest first: at most the last 1,000. A failed
// assertion can print them, one line each:
//
//	for _, c := range db.Calls() {
//		t.Log(c)
//	}
func (db *DB) Calls() []Call {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.calls.list()
}
