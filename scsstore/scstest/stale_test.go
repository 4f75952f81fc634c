package scstest

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/scsstore"
	"github.com/dynamosession/dynamosession/ttl"
)

// The request right after a login reads a replica that has not seen the
// login's PutItem yet.
func TestLoginSurvivesStaleRead(t *testing.T) {
	db := fake.New()
	db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String("sessions"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	repo, _ := dynamosession.New[scsstore.Record](db, "sessions", func(o *dynamosession.Options[scsstore.Record]) {
		o.Codec = codec.Msgpack[scsstore.Record]()
		o.TTL = ttl.Sliding(24 * time.Hour)
	})
	store, _ := scsstore.New(repo)
	sm := scs.New()
	sm.Store = store
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		sm.RenewToken(r.Context())
		sm.Put(r.Context(), "user", "ada")
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, sm.GetString(r.Context(), "user"))
	})
	srv := httptest.NewServer(sm.LoadAndSave(mux))
	defer srv.Close()
	c := srv.Client()
	c.Jar, _ = cookiejar.New(nil)
	db.SetReplicaLag(time.Hour)
	res, _ := c.Post(srv.URL+"/login", "", nil)
	res.Body.Close()
	res, _ = c.Get(srv.URL + "/")
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "ada" {
		t.Errorf("page after login sees user=%q, want ada: the user was logged out by an eventually consistent miss", b)
	}
}
