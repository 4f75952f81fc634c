// Command dynamosession operates the DynamoDB tables that
// github.com/dynamosession/dynamosession stores sessions in: it creates a
// table for a proof of concept, checks that a production table is set up
// right, migrates every session to another record format online, shows
// one session for debugging, lists and revokes a user's sessions, counts
// the records of each schema version, and prints what a workload costs.
//
//	dynamosession create-table -table sessions
//	dynamosession check-table -table sessions -reads 800 -writes 60
//	dynamosession migrate -table sessions -prefix sess: -from json -to msgpack -checkpoint migrate.json
//	dynamosession inspect -table sessions 3kTMd2Xq…
//	dynamosession sessions -table sessions -owner user-42
//	dynamosession revoke -table sessions -owner user-42
//	dynamosession schemas -table sessions
//	dynamosession cost -codec msgpack -touch 1h
//
// It talks to the DynamoDB of the usual AWS configuration (environment,
// shared config files, SSO, instance roles), or to DynamoDB Local with
// -endpoint http://127.0.0.1:8000 (or DYNAMODB_ENDPOINT), or, with -fake,
// to an in-memory DynamoDB holding a demo table, to try it without any
// server (dynamosession demo describes it). Run dynamosession -h, or
// dynamosession COMMAND -h, for usage.
//
// Exit status: 0 on success, 1 when a command fails or finds problems
// (check-table) or leaves records unmigrated (migrate), 2 on a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/migrate"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// env is the world a command runs in: the process's in main, a recorded
// one in tests.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	tty            bool // stderr is a terminal: draw progress in place
	// db, when set, is the in-memory DynamoDB -fake uses, instead of a
	// fresh one with the demo table.
	db *fake.DB
	// afterPage, when set, sees the report of a migration after every
	// page: tests interrupt it there.
	afterPage func(migrate.Report)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first Ctrl-C stops a migration cleanly, at a checkpoint;
		// a second one kills the process as usual.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], &env{
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		now:    time.Now,
		tty:    isTerminal(os.Stderr),
	}))
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// A command is one subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, e *env) error
}

var commands = []command{
	{"create-table", "create a session table, for proofs of concept (not production accounts)", runCreateTable},
	{"check-table", "check a table is set up right for sessions (read-only)", runCheckTable},
	{"migrate", "rewrite every session in another format, online and resumable", runMigrate},
	{"inspect", "show one session: data, format, size, expiry and what it costs", runInspect},
	{"sessions", "list a user's live sessions, by the owner index", runSessions},
	{"revoke", "end every session of a user (all but one with -except)", runRevoke},
	{"schemas", "count a table's live records by schema version (scans the table)", runSchemas},
	{"cost", "what a session workload costs, by codec and touch policy", runCost},
	{"demo", "describe the demo table that -fake holds, and what to try on it", runDemo},
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: dynamosession COMMAND [flags]

Operate the DynamoDB tables of github.com/dynamosession/dynamosession.

commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run dynamosession COMMAND -h for its flags. Commands that reach DynamoDB
take -endpoint URL (default $DYNAMODB_ENDPOINT) for DynamoDB Local,
-region, and -fake to try them on an in-memory DynamoDB holding a demo
table of sessions: dynamosession demo lists its session IDs and users.

exit status: 0 success, 1 failure or problems found, 2 usage error
`)
}

// run runs the command line args (without the program name) and returns
// the exit status.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	if (args[0] == "-fake" || args[0] == "--fake") && len(args) > 1 {
		// "dynamosession -fake inspect …" means "inspect -fake …".
		args = append([]string{args[1], "-fake"}, args[2:]...)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			return run(ctx, []string{args[1], "-h"}, e)
		}
		usage(e.stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], e)
		var ue usageError
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.Is(err, errReported):
			return exitFail
		case errors.As(err, &ue):
			if ue.msg != "" {
				fmt.Fprintf(e.stderr, "dynamosession %s: %s\nRun 'dynamosession %s -h' for usage.\n", c.name, ue.msg, c.name)
			}
			return exitUsage
		default:
			fmt.Fprintf(e.stderr, "dynamosession %s: %v\n", c.name, err)
			return exitFail
		}
	}
	if guess := closestCommand(args[0]); guess != "" {
		fmt.Fprintf(e.stderr, "dynamosession: unknown command %q: did you mean %s?\nRun 'dynamosession -h' for the commands.\n", args[0], guess)
		return exitUsage
	}
	fmt.Fprintf(e.stderr, "dynamosession: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

// closestCommand returns the command name a mistyped word most likely
// meant: within two edits of it (a letter dropped, doubled, swapped or
// wrong), or the only command it begins ("insp"). "" when there is no
// such command, or more than one is as close.
func closestCommand(word string) string {
	word = strings.ToLower(strings.TrimLeft(word, "-"))
	best, bestDist, tie := "", 3, false
	var prefixed []string
	for _, c := range commands {
		if word != "" && strings.HasPrefix(c.name, word) {
			prefixed = append(prefixed, c.name)
		}
		switch d := editDistance(word, c.name); {
		case d < bestDist:
			best, bestDist, tie = c.name, d, false
		case d == bestDist:
			tie = true
		}
	}
	switch {
	case best != "" && !tie:
		return best
	case len(prefixed) == 1:
		return prefixed[0]
	}
	return ""
}

// editDistance is the optimal string alignment distance between a and b:
// the insertions, deletions, substitutions and swaps of neighbouring
// letters that turn one into the other.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// usageError is a command line that cannot be run: exit status 2. An empty
// msg means the flag package has already said what is wrong.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// errReported means the command has printed why it failed: exit status 1
// without another message.
var errReported = errors.New("failure already reported")

// newFlags returns a flag set for a command whose usage is synopsis and
// description, printing to e.stderr.
func newFlags(e *env, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: dynamosession %s %s\n\n%s\nflags:\n", name, synopsis, strings.TrimLeft(description, "\n"))
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args with fs, allowing flags after positional arguments
// ("inspect ID -table t"), and returns the positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseFlagsOnly parses args for a command that takes no positional
// arguments.
func parseFlagsOnly(fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args)
	if err == nil && len(pos) > 0 {
		err = usagef("unexpected argument %q", pos[0])
	}
	return err
}
