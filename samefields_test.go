package dynamosession_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
)

// fieldView has a field of each kind the member-by-member comparison of
// samefields.go reads itself, and of each kind it leaves to the decode of
// a zero T.
type fieldView struct {
	User   string     `json:"user"`
	Seen   time.Time  `json:"seen"`
	Visits int        `json:"visits"`
	Score  float64    `json:"score"`
	Small  float32    `json:"small"`
	Left   uint8      `json:"left"`
	Admin  bool       `json:"admin"`
	Quoted string     `json:"quoted,string"`
	Role   lowerRole  `json:"role"`
	Plan   textPlan   `json:"plan"`
	Nick   string     // no tag: the member is "Nick"
	Lines  []sameLine `json:"lines"`
}

// lowerRole decodes itself, in lower case.
type lowerRole string

func (r *lowerRole) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*r = lowerRole(strings.ToLower(s))
	return nil
}

// textPlan decodes itself from text, trimmed.
type textPlan string

func (p *textPlan) UnmarshalText(b []byte) error {
	*p = textPlan(strings.TrimSpace(string(b)))
	return nil
}

// fieldViewText is fieldView as this code encodes it, with the members in
// the same order; each case below replaces one member's value by another
// spelling of the same data, so the stored text pairs with the fresh
// encoding in step and only that member differs.
func fieldViewText(replace ...string) string {
	members := map[string]string{
		"user": `"ada"`, "seen": `"2026-11-21T12:00:00Z"`, "visits": `3`, "score": `1.5`, "small": `0.25`,
		"left": `7`, "admin": `true`, "quoted": `"\"vip\""`, "role": `"admin"`, "plan": `"pro"`, "Nick": `"ada"`,
		"lines": `[{"sku":"A"}]`,
	}
	for i := 0; i+1 < len(replace); i += 2 {
		members[replace[i]] = replace[i+1]
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range []string{"user", "seen", "visits", "score", "small", "left", "admin", "quoted", "role", "plan", "Nick", "lines"} {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + k + `":` + members[k])
	}
	b.WriteByte('}')
	return b.String()
}

func fieldViewData() fieldView {
	return fieldView{
		User: "ada", Seen: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), Visits: 3, Score: 1.5, Small: 0.25,
		Left: 7, Admin: true, Quoted: "vip", Role: "admin", Plan: "pro", Nick: "ada", Lines: []sameLine{{SKU: "A"}},
	}
}

// TestSaveJSONFieldByField: a JSON record another program wrote whose
// members are this code's, in its order, but one spelled otherwise (a
// float as 1.0, a time with milliseconds, an escape, a value a type
// decodes itself) is not written by a request that only read it, whether
// the member is one samefields.go compares itself or one it leaves to the
// decode of a zero T (a `,string` field, a type with UnmarshalJSON or
// UnmarshalText, a time); a change of that member, and of a counter
// beside it, is written and read back.
func TestSaveJSONFieldByField(t *testing.T) {
	records := []struct {
		name   string
		text   string
		change func(*fieldView)
	}{
		{"as this code writes", fieldViewText(), func(v *fieldView) { v.Visits++ }},
		{"float spelled 1.50", fieldViewText("score", `1.50`), func(v *fieldView) { v.Score = 2 }},
		{"float spelled 15e-1", fieldViewText("score", `15e-1`), func(v *fieldView) { v.Score = 1.25 }},
		{"float32 spelled with more digits", fieldViewText("small", `0.2500000001`), func(v *fieldView) { v.Small = 0.5 }},
		{"time with milliseconds", fieldViewText("seen", `"2026-11-21T12:00:00.000Z"`), func(v *fieldView) { v.Seen = v.Seen.Add(time.Second) }},
		{"time with nanoseconds", fieldViewText("seen", `"2026-11-21T12:00:00.000000000Z"`), func(v *fieldView) { v.Seen = v.Seen.Add(time.Nanosecond) }},
		{"time changed only", fieldViewText("seen", `"2026-11-21T12:00:00.000Z"`), func(v *fieldView) { v.Seen = v.Seen.Add(time.Millisecond); v.Visits -= 10 }},
		{"string with an escape", fieldViewText("user", `"\u0061da"`), func(v *fieldView) { v.User = "bob" }},
		{"untagged field's string with an escape", fieldViewText("Nick", `"ad\u0061"`), func(v *fieldView) { v.Nick = "bob" }},
		{"`,string` field with an escape inside", fieldViewText("quoted", `"\"\\u0076ip\""`), func(v *fieldView) { v.Quoted = "gold" }},
		{"UnmarshalJSON type in upper case", fieldViewText("role", `"ADMIN"`), func(v *fieldView) { v.Role = "user" }},
		{"UnmarshalText type with spaces", fieldViewText("plan", `" pro "`), func(v *fieldView) { v.Plan = "free" }},
	}
	cases := map[string]func(t *testing.T, e *env){}
	for _, rec := range records {
		cases[rec.name] = func(t *testing.T, e *env) {
			repo := newRepo(t, e, func(o *dynamosession.Options[fieldView]) { o.Codec = codec.JSON[fieldView]() })
			s, _ := readStored(t, e, repo, &types.AttributeValueMemberS{Value: rec.text})
			if diff := cmp.Diff(fieldViewData(), s.Data); diff != "" {
				t.Fatalf("read mismatch (-want +got):\n%s", diff)
			}
			saveReadThenChanged(t, e, repo, s, func(v *fieldView) { rec.change(v); v.Visits += 10 })
		}
	}
	onBackends(t, cases)
}

// saveReadThenChanged saves s, a session only read, which must send
// nothing and leave the stored text as it is, then a copy of it after
// change, which must send one UpdateItem and read back as changed.
func saveReadThenChanged(t *testing.T, e *env, repo *dynamosession.Repo[fieldView], s *dynamosession.Session[fieldView], change func(*fieldView)) {
	t.Helper()
	ctx := context.Background()
	key := repo.Options().Prefix + s.ID
	before := e.raw(t, key)["sess"].(*types.AttributeValueMemberS).Value
	e.reset()
	if err := repo.Save(ctx, s); err != nil || e.count("") != 0 {
		t.Fatalf("Save of a session only read = %v after %d requests, want nil after 0", err, e.count(""))
	}
	if got := e.raw(t, key)["sess"].(*types.AttributeValueMemberS).Value; got != before {
		t.Errorf("stored text changed:\n got %s\nwant %s", got, before)
	}
	read := *s // the change from the session as read, as a request makes it
	change(&read.Data)
	if err := repo.Save(ctx, &read); err != nil || e.count("UpdateItem") != 1 {
		t.Fatalf("Save of a change = %v after %d UpdateItems, want nil after 1", err, e.count("UpdateItem"))
	}
	got, err := repo.Get(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(read.Data, got.Data); diff != "" {
		t.Errorf("read back mismatch (-want +got):\n%s", diff)
	}
}

// TestSaveJSONMembersNotInStep: members the fresh encoding does not pair
// in step (a key that names a field only ignoring case, a member T does
// not declare) go by key to the decode of a zero T: not written when only
// read; a change is written, keeping the unknown member.
func TestSaveJSONMembersNotInStep(t *testing.T) {
	records := []struct{ name, text string }{
		{"a key equal to a field's name ignoring case", strings.Replace(fieldViewText(), `"visits":`, `"VISITS":`, 1)},
		{"a member unknown to T", strings.Replace(fieldViewText(), `"lines":`, `"extra":"node","lines":`, 1)},
	}
	cases := map[string]func(t *testing.T, e *env){}
	for _, rec := range records {
		cases[rec.name] = func(t *testing.T, e *env) {
			repo := newRepo(t, e, func(o *dynamosession.Options[fieldView]) { o.Codec = codec.JSON[fieldView]() })
			s, key := readStored(t, e, repo, &types.AttributeValueMemberS{Value: rec.text})
			if diff := cmp.Diff(fieldViewData(), s.Data); diff != "" {
				t.Fatalf("read mismatch (-want +got):\n%s", diff)
			}
			saveReadThenChanged(t, e, repo, s, func(v *fieldView) { v.Visits++ })
			if strings.Contains(rec.text, `"extra"`) && nodeView(t, e.raw(t, key)["sess"])["extra"] != "node" {
				t.Errorf("stored %v, want the unknown member extra kept", e.raw(t, key)["sess"])
			}
		}
	}
	onBackends(t, cases)
}

// TestGetJSONFloatIntoInt: 1.0 is no integer to encoding/json, so a record
// holding it where T has an int does not decode, and is never written.
func TestGetJSONFloatIntoInt(t *testing.T) {
	onBackends(t, map[string]func(t *testing.T, e *env){"": func(t *testing.T, e *env) {
		repo := newRepo(t, e, func(o *dynamosession.Options[fieldView]) { o.Codec = codec.JSON[fieldView]() })
		id := newID(t)
		text := fieldViewText("visits", `3.0`)
		e.putRaw(t, map[string]types.AttributeValue{
			"id":      &types.AttributeValueMemberS{Value: repo.Options().Prefix + id},
			"sess":    &types.AttributeValueMemberS{Value: text},
			"expires": &types.AttributeValueMemberN{Value: "9999999999"},
		})
		var de *dynamosession.DecodeError
		if _, err := repo.Get(context.Background(), id); !errors.As(err, &de) {
			t.Fatalf("Get = %v, want a *DecodeError", err)
		}
	}})
}
