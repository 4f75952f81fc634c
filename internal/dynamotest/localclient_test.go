package dynamotest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/logging"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/internal/dynamotest"
)

func TestLocalClientEndpoint(t *testing.T) {
	tests := []struct {
		endpoint string
		wantErr  string // substring; "" for success
	}{
		{endpoint: "http://localhost:8000"},
		{endpoint: "http://127.0.0.1:41234"},
		{endpoint: "https://dynamodb.local.example"},
		{endpoint: "http://[::1]:8000/"},
		{endpoint: "", wantErr: "empty"},
		{endpoint: "  ", wantErr: "empty"},
		{endpoint: "localhost:8000", wantErr: `did you mean "http://localhost:8000"?`},
		{endpoint: "ftp://localhost:8000", wantErr: `scheme "ftp"`},
		{endpoint: "http://", wantErr: "no host"},
		{endpoint: "http://user:pw@localhost:8000", wantErr: "user information"},
		{endpoint: "http://localhost:8000/?x=1", wantErr: "query or fragment"},
		{endpoint: "http://local host:8000", wantErr: "invalid character"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.endpoint), func(t *testing.T) {
			c, err := dynamotest.LocalClient(tt.endpoint)
			if tt.wantErr == "" {
				if err != nil || c == nil {
					t.Fatalf("LocalClient(%q) = %v, %v; want a client", tt.endpoint, c, err)
				}
				if got := aws.ToString(c.Options().BaseEndpoint); got != tt.endpoint {
					t.Errorf("BaseEndpoint = %q, want %q", got, tt.endpoint)
				}
				return
			}
			if !errors.Is(err, dynamotest.ErrInvalidEndpoint) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("LocalClient(%q) error = %v; want ErrInvalidEndpoint saying %q", tt.endpoint, err, tt.wantErr)
			}
			if c != nil {
				t.Errorf("LocalClient(%q) returned a client with its error", tt.endpoint)
			}
		})
	}
}

// settings is what the package documentation promises about the client.
type settings struct {
	Region, AccessKeyID, SecretAccessKey string
	NoChecksum                           bool
}

func settingsOf(t *testing.T, c *dynamodb.Client) settings {
	t.Helper()
	o := c.Options()
	creds, err := o.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("retrieving credentials: %v", err)
	}
	return settings{o.Region, creds.AccessKeyID, creds.SecretAccessKey, o.DisableValidateResponseChecksum}
}

func TestLocalClientSettings(t *testing.T) {
	tests := []struct {
		name   string
		optFns []func(*dynamodb.Options)
		want   settings
	}{
		{
			name: "defaults",
			want: settings{Region: "us-east-1", AccessKeyID: "local", SecretAccessKey: "local", NoChecksum: true},
		},
		{
			name:   "option functions run last",
			optFns: []func(*dynamodb.Options){func(o *dynamodb.Options) { o.Region = "eu-west-1" }},
			want:   settings{Region: "eu-west-1", AccessKeyID: "local", SecretAccessKey: "local", NoChecksum: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := dynamotest.LocalClient("http://localhost:8000", tt.optFns...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, settingsOf(t, c)); diff != "" {
				t.Errorf("settings mismatch (-want +got):\n%s", diff)
			}
			for _, r := range settingsOf(t, c).AccessKeyID {
				if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
					t.Errorf("access key ID holds %q: DynamoDB Local accepts letters and digits only", r)
				}
			}
		})
	}
}

// logRecorder is a smithy logger that keeps what it is given.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) Logf(c logging.Classification, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(c)+" "+fmt.Sprintf(format, v...))
}

func (l *logRecorder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// TestNoChecksumWarnings makes DynamoDB Local answer 400 (a failed
// condition, a missing table) and checks what the SDK logged. The first
// case is the premise: with the SDK's own default, the same requests log
// the checksum warning, so the capture works and the setting matters; if
// it stops logging, DynamoDB Local (or the SDK) changed and the package
// documentation needs another look.
func TestNoChecksumWarnings(t *testing.T) {
	setup := dynamotest.Client(t) // skips without DynamoDB Local (fails under CI=true)
	endpoint := dynamotest.Endpoint()
	table := dynamotest.CreateTable(t, setup, "id", "")

	tests := []struct {
		name     string
		sdkCheck bool // leave the SDK's response checksum validation on
		wantWarn bool
	}{
		{name: "SDK default validates checksums and warns", sdkCheck: true, wantWarn: true},
		{name: "LocalClient", wantWarn: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &logRecorder{}
			c, err := dynamotest.LocalClient(endpoint, func(o *dynamodb.Options) {
				o.Logger = logs
				if tt.sdkCheck {
					o.DisableValidateResponseChecksum = false
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			item := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "k"}}
			if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
				t.Fatalf("PutItem: %v", err)
			}
			_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item, ConditionExpression: aws.String("attribute_not_exists(id)")})
			var ccf *types.ConditionalCheckFailedException
			if !errors.As(err, &ccf) {
				t.Fatalf("conditional PutItem error = %v, want ConditionalCheckFailedException", err)
			}
			_, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("no-such-table"), Key: item})
			var rnf *types.ResourceNotFoundException
			if !errors.As(err, &rnf) {
				t.Fatalf("GetItem on a missing table error = %v, want ResourceNotFoundException", err)
			}
			got := logs.String()
			if warned := strings.Contains(got, "checksum"); warned != tt.wantWarn {
				t.Errorf("checksum warning logged = %v, want %v; the SDK logged:\n%s", warned, tt.wantWarn, got)
			}
			if tt.wantWarn {
				t.Logf("the SDK logged:\n%s", got)
			}
			if !tt.wantWarn && got != "" {
				t.Errorf("the SDK logged, want nothing:\n%s", got)
			}
		})
	}
}
