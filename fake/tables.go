package fake

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/capacity"
)

// table is one DynamoDB table: its definition and its items.
type table struct {
	name      string
	id        string
	hashKey   string
	hashType  types.ScalarAttributeType
	rangeKey  string // "" when the table has no sort key
	rangeType types.ScalarAttributeType

	attrDefs           []types.AttributeDefinition
	keySchema          []types.KeySchemaElement
	billing            types.BillingMode
	billingExplicit    bool // CreateTable named the mode rather than defaulting to PROVISIONED
	rcu, wcu           int64
	created            time.Time
	deletionProtection bool

	ttlEnabled bool
	ttlAttr    string

	records map[string]*record
	order   ordered[*record] // the records in Scan order
	indexes []*index         // the global secondary indexes
}

// record holds one item and, while replicas lag, the version an
// eventually consistent replica still serves.
type record struct {
	key   map[string]types.AttributeValue // the key attributes, canonical
	hash  uint64                          // where the partition key sorts in a Scan
	pk    string                          // keyPart of the partition key
	sk    types.AttributeValue            // the sort key; nil without one
	item  map[string]types.AttributeValue // nil once deleted
	prev  map[string]types.AttributeValue // the version before the latest write
	stale bool                            // prev is what a lagging replica serves…
	until time.Time                       // …until then
	// entries holds the record's entry in each index (nil where the item
	// is not in it), and prevEntries those of prev while it is stale.
	entries, prevEntries []*indexEntry
}

// visible returns the version of rec a read sees.
func (r *record) visible(strong bool, l lag) map[string]types.AttributeValue {
	if r == nil {
		return nil
	}
	if !strong && l.behind(r) {
		return r.prev
	}
	return r.item
}

// lag is how far eventually consistent reads trail the latest writes at
// one moment: not at all, or by a duration of the DB's clock
// ([DB.SetReplicaLag]).
type lag struct {
	d   time.Duration
	now time.Time
}

// on reports whether a write should keep the version it replaces.
func (l lag) on() bool { return l.d > 0 }

// behind reports whether eventually consistent reads of r still see its
// previous version.
func (l lag) behind(r *record) bool {
	return r.stale && l.now.Before(r.until)
}

// newRecord makes the record of a canonical key, not yet stored.
func (t *table) newRecord(key map[string]types.AttributeValue) *record {
	r := &record{key: key, hash: partitionHash(key[t.hashKey]), pk: keyPart(key[t.hashKey]),
		entries: make([]*indexEntry, len(t.indexes)), prevEntries: make([]*indexEntry, len(t.indexes))}
	if t.rangeKey != "" {
		r.sk = key[t.rangeKey]
	}
	return r
}

// compareRecords orders records as a Scan returns them: by the hash of the
// partition key, then by partition key, then by sort key (a record
// without a sort key, as a Scan segment's starting point, comes first).
func compareRecords(a, b *record) int {
	switch {
	case a.hash != b.hash:
		return cmp.Compare(a.hash, b.hash)
	case a.pk != b.pk:
		return strings.Compare(a.pk, b.pk)
	case a.sk == nil || b.sk == nil:
		return compareBool(a.sk != nil, b.sk != nil)
	}
	c, _ := compareScalars(a.sk, b.sk)
	return c
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

// write stores a new version (nil deletes) and keeps the indexes in step,
// keeping the old version for eventually consistent readers while replicas
// lag. It returns the write units each index the write touched consumed.
func (t *table) write(key map[string]types.AttributeValue, enc string, item map[string]types.AttributeValue, l lag) map[string]float64 {
	r := t.records[enc]
	if r == nil {
		if item == nil {
			return nil
		}
		r = t.newRecord(key)
		t.records[enc] = r
		t.order.insert(r)
	}
	units := t.reindex(r, item, l.on())
	if l.on() {
		r.prev, r.stale, r.until = r.item, true, l.now.Add(l.d)
	}
	r.item = item
	if !r.stale && r.item == nil {
		t.drop(enc, r)
	}
	return units
}

// drop forgets a record entirely.
func (t *table) drop(enc string, r *record) {
	t.unindex(r)
	delete(t.records, enc)
	t.order.delete(r)
}

// settle makes every replica current: stale versions and tombstones go.
func (t *table) settle() {
	for enc, r := range t.records {
		r.prev, r.stale = nil, false
		t.settleIndexes(r)
		if r.item == nil {
			t.drop(enc, r)
		}
	}
}

func partitionHash(av types.AttributeValue) uint64 {
	h := fnv.New64a()
	h.Write([]byte(keyPart(av)))
	return h.Sum64()
}

// keyPart encodes a key value so that equal keys encode equally: numbers
// are canonical by the time they get here.
func keyPart(av types.AttributeValue) string {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return "S" + v.Value
	case *types.AttributeValueMemberN:
		return "N" + v.Value
	case *types.AttributeValueMemberB:
		return "B" + string(v.Value)
	}
	return ""
}

func (t *table) encodeKey(key map[string]types.AttributeValue) string {
	h := keyPart(key[t.hashKey])
	enc := strconv.Itoa(len(h)) + ":" + h
	if t.rangeKey != "" {
		enc += keyPart(key[t.rangeKey])
	}
	return enc
}

func (t *table) keyNames() []string {
	if t.rangeKey == "" {
		return []string{t.hashKey}
	}
	return []string{t.hashKey, t.rangeKey}
}

func (t *table) isKey(name string) bool {
	return name == t.hashKey || (t.rangeKey != "" && name == t.rangeKey)
}

func (t *table) keyType(name string) types.ScalarAttributeType {
	if name == t.hashKey {
		return t.hashType
	}
	return t.rangeType
}

const msgKeySchema = "The provided key element does not match the schema"

// checkKey validates a Key parameter and returns it canonical.
func (t *table) checkKey(key map[string]types.AttributeValue, prefix string) (map[string]types.AttributeValue, error) {
	if len(key) != len(t.keyNames()) {
		return nil, validationError("%s", prefix+msgKeySchema)
	}
	out := make(map[string]types.AttributeValue, len(key))
	for _, name := range t.keyNames() {
		v, ok := key[name]
		if !ok || typeName(v) != string(t.keyType(name)) {
			return nil, validationError("%s", prefix+msgKeySchema)
		}
		c, msg := cleanValue(v)
		if msg != "" {
			return nil, validationError("%s", msg)
		}
		out[name] = c
	}
	if err := t.checkKeyValues(out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkItemKey validates the key attributes inside a whole item (PutItem),
// whose messages differ from those for a Key parameter.
func (t *table) checkItemKey(item map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	key := make(map[string]types.AttributeValue, 2)
	for _, name := range t.keyNames() {
		v, ok := item[name]
		if !ok {
			return nil, validationError("One or more parameter values were invalid: Missing the key %s in the item", name)
		}
		if got, want := typeName(v), string(t.keyType(name)); got != want {
			return nil, validationError("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", name, want, got)
		}
		key[name] = v
	}
	if err := t.checkKeyValues(key); err != nil {
		return nil, err
	}
	return key, nil
}

// checkKeyValues applies the rules every key value obeys: not empty, and
// within the partition and sort key size limits.
func (t *table) checkKeyValues(key map[string]types.AttributeValue) error {
	for _, name := range t.keyNames() {
		switch v := key[name].(type) {
		case *types.AttributeValueMemberS:
			if v.Value == "" {
				return validationError("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: %s", name)
			}
		case *types.AttributeValueMemberB:
			if len(v.Value) == 0 {
				return validationError("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: %s", name)
			}
		}
	}
	if capacity.AttributeSize(key[t.hashKey]) > capacity.MaxPartitionKeyBytes {
		return validationError("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
	}
	if t.rangeKey != "" && capacity.AttributeSize(key[t.rangeKey]) > capacity.MaxSortKeyBytes {
		return validationError("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
	}
	return nil
}

func (t *table) describe() *types.TableDescription {
	var count, size int64
	for _, r := range t.records {
		if r.item != nil {
			count++
			size += int64(capacity.ItemSize(r.item))
		}
	}
	created := t.created
	d := &types.TableDescription{
		TableName:                 aws.String(t.name),
		TableArn:                  aws.String(fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, accountID, t.name)),
		TableId:                   aws.String(t.id),
		TableStatus:               types.TableStatusActive,
		AttributeDefinitions:      copyAttrDefs(t.attrDefs),
		KeySchema:                 copyKeySchema(t.keySchema),
		CreationDateTime:          &created,
		ItemCount:                 aws.Int64(count),
		TableSizeBytes:            aws.Int64(size),
		DeletionProtectionEnabled: aws.Bool(t.deletionProtection),
		ProvisionedThroughput: &types.ProvisionedThroughputDescription{
			ReadCapacityUnits:      aws.Int64(t.rcu),
			WriteCapacityUnits:     aws.Int64(t.wcu),
			NumberOfDecreasesToday: aws.Int64(0),
		},
	}
	for _, ix := range t.indexes {
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, ix.describe(t))
	}
	// A table that never chose a billing mode has no summary; DynamoDB
	// reports one once the mode has been set explicitly.
	if t.billingExplicit {
		d.BillingModeSummary = &types.BillingModeSummary{BillingMode: t.billing}
		if t.billing == types.BillingModePayPerRequest {
			d.BillingModeSummary.LastUpdateToPayPerRequestDateTime = &created
		}
	}
	return d
}

func copyAttrDefs(defs []types.AttributeDefinition) []types.AttributeDefinition {
	out := make([]types.AttributeDefinition, len(defs))
	for i, d := range defs {
		out[i] = types.AttributeDefinition{AttributeName: aws.String(aws.ToString(d.AttributeName)), AttributeType: d.AttributeType}
	}
	return out
}

func copyKeySchema(ks []types.KeySchemaElement) []types.KeySchemaElement {
	out := make([]types.KeySchemaElement, len(ks))
	for i, k := range ks {
		out[i] = types.KeySchemaElement{AttributeName: aws.String(aws.ToString(k.AttributeName)), KeyType: k.KeyType}
	}
	return out
}

var tableNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

// checkTableName validates a table or index name; member is how
// DynamoDB's message names the parameter.
func checkTableName(name, member string) error {
	switch {
	case len(name) < 3:
		return validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to 3", name, member)
	case len(name) > 255:
		return validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to 255", name, member)
	case !tableNamePattern.MatchString(name):
		return validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", name, member)
	}
	return nil
}

// lookup returns the named table, or the error item operations get.
func (db *DB) lookup(name string) (*table, error) {
	t, ok := db.tables[name]
	if !ok {
		return nil, tableNotFound()
	}
	return t, nil
}

// CreateTable creates a table with a partition key and an optional sort key
// of type S, N or B, and any global secondary indexes (KEYS_ONLY, INCLUDE
// or ALL). The table and its indexes are ACTIVE at once. Local secondary
// indexes, streams, encryption settings, tags and the other options the
// fake does not implement are refused with an error wrapping
// [ErrNotImplemented], never silently ignored.
func (db *DB) CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	return call(db, ctx, "CreateTable", in, db.createTable, optFns)
}

func (db *DB) createTable(in *dynamodb.CreateTableInput) (*dynamodb.CreateTableOutput, error) {
	if in == nil || in.TableName == nil {
		return nil, missingParams("CreateTableInput", "TableName")
	}
	name := *in.TableName
	if err := checkTableName(name, "tableName"); err != nil {
		return nil, err
	}
	if err := unsupportedTableOptions(in); err != nil {
		return nil, err
	}
	t := &table{name: name, records: map[string]*record{}, order: ordered[*record]{cmp: compareRecords}}
	if err := t.setSchema(in); err != nil {
		return nil, err
	}
	if err := t.setBilling(in.BillingMode, in.ProvisionedThroughput, in.GlobalSecondaryIndexes); err != nil {
		return nil, err
	}
	t.deletionProtection = aws.ToBool(in.DeletionProtectionEnabled)

	db.mu.Lock()
	defer db.mu.Unlock()
	if _, ok := db.tables[name]; ok {
		return nil, &types.ResourceInUseException{Message: aws.String("Table already exists: " + name)}
	}
	t.created = db.clock.now()
	t.id = tableID(name, t.created)
	db.tables[name] = t
	return &dynamodb.CreateTableOutput{TableDescription: t.describe()}, nil
}

// unsupportedTableOptions names the first CreateTable parameter the fake
// would otherwise silently ignore.
func unsupportedTableOptions(in *dynamodb.CreateTableInput) error {
	for _, o := range []struct {
		name string
		set  bool
	}{
		{"LocalSecondaryIndexes", len(in.LocalSecondaryIndexes) > 0},
		{"VectorIndexes", len(in.VectorIndexes) > 0},
		{"StreamSpecification", in.StreamSpecification != nil},
		{"SSESpecification", in.SSESpecification != nil},
		{"Tags", len(in.Tags) > 0},
		{"TableClass", in.TableClass != ""},
		{"OnDemandThroughput", in.OnDemandThroughput != nil},
		{"WarmThroughput", in.WarmThroughput != nil},
		{"ResourcePolicy", in.ResourcePolicy != nil},
		{"GlobalTableSourceArn", in.GlobalTableSourceArn != nil},
		{"GlobalTableSettingsReplicationMode", in.GlobalTableSettingsReplicationMode != ""},
	} {
		if o.set {
			return notImplemented("the CreateTable parameter %s", o.name)
		}
	}
	return nil
}

// tableID makes a stable UUID-shaped identifier; tests only need it to be
// present and to differ between tables.
func tableID(name string, created time.Time) string {
	h := fnv.New128a()
	h.Write([]byte(name))
	h.Write([]byte(created.String()))
	b := h.Sum(nil)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// keyElems names the key attributes one key schema declares.
type keyElems struct{ hash, rng string }

// checkKeySchema validates a table's or an index's key schema: a HASH key,
// then an optional RANGE key of another attribute.
func checkKeySchema(ks []types.KeySchemaElement, member string) (keyElems, error) {
	switch {
	case len(ks) == 0:
		return keyElems{}, validationError("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
	case len(ks) > 2:
		return keyElems{}, validationError("1 validation error detected: Value '%d elements' at '%s' failed to satisfy constraint: Member must have length less than or equal to 2", len(ks), member)
	}
	for i, k := range ks {
		if aws.ToString(k.AttributeName) == "" {
			return keyElems{}, missingParams("CreateTableInput", fmt.Sprintf("%s[%d].AttributeName", member, i))
		}
	}
	if ks[0].KeyType != types.KeyTypeHash {
		return keyElems{}, validationError("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	k := keyElems{hash: aws.ToString(ks[0].AttributeName)}
	if len(ks) == 2 {
		if ks[1].KeyType != types.KeyTypeRange {
			return keyElems{}, validationError("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
		}
		k.rng = aws.ToString(ks[1].AttributeName)
		if k.hash == k.rng {
			return keyElems{}, validationError("Both the Hash Key and the Range Key element in the KeySchema have the same name")
		}
	}
	return k, nil
}

// setSchema sets the table's key schema and global secondary indexes from
// a CreateTable request. Every key attribute of the table and its indexes
// must be in AttributeDefinitions, and nothing else may be.
func (t *table) setSchema(in *dynamodb.CreateTableInput) error {
	tk, err := checkKeySchema(in.KeySchema, "keySchema")
	if err != nil {
		return err
	}
	used := []string{tk.hash, tk.rng}
	var iks []keyElems
	names := map[string]bool{}
	for i, g := range in.GlobalSecondaryIndexes {
		var missing []string
		if g.IndexName == nil {
			missing = append(missing, fmt.Sprintf("GlobalSecondaryIndexes[%d].IndexName", i))
		}
		if g.KeySchema == nil {
			missing = append(missing, fmt.Sprintf("GlobalSecondaryIndexes[%d].KeySchema", i))
		}
		if g.Projection == nil {
			missing = append(missing, fmt.Sprintf("GlobalSecondaryIndexes[%d].Projection", i))
		}
		if len(missing) > 0 {
			return missingParams("CreateTableInput", missing...)
		}
		if err := checkTableName(*g.IndexName, "indexName"); err != nil {
			return err
		}
		if names[*g.IndexName] {
			return validationError("One or more parameter values were invalid: Duplicate index name: %s", *g.IndexName)
		}
		names[*g.IndexName] = true
		k, err := checkKeySchema(g.KeySchema, fmt.Sprintf("globalSecondaryIndexes.%d.member.keySchema", i+1))
		if err != nil {
			return err
		}
		iks = append(iks, k)
		used = append(used, k.hash, k.rng)
	}
	defTypes := map[string]types.ScalarAttributeType{}
	var defined []string
	for i, d := range in.AttributeDefinitions {
		switch d.AttributeType {
		case "S", "N", "B":
		default:
			return enumError(string(d.AttributeType), fmt.Sprintf("attributeDefinitions.%d.member.attributeType", i+1), "B, N, S")
		}
		defTypes[aws.ToString(d.AttributeName)] = d.AttributeType
		defined = append(defined, aws.ToString(d.AttributeName))
	}
	var missing []string
	usedSet := map[string]bool{}
	for _, name := range used {
		if name == "" || usedSet[name] {
			continue
		}
		usedSet[name] = true
		if _, ok := defTypes[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return validationError("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]", strings.Join(missing, ", "), strings.Join(defined, ", "))
	}
	if len(defTypes) != len(usedSet) {
		return validationError("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	t.hashKey, t.hashType = tk.hash, defTypes[tk.hash]
	t.rangeKey, t.rangeType = tk.rng, defTypes[tk.rng]
	t.keySchema = copyKeySchema(in.KeySchema)
	t.attrDefs = copyAttrDefs(in.AttributeDefinitions)
	for i, g := range in.GlobalSecondaryIndexes {
		ix := &index{
			name: *g.IndexName, pos: i,
			hashKey: iks[i].hash, hashType: defTypes[iks[i].hash],
			rangeKey: iks[i].rng, rangeType: defTypes[iks[i].rng],
			keySchema: copyKeySchema(g.KeySchema),
			entries:   ordered[*indexEntry]{cmp: compareEntries},
		}
		if err := ix.setProjection(g.Projection); err != nil {
			return err
		}
		t.indexes = append(t.indexes, ix)
	}
	return nil
}

// setProjection validates an index's projection: KEYS_ONLY and ALL take no
// NonKeyAttributes, INCLUDE takes at least one.
func (ix *index) setProjection(p *types.Projection) error {
	switch p.ProjectionType {
	case types.ProjectionTypeKeysOnly, types.ProjectionTypeAll:
		if len(p.NonKeyAttributes) > 0 {
			return validationError("One or more parameter values were invalid: ProjectionType is %s, but NonKeyAttributes is specified", p.ProjectionType)
		}
	case types.ProjectionTypeInclude:
		if len(p.NonKeyAttributes) == 0 {
			return validationError("One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
		}
	case "":
		return validationError("One or more parameter values were invalid: Unknown ProjectionType: null")
	default:
		return enumError(string(p.ProjectionType), "projection.projectionType", "ALL, INCLUDE, KEYS_ONLY")
	}
	ix.projection = p.ProjectionType
	ix.include = slices.Clone(p.NonKeyAttributes)
	return nil
}

// setBilling sets the billing mode and the provisioned throughput of the
// table and of each index: required for all of them when PROVISIONED,
// refused for all of them when PAY_PER_REQUEST.
func (t *table) setBilling(mode types.BillingMode, pt *types.ProvisionedThroughput, gsis []types.GlobalSecondaryIndex) error {
	t.billingExplicit = mode != ""
	switch mode {
	case "", types.BillingModeProvisioned:
		rcu, wcu, err := checkThroughput(pt, "")
		if err != nil {
			return err
		}
		t.billing, t.rcu, t.wcu = types.BillingModeProvisioned, rcu, wcu
		for i, g := range gsis {
			if g.ProvisionedThroughput == nil {
				return validationError("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: %s", t.indexes[i].name)
			}
			if t.indexes[i].rcu, t.indexes[i].wcu, err = checkThroughput(g.ProvisionedThroughput, fmt.Sprintf("globalSecondaryIndexes.%d.member.", i+1)); err != nil {
				return err
			}
		}
	case types.BillingModePayPerRequest:
		if pt != nil {
			return validationError("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		for i, g := range gsis {
			if g.ProvisionedThroughput != nil {
				return validationError("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", t.indexes[i].name)
			}
		}
		t.billing = types.BillingModePayPerRequest
	default:
		return enumError(string(mode), "billingMode", "PROVISIONED, PAY_PER_REQUEST")
	}
	return nil
}

func checkThroughput(pt *types.ProvisionedThroughput, member string) (int64, int64, error) {
	if pt == nil || pt.ReadCapacityUnits == nil || pt.WriteCapacityUnits == nil {
		return 0, 0, validationError("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
	}
	for _, v := range []struct {
		name string
		v    int64
	}{{"readCapacityUnits", *pt.ReadCapacityUnits}, {"writeCapacityUnits", *pt.WriteCapacityUnits}} {
		if v.v < 1 {
			return 0, 0, validationError("1 validation error detected: Value '%d' at '%sprovisionedThroughput.%s' failed to satisfy constraint: Member must have value greater than or equal to 1", v.v, member, v.name)
		}
	}
	return *pt.ReadCapacityUnits, *pt.WriteCapacityUnits, nil
}

// DeleteTable deletes a table and its items at once. The returned
// description says DELETING, as DynamoDB's does.
func (db *DB) DeleteTable(ctx context.Context, in *dynamodb.DeleteTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error) {
	return call(db, ctx, "DeleteTable", in, db.deleteTable, optFns)
}

func (db *DB) deleteTable(in *dynamodb.DeleteTableInput) (*dynamodb.DeleteTableOutput, error) {
	if in == nil || in.TableName == nil {
		return nil, missingParams("DeleteTableInput", "TableName")
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	t, ok := db.tables[*in.TableName]
	if !ok {
		return nil, tableNotFoundNamed(*in.TableName)
	}
	if t.deletionProtection {
		return nil, validationError("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
	}
	d := t.describe()
	d.TableStatus = types.TableStatusDeleting
	delete(db.tables, t.name)
	return &dynamodb.DeleteTableOutput{TableDescription: d}, nil
}

// DescribeTable describes a table. Unlike DynamoDB, which refreshes
// ItemCount and TableSizeBytes about every six hours, the fake reports
// them live.
func (db *DB) DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	return call(db, ctx, "DescribeTable", in, db.describeTable, optFns)
}

func (db *DB) describeTable(in *dynamodb.DescribeTableInput) (*dynamodb.DescribeTableOutput, error) {
	if in == nil || in.TableName == nil {
		return nil, missingParams("DescribeTableInput", "TableName")
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	t, ok := db.tables[*in.TableName]
	if !ok {
		return nil, tableNotFoundNamed(*in.TableName)
	}
	return &dynamodb.DescribeTableOutput{Table: t.describe()}, nil
}

// UpdateTimeToLive enables or disables TTL on an attribute. The change is
// immediate; DynamoDB's one-hour wait between changes is not enforced.
// Like DynamoDB's sweeper within a test's span, the fake deletes no
// expired item (see the package documentation).
func (db *DB) UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error) {
	return call(db, ctx, "UpdateTimeToLive", in, db.updateTimeToLive, optFns)
}

func (db *DB) updateTimeToLive(in *dynamodb.UpdateTimeToLiveInput) (*dynamodb.UpdateTimeToLiveOutput, error) {
	if in == nil {
		in = &dynamodb.UpdateTimeToLiveInput{}
	}
	var missing []string
	if in.TableName == nil {
		missing = append(missing, "TableName")
	}
	if spec := in.TimeToLiveSpecification; spec == nil {
		missing = append(missing, "TimeToLiveSpecification")
	} else {
		if spec.Enabled == nil {
			missing = append(missing, "TimeToLiveSpecification.Enabled")
		}
		if spec.AttributeName == nil {
			missing = append(missing, "TimeToLiveSpecification.AttributeName")
		}
	}
	if len(missing) > 0 {
		return nil, missingParams("UpdateTimeToLiveInput", missing...)
	}
	spec := in.TimeToLiveSpecification
	attr := *spec.AttributeName
	if attr == "" {
		return nil, validationError("1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	t, ok := db.tables[*in.TableName]
	if !ok {
		return nil, tableNotFoundNamed(*in.TableName)
	}
	switch enable := *spec.Enabled; {
	case enable && t.ttlEnabled:
		return nil, validationError("TimeToLive is already enabled")
	case !enable && !t.ttlEnabled:
		return nil, validationError("TimeToLive is already disabled")
	case !enable && t.ttlAttr != attr:
		return nil, validationError("TimeToLive is active on a different AttributeName: current AttributeName is %s", t.ttlAttr)
	default:
		t.ttlEnabled, t.ttlAttr = enable, attr
	}
	return &dynamodb.UpdateTimeToLiveOutput{TimeToLiveSpecification: &types.TimeToLiveSpecification{
		AttributeName: aws.String(attr),
		Enabled:       aws.Bool(*spec.Enabled),
	}}, nil
}

// DescribeTimeToLive reports whether TTL is ENABLED (and on which
// attribute) or DISABLED.
func (db *DB) DescribeTimeToLive(ctx context.Context, in *dynamodb.DescribeTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error) {
	return call(db, ctx, "DescribeTimeToLive", in, db.describeTimeToLive, optFns)
}

func (db *DB) describeTimeToLive(in *dynamodb.DescribeTimeToLiveInput) (*dynamodb.DescribeTimeToLiveOutput, error) {
	if in == nil || in.TableName == nil {
		return nil, missingParams("DescribeTimeToLiveInput", "TableName")
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	t, ok := db.tables[*in.TableName]
	if !ok {
		return nil, tableNotFoundNamed(*in.TableName)
	}
	d := &types.TimeToLiveDescription{TimeToLiveStatus: types.TimeToLiveStatusDisabled}
	if t.ttlEnabled {
		d.TimeToLiveStatus = types.TimeToLiveStatusEnabled
		d.AttributeName = aws.String(t.ttlAttr)
	}
	return &dynamodb.DescribeTimeToLiveOutput{TimeToLiveDescription: d}, nil
}

// Item returns a copy of the latest version of the item with the given key,
// as a strongly consistent read would, without consuming capacity,
// counting or recording a call, or meeting an injected fault or latency.
// It reports false when the table or the item does not exist.
func (db *DB) Item(tableName string, key map[string]types.AttributeValue) (map[string]types.AttributeValue, bool) {
	db.mu.Lock()
	defer db.mu.Unlock()
	t, ok := db.tables[tableName]
	if !ok {
		return nil, false
	}
	k, err := t.checkKey(key, "")
	if err != nil {
		return nil, false
	}
	r := t.records[t.encodeKey(k)]
	if r == nil || r.item == nil {
		return nil, false
	}
	return copyItem(r.item), true
}

// PutRaw stores a copy of item as is, to seed a test with data that the
// API would refuse or that an older writer left behind: no expression,
// size or value validation, no capacity, no call counted or recorded, no
// injected fault or latency, and no lagging version (eventually
// consistent reads see it at once). The table must exist and the item
// must carry its key attributes with the right types.
func (db *DB) PutRaw(tableName string, item map[string]types.AttributeValue) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	t, ok := db.tables[tableName]
	if !ok {
		return tableNotFound()
	}
	key := make(map[string]types.AttributeValue, 2)
	for _, name := range t.keyNames() {
		v, ok := item[name]
		if !ok || typeName(v) != string(t.keyType(name)) {
			return validationError("fake: PutRaw: item lacks key attribute %s of type %s", name, t.keyType(name))
		}
		c, msg := cleanValue(v)
		if msg != "" {
			return validationError("fake: PutRaw: key attribute %s: %s", name, msg)
		}
		key[name] = c
	}
	enc := t.encodeKey(key)
	stored := copyItem(item)
	for name, v := range key {
		stored[name] = v
	}
	if r := t.records[enc]; r != nil {
		r.prev, r.stale = nil, false
		t.settleIndexes(r)
	}
	t.write(key, enc, stored, lag{})
	return nil
}
