// Command cross-account checks that a service can keep its sessions in a
// DynamoDB table of another AWS account, through an IAM role it assumes
// there with STS AssumeRole (aws-sdk-go-v2's credentials/stscreds).
//
//	go run ./examples/cross-account -role-arn arn:aws:iam::222222222222:role/dynamosession-sessions \
//		-external-id my-external-id -table sessions -region eu-west-1
//
// It assumes the role with the caller's usual credentials (environment,
// profile, instance role), then writes, reads, updates, touches and deletes
// one probe session with those temporary credentials, printing the
// capacity each request consumed, and exits 0 if all of that worked. The
// same configuration is what a web service needs: see newRepo.
//
// Three IAM documents, in the iam directory beside this file, set it up
// (replace the account numbers, region, table and external ID):
//
//   - iam/table-access-policy.json, attached to the role in the table's
//     account (222222222222): GetItem, PutItem, UpdateItem and DeleteItem on
//     the table, the four requests a repository makes, and only on keys
//     with the repository's prefix.
//   - iam/trust-policy.json, the role's trust policy: the calling account
//     (111111111111) may assume it, with the external ID.
//   - iam/caller-policy.json, attached to the identity the service runs as
//     in 111111111111: sts:AssumeRole on that role.
//
// The temporary credentials are cached and refreshed before they expire
// (aws.NewCredentialsCache), so a long-running service assumes the role
// about once an hour, not once per request.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/ttl"
)

// Session is the probe's session type; a service would use its own.
type Session struct {
	User  string   `json:"user"`
	Items []string `json:"items"`
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// settings are the command-line flags.
type settings struct {
	roleARN, externalID, sessionName string
	table, region                    string
	duration                         time.Duration
	stsEndpoint, dynamodbEndpoint    string
}

func parse(args []string, stderr io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("cross-account", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&s.roleARN, "role-arn", "", "ARN of the role to assume in the table's account (required), e.g. arn:aws:iam::222222222222:role/dynamosession-sessions")
	fs.StringVar(&s.externalID, "external-id", "", "external ID the role's trust policy requires, if any")
	fs.StringVar(&s.sessionName, "session-name", "dynamosession", "role session name, as CloudTrail shows it")
	fs.DurationVar(&s.duration, "duration", time.Hour, "lifetime of the temporary credentials (15m to the role's maximum)")
	fs.StringVar(&s.table, "table", "sessions", "session table in the other account")
	fs.StringVar(&s.region, "region", "", "region of the table (default: from the AWS configuration)")
	fs.StringVar(&s.stsEndpoint, "sts-endpoint", "", "STS endpoint URL, for a VPC endpoint (default: the regional one)")
	fs.StringVar(&s.dynamodbEndpoint, "dynamodb-endpoint", "", "DynamoDB endpoint URL, for a VPC endpoint (default: the regional one)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `usage: cross-account -role-arn ARN [flags]

Assumes an IAM role in another AWS account with STS AssumeRole and checks
that its temporary credentials can write, read, update, touch and delete a
session in the DynamoDB table there. The IAM policies it needs are in
examples/cross-account/iam.

flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if s.roleARN == "" {
		return s, errors.New("-role-arn is required")
	}
	a, err := arn.Parse(s.roleARN)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return s, fmt.Errorf("-role-arn %q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", s.roleARN)
	}
	if s.duration < 15*time.Minute || s.duration > 12*time.Hour {
		return s, fmt.Errorf("-duration %v: STS allows 15m to 12h", s.duration)
	}
	return s, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	s, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "cross-account: %v (see -h)\n", err)
		return 2
	}
	if err := probe(ctx, s, stdout); err != nil {
		fmt.Fprintf(stderr, "cross-account: %v\n", err)
		return 1
	}
	return 0
}

// assumeRole returns an AWS configuration whose credentials are the role's
// temporary ones, assumed with the caller's credentials and refreshed
// before they expire.
func assumeRole(ctx context.Context, s settings) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if s.region != "" {
		opts = append(opts, config.WithRegion(s.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, err
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no region: pass -region or set AWS_REGION")
	}
	stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
		if s.stsEndpoint != "" {
			o.BaseEndpoint = aws.String(s.stsEndpoint)
		}
	})
	provider := stscreds.NewAssumeRoleProvider(stsClient, s.roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = s.sessionName
		o.Duration = s.duration
		if s.externalID != "" {
			o.ExternalID = aws.String(s.externalID)
		}
	})
	cfg.Credentials = aws.NewCredentialsCache(provider)
	return cfg, nil
}

// newRepo is the session repository a service in the calling account
// would use for the table in the other account. The probe wraps the
// client to report each request (wrap(client) returns client itself in a
// service that does not).
func newRepo(cfg aws.Config, s settings, wrap func(dynamosession.API) dynamosession.API) (*dynamosession.Repo[Session], error) {
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if s.dynamodbEndpoint != "" {
			o.BaseEndpoint = aws.String(s.dynamodbEndpoint)
		}
	})
	return dynamosession.New[Session](wrap(client), s.table, func(o *dynamosession.Options[Session]) {
		o.Codec = codec.Msgpack[Session]()
		o.TTL = ttl.Sliding(time.Hour) // a probe should not linger
		o.Touch = ttl.TouchAfter(0)    // so that the probe's Touch writes
	})
}

// lastCall is a DynamoDB client that remembers the last request the
// repository made through it: which, what it consumed, and how long it
// took. It asks DynamoDB for the consumed capacity (the repository never
// does itself, so that a wrapper like this one decides). The probe makes
// one request at a time, so it needs no lock.
type lastCall struct {
	dynamosession.API
	op       string
	consumed *types.ConsumedCapacity
	latency  time.Duration
}

// track runs one request and remembers it.
func track[O any](l *lastCall, op string, send func() (*O, error), consumed func(*O) *types.ConsumedCapacity) (*O, error) {
	start := time.Now()
	out, err := send()
	l.op, l.latency, l.consumed = op, time.Since(start), nil
	if out != nil {
		l.consumed = consumed(out)
	}
	return out, err
}

func (l *lastCall) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	return track(l, "GetItem", func() (*dynamodb.GetItemOutput, error) { return l.API.GetItem(ctx, in, optFns...) },
		func(o *dynamodb.GetItemOutput) *types.ConsumedCapacity { return o.ConsumedCapacity })
}

func (l *lastCall) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	return track(l, "PutItem", func() (*dynamodb.PutItemOutput, error) { return l.API.PutItem(ctx, in, optFns...) },
		func(o *dynamodb.PutItemOutput) *types.ConsumedCapacity { return o.ConsumedCapacity })
}

func (l *lastCall) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	return track(l, "UpdateItem", func() (*dynamodb.UpdateItemOutput, error) { return l.API.UpdateItem(ctx, in, optFns...) },
		func(o *dynamodb.UpdateItemOutput) *types.ConsumedCapacity { return o.ConsumedCapacity })
}

func (l *lastCall) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	return track(l, "DeleteItem", func() (*dynamodb.DeleteItemOutput, error) { return l.API.DeleteItem(ctx, in, optFns...) },
		func(o *dynamodb.DeleteItemOutput) *types.ConsumedCapacity { return o.ConsumedCapacity })
}

func probe(ctx context.Context, s settings, stdout io.Writer) error {
	cfg, err := assumeRole(ctx, s)
	if err != nil {
		return err
	}
	// Assume the role now, so that a trust-policy problem shows as one.
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("assume role %s: %w", s.roleARN, err)
	}
	fmt.Fprintf(stdout, "assumed %s: temporary key %s…, expires %s\n", s.roleARN, creds.AccessKeyID[:min(8, len(creds.AccessKeyID))], creds.Expires.UTC().Format(time.RFC3339))

	last := &lastCall{}
	repo, err := newRepo(cfg, s, func(c dynamosession.API) dynamosession.API { last.API = c; return last })
	if err != nil {
		return err
	}
	report := func(what string) {
		units := "capacity not reported"
		if cc := last.consumed; cc != nil && cc.CapacityUnits != nil {
			units = fmt.Sprintf("%.1f capacity units", *cc.CapacityUnits)
		}
		fmt.Fprintf(stdout, "%-7s %-10s %s, %v\n", what, last.op, units, last.latency.Round(time.Millisecond))
	}

	id := "probe-" + rand.Text() // 128 random bits, as SECURITY.md asks of IDs you make
	if _, err := repo.Put(ctx, id, Session{User: "probe"}); err != nil {
		return fmt.Errorf("put in table %q: %w", s.table, err)
	}
	report("put")
	deleted := false
	defer func() {
		if !deleted { // a later step failed: do not leave the probe behind
			_ = repo.Delete(context.WithoutCancel(ctx), id)
		}
	}()
	sess, err := repo.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("get from table %q: %w", s.table, err)
	}
	report("get")
	sess.Data.Items = append(sess.Data.Items, "checked")
	if err := repo.Save(ctx, sess); err != nil {
		return fmt.Errorf("save to table %q: %w", s.table, err)
	}
	report("save")
	if _, err := repo.Touch(ctx, sess); err != nil {
		return fmt.Errorf("touch in table %q: %w", s.table, err)
	}
	report("touch")
	if err := repo.Delete(ctx, id); err != nil {
		return fmt.Errorf("delete from table %q: %w", s.table, err)
	}
	deleted = true
	report("delete")
	fmt.Fprintf(stdout, "ok: %s can keep sessions in table %q\n", s.roleARN, s.table)
	return nil
}
