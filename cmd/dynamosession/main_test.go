package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/cmd/dynamosession/internal/tableadmin"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/golden"
	"github.com/dynamosession/dynamosession/migrate"
)

// now is the tests' clock: it never moves, so output is the same on
// every run.
var now = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// demoDB returns an in-memory DynamoDB holding the demo table.
func demoDB(t *testing.T) *fake.DB {
	t.Helper()
	db := fake.New()
	if err := seedDemo(t.Context(), db, now); err != nil {
		t.Fatal(err)
	}
	return db
}

// cli runs the command line on db and returns a transcript of it: the
// command, its exit status, its stdout and its stderr.
func cli(t *testing.T, ctx context.Context, db *fake.DB, afterPage func(migrate.Report), args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{
		stdout: &stdout, stderr: &stderr,
		getenv:    func(string) string { return "" },
		now:       func() time.Time { return now },
		db:        db,
		afterPage: afterPage,
	}
	code := run(ctx, args, e)
	return fmt.Sprintf("$ dynamosession %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
}

// TestCommands runs each subcommand in-process on the fake and compares
// its transcript with a golden file.
func TestCommands(t *testing.T) {
	noTTL := func(t *testing.T, db *fake.DB) {
		_, err := db.CreateTable(t.Context(), &dynamodb.CreateTableInput{
			TableName:            aws.String("bare"),
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeN}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
			BillingMode:          types.BillingModeProvisioned,
			ProvisionedThroughput: &types.ProvisionedThroughput{
				ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	otherKey := func(t *testing.T, db *fake.DB) {
		_, err := db.CreateTable(t.Context(), &dynamodb.CreateTableInput{
			TableName:            aws.String("other"),
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("sid"), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("sid"), KeyType: types.KeyTypeHash}},
			BillingMode:          types.BillingModePayPerRequest,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// plainTable is a session table as create-table made it before it
	// made the owner index: TTL on, no index.
	plainTable := func(t *testing.T, db *fake.DB) {
		if _, err := tableadmin.Create(t.Context(), db, tableadmin.Spec{Table: "plain"}); err != nil {
			t.Fatal(err)
		}
	}
	plainProvisioned := func(t *testing.T, db *fake.DB) {
		if _, err := tableadmin.Create(t.Context(), db, tableadmin.Spec{Table: "plain", Billing: types.BillingModeProvisioned, ReadCapacity: 5, WriteCapacity: 4}); err != nil {
			t.Fatal(err)
		}
	}
	// badIndex has an owner index of the wrong type, projecting ALL.
	badIndex := func(t *testing.T, db *fake.DB) {
		_, err := db.CreateTable(t.Context(), &dynamodb.CreateTableInput{
			TableName: aws.String("bad-index"),
			AttributeDefinitions: []types.AttributeDefinition{
				{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS},
				{AttributeName: aws.String("owner"), AttributeType: types.ScalarAttributeTypeN},
			},
			KeySchema:   []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
			BillingMode: types.BillingModePayPerRequest,
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
				IndexName:  aws.String("owner-index"),
				KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("owner"), KeyType: types.KeyTypeHash}},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tableadmin.Create(t.Context(), db, tableadmin.Spec{Table: "bad-index"}); err != nil {
			t.Fatal(err) // enables TTL
		}
	}
	failScans := func(t *testing.T, db *fake.DB) {
		db.FailNext("Scan", 100, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "Scan",
			Err: &types.InternalServerError{Message: aws.String("Internal server error")}})
	}
	cases := []struct {
		name  string
		empty bool // start without the demo table
		setup func(t *testing.T, db *fake.DB)
		args  []string
	}{
		{name: "usage", args: nil},
		{name: "help", args: []string{"-h"}},
		{name: "help-command", args: []string{"help", "inspect"}},
		{name: "unknown-command", args: []string{"frobnicate"}},
		{name: "unknown-command-typo", args: []string{"migate"}},
		{name: "unknown-command-start", args: []string{"insp"}},
		{name: "endpoint-no-scheme", args: []string{"check-table", "-endpoint", "localhost:8000"}},
		{name: "fake-before-command", args: []string{"-fake", "inspect", "-h"}},
		{name: "demo", args: []string{"demo"}},
		{name: "demo-extra-argument", args: []string{"demo", "sessions"}},

		{name: "create-table", empty: true, args: []string{"create-table", "-fake", "-table", "poc"}},
		{name: "create-table-provisioned", empty: true, args: []string{"create-table", "-fake", "-table", "poc", "-billing", "provisioned", "-read-capacity", "5", "-write-capacity", "2"}},
		{name: "create-table-exists", args: []string{"create-table", "-fake"}},
		{name: "create-table-other-key", args: []string{"create-table", "-fake", "-key", "sid"}},
		{name: "create-table-bad-billing", args: []string{"create-table", "-fake", "-billing", "free"}},
		{name: "create-table-bad-name", args: []string{"create-table", "-fake", "-table", "x"}},
		{name: "create-table-help", args: []string{"create-table", "-h"}},
		{name: "create-table-no-index", empty: true, args: []string{"create-table", "-fake", "-table", "poc", "-owner-index", ""}},
		{name: "create-table-index-capacity", empty: true, args: []string{"create-table", "-fake", "-table", "poc", "-billing", "provisioned", "-read-capacity", "5", "-write-capacity", "2", "-index-read-capacity", "3", "-index-write-capacity", "4", "-owner-attr", "user", "-owner-index", "by-user"}},
		{name: "create-table-index-capacity-on-demand", empty: true, args: []string{"create-table", "-fake", "-table", "poc", "-index-write-capacity", "4"}},
		{name: "create-table-index-capacity-no-index", empty: true, args: []string{"create-table", "-fake", "-table", "poc", "-owner-index", "", "-billing", "provisioned", "-read-capacity", "5", "-write-capacity", "2", "-index-read-capacity", "3"}},
		{name: "create-table-bad-index-name", empty: true, args: []string{"create-table", "-fake", "-table", "poc", "-owner-index", "ix"}},
		{name: "create-table-owner-attr-is-key", empty: true, args: []string{"create-table", "-fake", "-table", "poc", "-owner-attr", "id"}},
		{name: "create-table-exists-no-index", setup: plainTable, args: []string{"create-table", "-fake", "-table", "plain"}},
		{name: "create-table-exists-no-index-asked", setup: plainProvisioned, args: []string{"create-table", "-fake", "-table", "plain", "-owner-index", "owner-index"}},
		{name: "create-table-exists-bad-index", setup: badIndex, args: []string{"create-table", "-fake", "-table", "bad-index"}},

		{name: "check-table", args: []string{"check-table", "-fake"}},
		{name: "check-table-advice", args: []string{"check-table", "-fake", "-reads", "1500", "-writes", "150"}},
		{name: "check-table-problems", setup: noTTL, args: []string{"check-table", "-fake", "-table", "bare", "-reads", "100", "-writes", "20"}},
		{name: "check-table-missing", args: []string{"check-table", "-fake", "-table", "nowhere"}},
		{name: "check-table-no-index", setup: plainTable, args: []string{"check-table", "-fake", "-table", "plain"}},
		{name: "check-table-no-index-required", setup: plainProvisioned, args: []string{"check-table", "-fake", "-table", "plain", "-require-owner-index"}},
		{name: "check-table-no-index-not-checked", setup: plainTable, args: []string{"check-table", "-fake", "-table", "plain", "-owner-index", ""}},
		{name: "check-table-bad-index", setup: badIndex, args: []string{"check-table", "-fake", "-table", "bad-index"}},
		{name: "check-table-other-owner-attr", args: []string{"check-table", "-fake", "-owner-attr", "user"}},
		{name: "check-table-owner-index-not-checked", args: []string{"check-table", "-fake", "-owner-index", ""}},

		{name: "inspect-json", args: []string{"inspect", "-fake", "demo-json-1"}},
		{name: "inspect-map", args: []string{"inspect", "demo-map-1", "-fake", "-strong"}},
		{name: "inspect-msgpack", args: []string{"inspect", "-fake", "demo-msgpack-1"}},
		{name: "inspect-expired", args: []string{"inspect", "-fake", "demo-expired"}},
		{name: "inspect-corrupt", args: []string{"inspect", "-fake", "demo-corrupt"}},
		{name: "inspect-whole-key", args: []string{"inspect", "-fake", "-prefix", "", "config#site"}},
		{name: "inspect-missing", args: []string{"inspect", "-fake", "nobody"}},
		{name: "inspect-no-id", args: []string{"inspect", "-fake"}},
		{name: "inspect-other-key", setup: otherKey, args: []string{"inspect", "-fake", "-table", "other", "demo-json-1"}},
		{name: "inspect-missing-table", args: []string{"inspect", "-fake", "-table", "nowhere", "demo-json-1"}},

		{name: "migrate-dry-run", args: []string{"migrate", "-fake", "-from", "json", "-to", "msgpack", "-dry-run"}},
		{name: "migrate", args: []string{"migrate", "-fake", "-to", "msgpack", "-show-keys"}},
		{name: "migrate-to-json", args: []string{"migrate", "-fake", "-from", "map,msgpack", "-to", "json"}},
		{name: "migrate-no-target", args: []string{"migrate", "-fake"}},
		{name: "migrate-bad-source", args: []string{"migrate", "-fake", "-from", "xml", "-to", "json"}},
		{name: "migrate-same-formats", args: []string{"migrate", "-fake", "-from", "json", "-to", "json"}},
		{name: "migrate-help", args: []string{"migrate", "-h"}},
		{name: "migrate-wrong-prefix", args: []string{"migrate", "-fake", "-to", "msgpack", "-prefix", "sess:"}},
		{name: "migrate-wrong-data", args: []string{"migrate", "-fake", "-to", "msgpack", "-data", "session"}},
		{name: "migrate-wrong-format", args: []string{"migrate", "-fake", "-to", "json", "-from", "compressed", "-prefix", "session#demo-map"}},
		{name: "migrate-newer-schema-only", args: []string{"migrate", "-fake", "-to", "json", "-prefix", "session#demo-msgpack"}},
		{name: "migrate-wrong-key", setup: otherKey, args: []string{"migrate", "-fake", "-table", "other", "-to", "msgpack", "-checkpoint", "never-written.checkpoint"}},
		{name: "migrate-missing-table", args: []string{"migrate", "-fake", "-table", "nowhere", "-to", "msgpack", "-checkpoint", "never-written.checkpoint"}},
		{name: "migrate-scan-fails", setup: failScans, args: []string{"migrate", "-fake", "-to", "msgpack", "-workers", "1"}},
		{name: "migrate-workers-0", args: []string{"migrate", "-fake", "-to", "msgpack", "-workers", "0", "-dry-run"}},
		{name: "migrate-negative-wcu", args: []string{"migrate", "-fake", "-to", "msgpack", "-wcu", "-5"}},
		{name: "migrate-too-many-workers", args: []string{"migrate", "-fake", "-to", "msgpack", "-workers", "5000"}},
		{name: "migrate-same-attributes", args: []string{"migrate", "-fake", "-to", "msgpack", "-data", "id"}},

		{name: "sessions", args: []string{"sessions", "-fake", "-owner", "grace"}},
		{name: "sessions-none", args: []string{"sessions", "-fake", "-owner", "ada"}},
		{name: "sessions-short-ttl", args: []string{"sessions", "-fake", "-owner", "edsger"}},
		{name: "sessions-ttl", args: []string{"sessions", "-fake", "-owner", "edsger", "-ttl", "336h"}},
		{name: "sessions-no-owner", args: []string{"sessions", "-fake"}},
		{name: "sessions-bad-owner", args: []string{"sessions", "-fake", "-owner", strings.Repeat("x", 1025)}},
		{name: "sessions-no-index", setup: plainTable, args: []string{"sessions", "-fake", "-table", "plain", "-owner", "grace"}},
		{name: "sessions-bad-index", setup: badIndex, args: []string{"sessions", "-fake", "-table", "bad-index", "-owner", "grace"}},
		{name: "sessions-other-index", args: []string{"sessions", "-fake", "-owner", "grace", "-owner-index", "by-user"}},
		{name: "sessions-wrong-key", args: []string{"sessions", "-fake", "-owner", "grace", "-key", "sid"}},
		{name: "sessions-missing-table", args: []string{"sessions", "-fake", "-table", "nowhere", "-owner", "grace"}},
		{name: "sessions-same-attributes", args: []string{"sessions", "-fake", "-owner", "grace", "-owner-attr", "expires"}},
		{name: "sessions-bad-index-name", args: []string{"sessions", "-fake", "-owner", "grace", "-owner-index", "ix"}},
		{name: "sessions-help", args: []string{"sessions", "-h"}},

		{name: "revoke", args: []string{"revoke", "-fake", "-owner", "grace"}},
		{name: "revoke-except", args: []string{"revoke", "-fake", "-owner", "grace", "-except", "demo-map-1"}},
		{name: "revoke-except-other-user", args: []string{"revoke", "-fake", "-owner", "grace", "-except", "demo-map-2"}},
		{name: "revoke-except-wrong-prefix", args: []string{"revoke", "-fake", "-owner", "grace", "-except", "session#demo-map-1"}},
		{name: "revoke-revocation-check", args: []string{"revoke", "-fake", "-owner", "edsger", "-revocation-check", "1m"}},
		{name: "revoke-nobody", args: []string{"revoke", "-fake", "-owner", "nobody"}},
		{name: "revoke-negative-check", args: []string{"revoke", "-fake", "-owner", "grace", "-revocation-check", "-1m"}},
		{name: "revoke-no-index", setup: plainTable, args: []string{"revoke", "-fake", "-table", "plain", "-owner", "grace"}},
		{name: "revoke-help", args: []string{"revoke", "-h"}},

		{name: "schemas", args: []string{"schemas", "-fake"}},
		{name: "schemas-wrong-prefix", args: []string{"schemas", "-fake", "-prefix", "sess:"}},
		{name: "schemas-only-version-2", args: []string{"schemas", "-fake", "-prefix", "session#demo-msgpack"}},
		{name: "schemas-missing-table", args: []string{"schemas", "-fake", "-table", "nowhere"}},
		{name: "schemas-wrong-key", setup: otherKey, args: []string{"schemas", "-fake", "-table", "other"}},
		{name: "schemas-scan-fails", setup: failScans, args: []string{"schemas", "-fake", "-workers", "1"}},
		{name: "schemas-bad-workers", args: []string{"schemas", "-fake", "-workers", "0"}},
		{name: "schemas-help", args: []string{"schemas", "-h"}},

		{name: "cost-bad-touch", args: []string{"cost", "-touch", "sometimes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			db := fake.New()
			if !c.empty {
				db = demoDB(t)
			}
			if c.setup != nil {
				c.setup(t, db)
			}
			golden.Check(t, "testdata/"+c.name+".golden", []byte(cli(t, t.Context(), db, nil, c.args...)))
		})
	}
}

// TestMigrateInterruptAndResume interrupts a migration after its first
// page, as Ctrl-C would, resumes it from the checkpoint, and runs it a
// third time, which finds nothing to do.
func TestMigrateInterruptAndResume(t *testing.T) {
	db := demoDB(t)
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "migrate.checkpoint")
	args := []string{"migrate", "-fake", "-from", "json,map", "-to", "msgpack", "-workers", "1", "-page-size", "3", "-checkpoint", ckpt}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	first := cli(t, ctx, db, func(migrate.Report) { cancel() }, args...)
	second := cli(t, t.Context(), db, nil, args...)
	third := cli(t, t.Context(), db, nil, args...)
	transcript := strings.ReplaceAll(first+"\n"+second+"\n"+third, dir, "$TMP")
	golden.Check(t, "testdata/migrate-interrupt-resume.golden", []byte(transcript))

	// Every live, valid session is msgpack now.
	for _, s := range demoSessions {
		item, _ := db.Item(demoTable, map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#" + s.id}})
		want := codec.FormatMsgpack
		if s.expiresIn < 0 {
			want = codec.Format(s.format)
		}
		if got := codecs.Detect(item["sess"]); got != want {
			t.Errorf("%s is %s, want %s", s.id, got, want)
		}
	}
}

// TestMigrateCheckpointMismatch runs a migration with a checkpoint left by
// another one (another target format): the message says what differs and
// what to do, with no dump of the checkpoint's structure, no report and
// no hint to resume.
func TestMigrateCheckpointMismatch(t *testing.T) {
	db := demoDB(t)
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "migrate.checkpoint")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	first := cli(t, ctx, db, func(migrate.Report) { cancel() }, "migrate", "-fake", "-to", "msgpack", "-workers", "1", "-page-size", "3", "-checkpoint", ckpt)
	other := cli(t, t.Context(), db, nil, "migrate", "-fake", "-to", "json", "-workers", "1", "-checkpoint", ckpt)
	golden.Check(t, "testdata/migrate-checkpoint-mismatch.golden", []byte(strings.ReplaceAll(first+"\n"+other, dir, "$TMP")))
}

// TestNoCredentials runs a command against AWS with a region but no
// credentials anywhere: instead of the EC2 instance metadata service's
// error, the last link of the SDK's chain, it says where credentials come
// from. The metadata service is a local stand-in that has no role.
func TestNoCredentials(t *testing.T) {
	imds := httptest.NewServer(http.NotFoundHandler())
	defer imds.Close()
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_EC2_METADATA_SERVICE_ENDPOINT":      imds.URL,
		"AWS_CONFIG_FILE":                        empty,
		"AWS_SHARED_CREDENTIALS_FILE":            empty,
		"AWS_ACCESS_KEY_ID":                      "",
		"AWS_SECRET_ACCESS_KEY":                  "",
		"AWS_SESSION_TOKEN":                      "",
		"AWS_PROFILE":                            "",
		"AWS_WEB_IDENTITY_TOKEN_FILE":            "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
	} {
		t.Setenv(k, v)
	}
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"check-table", "-region", "eu-west-1"}, &env{
		stdout: &stdout, stderr: &stderr,
		getenv: func(string) string { return "" },
		now:    func() time.Time { return now },
	})
	want := "dynamosession check-table: no AWS credentials found for region eu-west-1: set AWS_PROFILE"
	if code != exitFail || !strings.HasPrefix(stderr.String(), want) || !strings.Contains(stderr.String(), "-endpoint http://localhost:8000") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and a message starting %q", code, stderr.String(), want)
	}
}

func TestClosestCommand(t *testing.T) {
	for word, want := range map[string]string{
		"migate": "migrate", "migrat": "migrate", "mgirate": "migrate", "MIGRATE": "migrate",
		"check": "check-table", "chek-table": "check-table", "create": "create-table",
		"insp": "inspect", "cots": "cost", "--migrate": "migrate",
		"sesions": "sessions", "session": "sessions", "revok": "revoke",
		"schema": "schemas", "shemas": "schemas", "dmeo": "demo",
		"frobnicate": "", "": "", "c": "",
	} {
		if got := closestCommand(word); got != want {
			t.Errorf("closestCommand(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestRenderProgress(t *testing.T) {
	cases := []struct {
		name string
		p    progress
		want string
	}{
		{"halfway", progress{Scanned: 5000, Total: 10000, Migrated: 3100, Failed: 2, Rate: 1234.4, ETA: 4 * time.Second},
			"[##########----------]  50%  5000/10000 items  1234/s  ETA 4s  migrated 3100  failed 2"},
		{"start", progress{Total: 10}, "[--------------------]   0%  0/10 items  0/s  migrated 0"},
		{"beyond the estimate", progress{Scanned: 12, Total: 10, Migrated: 12, Rate: 6},
			"12 items  6/s  migrated 12"},
		{"no estimate", progress{Scanned: 7, Rate: 3.5}, "7 items  4/s  migrated 0"},
		{"one item", progress{Scanned: 1, Rate: 1}, "1 item  1/s  migrated 0"},
		{"one item of one", progress{Scanned: 0, Total: 1}, "[--------------------]   0%  0/1 item  0/s  migrated 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, renderProgress(c.p, 20)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCost runs the cost model of package costmodel, whose output is
// that package's to define and test: here that it runs and that -svg
// writes the chart (what `make costmodel` draws for the README).
func TestCost(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "cost.svg")
	out := cli(t, t.Context(), nil, nil, "cost", "-codec", "msgpack", "-touch", "1h", "-sample", "2000", "-svg", svg)
	out = strings.ReplaceAll(out, svg, "$SVG")
	if !strings.HasPrefix(out, "$ dynamosession cost -codec msgpack -touch 1h -sample 2000 -svg $SVG\nexit 0\n") ||
		!strings.Contains(out, "msgpack") || !strings.HasSuffix(out, "--- stderr\nwrote $SVG\n") {
		t.Errorf("transcript:\n%s", out)
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("<svg")) || !bytes.Contains(b, []byte("msgpack")) {
		t.Errorf("-svg wrote %d bytes, not a chart of msgpack:\n%.200s", len(b), b)
	}
}

// TestEndpoint checks -endpoint and DYNAMODB_ENDPOINT reach the client,
// with the stand-in credentials DynamoDB Local needs, on a server that
// answers like DynamoDB for a missing table.
func TestEndpoint(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  func(url string) map[string]string
	}{
		{"flag", []string{"check-table", "-table", "nowhere", "-endpoint"}, func(string) map[string]string { return nil }},
		{"environment", []string{"check-table", "-table", "nowhere"}, func(url string) map[string]string { return map[string]string{"DYNAMODB_ENDPOINT": url} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var auth, target string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				auth, target = r.Header.Get("Authorization"), r.Header.Get("X-Amz-Target")
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}`)
			}))
			defer srv.Close()
			args := c.args
			if c.name == "flag" {
				args = append(args, srv.URL)
			}
			vars := c.env(srv.URL)
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), args, &env{
				stdout: &stdout, stderr: &stderr,
				getenv: func(k string) string { return vars[k] },
				now:    func() time.Time { return now },
			})
			if code != exitFail || !strings.Contains(stderr.String(), "table not found") {
				t.Errorf("exit %d, stderr %q; want exit 1, table not found", code, stderr.String())
			}
			if target != "DynamoDB_20120810.DescribeTable" || !strings.Contains(auth, "Credential=local/") {
				t.Errorf("server saw target %q, authorization %q; want DescribeTable signed with the local credentials", target, auth)
			}
		})
	}
}

// TestRevokeThenList signs grace out of every device but her laptop, as
// an operator would after a stolen phone: the listing before and after,
// and a second revocation, which ends nothing (revocation is idempotent).
func TestRevokeThenList(t *testing.T) {
	db := demoDB(t)
	var transcript []string
	for _, args := range [][]string{
		{"sessions", "-fake", "-owner", "grace"},
		{"revoke", "-fake", "-owner", "grace", "-except", "demo-map-1"},
		{"sessions", "-fake", "-owner", "grace"},
		{"revoke", "-fake", "-owner", "grace", "-except", "demo-map-1"},
		{"inspect", "-fake", "demo-grace-phone"},
		{"sessions", "-fake", "-owner", "alan"},
	} {
		transcript = append(transcript, cli(t, t.Context(), db, nil, args...))
	}
	golden.Check(t, "testdata/revoke-then-list.golden", []byte(strings.Join(transcript, "\n")))
}

// TestRevokeFailsPartWay makes a delete fail during a revocation: the
// command says what it ended, that it stopped, and that running it again
// finishes the job; the second run does, and ends only what was left.
func TestRevokeFailsPartWay(t *testing.T) {
	db := demoDB(t)
	db.FailNext("DeleteItem", 1, &types.ProvisionedThroughputExceededException{})
	args := []string{"revoke", "-fake", "-owner", "grace"}
	first := cli(t, t.Context(), db, nil, args...)
	// Which of the three deletes, sent in parallel, was throttled varies:
	// check the transcript's shape, not its counts.
	for _, want := range []string{
		"exit 1\n",
		`user "grace": ended `,
		"dynamosession revoke: dynamosession: revoke sessions: 1 of 3 requests failed (retry to finish), first: ",
		"ProvisionedThroughputExceededException",
		"The revocation stopped part way: run the same command again to end the rest.\n",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("first run lacks %q:\n%s", want, first)
		}
	}
	second := cli(t, t.Context(), db, nil, args...)
	if !strings.Contains(second, "exit 0\n") || !strings.Contains(second, "ended ") {
		t.Errorf("second run:\n%s", second)
	}
	if after := cli(t, t.Context(), db, nil, "sessions", "-fake", "-owner", "grace"); !strings.Contains(after, `user "grace": no live sessions`) {
		t.Errorf("after the second run:\n%s", after)
	}
	// Across both runs, every record of grace was deleted exactly once:
	// two live sessions and one expired.
	var ended, dead int
	for _, out := range []string{first, second} {
		var e, d int
		line := out[strings.Index(out, "ended "):]
		fmt.Sscanf(line, "ended %d session", &e)
		if i := strings.Index(line, "also deleted "); i >= 0 {
			fmt.Sscanf(line[i:], "also deleted %d dead", &d)
		}
		ended, dead = ended+e, dead+d
	}
	if ended != 2 || dead != 1 {
		t.Errorf("ended %d and deleted %d dead across both runs, want 2 and 1:\n%s\n%s", ended, dead, first, second)
	}
}

// TestHashedIDs lists and revokes sessions of a table whose keys are
// hashes of the session IDs (Options.HashIDs): -except names the session
// by its ID, and without -hash-ids it matches no stored key, so nothing
// is revoked rather than the session meant to be kept.
func TestHashedIDs(t *testing.T) {
	db := fake.New()
	create := cli(t, t.Context(), db, nil, "create-table", "-fake", "-table", "hashed")
	for i, id := range []string{"laptop-session-id", "phone-session-id"} {
		at := now.Add(time.Duration(i-2) * time.Hour)
		repo, err := dynamosession.New[cart](db, "hashed", func(o *dynamosession.Options[cart]) {
			o.HashIDs = true
			o.Owner = func(c *cart) string { return c.User }
			o.Clock = func() time.Time { return at }
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := repo.Put(t.Context(), id, cart{User: "grace"}); err != nil {
			t.Fatal(err)
		}
	}
	transcript := []string{create}
	for _, args := range [][]string{
		{"sessions", "-fake", "-table", "hashed", "-owner", "grace", "-hash-ids"},
		{"revoke", "-fake", "-table", "hashed", "-owner", "grace", "-except", "laptop-session-id"},
		{"revoke", "-fake", "-table", "hashed", "-owner", "grace", "-except", "laptop-session-id", "-hash-ids"},
		{"sessions", "-fake", "-table", "hashed", "-owner", "grace", "-hash-ids"},
	} {
		transcript = append(transcript, cli(t, t.Context(), db, nil, args...))
	}
	golden.Check(t, "testdata/hashed-ids.golden", []byte(strings.Join(transcript, "\n")))
}

// TestBuildsFromRepoRoot checks that the command resolves from the
// repository's root, where the README's `go run ./cmd/dynamosession` and
// `go install ./cmd/dynamosession` run: the workspace (go.work) must
// include this module, which has a go.mod of its own.
func TestBuildsFromRepoRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	cmd := exec.CommandContext(t.Context(), "go", "list", "-f", "{{.Name}} {{.Module.Path}}", "./cmd/dynamosession")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list ./cmd/dynamosession in the repository root: %v\n%s", err, out)
	}
	if diff := cmp.Diff("main github.com/dynamosession/dynamosession/cmd/dynamosession\n", string(out)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
