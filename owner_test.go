// This file tests the owner index: options, backfill, RevokeOwner and
// the revocation check.

package dynamosession_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/dynamosession/dynamosession/internal/metered"
	"github.com/dynamosession/dynamosession/ttl"
	"github.com/google/go-cmp/cmp"
)

// Contract cases for owners (issue 16): listing and revoking a user's
// sessions through the sparse owner index, the revocation marker that
// closes the index's eventual-consistency window, and the capacity each
// step costs the table and the index, as each backend reports it
// (ReturnConsumedCapacity INDEXES).

func ownerContractCases() []contractCase {
	return []contractCase{
		{"OwnerRevokesOtherDevices", testOwnerRevokesOtherDevices},
		{"OwnerRevokes2500Sessions", testOwnerRevokes2500},
		{"OwnerAnonymousNeverIndexed", testOwnerAnonymousNeverIndexed},
		{"OwnerCapacityByProjection", testOwnerCapacityByProjection},
		{"OwnerRevokeSparesChangedSessions", testOwnerRevokeSparesChanged},
		{"OwnerRevocationCheckClosesIndexWindow", testOwnerRevocationCheck},
		{"OwnerRevocationReachesTheReadCache", testOwnerRevocationAndCache},
	}
}

var (
	keysOnly       = types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}
	includeExpires = types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"expires"}}
)

// ownerTable gives the case a table of its own with the owner index of
// the given projection, and points e at it.
func ownerTable(t *testing.T, e *env, proj types.Projection) {
	t.Helper()
	if _, local := e.client.(*dynamodb.Client); local && dynamotest.Endpoint() == "" {
		t.Skip("owner cases create a table with an index and read the index right after writing, " +
			"which holds on DynamoDB Local and the fake but not on AWS, whose indexes lag")
	}
	if _, ok := e.client.(dynamosession.OwnerAPI); !ok {
		t.Skipf("%T implements no Query (dynamosession.OwnerAPI)", e.client)
	}
	e.table = dynamotest.CreateTableFrom(t, e.client, &dynamodb.CreateTableInput{
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("owner"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  aws.String("owner-index"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("owner"), KeyType: types.KeyTypeHash}},
			Projection: &proj,
		}},
	})
}

// ownerRepo is newRepo with owners on, over client (e.client when nil).
func ownerRepo(t *testing.T, e *env, client dynamosession.API, optFns ...func(*dynamosession.Options[cart])) *dynamosession.Repo[cart] {
	t.Helper()
	if client == nil {
		client = e.client
	}
	base := func(o *dynamosession.Options[cart]) {
		o.Clock, o.Owner = e.clock.Now, cartOwner
	}
	r, err := dynamosession.New[cart](metered.New(client, e.observe), e.table, append([]func(*dynamosession.Options[cart]){base}, optFns...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

// createOwned creates n sessions of owner, 8 at a time, and returns their IDs.
func createOwned(t *testing.T, repo *dynamosession.Repo[cart], owner string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = newID(t)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := repo.Put(context.Background(), id, cart{User: owner}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Put: %v", err)
	}
	return ids
}

func redacted(id string) string { return id[:6] + "…" }

// testOwnerRevokesOtherDevices: a user signed in on three devices lists
// them and signs out the two others; the current one keeps working, and
// other users, anonymous sessions, the user's expired record and husk are
// listed as they should be (not at all for the last two).
func testOwnerRevokesOtherDevices(t *testing.T, e *env) {
	ownerTable(t, e, keysOnly)
	repo := ownerRepo(t, e, nil)
	ctx := context.Background()
	now := e.clock.Now()
	dev := createOwned(t, repo, "ada", 3)
	bob := createOwned(t, repo, "bob", 1)[0]
	anon := newID(t)
	if _, err := repo.Put(ctx, anon, cart{Items: []string{"anonymous"}}); err != nil {
		t.Fatal(err)
	}
	expired, husk := newID(t), newID(t)
	e.putRaw(t, map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: "session#" + expired}, "sess": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(now.Unix() - 1)}, "owner": &types.AttributeValueMemberS{Value: "ada"},
	})
	e.putRaw(t, map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: "session#" + husk}, "owner": &types.AttributeValueMemberS{Value: "ada"},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(now.Add(time.Hour).Unix())},
	})

	list, err := repo.ListOwner(ctx, "ada", dev[0])
	if err != nil {
		t.Fatalf("ListOwner: %v", err)
	}
	var want []dynamosession.OwnedSession
	for i, id := range dev {
		want = append(want, dynamosession.OwnedSession{RedactedID: redacted(id), Current: i == 0, OwnedAt: now, LastWritten: now, ExpiresAt: now.Add(24 * time.Hour)})
	}
	sortOwned := cmp.Transformer("sort", func(l []dynamosession.OwnedSession) map[string]dynamosession.OwnedSession {
		m := map[string]dynamosession.OwnedSession{}
		for _, s := range l {
			m[s.RedactedID] = s
		}
		return m
	})
	if diff := cmp.Diff(want, list, sortOwned); diff != "" {
		t.Errorf("ListOwner mismatch (-want +got):\n%s", diff)
	}
	oneByOne, err := ownerRepo(t, e, queryOnly{e.client}).ListOwner(ctx, "ada", dev[0])
	if err != nil {
		t.Fatalf("ListOwner without BatchGetItem: %v", err)
	}
	if diff := cmp.Diff(list, oneByOne); diff != "" {
		t.Errorf("ListOwner without BatchGetItem mismatch (-batched +one by one):\n%s", diff)
	}
	for _, s := range list {
		for _, id := range dev {
			if strings.Contains(s.RedactedID, id) {
				t.Errorf("ListOwner shows a full session ID: %q", s.RedactedID)
			}
		}
	}

	e.clock.Advance(time.Minute)
	rev, err := repo.RevokeOwner(ctx, "ada", dev[0])
	if err != nil {
		t.Fatalf("RevokeOwner: %v", err)
	}
	if diff := cmp.Diff(dynamosession.Revocation{Ended: 2, Dead: 2}, rev); diff != "" {
		t.Errorf("RevokeOwner mismatch (-want +got):\n%s", diff)
	}
	for _, id := range dev[1:] {
		if _, err := repo.Get(ctx, id); !errors.Is(err, dynamosession.ErrNotFound) {
			t.Errorf("Get of a revoked device = %v, want ErrNotFound", err)
		}
	}
	s, err := repo.Get(ctx, dev[0])
	if err != nil {
		t.Fatalf("Get of the current device: %v", err)
	}
	s.Data.Items = append(s.Data.Items, "still here")
	if err := repo.Save(ctx, s); err != nil {
		t.Fatalf("Save of the current device: %v", err)
	}
	for _, id := range []string{bob, anon} {
		if _, err := repo.Get(ctx, id); err != nil {
			t.Errorf("Get of another user's or an anonymous session: %v", err)
		}
	}
	list, err = repo.ListOwner(ctx, "ada", dev[0])
	if err != nil {
		t.Fatal(err)
	}
	want = []dynamosession.OwnedSession{{RedactedID: redacted(dev[0]), Current: true, OwnedAt: now,
		LastWritten: now.Add(time.Minute), ExpiresAt: now.Add(time.Minute + 24*time.Hour)}}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("ListOwner after revoking mismatch (-want +got):\n%s", diff)
	}
	again, err := repo.RevokeOwner(ctx, "ada", dev[0])
	if err != nil || again != (dynamosession.Revocation{}) {
		t.Errorf("RevokeOwner again = %+v, %v; want nothing ended", again, err)
	}
}

// testOwnerRevokes2500: a user with 2,500 sessions is listed and revoked
// completely, paging through the index; the requests and units both
// backends report are the ones the docs promise.
func testOwnerRevokes2500(t *testing.T, e *env) {
	const n = 2500
	ownerTable(t, e, keysOnly)
	repo := ownerRepo(t, e, nil)
	ctx := context.Background()
	ids := createOwned(t, repo, "many", n)
	other := createOwned(t, repo, "other", 1)[0]

	var list []dynamosession.OwnedSession
	listed := e.measure(t, func() (err error) { list, err = repo.ListOwner(ctx, "many", ""); return err })
	if len(list) != n {
		t.Fatalf("ListOwner listed %d sessions, want %d", len(list), n)
	}
	// 3 pages of at most 1,000 keys; 25 batches of 100 sessions (or
	// 2,500 GetItem), each session under 4 KB: 0.5 read unit apiece.
	reads := map[string]int{"Query": 3, "BatchGetItem": 25}
	if !hasBatchGet(e.client) {
		reads = map[string]int{"Query": 3, "GetItem": n}
	}
	if diff := cmp.Diff(reads, listed.Ops); diff != "" || listed.Index != 0 || listed.TableWrite != 0 {
		t.Errorf("listing %d sessions: %v; want only reads, requests mismatch (-want +got):\n%s", n, listed, diff)
	}
	queryRead := listed.TableRead - n*0.5
	t.Logf("listing %d sessions: %v (index Query %.1f RU, items %.1f RU)", n, listed, queryRead, float64(n)*0.5)

	var rev dynamosession.Revocation
	revoked := e.measure(t, func() (err error) { rev, err = repo.RevokeOwner(ctx, "many", ""); return err })
	if rev != (dynamosession.Revocation{Ended: n}) {
		t.Errorf("RevokeOwner = %+v, want %d ended", rev, n)
	}
	// Each delete: 1 unit for the small item, 1 for its index entry.
	want := cost{TableRead: queryRead, TableWrite: n, Index: n, Ops: map[string]int{"Query": 3, "DeleteItem": n}}
	if diff := cmp.Diff(want, revoked); diff != "" {
		t.Errorf("revoking %d sessions: cost mismatch (-want +got):\n%s", n, diff)
	}
	t.Logf("revoking %d sessions: %v", n, revoked)
	if queryRead <= 0 || queryRead > 0.5*float64(3+n*200/4096) {
		t.Errorf("the index Query read %.1f units for %d keys, want at most 0.5 per 4 KB of 200-byte entries", queryRead, n)
	}

	if list, err := repo.ListOwner(ctx, "many", ""); err != nil || len(list) != 0 {
		t.Errorf("ListOwner after revoking = %d sessions, %v; want none", len(list), err)
	}
	for _, id := range []string{ids[0], ids[n/2], ids[n-1]} {
		if _, err := repo.Get(ctx, id); !errors.Is(err, dynamosession.ErrNotFound) {
			t.Errorf("Get of a revoked session = %v, want ErrNotFound", err)
		}
	}
	if _, err := repo.Get(ctx, other); err != nil {
		t.Errorf("Get of another user's session: %v", err)
	}
}

// testOwnerAnonymousNeverIndexed: anonymous sessions have no owner
// attribute, so no write of theirs costs the index anything; a logout
// that clears the owner takes the session out of the index.
func testOwnerAnonymousNeverIndexed(t *testing.T, e *env) {
	ownerTable(t, e, keysOnly)
	repo := ownerRepo(t, e, nil, func(o *dynamosession.Options[cart]) { o.Touch = ttl.TouchAfter(0) })
	ctx := context.Background()
	id := newID(t)
	var s *dynamosession.Session[cart]
	steps := []struct {
		name string
		do   func() error
	}{
		{"create", func() (err error) { s, err = repo.Put(ctx, id, cart{Items: []string{"a"}}); return err }},
		{"get", func() (err error) { s, err = repo.Get(ctx, id); return err }},
		{"save", func() error { s.Data.Count++; return repo.Save(ctx, s) }},
		{"touch", func() error { e.clock.Advance(time.Minute); _, err := repo.Touch(ctx, s); return err }},
		{"delete", func() error { return repo.Delete(ctx, id) }},
	}
	for _, st := range steps {
		c := e.measure(t, st.do)
		if c.Index != 0 || len(c.Ops) != 1 {
			t.Errorf("anonymous %s: %v; want one request, nothing on the index", st.name, c)
		}
		if item := e.raw(t, "session#"+id); item["owner"] != nil {
			t.Errorf("anonymous %s stored an owner: %v", st.name, avString(item["owner"]))
		}
	}

	// A login in an anonymous session, then a logout that keeps the
	// session but clears the user.
	if s, err := repo.Put(ctx, id, cart{}); err != nil {
		t.Fatal(err)
	} else {
		s.Data.User = "ada"
		if c := e.measure(t, func() error { return repo.Save(ctx, s) }); c.Index != 1 {
			t.Errorf("login by Save: %v; want 1 index write unit", c)
		}
		s.Data.User = ""
		if c := e.measure(t, func() error { return repo.Save(ctx, s) }); c.Index != 1 {
			t.Errorf("logout by Save: %v; want 1 index write unit", c)
		}
	}
	if list, err := repo.ListOwner(ctx, "ada", ""); err != nil || len(list) != 0 {
		t.Errorf("ListOwner after logout = %v, %v; want none", list, err)
	}
	if item := e.raw(t, "session#"+id); item["owner"] != nil || item["owned_at"] != nil || item["sess"] == nil {
		t.Errorf("after logout the stored session is %v; want it without owner attributes", item)
	}
}

// testOwnerCapacityByProjection measures what a session's life costs the
// table and the index with the two projections the design weighed: keys
// only (chosen) and keys plus the expiry. With keys only, a save or touch
// that keeps the owner writes nothing to the index; with the expiry
// projected, every one of them writes the index too.
func testOwnerCapacityByProjection(t *testing.T, e *env) {
	for _, tc := range []struct {
		proj                    types.Projection
		login, save, touch, out float64 // index write units
	}{
		{keysOnly, 1, 0, 0, 1},
		{includeExpires, 1, 1, 1, 1},
	} {
		t.Run(string(tc.proj.ProjectionType), func(t *testing.T) {
			e := &env{client: e.client, clock: e.clock}
			ownerTable(t, e, tc.proj)
			repo := ownerRepo(t, e, nil, func(o *dynamosession.Options[cart]) { o.Touch = ttl.TouchAfter(0) })
			ctx := context.Background()
			id := newID(t)
			var s *dynamosession.Session[cart]
			var rev dynamosession.Revocation
			got := map[string]cost{
				"login":     e.measure(t, func() (err error) { s, err = repo.Put(ctx, id, cart{User: "ada"}); return err }),
				"page view": e.measure(t, func() (err error) { s, err = repo.Get(ctx, id); return err }),
				"save": e.measure(t, func() error {
					e.clock.Advance(time.Minute) // a save writes a fresh expiry too
					s.Data.Count++
					return repo.Save(ctx, s)
				}),
				"touch": e.measure(t, func() error {
					e.clock.Advance(time.Minute)
					_, err := repo.Touch(ctx, s)
					return err
				}),
				"logout": e.measure(t, func() error { return repo.Delete(ctx, id) }),
			}
			if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
				t.Fatal(err)
			}
			got["revoke one"] = e.measure(t, func() (err error) { rev, err = repo.RevokeOwner(ctx, "ada", ""); return err })
			if rev.Ended != 1 {
				t.Errorf("RevokeOwner = %+v, want 1 ended", rev)
			}
			want := map[string]cost{
				"login":      {TableWrite: 1, Index: tc.login, Ops: map[string]int{"PutItem": 1}},
				"page view":  {TableRead: 0.5, Ops: map[string]int{"GetItem": 1}},
				"save":       {TableWrite: 1, Index: tc.save, Ops: map[string]int{"UpdateItem": 1}},
				"touch":      {TableWrite: 1, Index: tc.touch, Ops: map[string]int{"UpdateItem": 1}},
				"logout":     {TableWrite: 1, Index: tc.out, Ops: map[string]int{"DeleteItem": 1}},
				"revoke one": {TableRead: 0.5, TableWrite: 1, Index: 1, Ops: map[string]int{"Query": 1, "DeleteItem": 1}},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("capacity mismatch (-want +got):\n%s", diff)
			}
			for _, step := range []string{"login", "page view", "save", "touch", "logout", "revoke one"} {
				t.Logf("%s %-10s %v", tc.proj.ProjectionType, step, got[step])
			}
		})
	}
}

// laggingIndex is a backend whose owner index answers from a moment ago:
// after each real Query, stale rewrites the answer (adding entries the
// table has since changed, hiding entries it has since gained), as
// DynamoDB's eventually consistent index may.
type laggingIndex struct {
	backendClient
	stale func(out *dynamodb.QueryOutput)
}

func (l *laggingIndex) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := l.backendClient.(dynamosession.OwnerAPI).Query(ctx, in, optFns...)
	if err == nil {
		l.stale(out)
	}
	return out, err
}

// queryOnly is a backend with Query but without BatchGetItem, so that
// ListOwner reads the listed sessions one GetItem each.
type queryOnly struct{ backendClient }

func (q queryOnly) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return q.backendClient.(dynamosession.OwnerAPI).Query(ctx, in, optFns...)
}

// hasBatchGet reports whether ListOwner can batch its reads on client.
func hasBatchGet(client any) bool {
	_, ok := client.(interface {
		BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	})
	return ok
}

func indexEntry(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#" + id}}
}

// testOwnerRevokeSparesChanged: while a revocation runs, one of the
// user's sessions is handed to another user and the user logs in again in
// another; the index still lists both under the user. The conditional
// deletes leave both alone and end the rest.
func testOwnerRevokeSparesChanged(t *testing.T, e *env) {
	ownerTable(t, e, keysOnly)
	ctx := context.Background()
	plain := ownerRepo(t, e, nil)
	dev := createOwned(t, plain, "ada", 3)
	handed, relogged := dev[1], dev[2]
	lag := &laggingIndex{backendClient: e.client}
	var once sync.Once
	lag.stale = func(out *dynamodb.QueryOutput) {
		once.Do(func() {
			// Mid-revocation, after the index answered.
			e.clock.Advance(time.Second)
			for id, user := range map[string]string{handed: "bob", relogged: "ada"} {
				s, err := plain.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if s.Data.User = ""; user == "ada" {
					if err := plain.Save(ctx, s); err != nil { // logout...
						t.Fatal(err)
					}
				}
				s.Data.User = user
				if err := plain.Save(ctx, s); err != nil { // ...and login
					t.Fatal(err)
				}
			}
			out.Items = []map[string]types.AttributeValue{indexEntry(dev[0]), indexEntry(handed), indexEntry(relogged)}
		})
	}
	repo := ownerRepo(t, e, lag)
	rev, err := repo.RevokeOwner(ctx, "ada", "")
	if err != nil || rev != (dynamosession.Revocation{Ended: 1}) {
		t.Fatalf("RevokeOwner = %+v, %v; want 1 ended", rev, err)
	}
	if _, err := plain.Get(ctx, dev[0]); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Errorf("Get of the revoked session = %v, want ErrNotFound", err)
	}
	for id, owner := range map[string]string{handed: "bob", relogged: "ada"} {
		if s, err := plain.Get(ctx, id); err != nil || s.Owner() != owner {
			t.Errorf("Get of a session that changed during the revocation = %v; want it kept, owned by %s", err, owner)
		}
	}
}

// testOwnerRevocationCheck: an attacker logs in a moment before the user
// changes their password, and the index has not seen the new session yet.
// Without Options.RevocationCheck that session survives the revocation
// (the gap the option closes); with it, its next Get finds it revoked,
// while the kept device and a login after the revocation work. It also
// measures what the check costs per Get, and that it stops costing
// anything once a session's window has passed.
func testOwnerRevocationCheck(t *testing.T, e *env) {
	const window = time.Minute
	ownerTable(t, e, keysOnly)
	ctx := context.Background()
	for _, check := range []time.Duration{0, window} {
		t.Run(fmt.Sprint("RevocationCheck=", check), func(t *testing.T) {
			var hidden string
			lag := &laggingIndex{backendClient: e.client, stale: func(out *dynamodb.QueryOutput) {
				out.Items = slices.DeleteFunc(out.Items, func(item map[string]types.AttributeValue) bool {
					return avString(item["id"]) == "S:session#"+hidden
				})
			}}
			repo := ownerRepo(t, e, lag, func(o *dynamosession.Options[cart]) { o.RevocationCheck = check })
			user := "user-" + newID(t)
			dev := createOwned(t, repo, user, 2)
			e.clock.Advance(2 * window)

			// A Get inside the window, at creation, reads the marker; the
			// first one after it also closes the window; later Gets cost
			// what they always do.
			young := createOwned(t, repo, user, 1)[0]
			wantYoung := cost{TableRead: 0.5, Ops: map[string]int{"GetItem": 1}}
			wantFirst, wantAfter := wantYoung, wantYoung
			if check > 0 {
				wantYoung = cost{TableRead: 1.5, Ops: map[string]int{"GetItem": 2}}
				wantFirst = cost{TableRead: 1.5, TableWrite: 1, Ops: map[string]int{"GetItem": 2, "UpdateItem": 1}}
			}
			for _, step := range []struct {
				name string
				id   string
				want cost
			}{
				{"Get of a young session", young, wantYoung},
				{"first Get after the window", dev[0], wantFirst},
				{"page view after the window", dev[0], wantAfter},
				{"second device, first Get after the window", dev[1], wantFirst},
				{"second device, page view after the window", dev[1], wantAfter},
			} {
				got := e.measure(t, func() error { _, err := repo.Get(ctx, step.id); return err })
				if diff := cmp.Diff(step.want, got); diff != "" {
					t.Errorf("%s: cost mismatch (-want +got):\n%s", step.name, diff)
				}
				t.Logf("RevocationCheck=%v, %s: %v", check, step.name, got)
			}

			// The attacker's login; the index has not caught up.
			e.clock.Advance(time.Second)
			attacker := createOwned(t, repo, user, 1)[0]
			hidden = attacker
			e.clock.Advance(time.Second)
			var rev dynamosession.Revocation
			c := e.measure(t, func() (err error) { rev, err = repo.RevokeOwner(ctx, user, dev[0]); return err })
			t.Logf("RevocationCheck=%v, revoke: %v", check, c)
			if diff := cmp.Diff(dynamosession.Revocation{Ended: 2}, rev); diff != "" { // dev[1] and young
				t.Errorf("RevokeOwner mismatch (-want +got):\n%s", diff)
			}
			e.clock.Advance(time.Second)
			fresh := createOwned(t, repo, user, 1)[0] // the user's login after the password change

			_, err := repo.Get(ctx, attacker)
			switch {
			case check == 0 && err != nil:
				t.Errorf("without the check, Get of the session the index missed = %v; the gap this option closes is gone?", err)
			case check > 0 && !errors.Is(err, dynamosession.ErrNotFound):
				t.Errorf("Get of the session the index missed = %v, want ErrNotFound", err)
			case check > 0 && e.raw(t, "session#"+attacker) != nil:
				t.Errorf("the revoked session is still stored after its Get")
			}
			for _, id := range []string{dev[0], fresh} {
				if _, err := repo.Get(ctx, id); err != nil {
					t.Errorf("Get of the kept device or a login after the revocation: %v", err)
				}
			}
			if _, err := repo.Get(ctx, dev[1]); !errors.Is(err, dynamosession.ErrNotFound) {
				t.Errorf("Get of a revoked device = %v, want ErrNotFound", err)
			}
		})
	}
}

// testOwnerRevocationAndCache: with the read cache on, a revocation is
// seen at once by the instance that made it (its cached copies of the
// revoked sessions are marked deleted, not served for MaxStale), and the
// write that closes a session's revocation check window reaches the
// cached copy, so later cached Gets neither check nor write again.
func testOwnerRevocationAndCache(t *testing.T, e *env) {
	const window = time.Minute
	ownerTable(t, e, keysOnly)
	ctx := context.Background()
	repo := ownerRepo(t, e, nil, func(o *dynamosession.Options[cart]) {
		o.Cache.MaxStale = 10 * time.Minute // longer than the case: every Get below may hit
		o.RevocationCheck = window
	})
	dev := createOwned(t, repo, "ada", 2) // Put keeps them in the cache
	e.clock.Advance(2 * window)

	for _, step := range []struct {
		name string
		want map[string]int
	}{
		{"first Get after the window: marker read, check closed", map[string]int{"GetItem": 1, "UpdateItem": 1}},
		{"next Get: from the cache, nothing to check", map[string]int{}},
	} {
		c := e.measure(t, func() error { _, err := repo.Get(ctx, dev[1]); return err })
		if diff := cmp.Diff(step.want, c.Ops); diff != "" {
			t.Errorf("%s: requests mismatch (-want +got):\n%s", step.name, diff)
		}
	}

	if rev, err := repo.RevokeOwner(ctx, "ada", dev[0]); err != nil || rev.Ended != 1 {
		t.Fatalf("RevokeOwner = %+v, %v; want 1 ended", rev, err)
	}
	c := e.measure(t, func() error {
		if _, err := repo.Get(ctx, dev[1]); !errors.Is(err, dynamosession.ErrNotFound) {
			return fmt.Errorf("Get of the revoked session on the revoking instance = %v, want ErrNotFound", err)
		}
		return nil
	})
	if len(c.Ops) != 0 {
		t.Errorf("Get of the revoked session sent %v; want it answered from the cache", c.Ops)
	}
	if _, err := repo.Get(ctx, dev[0]); err != nil {
		t.Errorf("Get of the kept session: %v", err)
	}

	// Without the check, only the cache's own bookkeeping stands between
	// a revoked session and the cached copy this instance holds.
	plain := ownerRepo(t, e, nil, func(o *dynamosession.Options[cart]) { o.Cache.MaxStale = 10 * time.Minute })
	bob := createOwned(t, plain, "bob", 2)
	if rev, err := plain.RevokeOwner(ctx, "bob", bob[0]); err != nil || rev.Ended != 1 {
		t.Fatalf("RevokeOwner = %+v, %v; want 1 ended", rev, err)
	}
	e.reset()
	if _, err := plain.Get(ctx, bob[1]); !errors.Is(err, dynamosession.ErrNotFound) || e.count("") != 0 {
		t.Errorf("Get of a revoked, cached session = %v after %d requests; want ErrNotFound from the cache", err, e.count(""))
	}
}

// Unit tests of owners on the fake: options, what each write stores and
// sends, bad owners, and clients without Query. Listing, revocation and
// the revocation marker run on every backend, as the contract cases above.

// cartOwner is the contract suite's owner rule: the user in the cart.
func cartOwner(c *cart) string { return c.User }

func withCartOwner(o *dynamosession.Options[cart]) { o.Owner = cartOwner }

func TestOwnerOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  func(*dynamosession.Options[cart])
		want string // "" for valid
	}{
		{"defaults", withCartOwner, ""},
		{"owner attribute clash", func(o *dynamosession.Options[cart]) { o.Owner = cartOwner; o.OwnerAttr = "sess" }, "both"},
		{"owned_at is reserved", func(o *dynamosession.Options[cart]) { o.Owner = cartOwner; o.OwnerAttr = "owned_at" }, "reserves"},
		{"no clash check without owners", func(o *dynamosession.Options[cart]) { o.OwnerAttr = "sess" }, ""},
		{"owner_check is reserved", func(o *dynamosession.Options[cart]) {
			o.Owner, o.RevocationCheck, o.OwnerAttr = cartOwner, time.Minute, "owner_check"
		}, "reserves"},
		{"marker attributes are reserved", func(o *dynamosession.Options[cart]) {
			o.Owner, o.RevocationCheck, o.ExpiresAttr = cartOwner, time.Minute, "revoked_before"
		}, "reserves"},
		{"negative revocation check", func(o *dynamosession.Options[cart]) { o.RevocationCheck = -time.Second }, "negative"},
		{"index name too short", func(o *dynamosession.Options[cart]) { o.OwnerIndex = "ix" }, "index name"},
		{"index name with a space", func(o *dynamosession.Options[cart]) { o.OwnerIndex = "owner index" }, "index name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dynamosession.New[cart](fake.New(), "sessions", tt.opt)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && (!errors.Is(err, dynamosession.ErrInvalidOptions) || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New = %v, want ErrInvalidOptions mentioning %q", err, tt.want)
			}
		})
	}
	repo, err := dynamosession.New[cart](fake.New(), "sessions")
	if err != nil {
		t.Fatal(err)
	}
	o := repo.Options()
	got := []string{o.OwnerAttr, o.OwnerIndex, o.RevocationCheck.String()}
	if diff := cmp.Diff([]string{"owner", "owner-index", "0s"}, got); diff != "" {
		t.Errorf("owner defaults mismatch (-want +got):\n%s", diff)
	}
}

// ownerAttrsOf returns the owner attributes of a stored item as text.
func ownerAttrsOf(item map[string]types.AttributeValue) map[string]any {
	got := map[string]any{}
	for _, a := range []string{"owner", "owned_at", "owner_check"} {
		if av, ok := item[a]; ok {
			got[a] = avString(av)
		}
	}
	return got
}

// TestOwnerFollowsTheData walks one session through a login, saves that
// keep the owner, a touch, a change of user and a logout, checking what
// is stored and that a write that keeps the owner never names the owner
// attributes (so a keys-only index is never written for it).
func TestOwnerFollowsTheData(t *testing.T) {
	db := &recordDB{DB: newFake(t)}
	now := faultNow
	var calls callLog
	repo := faultRepo[cart](t, db, &calls, withCartOwner, func(o *dynamosession.Options[cart]) {
		o.Clock = func() time.Time { return now }
		o.Touch = ttl.TouchAfter(0)
	})
	ctx := context.Background()
	ms := func(t time.Time) string { return "N:" + strconv.FormatInt(t.UnixMilli(), 10) }

	anon, err := repo.Put(ctx, "anon", cart{Items: []string{"book"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{}, ownerAttrsOf(faultStored(db.DB, "session#anon"))); diff != "" {
		t.Errorf("anonymous Create stored owner attributes (-want +got):\n%s", diff)
	}
	anon.Data.Count = 1
	if err := repo.Save(ctx, anon); err != nil {
		t.Fatal(err)
	}
	if names, _ := db.lastUpdate(t); containsAny(names, "owner", "owned_at", "owner_check") {
		t.Errorf("anonymous Save names owner attributes: %v", names)
	}

	s, err := repo.Put(ctx, "dev1", cart{User: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	loginAt := now
	if diff := cmp.Diff(map[string]any{"owner": "S:ada", "owned_at": ms(loginAt)}, ownerAttrsOf(faultStored(db.DB, "session#dev1"))); diff != "" {
		t.Errorf("owned Create mismatch (-want +got):\n%s", diff)
	}
	if s.Owner() != "ada" {
		t.Errorf("Create: Owner() = %q, want ada", s.Owner())
	}

	steps := []struct {
		name       string
		do         func() error
		want       map[string]any
		namesOwner bool // the write names the owner attributes
	}{
		{"save keeping the owner", func() error { s.Data.Items = []string{"pen"}; return repo.Save(ctx, s) },
			map[string]any{"owner": "S:ada", "owned_at": ms(loginAt)}, false},
		{"touch", func() error { now = now.Add(time.Minute); _, err := repo.Touch(ctx, s); return err },
			map[string]any{"owner": "S:ada", "owned_at": ms(loginAt)}, false},
		{"get and save keeping the owner", func() error {
			now = now.Add(time.Minute)
			got, err := repo.Get(ctx, "dev1")
			if err != nil {
				return err
			}
			if got.Owner() != "ada" {
				t.Errorf("Get: Owner() = %q, want ada", got.Owner())
			}
			got.Data.Count = 7
			s = got
			return repo.Save(ctx, got)
		}, map[string]any{"owner": "S:ada", "owned_at": ms(loginAt)}, false},
		{"change of user", func() error { now = now.Add(time.Minute); s.Data.User = "bob"; return repo.Save(ctx, s) },
			map[string]any{"owner": "S:bob", "owned_at": ms(loginAt.Add(3 * time.Minute))}, true},
		{"logout", func() error { now = now.Add(time.Minute); s.Data.User = ""; return repo.Save(ctx, s) },
			map[string]any{}, true},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if diff := cmp.Diff(st.want, ownerAttrsOf(faultStored(db.DB, "session#dev1"))); diff != "" {
			t.Errorf("%s: stored owner mismatch (-want +got):\n%s", st.name, diff)
		}
		if names, update := db.lastUpdate(t); containsAny(names, "owner", "owned_at") != st.namesOwner {
			t.Errorf("%s: update %q names %v; want owner attributes named: %v", st.name, update, names, st.namesOwner)
		}
	}
	if s.Owner() != "" {
		t.Errorf("after logout Owner() = %q, want \"\"", s.Owner())
	}
}

func containsAny(list []string, want ...string) bool {
	for _, w := range want {
		for _, l := range list {
			if l == w {
				return true
			}
		}
	}
	return false
}

// TestOwnerBackfill: a session whose stored owner disagrees with its data
// (written before Options.Owner was set, or rewritten by a Node.js store
// that drops the attribute) gets its owner on the next Save, even of
// unchanged data, once; after that a Save of unchanged data sends nothing.
func TestOwnerBackfill(t *testing.T) {
	db := newFake(t)
	var calls callLog
	plain := faultRepo[cart](t, db, &calls)
	ctx := context.Background()
	if _, err := plain.Put(ctx, "old", cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	owned := faultRepo[cart](t, db, &calls, withCartOwner)
	s, err := owned.Get(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	if s.Owner() != "" {
		t.Fatalf("Owner() of a record without the attribute = %q, want \"\"", s.Owner())
	}
	for i, wantUpdates := range []int{1, 0} {
		calls.reset()
		if err := owned.Save(ctx, s); err != nil {
			t.Fatalf("Save %d: %v", i+1, err)
		}
		if got := calls.count("UpdateItem"); got != wantUpdates {
			t.Errorf("Save %d of unchanged data sent %d UpdateItem, want %d", i+1, got, wantUpdates)
		}
	}
	if got := ownerAttrsOf(faultStored(db, "session#old"))["owner"]; got != "S:ada" {
		t.Errorf("stored owner = %v, want S:ada", got)
	}
}

// TestInvalidOwnerSendsNothing: an owner DynamoDB could not index, from
// Options.Owner or passed to ListOwner/RevokeOwner, is ErrInvalidOwner
// before any request.
func TestInvalidOwnerSendsNothing(t *testing.T) {
	db := newFake(t)
	var calls callLog
	// Msgpack stores any bytes, so the owner check, not the codec's UTF-8
	// rule, is what refuses the owner.
	repo := faultRepo[cart](t, db, &calls, withCartOwner, func(o *dynamosession.Options[cart]) { o.Codec = codec.Msgpack[cart]() })
	ctx := context.Background()
	s, err := repo.Put(ctx, "ok", cart{User: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{"not UTF-8": "ad\xffa", "1025 bytes": strings.Repeat("a", 1025)}
	for name, owner := range bad {
		t.Run(name, func(t *testing.T) {
			before := totalCalls(db)
			if _, err := repo.Put(ctx, "x", cart{User: owner}); !errors.Is(err, dynamosession.ErrInvalidOwner) {
				t.Errorf("Create = %v, want ErrInvalidOwner", err)
			}
			s.Data.User = owner
			if err := repo.Save(ctx, s); !errors.Is(err, dynamosession.ErrInvalidOwner) {
				t.Errorf("Save = %v, want ErrInvalidOwner", err)
			}
			s.Data.User = "ada"
			if _, err := repo.ListOwner(ctx, owner, ""); !errors.Is(err, dynamosession.ErrInvalidOwner) {
				t.Errorf("ListOwner = %v, want ErrInvalidOwner", err)
			}
			if _, err := repo.RevokeOwner(ctx, owner, ""); !errors.Is(err, dynamosession.ErrInvalidOwner) {
				t.Errorf("RevokeOwner = %v, want ErrInvalidOwner", err)
			}
			if dynamosession.IsRetryable(err) {
				t.Errorf("IsRetryable(%v) = true", err)
			}
			if got := totalCalls(db); got != before {
				t.Errorf("%d requests sent, want none", got-before)
			}
		})
	}
	if _, err := repo.ListOwner(ctx, "", ""); !errors.Is(err, dynamosession.ErrInvalidOwner) {
		t.Errorf("ListOwner(\"\") = %v, want ErrInvalidOwner", err)
	}
	if _, err := repo.RevokeOwner(ctx, "", ""); !errors.Is(err, dynamosession.ErrInvalidOwner) {
		t.Errorf("RevokeOwner(\"\") = %v, want ErrInvalidOwner", err)
	}
}

// apiOnly is a client with the four methods of dynamosession.API and
// nothing else.
type apiOnly struct{ dynamosession.API }

func TestOwnerOperationsNeedQuery(t *testing.T) {
	db := newFake(t)
	repo, err := dynamosession.New[cart](apiOnly{db}, "sessions", withCartOwner)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := repo.Put(ctx, "a", cart{User: "ada"}); err != nil {
		t.Fatalf("Put through a client without Query: %v", err)
	}
	if _, err := repo.ListOwner(ctx, "ada", ""); !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "OwnerAPI") {
		t.Errorf("ListOwner = %v, want errors.ErrUnsupported naming OwnerAPI", err)
	}
	if _, err := repo.RevokeOwner(ctx, "ada", ""); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("RevokeOwner = %v, want errors.ErrUnsupported", err)
	}
}

// TestUnreadableOwnerIsDecodeError: an owner attribute of the wrong type
// is reported and the record left as it is, never silently dropped from
// the index by the next write. A repository without owners ignores it.
func TestUnreadableOwnerIsDecodeError(t *testing.T) {
	tests := []struct {
		attr string
		av   types.AttributeValue
	}{
		{"owner", &types.AttributeValueMemberN{Value: "7"}},
		{"owned_at", &types.AttributeValueMemberS{Value: "yesterday"}},
		{"owned_at", &types.AttributeValueMemberN{Value: "1.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.attr+"/"+avString(tt.av).(string), func(t *testing.T) {
			db := newFake(t)
			var calls callLog
			plain := faultRepo[cart](t, db, &calls)
			ctx := context.Background()
			if _, err := plain.Put(ctx, "x", cart{User: "ada"}); err != nil {
				t.Fatal(err)
			}
			item := faultStored(db, "session#x")
			item["owner"] = &types.AttributeValueMemberS{Value: "ada"}
			item[tt.attr] = tt.av
			if err := db.PutRaw("sessions", item); err != nil {
				t.Fatal(err)
			}
			owned := faultRepo[cart](t, db, &calls, withCartOwner)
			_, err := owned.Get(ctx, "x")
			var de *dynamosession.DecodeError
			if !errors.As(err, &de) || de.Attr != tt.attr {
				t.Fatalf("Get = %v, want a *DecodeError of %q", err, tt.attr)
			}
			if diff := cmp.Diff(item, faultStored(db, "session#x"), cmpAV); diff != "" {
				t.Errorf("record changed (-want +got):\n%s", diff)
			}
			if _, err := plain.Get(ctx, "x"); err != nil {
				t.Errorf("Get without owners: %v", err)
			}
		})
	}
}

// TestMarkerKeysAreReserved: with revocation markers on, no session ID
// can address an owner's marker; hashed IDs never can.
func TestMarkerKeysAreReserved(t *testing.T) {
	db := newFake(t)
	var calls callLog
	ctx := context.Background()
	id := "\x00revoked\x00ada"
	markers := faultRepo[cart](t, db, &calls, withCartOwner, func(o *dynamosession.Options[cart]) { o.RevocationCheck = time.Minute })
	if _, err := markers.Put(ctx, id, cart{}); !errors.Is(err, dynamosession.ErrInvalidID) {
		t.Errorf("Put(%q) = %v, want ErrInvalidID", id, err)
	}
	if calls.count("") != 0 {
		t.Errorf("%d requests sent, want none", calls.count(""))
	}
	hashed := faultRepo[cart](t, db, &calls, withCartOwner, func(o *dynamosession.Options[cart]) {
		o.RevocationCheck, o.HashIDs = time.Minute, true
	})
	if _, err := hashed.Put(ctx, id, cart{}); err != nil {
		t.Errorf("hashed Put(%q) = %v", id, err)
	}
}
