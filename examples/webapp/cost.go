package main

// What each HTTP request cost in DynamoDB, for the cost panel.
//
// The site wraps the DynamoDB client the repository calls in a meter (see
// dynamosession.API): it asks DynamoDB for each request's
// ConsumedCapacity, per index since owners are on, and adds what the
// response reports to the totals since start (for /debug/requests) and to
// the collector of the HTTP request the DynamoDB request belongs to. The
// context tells which one that is: the session middleware passes the HTTP
// request's context (its values, at least) to every repository call it
// makes, and so do State.Save, OwnerSessions and RevokeOthers, and the
// outermost middleware puts a collector (*cost) into it.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/codecs"
	// This repository's implementation of DynamoDB's item-size rule
	// ("Item sizes and formats" in the Developer Guide), the one the
	// library checks the 400 KB limit with. An application outside this
	// repository cannot import it: it would copy it, or show the consumed
	// capacity alone.
	"github.com/dynamosession/dynamosession/internal/capacity"
)

// units is what DynamoDB requests consumed.
type units struct {
	Ops   map[string]int `json:"ops"`   // requests by operation
	Read  float64        `json:"read"`  // read units
	Write float64        `json:"write"` // write units, the indexes' included
	Index float64        `json:"index"` // of Write, the owner index's
}

// add adds one request's consumed capacity. DynamoDB reports a Query of
// an index as that index's read units, a write as the table's units plus,
// per index it changed, the index's.
func (u *units) add(op string, cc *types.ConsumedCapacity) {
	if u.Ops == nil {
		u.Ops = map[string]int{}
	}
	u.Ops[op]++
	if cc == nil {
		return // a failed request; DynamoDB does not charge most of them
	}
	total := aws.ToFloat64(cc.CapacityUnits)
	switch op {
	case "GetItem", "BatchGetItem", "Query":
		u.Read += total
	default:
		u.Write += total
		for _, ix := range cc.GlobalSecondaryIndexes {
			u.Index += aws.ToFloat64(ix.CapacityUnits)
		}
	}
}

// Requests returns how many DynamoDB requests were made.
func (u units) Requests() int {
	n := 0
	for _, c := range u.Ops {
		n += c
	}
	return n
}

// OpList returns the requests by operation, "GetItem ×1, UpdateItem ×1",
// or "none".
func (u units) OpList() string {
	if len(u.Ops) == 0 {
		return "none"
	}
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(u.Ops)) {
		parts = append(parts, op+" ×"+strconv.Itoa(u.Ops[op]))
	}
	return strings.Join(parts, ", ")
}

// record describes a session item as stored.
type record struct {
	Format codec.Format // how the data attribute is encoded
	Bytes  int          // the item's size, as DynamoDB charges it
}

// cost collects what one HTTP request cost. It is safe for concurrent
// use: a revocation deletes 8 sessions at a time.
type cost struct {
	Method, Path string
	prev         *summary // the request that redirected to this one, if any

	mu     sync.Mutex
	units  units
	record *record // the session as this request last read or wrote it whole
}

type costKey struct{}

// costOf returns the collector of the HTTP request ctx belongs to, or nil.
func costOf(ctx context.Context) *cost {
	c, _ := ctx.Value(costKey{}).(*cost)
	return c
}

func (c *cost) add(op string, cc *types.ConsumedCapacity) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.units.add(op, cc)
}

// sawItem notes a whole session item this request read or wrote; items
// without session data (a tombstone, a miss) are not sessions.
func (c *cost) sawItem(item map[string]types.AttributeValue) {
	av, ok := item[dataAttr]
	if c == nil || !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.record = &record{Format: codecs.Detect(av), Bytes: capacity.ItemSize(item)}
}

// snapshot returns what the request has cost so far.
func (c *cost) snapshot() (units, *record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.units
	u.Ops = maps.Clone(u.Ops)
	return u, c.record
}

// dataAttr is the attribute the repository stores session data in (its
// default, dynamosession.Options.DataAttr).
const dataAttr = "sess"

// meter is the DynamoDB client the repository calls: it asks for each
// request's ConsumedCapacity (INDEXES: the total, with the owner index's
// share), passes the call on, and adds what the response reports to the
// totals and to the collector of the HTTP request whose context the call
// carries. The repository never sets ReturnConsumedCapacity itself, so
// setting it on the input is all it takes.
type meter struct {
	client
	totals *totals
}

const consumedMode = types.ReturnConsumedCapacityIndexes

func (m meter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	in.ReturnConsumedCapacity = consumedMode
	out, err := m.client.GetItem(ctx, in, optFns...)
	if out != nil {
		costOf(ctx).sawItem(out.Item)
	}
	return tally(ctx, m.totals, "GetItem", out, err, func(o *dynamodb.GetItemOutput) *types.ConsumedCapacity { return o.ConsumedCapacity })
}

func (m meter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	in.ReturnConsumedCapacity = consumedMode
	out, err := m.client.PutItem(ctx, in, optFns...)
	if err == nil {
		costOf(ctx).sawItem(in.Item)
	}
	return tally(ctx, m.totals, "PutItem", out, err, func(o *dynamodb.PutItemOutput) *types.ConsumedCapacity { return o.ConsumedCapacity })
}

func (m meter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	in.ReturnConsumedCapacity = consumedMode
	out, err := m.client.UpdateItem(ctx, in, optFns...)
	return tally(ctx, m.totals, "UpdateItem", out, err, func(o *dynamodb.UpdateItemOutput) *types.ConsumedCapacity { return o.ConsumedCapacity })
}

func (m meter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	in.ReturnConsumedCapacity = consumedMode
	out, err := m.client.DeleteItem(ctx, in, optFns...)
	return tally(ctx, m.totals, "DeleteItem", out, err, func(o *dynamodb.DeleteItemOutput) *types.ConsumedCapacity { return o.ConsumedCapacity })
}

func (m meter) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	in.ReturnConsumedCapacity = consumedMode
	out, err := m.client.Query(ctx, in, optFns...)
	return tally(ctx, m.totals, "Query", out, err, func(o *dynamodb.QueryOutput) *types.ConsumedCapacity { return o.ConsumedCapacity })
}

func (m meter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	in.ReturnConsumedCapacity = consumedMode
	out, err := m.client.BatchGetItem(ctx, in, optFns...)
	return tally(ctx, m.totals, "BatchGetItem", out, err, func(o *dynamodb.BatchGetItemOutput) *types.ConsumedCapacity {
		if len(o.ConsumedCapacity) == 0 {
			return nil
		}
		return &o.ConsumedCapacity[0] // one per table; the site reads one table
	})
}

// tally adds one call to the totals and to the collector of ctx's HTTP
// request, with the capacity consumed reports from out (nil after most
// errors), and returns out and err.
func tally[O any](ctx context.Context, t *totals, op string, out *O, err error, consumed func(*O) *types.ConsumedCapacity) (*O, error) {
	var cc *types.ConsumedCapacity
	if out != nil {
		cc = consumed(out)
	}
	t.add(op, cc)
	costOf(ctx).add(op, cc)
	return out, err
}

// totals is what every DynamoDB request since start cost, kept by the
// meter. It is safe for concurrent use.
type totals struct {
	mu    sync.Mutex
	units units
}

func (t *totals) add(op string, cc *types.ConsumedCapacity) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.units.add(op, cc)
}

func (t *totals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t.mu.Lock()
	u := t.units
	u.Ops = maps.Clone(u.Ops)
	t.mu.Unlock()
	if u.Ops == nil {
		u.Ops = map[string]int{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(u)
}

// summary is a finished request's cost, as the next page shows it.
type summary struct {
	Method string `json:"m"`
	Path   string `json:"p"`
	Status int    `json:"s"`
	units
}

// StatusText returns "303 See Other".
func (s summary) StatusText() string { return strconv.Itoa(s.Status) + " " + http.StatusText(s.Status) }

// lastRequestCookie carries a redirect's cost to the page it redirects
// to, so that a form's POST (a login) is not invisible. It holds numbers
// for display only: a visitor who edits it changes what their own page
// shows, nothing else.
const lastRequestCookie = "last-request"

// metered is the outermost middleware: it puts a collector into each
// request's context and, on a redirect, hands the request's cost to the
// next page in a short-lived cookie.
func metered(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &cost{Method: r.Method, Path: r.URL.Path}
		_, err := r.Cookie(lastRequestCookie)
		c.prev = readSummary(r)
		r = r.WithContext(context.WithValue(r.Context(), costKey{}, c))
		next.ServeHTTP(&costWriter{ResponseWriter: w, c: c, hadPrev: err == nil}, r)
	})
}

func readSummary(r *http.Request) *summary {
	ck, err := r.Cookie(lastRequestCookie)
	if err != nil {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	var s summary
	if err != nil || json.Unmarshal(b, &s) != nil || s.Status < 300 || s.Status > 399 {
		return nil // not ours, or edited: show nothing rather than nonsense
	}
	return &s
}

// costWriter sets or clears the last-request cookie as the response
// starts. It sits below the session middleware, whose writer saves the
// session as the response starts and only then passes WriteHeader on:
// so when WriteHeader arrives here, the request's DynamoDB work is done.
type costWriter struct {
	http.ResponseWriter
	c       *cost
	hadPrev bool
	started bool
}

func (w *costWriter) WriteHeader(code int) {
	if !w.started {
		w.started = true
		w.setCookie(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *costWriter) Write(b []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController, and the session middleware, reach
// the server's writer (to flush, or to hijack).
func (w *costWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *costWriter) setCookie(code int) {
	ck := &http.Cookie{Name: lastRequestCookie, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}
	switch {
	case code >= 300 && code <= 399:
		u, _ := w.c.snapshot()
		b, _ := json.Marshal(summary{Method: w.c.Method, Path: w.c.Path, Status: code, units: u})
		ck.Value, ck.MaxAge = base64.RawURLEncoding.EncodeToString(b), 60
	case w.hadPrev:
		ck.MaxAge = -1 // shown on this page; not again
	default:
		return
	}
	w.Header().Add("Set-Cookie", ck.String())
}
