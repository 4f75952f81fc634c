package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/internal/attr"
	"github.com/dynamosession/dynamosession/internal/ddbjson"
	"github.com/dynamosession/dynamosession/internal/golden"
)

// TestDemo runs the scripted demo in both modes and compares its output,
// which is deterministic (a fixed clock, fixed session IDs), with
// testdata/*.golden.
func TestDemo(t *testing.T) {
	t.Setenv("DYNAMODB_ENDPOINT", "")
	t.Setenv("DYNAMOSESSION_TABLE", "")
	for name, s := range map[string]settings{
		"lazy":            {codec: "msgpack"},
		"rewrite-on-read": {codec: "msgpack", rewriteOnRead: true},
		"json":            {codec: "json"},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(context.Background(), s, &out); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", name+".golden"), out.Bytes())
		})
	}
}

// TestSeedsLookLikeConnectDynamoDB compares the demo's seeded records with
// one the real connect-dynamodb wrote (codec/testdata/fixtures): same
// attributes of the same types, same type marker, an expiry in fractional
// seconds, and the same cookie object.
func TestSeedsLookLikeConnectDynamoDB(t *testing.T) {
	b, err := os.ReadFile("../../codec/testdata/fixtures/connect-dynamodb-created.json")
	if err != nil {
		t.Fatal(err)
	}
	real, err := ddbjson.UnmarshalItem(b)
	if err != nil {
		t.Fatal(err)
	}
	ours := connectItem(seed{sid: "x", sess: `{"visits":1}`}, time.Date(2026, 11, 21, 9, 0, 0, 7e6, time.UTC))
	shape := func(item map[string]types.AttributeValue) []string {
		var s []string
		for name, v := range item {
			s = append(s, name+":"+attr.TypeName(v))
		}
		slices.Sort(s)
		return s
	}
	if diff := cmp.Diff(shape(real), shape(ours)); diff != "" {
		t.Errorf("attributes mismatch (-real +ours):\n%s", diff)
	}
	if diff := cmp.Diff(real["type"], ours["type"], cmp.AllowUnexported(types.AttributeValueMemberS{})); diff != "" {
		t.Errorf("type mismatch (-real +ours):\n%s", diff)
	}
	frac := regexp.MustCompile(`^\d{10}\.\d{1,3}$`)
	for who, item := range map[string]map[string]types.AttributeValue{"real": real, "ours": ours} {
		if n := item["expires"].(*types.AttributeValueMemberN).Value; !frac.MatchString(n) {
			t.Errorf("%s expires %q: want fractional seconds", who, n)
		}
	}
	cookieKeys := func(item map[string]types.AttributeValue) []string {
		var sess struct{ Cookie map[string]any }
		if err := json.Unmarshal([]byte(item["sess"].(*types.AttributeValueMemberS).Value), &sess); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range sess.Cookie {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return keys
	}
	if diff := cmp.Diff(cookieKeys(real), cookieKeys(ours)); diff != "" {
		t.Errorf("cookie object keys mismatch (-real +ours):\n%s", diff)
	}
}

// TestUsage: -h prints a usage that names the program, not the path in
// the build cache that os.Args[0] is under go run; flags are read, and
// stray arguments refused.
func TestUsage(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    settings
		wantErr bool
		wantOut string // a prefix of what goes to stderr
	}{
		{"defaults", nil, settings{codec: "msgpack"}, false, ""},
		{"flags", []string{"-codec", "json", "-rewrite-on-read"}, settings{codec: "json", rewriteOnRead: true}, false, ""},
		{"-h", []string{"-h"}, settings{codec: "msgpack"}, true, "usage: migrate-from-connect-dynamodb [flags]\n"},
		{"an unknown flag", []string{"-table", "x"}, settings{codec: "msgpack"}, true, "flag provided but not defined: -table\nusage: migrate-from-connect-dynamodb [flags]\n"},
		{"an argument", []string{"serve"}, settings{codec: "msgpack"}, true, `migrate-from-connect-dynamodb: unexpected arguments ["serve"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := parseFlags(tt.args, &out)
			if got != tt.want || (err != nil) != tt.wantErr || !strings.HasPrefix(out.String(), tt.wantOut) || (tt.wantOut == "") != (out.Len() == 0) {
				t.Errorf("parseFlags(%q) = %+v, %v, stderr %q; want %+v, error %v, stderr %q...", tt.args, got, err, out.String(), tt.want, tt.wantErr, tt.wantOut)
			}
			if strings.Contains(out.String(), os.Args[0]) {
				t.Errorf("the usage names %s", os.Args[0])
			}
		})
	}
}
