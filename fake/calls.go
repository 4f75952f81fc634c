package fake

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// maxCalls is how many calls a DB remembers: enough for any one test's
// story, bounded so a long soak does not hold every request it made.
const maxCalls = 1000

// callRecord is one call a [DB] answered, as [DB.Calls] renders it. The
// request is kept as the caller passed it and rendered only when a test
// asks, so that recording costs a call next to nothing.
type callRecord struct {
	seq   int    // 1 for the first call since the DB was made or reset
	op    string // "GetItem", "UpdateItem", …
	table string // the table named; for BatchGetItem, each, comma-separated
	input any    // the request, as the caller passed it
	err   error  // what the call returned, before the *smithy.OperationError wrapper; nil on success
}

// String renders the call on one line, with the key and expressions of the
// request and the outcome, for instance
//
//	#3 UpdateItem sessions id=session#abc SET #d = :d IF attribute_exists(#d): ConditionalCheckFailedException
func (c callRecord) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s %s", c.seq, c.op, c.table)
	for _, part := range describeInput(c.input) {
		if part != "" {
			b.WriteString(" " + part)
		}
	}
	if c.err == nil {
		b.WriteString(": ok")
	} else {
		b.WriteString(": " + c.err.Error())
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
	calls []callRecord // a ring once full: the oldest at seq % maxCalls
}

func (l *callLog) add(c callRecord) {
	l.seq++
	c.seq = l.seq
	if len(l.calls) < maxCalls {
		l.calls = append(l.calls, c)
		return
	}
	l.calls[(l.seq-1)%maxCalls] = c
}

func (l *callLog) list() []callRecord {
	out := slices.Clone(l.calls)
	slices.SortFunc(out, func(a, b callRecord) int { return a.seq - b.seq })
	return out
}

// record notes a call that was answered with err.
func (db *DB) record(op string, in any, err error) {
	c := callRecord{op: op, input: in, err: err, table: tableOf(in)}
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

// Calls returns the calls the DB answered since it was made or last
// reset ([DB.ResetStats]), oldest first, at most the last 1,000, one line
// each: the call's number, the operation, the table, the key and
// expressions of the request, and the outcome (the error, without the
// *smithy.OperationError around it, or "ok"):
//
//	#1 GetItem sessions id=session#abc: ok
//	#2 UpdateItem sessions id=session#abc SET #e = :e IF #v = :v: ConditionalCheckFailedException: The conditional request failed
//
// A failed assertion can print them:
//
//	t.Errorf("got %d writes, want 1; calls:\n%s", n, strings.Join(db.Calls(), "\n"))
//
// To count calls by operation, use [DB.Stats]; for each request's
// consumed capacity and latency as the code under test saw them, wrap the
// client given to dynamosession.New (its ExampleAPI_capacity).
func (db *DB) Calls() []string {
	db.mu.Lock()
	list := db.calls.list()
	db.mu.Unlock()
	lines := make([]string, len(list))
	for i, c := range list {
		lines[i] = c.String()
	}
	return lines
}
