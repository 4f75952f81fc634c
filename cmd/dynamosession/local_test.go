package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/dynamosession/dynamosession/internal/golden"
)

// localNow is the clock of the DynamoDB Local tests: years ahead, so
// that no session they write has expired by the real clock, which
// DynamoDB Local's TTL may go by.
var localNow = time.Date(2030, 1, 15, 9, 0, 0, 0, time.UTC)

// localCLI runs command lines against DynamoDB Local, as a user would
// with DYNAMODB_ENDPOINT set, and returns their transcripts with the
// endpoint and the tables' random names replaced by placeholders.
type localCLI struct {
	t        *testing.T
	client   *dynamodb.Client
	endpoint string
	names    map[string]string // random table name -> placeholder
	now      time.Time
}

func newLocalCLI(t *testing.T) *localCLI {
	client := dynamotest.Client(t) // skips (or fails under CI) without DynamoDB Local
	return &localCLI{t: t, client: client, endpoint: dynamotest.Endpoint(), names: map[string]string{}, now: localNow}
}

// table returns a fresh table name, shown as placeholder in transcripts,
// and deletes the table at the end of the test if it was created.
func (l *localCLI) table(placeholder string) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		l.t.Fatal(err)
	}
	name := "cli-" + hex.EncodeToString(b)
	l.names[name] = placeholder
	l.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := l.client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: &name})
		var nf *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &nf) {
			l.t.Errorf("deleting %s: %v", name, err)
		}
	})
	return name
}

func (l *localCLI) run(args ...string) string {
	l.t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(l.t.Context(), args, &env{
		stdout: &stdout, stderr: &stderr,
		getenv: func(k string) string {
			if k == "DYNAMODB_ENDPOINT" {
				return l.endpoint
			}
			return ""
		},
		now: func() time.Time { return l.now },
	})
	out := fmt.Sprintf("$ dynamosession %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	out = strings.ReplaceAll(out, l.endpoint, "$ENDPOINT")
	for name, placeholder := range l.names {
		out = strings.ReplaceAll(out, name, placeholder)
	}
	return out
}

// cart is the session type the Local tests' application stores.
type cart struct {
	User  string   `json:"user,omitempty" dynamodbav:"user,omitempty" msgpack:"user,omitempty"`
	Items []string `json:"items,omitempty" dynamodbav:"items,omitempty" msgpack:"items,omitempty"`
}

// put stores sessions as an application with owners would, at the clock
// times given: schema is the version the application declares.
func (l *localCLI) put(table string, schema int, at time.Time, id string, c cart) {
	l.t.Helper()
	repo, err := dynamosession.New[cart](l.client, table, func(o *dynamosession.Options[cart]) {
		o.Owner = func(c *cart) string { return c.User }
		o.Schema = schema
		o.Clock = func() time.Time { return at }
	})
	if err != nil {
		l.t.Fatal(err)
	}
	if _, err := repo.Put(l.t.Context(), id, c); err != nil {
		l.t.Fatal(err)
	}
}

// TestOwnersOnDynamoDBLocal creates a table with the owner index through
// the CLI on DynamoDB Local, lets an application with owners write
// sessions into it through the library, and lists and revokes them
// through the CLI: the index, its key and projection, the Query and the
// conditional deletes are the real server's.
func TestOwnersOnDynamoDBLocal(t *testing.T) {
	l := newLocalCLI(t)
	table := l.table("$TABLE")
	var transcript []string
	do := func(args ...string) { transcript = append(transcript, l.run(args...)) }

	do("create-table", "-table", table)
	do("check-table", "-table", table, "-require-owner-index")

	// grace signs in on her laptop (Lp7xQ2…), then her phone (Ph9mW3…);
	// her tablet's session expired an hour ago; alan has one session; an
	// anonymous visitor has one; the phone's session was written by a
	// deploy that declared schema version 2.
	l.put(table, 1, localNow.Add(-25*time.Hour), "Tb4kqM0x9s1Lr7Zc", cart{User: "grace"})
	l.put(table, 1, localNow.Add(-3*time.Hour), "Lp7xQ2wNe5Vb8Hd3", cart{User: "grace", Items: []string{"A-7"}})
	l.put(table, 2, localNow.Add(-time.Hour), "Ph9mW3tKa6Yc2Uf8", cart{User: "grace"})
	l.put(table, 1, localNow.Add(-2*time.Hour), "Al3nR8pDx4Gv7Jw1", cart{User: "alan"})
	l.put(table, 1, localNow.Add(-2*time.Hour), "An0nE6sQz2Bk9Xt5", cart{Items: []string{"B-42"}})

	do("schemas", "-table", table)
	do("sessions", "-table", table, "-owner", "grace")
	do("revoke", "-table", table, "-owner", "grace", "-except", "Lp7xQ2wNe5Vb8Hd3")
	do("sessions", "-table", table, "-owner", "grace")
	do("revoke", "-table", table, "-owner", "alan", "-revocation-check", "1m")
	do("sessions", "-table", table, "-owner", "alan")
	do("schemas", "-table", table)
	golden.Check(t, "testdata/local-owners.golden", []byte(strings.Join(transcript, "\n")))
}

// TestTablesOnDynamoDBLocal runs create-table and check-table against
// DynamoDB Local where the server decides: a provisioned table's index
// needs capacity of its own, and a table made without the index is told
// how to add it.
func TestTablesOnDynamoDBLocal(t *testing.T) {
	l := newLocalCLI(t)
	provisioned := l.table("$PROVISIONED")
	plain := l.table("$PLAIN")
	var transcript []string
	for _, args := range [][]string{
		{"create-table", "-table", provisioned, "-billing", "provisioned", "-read-capacity", "5", "-write-capacity", "3"},
		{"check-table", "-table", provisioned},
		{"create-table", "-table", plain, "-owner-index", ""},
		{"create-table", "-table", plain},
		{"check-table", "-table", plain},
		{"sessions", "-table", plain, "-owner", "grace"},
	} {
		transcript = append(transcript, l.run(args...))
	}
	golden.Check(t, "testdata/local-tables.golden", []byte(strings.Join(transcript, "\n")))
}
