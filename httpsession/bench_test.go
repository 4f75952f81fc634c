package httpsession_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/klauspost/compress/zstd"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/httpsession"
	"github.com/dynamosession/dynamosession/internal/benchratio"
	"github.com/dynamosession/dynamosession/internal/samplesession"
	"github.com/dynamosession/dynamosession/internal/sessionid"
)

// BenchmarkPageView is the page-view row of the table `make bench` prints
// (scripts/bench-table): a request that only reads its session, through
// the middleware (cookie, Get, the handler reading Data, the unchanged
// check, the touch throttle: the touch is not due), against a net/http
// handler doing the same by hand (cookie, GetItem, unmarshal), on a stub
// client that does no work, 2 KB session, timed alternately in one run
// (as the root package's BenchmarkRatio). "default" is the Manager as
// configured out of the box, which encodes Data to find a change;
// "explicit-save" sets Options.ExplicitSave.
func BenchmarkPageView(b *testing.B) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	data := samplesession.New(rand.New(rand.NewPCG(1, 0)), 2048, now)
	zdec, err := zstd.NewReader(nil, zstd.WithDecoderLowmem(true), zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(400<<10))
	if err != nil {
		b.Fatal(err)
	}
	zstdPayload := func(b []byte) ([]byte, error) {
		if len(b) < 4 || b[3] != 'z' {
			return nil, fmt.Errorf("not a zstd envelope")
		}
		return zdec.DecodeAll(b[4:], nil)
	}
	codecs := []struct {
		name string
		c    codec.Codec[samplesession.Session]
		raw  func(item map[string]types.AttributeValue, s *samplesession.Session) (expires int64, err error)
	}{
		{"map", codec.Map[samplesession.Session](), pageViewRecord(func(p samplesession.Session, s *samplesession.Session) error {
			*s = p
			return nil
		})},
		{"json", codec.JSON[samplesession.Session](), pageViewRecord(func(p string, s *samplesession.Session) error {
			return json.Unmarshal([]byte(p), s)
		})},
		{"msgpack", codec.Msgpack[samplesession.Session](), pageViewRecord(pageViewMsgpack)},
		{"compressed", codec.Compressed[samplesession.Session](codec.Msgpack[samplesession.Session]()), pageViewRecord(func(p []byte, s *samplesession.Session) error {
			raw, err := zstdPayload(p)
			if err != nil {
				return err
			}
			return pageViewMsgpack(raw, s)
		})},
	}
	id := sessionid.New()
	for _, bc := range codecs {
		client := pageViewStub(b, bc.c, id, data, now)
		repo, err := dynamosession.New[samplesession.Session](client, "sessions", func(o *dynamosession.Options[samplesession.Session]) {
			o.Codec = bc.c
			o.Clock = func() time.Time { return now }
		})
		if err != nil {
			b.Fatal(err)
		}
		read := func(w http.ResponseWriter, views int) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write(strconv.AppendInt(nil, int64(views), 10))
		}
		page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			read(w, httpsession.Get[samplesession.Session](r).Data.Views)
		})
		raw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := r.Cookie("sid")
			if err != nil {
				http.Error(w, "no session", http.StatusUnauthorized)
				return
			}
			table := "sessions"
			out, err := client.GetItem(r.Context(), &dynamodb.GetItemInput{
				TableName: &table,
				Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#" + c.Value}},
			})
			if err != nil || out.Item == nil {
				http.Error(w, "no session", http.StatusUnauthorized)
				return
			}
			var s samplesession.Session
			if exp, err := bc.raw(out.Item, &s); err != nil || exp <= now.Unix() {
				http.Error(w, "no session", http.StatusUnauthorized)
				return
			}
			read(w, s.Views)
		})
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(&http.Cookie{Name: "sid", Value: id})
		serve := func(h http.Handler) func() error {
			return func() error {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK || w.Body.String() != strconv.Itoa(data.Views) || len(w.Result().Cookies()) != 0 {
					return fmt.Errorf("page view answered %d %q, cookies %v", w.Code, w.Body, w.Result().Cookies())
				}
				return nil
			}
		}
		for _, mode := range []struct {
			name     string
			explicit bool
		}{{"default", false}, {"explicit-save", true}} {
			m, err := httpsession.New(repo, func(o *httpsession.Options) { o.ExplicitSave = mode.explicit })
			if err != nil {
				b.Fatal(err)
			}
			b.Run(bc.name+"/"+mode.name, func(b *testing.B) {
				benchratio.Ratio(b, serve(m.Handler(page)), serve(raw))
			})
		}
	}
}

// pageViewRecord returns the raw side's read of an item whose session
// attribute holds a P, as an app without this library reads its record
// (and as the root package's rawSDK does): attributevalue.UnmarshalMap
// of the item into a struct, then the payload by hand.
func pageViewRecord[P any](from func(P, *samplesession.Session) error) func(map[string]types.AttributeValue, *samplesession.Session) (int64, error) {
	return func(item map[string]types.AttributeValue, s *samplesession.Session) (int64, error) {
		var rec struct {
			ID      string `json:"id"`
			Sess    P      `json:"sess"`
			Expires int64  `json:"expires"`
		}
		if err := attributevalue.UnmarshalMapWithOptions(item, &rec, func(o *attributevalue.DecoderOptions) { o.TagKey = "json" }); err != nil {
			return 0, err
		}
		return rec.Expires, from(rec.Sess, s)
	}
}

func pageViewMsgpack(b []byte, s *samplesession.Session) error {
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(bytes.NewReader(b))
	dec.SetCustomStructTag("json")
	return dec.Decode(s)
}

// pageViewStub returns a stub client whose GetItem returns data as a
// repository with codec c stores it under id (written once through the
// fake), and whose writes do nothing. It returns the stub as a
// dynamosession.API, the way a handler holds its *dynamodb.Client: the raw
// handler's GetItem is then a call the compiler can neither inline nor
// devirtualize, as with the real client, whose inputs always escape.
//
//go:noinline
func pageViewStub(b *testing.B, c codec.Codec[samplesession.Session], id string, data samplesession.Session, now time.Time) dynamosession.API {
	db := fake.New()
	if _, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            ptr("sessions"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: ptr("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: ptr("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	}); err != nil {
		b.Fatal(err)
	}
	repo, err := dynamosession.New[samplesession.Session](db, "sessions", func(o *dynamosession.Options[samplesession.Session]) {
		o.Codec = c
		o.Clock = func() time.Time { return now }
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := repo.Put(context.Background(), id, data); err != nil {
		b.Fatal(err)
	}
	item, ok := db.Item("sessions", map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#" + id}})
	if !ok {
		b.Fatal("the fake lost the item")
	}
	return benchratio.Stub{Item: item}
}

func ptr[V any](v V) *V { return &v }
