package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/cmd/dynamosession/internal/tableadmin"
	"github.com/dynamosession/dynamosession/internal/metered"
	"github.com/dynamosession/dynamosession/internal/tablekey"
	"github.com/dynamosession/dynamosession/ttl"
)

// ownerCommand holds what sessions and revoke share: the table, its
// attribute names as the application's Options give them, and the owner.
type ownerCommand struct {
	tf       tableFlags
	rf       recordFlags
	of       ownerFlags
	cf       connFlags
	owner    string
	hashIDs  bool
	lifetime time.Duration
}

func (o *ownerCommand) register(fs *flag.FlagSet, e *env) {
	fs.StringVar(&o.owner, "owner", "", "the user whose sessions to act on, as Options.Owner returns it (required)")
	o.tf.register(fs)
	o.rf.register(fs)
	o.of.register(fs, "")
	fs.BoolVar(&o.hashIDs, "hash-ids", false, "the table stores SHA-256 hashes of session IDs (Options.HashIDs): listings show the hashes' first characters")
	fs.DurationVar(&o.lifetime, "ttl", 24*time.Hour, "the sessions' lifetime (Options.TTL): the last write is the expiry minus it")
	o.cf.register(fs, e)
}

// meter adds up the capacity a repository's requests consumed, by
// operation, as DynamoDB reported it to the metered client the repository
// calls.
type meter struct {
	mu    sync.Mutex
	units map[string]float64
}

func (m *meter) observe(c metered.Call) {
	if c.Consumed == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.units == nil {
		m.units = map[string]float64{}
	}
	m.units[c.Op] += aws.ToFloat64(c.Consumed.CapacityUnits)
}

// String writes "read units 1.5 (Query 0.5, BatchGetItem 1.0); write
// units 2.0 (DeleteItem 2.0)", leaving out a kind nothing consumed.
func (m *meter) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var parts []string
	for _, kind := range []struct {
		name string
		ops  []string
	}{
		{"read units", []string{"Query", "BatchGetItem", "GetItem"}},
		{"write units", []string{"PutItem", "DeleteItem", "UpdateItem"}},
	} {
		var total float64
		var each []string
		for _, op := range kind.ops {
			if u, ok := m.units[op]; ok {
				total += u
				each = append(each, fmt.Sprintf("%s %.1f", op, u))
			}
		}
		if len(each) > 0 {
			parts = append(parts, fmt.Sprintf("%s %.1f (%s)", kind.name, total, strings.Join(each, ", ")))
		}
	}
	if len(parts) == 0 {
		return "no capacity reported"
	}
	return strings.Join(parts, "; ")
}

// open checks the flags, connects, checks that the table has the key and
// the owner index the flags name, and returns a repository over it with
// the application's attribute names. It sends one DescribeTable: a wrong
// -key or -owner-index is named instead of turning into an empty answer.
func (o *ownerCommand) open(ctx context.Context, e *env, revocationCheck time.Duration) (*dynamosession.Repo[noData], *meter, error) {
	switch {
	case o.owner == "":
		return nil, nil, usagef("-owner is required: the user whose sessions to act on")
	case o.lifetime <= 0:
		return nil, nil, usagef("-ttl %v: want the sessions' lifetime, such as 24h", o.lifetime)
	case revocationCheck < 0:
		return nil, nil, usagef("-revocation-check %v is negative", revocationCheck)
	}
	attrs := map[string]string{}
	for _, a := range []struct{ flag, name string }{
		{"-key", o.tf.key}, {"-data", o.rf.data}, {"-expires", o.tf.expires}, {"-owner-attr", o.of.attr},
	} {
		if other, ok := attrs[a.name]; ok {
			return nil, nil, usagef("%s and %s are both %q: they name different attributes", other, a.flag, a.name)
		}
		attrs[a.name] = a.flag
	}
	m := &meter{}
	newRepo := func(c dynamosession.API) (*dynamosession.Repo[noData], error) {
		return dynamosession.New[noData](metered.New(c, m.observe), o.tf.table, func(opts *dynamosession.Options[noData]) {
			opts.KeyAttr, opts.DataAttr, opts.ExpiresAttr = o.tf.key, o.rf.data, o.tf.expires
			opts.Prefix = o.rf.prefix
			opts.OwnerAttr, opts.OwnerIndex = o.of.attr, o.of.index
			opts.HashIDs = o.hashIDs
			opts.TTL = ttl.Sliding(o.lifetime)
			opts.RevocationCheck = revocationCheck
			opts.Clock = e.now
		})
	}
	// Check the options before connecting: a bad flag is a usage error,
	// named by the flag rather than by the Options field.
	if _, err := newRepo(nopAPI{}); err != nil {
		return nil, nil, usageError{optionFlags.Replace(strings.TrimPrefix(err.Error(), "dynamosession: "))}
	}
	c, err := o.cf.connect(ctx, e, true)
	if err != nil {
		return nil, nil, err
	}
	out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &o.tf.table})
	if hint := tableHint(err, o.tf.table); hint != "" {
		return nil, nil, fmt.Errorf("%w\n%s", err, hint)
	}
	if err != nil {
		return nil, nil, err
	}
	if msg := tablekey.Problem(out.Table, o.tf.key); msg != "" {
		return nil, nil, fmt.Errorf("table %s: %s: pass the table's partition key with -key", o.tf.table, msg)
	}
	if err := tableadmin.CheckOwnerIndex(out.Table, o.of.index, o.of.attr); err != nil {
		msg := strings.TrimPrefix(err.Error(), "tableadmin: ")
		return nil, nil, fmt.Errorf("%s\nName the application's Options.OwnerIndex and OwnerAttr with -owner-index and -owner-attr; check-table shows the index and how to add it", msg)
	}
	r, err := newRepo(c)
	return r, m, err
}

// optionFlags names the flags that set the repository's options, in
// New's error messages. Longer names come first: a replacer tries its
// pairs in order.
var optionFlags = strings.NewReplacer(
	"RevocationCheck", "-revocation-check",
	"OwnerIndex", "-owner-index",
	"OwnerAttr", "-owner-attr",
	"ExpiresAttr", "-expires",
	"DataAttr", "-data",
	"KeyAttr", "-key",
	"TTL", "-ttl",
)

// noData is the session type of the repository sessions and revoke use:
// listing and revoking read keys, owners and expiries, never the data, so
// the application's type does not matter and sealed sessions need no keys.
type noData struct{}

// nopAPI is a client that is never called: New checks options with it.
type nopAPI struct{ dynamosession.API }

func runSessions(ctx context.Context, args []string, e *env) error {
	fs := newFlags(e, "sessions", "-owner USER [flags]", `
List a user's live sessions: a Query of the owner index (-owner-index),
then the sessions' items, 100 to a BatchGetItem, eventually consistent.
Never a Scan. Each line shows the first characters of the session ID
(an ID is a bearer credential: the whole one is never printed), when the
session was signed in (got its owner), when it was last written (its
expiry minus -ttl) and when it expires. Expired sessions are left out.
Sessions exist in the index only if the application sets Options.Owner;
connect-dynamodb's own writes drop the owner attribute.

Costs 0.5 read unit per 4 KB of index keys (about 80 sessions), and 0.5
per 4 KB of each session's item; the totals are printed. The index is
eventually consistent: a session signed in within the last second or so
may be missing.

Needs dynamodb:DescribeTable and dynamodb:BatchGetItem on the table, and
dynamodb:Query on the index (arn:aws:dynamodb:REGION:ACCOUNT:table/TABLE/index/INDEX).
`)
	var o ownerCommand
	o.register(fs, e)
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	repo, m, err := o.open(ctx, e, 0)
	if err != nil {
		return err
	}
	list, err := repo.ListOwner(ctx, o.owner, "")
	if err := ownerArgError(err); err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintf(e.stdout, "user %q: no live sessions in table %s\n%s\n", o.owner, o.tf.table, m)
		return nil
	}
	fmt.Fprintf(e.stdout, "user %q: %s in table %s\n", o.owner, plural(len(list), "live session"), o.tf.table)
	w := tabwriter.NewWriter(e.stdout, 0, 0, 3, ' ', 0)
	fmt.Fprintln(w, "  SESSION\tSIGNED IN\tLAST WRITTEN\tEXPIRES")
	now := e.now()
	future := false
	for _, s := range list {
		written := stamp(s.LastWritten)
		if s.LastWritten.After(now) {
			// The expiry is further away than -ttl: the application's
			// lifetime is longer.
			written, future = "?", true
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s (%s)\n", s.RedactedID, stamp(s.OwnedAt), written, stamp(s.ExpiresAt), relative(s.ExpiresAt.Sub(now)))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "times in UTC; last written is the expiry minus -ttl %v\n", o.lifetime)
	if future {
		fmt.Fprintf(e.stdout, "?: the session expires more than -ttl %v from now; pass the application's session lifetime (Options.TTL) as -ttl\n", o.lifetime)
	}
	fmt.Fprintln(e.stdout, m)
	return nil
}

// stamp writes an instant in UTC to the second, or "-" for none.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.DateTime)
}

func runRevoke(ctx context.Context, args []string, e *env) error {
	fs := newFlags(e, "revoke", "-owner USER [-except SESSION-ID] [flags]", `
End every session of a user, as "sign out everywhere" does: a Query of the
owner index (-owner-index), a page of up to 1,000 sessions at a time, and
for each session a DeleteItem on condition that it is still the user's
and was signed in before the revocation began, so a session that changed
hands or a new login meanwhile is left alone. -except keeps one session
(the user's current device): it must be one of the user's live sessions,
checked first, or nothing is revoked. Prints how many sessions it ended,
and how many expired records it deleted on the way. It is idempotent: if
it fails part way (throttling), run it again to finish.

The index is eventually consistent: a session signed in within the last
second or so may be missed. Run revoke again a minute later, or, if the
application sets Options.RevocationCheck, pass the same duration as
-revocation-check: the revocation then also writes the user's revocation
marker, which the application checks for sessions that young.

Costs 0.5 read unit per 4 KB of index keys, and per session 1 write unit
per started KB plus 1 for its index entry (with -except, also the
listing's reads; with -revocation-check, 1 write unit for the marker).

Needs dynamodb:DescribeTable and dynamodb:DeleteItem on the table and
dynamodb:Query on the index (arn:aws:dynamodb:REGION:ACCOUNT:table/TABLE/index/INDEX);
with -except also dynamodb:BatchGetItem, with -revocation-check also
dynamodb:PutItem.
`)
	var (
		o      ownerCommand
		except = fs.String("except", "", "session ID to keep (the whole ID, without the prefix): the current device")
		check  = fs.Duration("revocation-check", 0, "the application's Options.RevocationCheck: also write the user's revocation marker (default 0: none)")
	)
	o.register(fs, e)
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	repo, m, err := o.open(ctx, e, *check)
	if err != nil {
		return err
	}
	kept := ""
	if *except != "" {
		// A wrong prefix or an ID of another user would make the revocation
		// end the very session it was told to keep.
		list, err := repo.ListOwner(ctx, o.owner, *except)
		if err := ownerArgError(err); err != nil {
			return err
		}
		for _, s := range list {
			if s.Current {
				kept = s.RedactedID
			}
		}
		if kept == "" {
			return fmt.Errorf("-except: the session to keep is not one of user %q's %s in table %s (check the ID, -prefix and -hash-ids; a session signed in a second ago may not be in the index yet); nothing was revoked",
				o.owner, plural(len(list), "live session"), o.tf.table)
		}
	}
	rev, err := repo.RevokeOwner(ctx, o.owner, *except)
	if errors.Is(err, dynamosession.ErrInvalidOwner) || errors.Is(err, dynamosession.ErrInvalidID) {
		return ownerArgError(err) // nothing was sent
	}
	fmt.Fprintf(e.stdout, "user %q: ended %s in table %s", o.owner, plural(rev.Ended, "session"), o.tf.table)
	if kept != "" {
		fmt.Fprintf(e.stdout, ", kept %s (-except)", kept)
	}
	if rev.Dead > 0 {
		fmt.Fprintf(e.stdout, "; also deleted %s (expired, or without data)", plural(rev.Dead, "dead record"))
	}
	fmt.Fprintf(e.stdout, "\n%s\n", m)
	if err != nil {
		fmt.Fprintf(e.stderr, "dynamosession revoke: %v\nThe revocation stopped part way: run the same command again to end the rest.\n", err)
		return errReported
	}
	if *check == 0 {
		fmt.Fprintln(e.stdout, "note: the owner index lags writes by about a second; to end a session signed in just now, run revoke again in a minute (or see -revocation-check)")
	}
	return nil
}

// ownerArgError turns the repository's ErrInvalidOwner and ErrInvalidID,
// which name its arguments, into usage errors that name the flags.
func ownerArgError(err error) error {
	switch {
	case errors.Is(err, dynamosession.ErrInvalidOwner):
		return usagef("-owner: %s", lastPart(err))
	case errors.Is(err, dynamosession.ErrInvalidID):
		return usagef("-except: %s", lastPart(err))
	}
	return err
}

// lastPart is an error's message after its last "dynamosession: …: "
// context, which names the library's operation rather than the flag.
func lastPart(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "dynamosession: "); i >= 0 {
		msg = msg[i+len("dynamosession: "):]
	}
	return msg
}
