package migrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/anyvalue"
	"github.com/dynamosession/dynamosession/internal/attr"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/expiry"
	"github.com/dynamosession/dynamosession/internal/redact"
)

// outcome is what became of one scanned item; see the fields of [Report].
type outcome int

const (
	outMigrated outcome = iota
	outAlready
	outExpired
	outOtherPrefix // skipped: key outside the prefix, or not a string
	outNoData      // skipped: no data attribute
	outOtherFormat // skipped: a format not asked for
	outNewerSchema // skipped: stored by a newer schema version than the repository's
	outConflict
	outFailed
	numOutcomes
)

type result struct {
	outcome    outcome
	key        string
	format     codec.Format
	schema     int     // stored schema version of a live record, 0 if not read
	reason     string  // for outFailed
	writeUnits float64 // consumed, or estimated in a dry run
}

// process migrates one scanned item. It returns an error only when the
// run cannot go on; anything wrong with the record itself is a result.
func (m *migrator[T]) process(ctx context.Context, item map[string]types.AttributeValue) (result, error) {
	var lost float64 // units of writes whose condition failed, which DynamoDB bills too
	for attempt := 1; ; attempt++ {
		r, current, err := m.attempt(ctx, item)
		if err != nil || r.outcome != outConflict {
			r.writeUnits += lost
			return r, err
		}
		lost += r.writeUnits
		if current == nil || attempt == maxConflictAttempts {
			r.writeUnits = lost
			return r, nil // deleted by the app, or it keeps changing
		}
		item = current
	}
}

// attempt migrates item as scanned. On a conflict it returns the record as
// it is now (nil if it was deleted).
func (m *migrator[T]) attempt(ctx context.Context, item map[string]types.AttributeValue) (result, map[string]types.AttributeValue, error) {
	ks, ok := item[m.cfg.KeyAttr].(*types.AttributeValueMemberS)
	if !ok {
		return result{outcome: outOtherPrefix}, nil, nil // not this library's key type
	}
	r := result{key: ks.Value}
	fail := func(format string, args ...any) (result, map[string]types.AttributeValue, error) {
		r.outcome, r.reason = outFailed, fmt.Sprintf(format, args...)
		return r, nil, nil
	}
	if !strings.HasPrefix(r.key, m.cfg.Prefix) {
		r.outcome = outOtherPrefix
		return r, nil, nil
	}
	data, ok := item[m.cfg.DataAttr]
	if !ok {
		r.outcome = outNoData
		return r, nil, nil
	}
	r.format = codecs.Detect(data)
	if av, ok := item[m.cfg.ExpiresAttr]; ok {
		n, ok := av.(*types.AttributeValueMemberN)
		if !ok {
			return fail("%s is not a number", m.cfg.ExpiresAttr)
		}
		exp, err := expiry.Parse(n.Value)
		if err != nil {
			return fail("%s: %v", m.cfg.ExpiresAttr, err)
		}
		if !exp.After(m.cfg.Clock()) {
			r.outcome = outExpired
			return r, nil, nil
		}
	}
	schema, err := m.schemaOf(item)
	if err != nil {
		return fail("%v", err)
	}
	r.schema = schema
	upgrade := schema < m.cfg.Schema
	switch {
	case m.cfg.Schema > 0 && schema > m.cfg.Schema:
		r.outcome = outNewerSchema // a newer deploy's record
		return r, nil, nil
	case r.format == m.target && !upgrade:
		r.outcome = outAlready
		return r, nil, nil
	case m.from != nil && !m.from[r.format] && !upgrade:
		r.outcome = outOtherFormat
		return r, nil, nil
	}

	if err := codecs.Lossy(m.cfg.To, data); err != nil {
		return fail("%v", err)
	}
	var v T
	if upgrade {
		u, ok := m.ups[schema]
		if !ok {
			return fail("stored under schema version %d, and no upgrade from it is registered", schema)
		}
		c, ok := m.reader.Codec(r.format)
		if !ok {
			return fail("cannot decode: no codec for %q", r.format)
		}
		if v, err = u.Read(c, r.key, data); err != nil {
			return fail("upgrade from schema version %d: %v", schema, err)
		}
	} else if _, err := m.reader.Decode(r.key, data, &v); err != nil {
		return fail("cannot decode: %v", err)
	}
	enc, err := m.cfg.To.Encode(r.key, &v)
	if err == nil && !upgrade {
		// Fields T does not declare stay; not after an upgrade, which
		// decides the new shape itself.
		enc, err = codecs.KeepUnknown(m.cfg.To, data, enc)
	}
	if err != nil {
		return fail("cannot encode as %s: %v", m.target, err)
	}
	if codecs.Detect(enc) == r.format && !upgrade {
		// The target codec would store this value in its present format.
		r.outcome = outAlready
		return r, nil, nil
	}
	var back T
	if err := m.cfg.To.Decode(r.key, enc, &back); err != nil {
		return fail("%s cannot read back what it wrote: %v", m.target, err)
	}
	if !sameData(&v, &back) {
		return fail("%s does not hold this data exactly", m.target)
	}

	in, newItem := m.update(r.key, item, data, enc, r.format)
	size := capacity.ItemSize(newItem)
	if size > capacity.MaxItemBytes {
		return fail("rewritten item would be %d bytes, over DynamoDB's %d", size, capacity.MaxItemBytes)
	}
	booked := itemWriteUnits(item, newItem)
	r.outcome, r.writeUnits = outMigrated, booked
	if m.cfg.DryRun {
		return r, nil, nil
	}
	if err := m.writes.take(ctx, booked); err != nil {
		return r, nil, err
	}
	out, err := m.client.UpdateItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		r.outcome = outConflict
		return r, ccf.Item, nil
	case isValidation(err):
		// DynamoDB refuses this record's new value (a number out of its
		// range, say): the record's problem, not the run's.
		r.writeUnits = 0
		m.writes.adjust(-booked)
		return fail("DynamoDB refused the rewrite: %v", err)
	case err != nil:
		return r, nil, fmt.Errorf("migrate: writing %s: %w", redact.Key(r.key), err)
	}
	if out.ConsumedCapacity != nil {
		r.writeUnits = units(out.ConsumedCapacity)
		m.writes.adjust(r.writeUnits - booked)
	}
	return r, nil, nil
}

// update builds the conditional rewrite of item's data from old to enc,
// and the item as it will be stored.
func (m *migrator[T]) update(key string, item map[string]types.AttributeValue, old, enc types.AttributeValue, from codec.Format) (*dynamodb.UpdateItemInput, map[string]types.AttributeValue) {
	newItem := maps.Clone(item)
	newItem[m.cfg.DataAttr] = enc
	names := map[string]string{"#d": m.cfg.DataAttr}
	values := map[string]types.AttributeValue{":d": enc, ":old": old}
	set := []string{"#d = :d"}
	if m.cfg.Schema > 1 {
		names["#s"], values[":s"] = schemaAttr, &types.AttributeValueMemberN{Value: strconv.Itoa(m.cfg.Schema)}
		set = append(set, "#s = :s")
		newItem[schemaAttr] = values[":s"]
	}
	for i, name := range slices.Sorted(maps.Keys(m.extras)) {
		ph := strconv.Itoa(i)
		names["#x"+ph], values[":x"+ph] = name, m.extras[name]
		set = append(set, "#x"+ph+" = :x"+ph)
		newItem[name] = m.extras[name]
	}
	// Leaving a format removes what its codec wrote beside the data
	// (connect-dynamodb's `type`), but only where it holds exactly that:
	// anything else is the application's.
	var remove []string
	if c, ok := m.reader.Codec(from); ok {
		leaving := extraAttributes(c)
		for i, name := range slices.Sorted(maps.Keys(leaving)) {
			if _, kept := m.extras[name]; kept || !attr.Equal(item[name], leaving[name]) {
				continue
			}
			ph := "#r" + strconv.Itoa(i)
			names[ph] = name
			remove = append(remove, ph)
			delete(newItem, name)
		}
	}
	expr := "SET " + strings.Join(set, ", ")
	if len(remove) > 0 {
		expr += " REMOVE " + strings.Join(remove, ", ")
	}
	cond := "#d = :old"
	return &dynamodb.UpdateItemInput{
		TableName:                           &m.cfg.Table,
		Key:                                 map[string]types.AttributeValue{m.cfg.KeyAttr: &types.AttributeValueMemberS{Value: key}},
		UpdateExpression:                    &expr,
		ConditionExpression:                 &cond,
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ReturnConsumedCapacity:              types.ReturnConsumedCapacityTotal,
	}, newItem
}

// sameData reports whether b, decoded from what the target codec wrote,
// holds the data of a. The command-line tool's generic value compares by
// its own rules (anyvalue.Same); any other type by its deterministic
// MessagePack encoding, which compares times as instants (a codec may
// hand back another time zone).
func sameData[T any](a, b *T) bool {
	if x, ok := any(a).(*anyvalue.Value); ok {
		return anyvalue.Same(x, any(b).(*anyvalue.Value))
	}
	mp := codec.Msgpack[T]()
	x, err1 := mp.Marshal(a)
	y, err2 := mp.Marshal(b)
	if err1 != nil || err2 != nil {
		return reflect.DeepEqual(a, b)
	}
	// Map entries come out in Go's random iteration order: compare values,
	// not bytes (codec.Msgpack's SameData, which the repository asks too).
	sd, ok := mp.(interface {
		SameData(key string, stored, encoded types.AttributeValue) bool
	})
	return bytes.Equal(x, y) || ok && sd.SameData("", &types.AttributeValueMemberB{Value: x}, &types.AttributeValueMemberB{Value: y})
}

func isValidation(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException"
}

// schemaOf returns the schema version item's data is stored under: its
// schema attribute, or 1 without one.
func (m *migrator[T]) schemaOf(item map[string]types.AttributeValue) (int, error) {
	v, err := attr.SchemaVersion(item[schemaAttr])
	if err != nil {
		return 0, fmt.Errorf("%s: %w", schemaAttr, err)
	}
	return v, nil
}
