package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
)

const roleARN = "arn:aws:iam::222222222222:role/dynamosession-sessions"

func TestUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, &stdout, &stderr); code != 0 {
		t.Errorf("-h exits %d, want 0", code)
	}
	for _, want := range []string{"usage: cross-account -role-arn ARN", "-external-id", "examples/cross-account/iam"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, stderr.String())
		}
	}
}

func TestBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no role", nil, "-role-arn is required"},
		{"not an ARN", []string{"-role-arn", "dynamosession-sessions"}, "is not an IAM role ARN"},
		{"a user, not a role", []string{"-role-arn", "arn:aws:iam::222222222222:user/ada"}, "is not an IAM role ARN"},
		{"another service", []string{"-role-arn", "arn:aws:s3:::bucket"}, "is not an IAM role ARN"},
		{"too short", []string{"-role-arn", roleARN, "-duration", "5m"}, "STS allows 15m to 12h"},
		{"stray argument", []string{"-role-arn", roleARN, "sessions"}, "unexpected arguments"},
		{"unknown flag", []string{"-role", roleARN}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tt.want)
			}
		})
	}
}

// policyDoc is the part of an IAM policy document the tests read.
type policyDoc struct {
	Version   string
	Statement []struct {
		Sid       string
		Effect    string
		Action    any
		Resource  string
		Principal map[string]string
		Condition map[string]map[string]any
	}
}

func readPolicy(t *testing.T, name string) policyDoc {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("iam", name))
	if err != nil {
		t.Fatal(err)
	}
	var p policyDoc
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if p.Version != "2012-10-17" || len(p.Statement) != 1 || p.Statement[0].Effect != "Allow" {
		t.Fatalf("%s: want one Allow statement, policy language 2012-10-17", name)
	}
	return p
}

// TestTablePolicyGrantsWhatTheRepositoryCalls: the role's policy allows
// exactly the requests a repository makes (the methods of
// dynamosession.API), no more, no fewer.
func TestTablePolicyGrantsWhatTheRepositoryCalls(t *testing.T) {
	p := readPolicy(t, "table-access-policy.json")
	var got []string
	for _, a := range p.Statement[0].Action.([]any) {
		got = append(got, a.(string))
	}
	api := reflect.TypeFor[dynamosession.API]()
	var want []string
	for i := range api.NumMethod() {
		want = append(want, "dynamodb:"+api.Method(i).Name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("actions mismatch (-want +got):\n%s", diff)
	}
	if r := p.Statement[0].Resource; !regexp.MustCompile(`^arn:aws:dynamodb:[a-z0-9-]+:\d{12}:table/[A-Za-z0-9_.-]+$`).MatchString(r) {
		t.Errorf("resource %q is not one table's ARN", r)
	}
	lk := p.Statement[0].Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
	if diff := cmp.Diff([]any{"session#*"}, lk); diff != "" {
		t.Errorf("LeadingKeys mismatch (-want +got): the policy must allow the repository's default prefix\n%s", diff)
	}
}

func TestTrustAndCallerPolicies(t *testing.T) {
	trust := readPolicy(t, "trust-policy.json").Statement[0]
	caller := readPolicy(t, "caller-policy.json").Statement[0]
	got := []string{trust.Action.(string), trust.Principal["AWS"], caller.Action.(string), caller.Resource}
	want := []string{"sts:AssumeRole", "arn:aws:iam::111111111111:root", "sts:AssumeRole", roleARN}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if trust.Condition["StringEquals"]["sts:ExternalId"] == nil {
		t.Error("trust policy does not require an external ID")
	}
}

// fakeSTS answers AssumeRole as STS does, with fixed temporary
// credentials, and records the requests.
type fakeSTS struct {
	mu       sync.Mutex
	requests []url.Values
}

const assumedKey = "ASIAFAKEASSUMEDKEY"

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	f.requests = append(f.requests, r.PostForm)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::222222222222:assumed-role/dynamosession-sessions/%s</Arn>
      <AssumedRoleId>AROAFAKEROLEID:%s</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>%s</AccessKeyId>
      <SecretAccessKey>fakesecret</SecretAccessKey>
      <SessionToken>faketoken</SessionToken>
      <Expiration>%s</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>`, r.PostForm.Get("RoleSessionName"), r.PostForm.Get("RoleSessionName"), assumedKey,
		time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
}

// callerEnv gives the program caller credentials of its own and nothing
// from the machine's AWS configuration.
func callerEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDCALLER")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "callersecret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// TestAssumedCredentialsSignDynamoDBRequests runs the program up to its
// first DynamoDB request, with STS faked: it assumes the role with the
// flags given, and signs DynamoDB requests with the role's key, not the
// caller's.
func TestAssumedCredentialsSignDynamoDBRequests(t *testing.T) {
	callerEnv(t)
	sts := &fakeSTS{}
	stsSrv := httptest.NewServer(sts)
	defer stsSrv.Close()
	var mu sync.Mutex
	var auth []string
	ddbSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		body := `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}`
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", fmt.Sprint(crc32.ChecksumIEEE([]byte(body)))) // as DynamoDB sends it
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, body)
	}))
	defer ddbSrv.Close()

	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{
		"-role-arn", roleARN, "-external-id", "my-external-id", "-session-name", "probe-test",
		"-sts-endpoint", stsSrv.URL, "-dynamodb-endpoint", ddbSrv.URL,
	}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "ResourceNotFoundException") {
		t.Errorf("exit %d, stderr %q; want 1 and the table's ResourceNotFoundException", code, stderr.String())
	}
	if len(sts.requests) != 1 {
		t.Fatalf("%d AssumeRole requests, want 1", len(sts.requests))
	}
	q := sts.requests[0]
	got := []string{q.Get("Action"), q.Get("RoleArn"), q.Get("ExternalId"), q.Get("RoleSessionName"), q.Get("DurationSeconds")}
	if diff := cmp.Diff([]string{"AssumeRole", roleARN, "my-external-id", "probe-test", "3600"}, got); diff != "" {
		t.Errorf("AssumeRole request mismatch (-want +got):\n%s", diff)
	}
	if len(auth) == 0 || !strings.Contains(auth[0], "Credential="+assumedKey+"/") {
		t.Errorf("DynamoDB request signed with %q, want the assumed key %s", auth, assumedKey)
	}
}

// TestProbeOnDynamoDBLocal runs the whole probe, with STS faked and the
// table in DynamoDB Local, when DYNAMODB_ENDPOINT is set (make test sets
// it).
func TestProbeOnDynamoDBLocal(t *testing.T) {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("DYNAMODB_ENDPOINT is not set under CI=true; run through scripts/dynamodb-local run")
		}
		t.Skip("DYNAMODB_ENDPOINT is not set: skipping the probe against DynamoDB Local (make test sets it)")
	}
	callerEnv(t)
	ctx := context.Background()
	table := fmt.Sprintf("cross-account-test-%d", time.Now().UnixNano())
	admin := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	if _, err := admin.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)}) })
	stsSrv := httptest.NewServer(&fakeSTS{})
	defer stsSrv.Close()

	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-role-arn", roleARN, "-table", table, "-sts-endpoint", stsSrv.URL, "-dynamodb-endpoint", endpoint}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var ops []string
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		ops = append(ops, strings.Fields(line)[0])
	}
	if diff := cmp.Diff([]string{"assumed", "put", "get", "save", "touch", "delete", "ok:"}, ops); diff != "" {
		t.Errorf("output mismatch (-want +got):\n%s\n%s", diff, stdout.String())
	}
	out, err := admin.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Count != 0 {
		t.Errorf("%d items left behind, want the probe deleted", out.Count)
	}
}
