package dynamotest

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
)

// TestAWSEnvironment checks what AWSClient takes from the environment, and
// that a missing region or credentials are named.
func TestAWSEnvironment(t *testing.T) {
	cases := []struct {
		name       string
		env        map[string]string
		wantRegion string
		wantCreds  aws.Credentials
		wantErr    string
	}{
		{
			name:       "region and session credentials",
			env:        map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"},
			wantRegion: "eu-west-1",
			wantCreds:  aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret", SessionToken: "token", Source: "environment"},
		},
		{
			name:       "default region",
			env:        map[string]string{"AWS_DEFAULT_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"},
			wantRegion: "us-west-2",
			wantCreds:  aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret", Source: "environment"},
		},
		{
			name:    "no region",
			env:     map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"},
			wantErr: "set AWS_REGION",
		},
		{
			name:    "no secret",
			env:     map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID"},
			wantErr: "aws configure export-credentials",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			region, provider, err := awsEnvironment(func(k string) string { return c.env[k] })
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			creds, err := provider.Retrieve(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.wantRegion, region); diff != "" {
				t.Errorf("region mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(c.wantCreds, creds); diff != "" {
				t.Errorf("credentials mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
