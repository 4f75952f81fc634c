// Command webapp is a small site with a login, built on package
// httpsession: /login signs a user in, later pages see the user, /logout
// signs out.
//
//	go run ./examples/webapp      # then open http://localhost:3001
//
// The session cookie is issued at login, with a new ID (Regenerate: an ID
// that existed before the login never carries the signed-in user), and
// then stays the same on every later page until logout. Anonymous visitors
// get no cookie and cost no DynamoDB request; a signed-in page view is one
// GetItem; the login is one PutItem and the logout one DeleteItem (and, on
// a store with the default touch policy, one UpdateItem an hour slides the
// expiry).
//
// Configuration, from the environment:
//
//	PORT                 port to listen on (default 3001; 0 picks a free one)
//	DYNAMODB_ENDPOINT    a DynamoDB endpoint, such as DynamoDB Local at
//	                     http://127.0.0.1:8000
//	DYNAMOSESSION_TABLE  the table (default "sessions")
//
// With neither DYNAMODB_ENDPOINT nor DYNAMOSESSION_TABLE set, sessions live
// in the embedded in-memory DynamoDB (package fake), which needs no AWS
// account, and /debug/requests reports the DynamoDB calls made so far.
// Otherwise the table must exist (string partition key "id", TTL on
// "expires"); credentials and region come from the usual AWS configuration,
// and with an endpoint but no credentials configured the program uses
// dummy ones and us-east-1, which is what DynamoDB Local needs.
//
// The cookie is Secure, and browsers keep Secure cookies on
// http://localhost, so the site works there over plain HTTP; on any other
// host, serve it over HTTPS. Cross-site POSTs (CSRF) do not carry the
// cookie, because it is SameSite=Lax.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log"
	"net"
	"net/http"
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
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/httpsession"
	"github.com/dynamosession/dynamosession/ttl"
)

// Session is what the site keeps per signed-in visitor.
type Session struct {
	User       string    `json:"user"`
	SignedInAt time.Time `json:"signedInAt"`
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("webapp: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	client, db, where, err := openTable(ctx)
	if err != nil {
		return err
	}
	repo, err := dynamosession.New[Session](client, table(), func(o *dynamosession.Options[Session]) {
		o.Codec = codec.Msgpack[Session]{}       // the smallest records
		o.TTL = ttl.Sliding(14 * 24 * time.Hour) // signed out after two idle weeks
		o.Touch = ttl.TouchAfter(time.Hour)      // at most one expiry write an hour
	})
	if err != nil {
		return err
	}
	sessions, err := httpsession.New(repo)
	if err != nil {
		return err
	}

	port := os.Getenv("PORT")
	if port == "" {
		port = "3001"
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: routes(sessions, db), ReadHeaderTimeout: 10 * time.Second}
	// The e2e test reads this line for the port.
	fmt.Printf("webapp: listening on http://localhost:%d (sessions: %s)\n", ln.Addr().(*net.TCPAddr).Port, where)

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

func table() string {
	if t := os.Getenv("DYNAMOSESSION_TABLE"); t != "" {
		return t
	}
	return "sessions"
}

// openTable returns the DynamoDB client to use, the fake when it is one,
// and a description for the log.
func openTable(ctx context.Context) (dynamosession.API, *fake.DB, string, error) {
	if os.Getenv("DYNAMODB_ENDPOINT") == "" && os.Getenv("DYNAMOSESSION_TABLE") == "" {
		db := fake.New()
		_, err := db.CreateTable(ctx, tableSchema(table()))
		return db, db, "embedded in-memory DynamoDB", err
	}
	client, where, err := openClient(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	// Fail at start, not on the first login, if the table is not there.
	if _, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table())}); err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil, nil, "", fmt.Errorf("%s does not exist; create it with a string partition key \"id\" (and TTL on \"expires\"), e.g.\n"+
				"  aws dynamodb create-table --table-name %s --attribute-definitions AttributeName=id,AttributeType=S "+
				"--key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST", where, table())
		}
		return nil, nil, "", fmt.Errorf("%s: %w", where, err)
	}
	return client, nil, where, nil
}

// openClient returns a client for DynamoDB at DYNAMODB_ENDPOINT, or AWS's
// when it is not set.
func openClient(ctx context.Context) (*dynamodb.Client, string, error) {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	var opts []func(*config.LoadOptions) error
	if endpoint != "" {
		if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
			opts = append(opts, config.WithRegion("us-east-1"))
		}
		if os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
			// DynamoDB Local accepts any key made of letters and digits.
			opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, "", err
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	where := fmt.Sprintf("table %q", table())
	if endpoint != "" {
		where += " at " + endpoint
	}
	return client, where, nil
}

// tableSchema is the table the repository needs: a string partition key
// "id". (TTL on "expires" is for DynamoDB to delete expired sessions; the
// repository never serves them either way.)
func tableSchema(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	}
}

func routes(sessions *httpsession.Manager[Session], db *fake.DB) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		render(w, http.StatusOK, "home", sessions.Get(r).Data, "")
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		render(w, http.StatusOK, "login", sessions.Get(r).Data, "")
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		user := strings.TrimSpace(r.PostFormValue("user"))
		if user == "" || len(user) > 64 {
			render(w, http.StatusBadRequest, "login", Session{}, "Enter a user name of 1 to 64 characters.")
			return
		}
		s := sessions.Get(r)
		// A new ID for the new privilege: an ID planted or seen before the
		// login must not become a signed-in session (session fixation).
		if err := s.Regenerate(); err != nil {
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		s.Data = Session{User: user, SignedInAt: time.Now().UTC().Truncate(time.Second)}
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /account", func(w http.ResponseWriter, r *http.Request) {
		s := sessions.Get(r)
		if s.Data.User == "" {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		render(w, http.StatusOK, "account", s.Data, "")
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		sessions.Get(r).Destroy()
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	site := sessions.Handler(mux)
	if db == nil {
		return site
	}
	// Outside the session middleware: looking at the numbers costs none.
	top := http.NewServeMux()
	top.Handle("/", site)
	top.HandleFunc("GET /debug/requests", func(w http.ResponseWriter, r *http.Request) {
		st := db.Stats()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"GetItem": st.Calls["GetItem"], "PutItem": st.Calls["PutItem"],
			"UpdateItem": st.Calls["UpdateItem"], "DeleteItem": st.Calls["DeleteItem"],
			"readUnits": st.ReadUnits, "writeUnits": st.WriteUnits,
		})
	})
	return top
}

var pages = template.Must(template.New("").Parse(`
{{define "top"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dynamosession webapp</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}</style></head>
<body><nav><a href="/">Home</a> · <a id="account-link" href="/account">Account</a></nav>{{end}}
{{define "bottom"}}</body></html>{{end}}

{{define "home"}}{{template "top"}}
<h1>Home</h1>
{{if .Data.User}}<p id="status">Signed in as <b id="user">{{.Data.User}}</b>.</p>
<form method="post" action="/logout"><button id="logout">Sign out</button></form>
{{else}}<p id="status">Not signed in. <a id="login-link" href="/login">Sign in</a></p>{{end}}
{{template "bottom"}}{{end}}

{{define "login"}}{{template "top"}}
<h1>Sign in</h1>
{{with .Problem}}<p id="problem">{{.}}</p>{{end}}
<form method="post" action="/login">
<label>User <input id="user-input" name="user" autocomplete="username" required maxlength="64"></label>
<button id="login">Sign in</button>
</form>
{{template "bottom"}}{{end}}

{{define "account"}}{{template "top"}}
<h1>Account</h1>
<p id="status">Signed in as <b id="user">{{.Data.User}}</b> since {{.Data.SignedInAt.Format "2006-01-02 15:04:05 MST"}}.</p>
<form method="post" action="/logout"><button id="logout">Sign out</button></form>
{{template "bottom"}}{{end}}
`))

func render(w http.ResponseWriter, code int, page string, s Session, problem string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := pages.ExecuteTemplate(w, page, struct {
		Data    Session
		Problem string
	}{s, problem}); err != nil {
		log.Printf("render %s: %v", page, err)
	}
}
