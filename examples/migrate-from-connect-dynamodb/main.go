// Command migrate-from-connect-dynamodb is a Go service taking over the
// sessions of an Express app that stores them with connect-dynamodb: it
// reads the app's records (key prefix "sess:", the session as a JSON
// string beside type "connect-session") from the cookie express-session
// signed, and writes them back as msgpack, lazily, as sessions change.
//
// While the Express app still serves users from the same table, run this
// service with -codec json: express-session accepts this service's cookies
// and records, but connect-dynamodb reads only JSON records, and treats a
// msgpack one as no session at all (its user would be signed out there).
// Once the Express app is retired, switch to msgpack, the smallest format;
// records then move over as sessions change, or as they are read with
// -rewrite-on-read.
//
//	go run ./examples/migrate-from-connect-dynamodb                  # a scripted demo on the embedded fake
//	go run ./examples/migrate-from-connect-dynamodb -rewrite-on-read # migrating on reads too
//	go run ./examples/migrate-from-connect-dynamodb -serve           # serve the demo sessions on PORT
//
// On the fake it seeds sessions exactly as connect-dynamodb 3.0.5 writes
// them and prints, request by request, what was read, what was written and
// the record's format and size. With DYNAMODB_ENDPOINT and/or
// DYNAMOSESSION_TABLE set it serves the real table on PORT (default 3001)
// instead; EXPRESS_SECRETS (comma-separated, newest first) must then hold
// the Express app's session secret(s).
//
// Routes: GET / shows the session; POST /cart?sku=X adds to the cart.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/express"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/httpsession"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/ttl"
)

// Session mirrors what the Express app keeps in req.session. Every field
// either app relies on must be here: a Go write stores this struct, so a
// field it lacks would be dropped.
type Session struct {
	express.Session        // req.session.cookie, which express-session needs
	User            *User  `json:"user,omitempty"`
	Cart            []Item `json:"cart,omitempty"`
	Visits          int    `json:"visits"`
}

// User is the signed-in user.
type User struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// Item is a cart line.
type Item struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

// demoSecret is the express-session secret of the demo's seeded sessions.
const demoSecret = "keyboard cat"

// maxAge is the Express app's cookie.maxAge, and so the sessions' TTL.
const maxAge = 14 * 24 * time.Hour

type settings struct {
	rewriteOnRead bool
	serve         bool
	codec         string
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("migrate: ")
	s, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		os.Exit(2) // parseFlags has said what is wrong
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, s, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// parseFlags reads the command line; on a mistake it reports it to
// stderr. Its usage names the program, not os.Args[0], which under go run
// is a path in the build cache.
func parseFlags(args []string, stderr io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("migrate-from-connect-dynamodb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&s.rewriteOnRead, "rewrite-on-read", false, "rewrite a JSON record as msgpack when it is read, not only when it changes (one write per session, once)")
	fs.BoolVar(&s.serve, "serve", false, "on the fake: serve the seeded sessions on PORT instead of running the scripted demo")
	fs.StringVar(&s.codec, "codec", "msgpack", "format to write: msgpack (smallest), or json while the Express app still reads the table")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: migrate-from-connect-dynamodb [flags]

A Go service taking over the sessions of an Express app that stores them with
connect-dynamodb. Without DYNAMODB_ENDPOINT or DYNAMOSESSION_TABLE set it runs
a scripted demo on an embedded in-memory DynamoDB; see the package
documentation (go doc ./examples/migrate-from-connect-dynamodb).

flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected arguments %q (see -h)", fs.Args())
		fmt.Fprintf(stderr, "migrate-from-connect-dynamodb: %v\n", err)
		return s, err
	}
	return s, nil
}

func run(ctx context.Context, s settings, out io.Writer) error {
	if os.Getenv("DYNAMODB_ENDPOINT") != "" || os.Getenv("DYNAMOSESSION_TABLE") != "" {
		client, err := realClient(ctx)
		if err != nil {
			return err
		}
		secrets := strings.Split(os.Getenv("EXPRESS_SECRETS"), ",")
		if secrets[0] == "" {
			return errors.New("EXPRESS_SECRETS must hold the Express app's session secret(s), comma-separated, newest first")
		}
		h, err := newService(client, tableName(), secrets, s, time.Now)
		if err != nil {
			return err
		}
		return serve(ctx, h, out, fmt.Sprintf("table %q", tableName()))
	}

	// The embedded fake, seeded as the Express app would have left it. The
	// demo runs at a fixed time, so that its output is always the same.
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	if s.serve {
		now = time.Now()
	}
	clock := func() time.Time { return now }
	db := fake.New()
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(tableName()),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	}); err != nil {
		return err
	}
	seeds := []seed{
		{sid: "ZtqJ4Cq2kEB6nOD0cO6hHRkpZpN-mG7x", sess: `{"user":{"id":7,"name":"Ada"},"cart":[{"sku":"A-1","qty":2}],"visits":3}`},
		{sid: "Qx1a9Z3b-B8uvGL0RvZ1rlP3k8oT8iPx", sess: `{"user":{"id":8,"name":"Grace"},"visits":1}`},
	}
	for _, sd := range seeds {
		if err := db.PutRaw(tableName(), connectItem(sd, now.Add(-10*time.Minute-3*time.Millisecond))); err != nil {
			return err
		}
	}
	if !s.serve {
		return demo(db, seeds, s, clock, out)
	}
	h, err := newService(db, tableName(), []string{demoSecret}, s, time.Now)
	if err != nil {
		return err
	}
	for _, sd := range seeds {
		fmt.Fprintf(out, "seeded session %s: send the cookie connect.sid=%s\n", sd.sid, express.CookieValue(sd.sid, demoSecret))
	}
	return serve(ctx, h, out, "embedded in-memory DynamoDB, seeded")
}

func tableName() string {
	if t := os.Getenv("DYNAMOSESSION_TABLE"); t != "" {
		return t
	}
	return "sessions"
}

// seed is a session the Express app created.
type seed struct{ sid, sess string }

// connectItem returns the item connect-dynamodb 3.0.5 writes for a session
// created at t with a 14-day maxAge: expires in fractional seconds (now in
// whole seconds plus maxAge/1000), the session and express-session's
// cookie object as a JSON string, and type "connect-session".
func connectItem(sd seed, t time.Time) map[string]types.AttributeValue {
	exp := t.Add(maxAge)
	cookie := fmt.Sprintf(`{"cookie":{"originalMaxAge":%d,"expires":%q,"httpOnly":true,"path":"/"},`,
		maxAge.Milliseconds(), exp.UTC().Format("2006-01-02T15:04:05.000Z"))
	return map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: "sess:" + sd.sid},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprintf("%d.%03d", exp.Unix(), exp.Nanosecond()/1e6)},
		"type":    &types.AttributeValueMemberS{Value: "connect-session"},
		"sess":    &types.AttributeValueMemberS{Value: cookie + sd.sess[1:]},
	}
}

// newService returns the Go service: the repository reads connect-dynamodb
// records and writes msgpack (or JSON), and the middleware speaks
// express-session's signed cookie.
func newService(client dynamosession.API, table string, secrets []string, s settings, now func() time.Time) (http.Handler, error) {
	if s.codec != "msgpack" && s.codec != "json" {
		return nil, fmt.Errorf("-codec %q: want msgpack or json", s.codec)
	}
	repo, err := dynamosession.New[Session](client, table, func(o *dynamosession.Options[Session]) {
		o.Prefix = "sess:" // connect-dynamodb's
		o.Codec = codec.Msgpack[Session]()
		if s.codec == "json" {
			o.Codec = codec.JSON[Session]()
		}
		o.RewriteOnRead = s.rewriteOnRead
		o.TTL = ttl.Sliding(maxAge)
		o.Clock = now
	})
	if err != nil {
		return nil, err
	}
	sessions, err := httpsession.New(repo, func(o *httpsession.Options) { o.ExpressSecrets = secrets })
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		d := httpsession.Get[Session](r).Data
		if d.User == nil {
			fmt.Fprintln(w, "not signed in")
			return
		}
		fmt.Fprintf(w, "%s, cart %v\n", d.User.Name, d.Cart)
	})
	mux.HandleFunc("POST /cart", func(w http.ResponseWriter, r *http.Request) {
		s := httpsession.Get[Session](r)
		if s.Data.User == nil {
			http.Error(w, "sign in first", http.StatusForbidden)
			return
		}
		s.Data.Cart = append(s.Data.Cart, Item{SKU: r.URL.Query().Get("sku"), Qty: 1})
		fmt.Fprintf(w, "%s, cart %v\n", s.Data.User.Name, s.Data.Cart)
	})
	return sessions.Handler(mux), nil
}

// demo sends requests as the Express app's users' browsers would, and
// prints what each cost and what it left in the table.
func demo(db *fake.DB, seeds []seed, s settings, now func() time.Time, out io.Writer) error {
	h, err := newService(db, tableName(), []string{demoSecret}, s, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded %d sessions as connect-dynamodb writes them; this service writes %s, rewrite on read: %v\n", len(seeds), s.codec, s.rewriteOnRead)
	for _, sd := range seeds {
		fmt.Fprintf(out, "  %s\n", describe(db, sd.sid))
	}
	steps := []struct {
		who    int
		method string
		path   string
	}{
		{0, "GET", "/"},
		{0, "GET", "/"},
		{0, "POST", "/cart?sku=B-2"},
		{0, "GET", "/"},
		{1, "GET", "/"},
	}
	for _, st := range steps {
		sd := seeds[st.who]
		db.ResetStats()
		r := httptest.NewRequest(st.method, "https://shop.example"+st.path, nil)
		// What the browser holds from express-session.
		r.Header.Set("Cookie", "connect.sid="+express.CookieValue(sd.sid, demoSecret))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		st2 := db.Stats()
		fmt.Fprintf(out, "%s %s as %s… → %d %s", st.method, st.path, sd.sid[:6], rec.Code, rec.Body.String())
		fmt.Fprintf(out, "  requests: %d get, %d update; %.1f read, %.0f write units\n",
			st2.Calls["GetItem"], st2.Calls["UpdateItem"], st2.ReadUnits, st2.WriteUnits)
		fmt.Fprintf(out, "  %s\n", describe(db, sd.sid))
	}
	return nil
}

// describe tells the format and size of a session's record.
func describe(db *fake.DB, sid string) string {
	item, ok := db.Item(tableName(), map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "sess:" + sid}})
	if !ok {
		return "record gone"
	}
	format := codecs.Detect(item["sess"])
	_, typed := item["type"]
	return fmt.Sprintf("record %s…: %s, %d bytes, type attribute: %v", sid[:6], format, capacity.ItemSize(item), typed)
}

func realClient(ctx context.Context) (*dynamodb.Client, error) {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	var opts []func(*config.LoadOptions) error
	if endpoint != "" {
		if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
			opts = append(opts, config.WithRegion("us-east-1"))
		}
		if os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
			opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

func serve(ctx context.Context, h http.Handler, out io.Writer, where string) error {
	port := os.Getenv("PORT")
	if port == "" {
		port = "3001"
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "migrate: listening on http://localhost:%d (sessions: %s)\n", ln.Addr().(*net.TCPAddr).Port, where)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	}
}
