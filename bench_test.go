package dynamosession_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/benchratio"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/dynamosession/dynamosession/internal/samplesession"
	"github.com/klauspost/compress/zstd"
	"github.com/vmihailenco/msgpack/v5"
)

// Benchmarks of the repository against the raw SDK, per codec (`make
// bench`). Three families:
//
//   - BenchmarkFake: Get, Save and Put through Repo[T], next to the raw SDK
//     doing the same call with attributevalue, in the same run, on the
//     same in-memory fake. The fake's own work is common to both sides, so
//     the difference is the repository's client-side overhead (CPU and
//     allocations, -benchmem). BenchmarkFakeOverhead measures the same
//     pairs as a ratio that holds on a busy machine, and
//     BenchmarkFakeVsMap each codec against the default Map codec.
//   - BenchmarkDynamoDBLocal: latency percentiles and throughput against
//     Amazon's DynamoDB Local with 1 and 16 goroutines, after a warm-up
//     (skipped without DYNAMODB_ENDPOINT).
//   - BenchmarkCodec: encode and decode alone per codec, next to raw
//     attributevalue, with the stored item's size and write units.
//
// The session is samplesession.New's 2 KB cart (JSON size): strings,
// integers, timestamps, a nested slice of cart items, a string slice and
// a map.

// benchSessionBytes is the JSON size of the benchmark session.
const benchSessionBytes = 2048

// benchNow is the clock of the fake benchmarks: stored expiries are a day
// later, so nothing expires.
var benchNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func benchSession() samplesession.Session {
	return samplesession.New(rand.New(rand.NewPCG(1, 0)), benchSessionBytes, benchNow)
}

// benchCodecs are the codecs compared, with the raw SDK code that reads and
// writes the same record.
func benchCodecs() []struct {
	name string
	c    codec.Codec[samplesession.Session]
	raw  benchRaw
} {
	return []struct {
		name string
		c    codec.Codec[samplesession.Session]
		raw  benchRaw
	}{
		{"map", codec.Map[samplesession.Session](), rawMap()},
		{"json", codec.JSON[samplesession.Session](), rawJSON()},
		{"msgpack", codec.Msgpack[samplesession.Session](), rawMsgpack()},
		{"compressed", codec.Compressed[samplesession.Session](codec.Msgpack[samplesession.Session]()), rawCompressed()},
		{"map-exclusive", codec.Map[samplesession.Session](func(o *codec.Options) { o.Exclusive = true }), rawMap()},
		{"json-exclusive", codec.JSON[samplesession.Session](func(o *codec.Options) { o.Exclusive = true }), rawJSON()},
		{"sealed", codec.Sealed(codec.Msgpack[samplesession.Session](), benchKeyring()), rawSealed()},
	}
}

// benchRaw is what an application does without this library: a record
// struct, attributevalue, and the payload encoding done by hand.
type benchRaw interface {
	get(ctx context.Context, client dynamosession.API, table, key string, now time.Time) (samplesession.Session, error)
	save(ctx context.Context, client dynamosession.API, table, key string, s *samplesession.Session, expires int64) error
	put(ctx context.Context, client dynamosession.API, table, key string, s *samplesession.Session, expires int64) error
}

// rawRecord is the item as the raw SDK sees it; P is the type of the
// session attribute: a map (the struct itself), a JSON string, or bytes.
type rawRecord[P any] struct {
	ID      string `json:"id"`
	Sess    P      `json:"sess"`
	Expires int64  `json:"expires"`
	Type    string `json:"type,omitempty"`
}

// rawValues are UpdateItem's expression values.
type rawValues[P any] struct {
	D P      `json:":d"`
	E int64  `json:":e"`
	T string `json:":t,omitempty"`
}

// byJSONTagEnc and byJSONTagDec make attributevalue name fields by their
// json tags, as the library's Map codec does, so both sides read the same
// items.
func byJSONTagEnc(o *attributevalue.EncoderOptions) { o.TagKey = "json" }
func byJSONTagDec(o *attributevalue.DecoderOptions) { o.TagKey = "json" }

type rawSDK[P any] struct {
	to       func(*samplesession.Session) (P, error)
	from     func(P, *samplesession.Session) error
	typeAttr string // written beside the data, as connect-dynamodb does
	// toKey and fromKey, when set, replace to and from for a payload
	// bound to the item's key (sealed: the key is associated data).
	toKey   func(key string, s *samplesession.Session) (P, error)
	fromKey func(key string, p P, s *samplesession.Session) error
}

func (r rawSDK[P]) encode(key string, s *samplesession.Session) (P, error) {
	if r.toKey != nil {
		return r.toKey(key, s)
	}
	return r.to(s)
}

func (r rawSDK[P]) get(ctx context.Context, client dynamosession.API, table, key string, now time.Time) (samplesession.Session, error) {
	var s samplesession.Session
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &table,
		Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}},
	})
	if err != nil {
		return s, err
	}
	if out.Item == nil {
		return s, dynamosession.ErrNotFound
	}
	var rec rawRecord[P]
	if err := attributevalue.UnmarshalMapWithOptions(out.Item, &rec, byJSONTagDec); err != nil {
		return s, err
	}
	if rec.Expires <= now.Unix() {
		return s, dynamosession.ErrExpired
	}
	if r.fromKey != nil {
		return s, r.fromKey(key, rec.Sess, &s)
	}
	return s, r.from(rec.Sess, &s)
}

func (r rawSDK[P]) save(ctx context.Context, client dynamosession.API, table, key string, s *samplesession.Session, expires int64) error {
	p, err := r.encode(key, s)
	if err != nil {
		return err
	}
	values, err := attributevalue.MarshalMapWithOptions(rawValues[P]{D: p, E: expires, T: r.typeAttr}, byJSONTagEnc)
	if err != nil {
		return err
	}
	update := "SET #d = :d, #e = :e"
	names := map[string]string{"#k": "id", "#d": "sess", "#e": "expires"}
	if r.typeAttr != "" {
		update += ", #t = :t"
		names["#t"] = "type"
	}
	_, err = client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &table,
		Key:                       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}},
		UpdateExpression:          &update,
		ConditionExpression:       aws.String("attribute_exists(#k)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	return err
}

func (r rawSDK[P]) put(ctx context.Context, client dynamosession.API, table, key string, s *samplesession.Session, expires int64) error {
	p, err := r.encode(key, s)
	if err != nil {
		return err
	}
	item, err := attributevalue.MarshalMapWithOptions(rawRecord[P]{ID: key, Sess: p, Expires: expires, Type: r.typeAttr}, byJSONTagEnc)
	if err != nil {
		return err
	}
	_, err = client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item})
	return err
}

func rawMap() benchRaw {
	return rawSDK[samplesession.Session]{
		to:   func(s *samplesession.Session) (samplesession.Session, error) { return *s, nil },
		from: func(p samplesession.Session, s *samplesession.Session) error { *s = p; return nil },
	}
}

func rawJSON() benchRaw {
	return rawSDK[string]{
		to: func(s *samplesession.Session) (string, error) {
			b, err := json.Marshal(s)
			return string(b), err
		},
		from:     func(p string, s *samplesession.Session) error { return json.Unmarshal([]byte(p), s) },
		typeAttr: "connect-session",
	}
}

// rawMsgpackMarshal encodes as an application tuned for speed would:
// pooled encoder, json tags, the same options as the codec so that both
// sides do the same work.
func rawMsgpackMarshal(s *samplesession.Session) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(&buf)
	enc.SetCustomStructTag("json")
	enc.SetSortMapKeys(true)
	enc.UseCompactInts(true)
	err := enc.Encode(s)
	return buf.Bytes(), err
}

func rawMsgpackUnmarshal(b []byte, s *samplesession.Session) error {
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(bytes.NewReader(b))
	dec.SetCustomStructTag("json")
	return dec.Decode(s)
}

func rawMsgpack() benchRaw {
	return rawSDK[[]byte]{to: rawMsgpackMarshal, from: rawMsgpackUnmarshal}
}

// benchZstd is the raw side's zstd, configured as the codec's is.
var benchZstd = sync.OnceValues(func() (*zstd.Encoder, *zstd.Decoder) {
	enc, err := zstd.NewWriter(nil, zstd.WithLowerEncoderMem(true))
	if err != nil {
		panic(err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderLowmem(true), zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(400<<10))
	if err != nil {
		panic(err)
	}
	return enc, dec
})

// rawCompressed reads and writes the compressed codec's envelope by hand:
// 4 header bytes, then zstd of the MessagePack.
func rawCompressed() benchRaw {
	return rawSDK[[]byte]{
		to: func(s *samplesession.Session) ([]byte, error) {
			raw, err := rawMsgpackMarshal(s)
			if err != nil {
				return nil, err
			}
			enc, _ := benchZstd()
			return enc.EncodeAll(raw, []byte("\xc1zmz")), nil
		},
		from: func(p []byte, s *samplesession.Session) error {
			if len(p) < 4 || p[3] != 'z' {
				return fmt.Errorf("not a zstd envelope")
			}
			_, dec := benchZstd()
			raw, err := dec.DecodeAll(p[4:], nil)
			if err != nil {
				return err
			}
			return rawMsgpackUnmarshal(raw, s)
		},
	}
}

// benchSealKey is the sealed rows' AES-256 key, under key ID "k1".
var benchSealKey = bytes.Repeat([]byte{7}, 32)

// benchKeyring is the keyring of the sealed codec the sealed rows use.
func benchKeyring() *codec.Keyring {
	keys, err := codec.NewKeyring(codec.Key{ID: "k1", Secret: benchSealKey})
	if err != nil {
		panic(err)
	}
	return keys
}

// rawSealed is msgpack sealed by hand with AES-256-GCM in the envelope
// package codec documents: 0xC1 'e' version key-ID-length key-ID, then a
// random 96-bit nonce, the ciphertext and the tag, with the header and
// the item's key as associated data.
func rawSealed() benchRaw {
	block, err := aes.NewCipher(benchSealKey)
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		panic(err)
	}
	header := []byte{0xc1, 'e', 1, 2, 'k', '1'}
	aad := func(hdr []byte, key string) []byte {
		return append(append(make([]byte, 0, len(hdr)+len(key)), hdr...), key...)
	}
	return rawSDK[[]byte]{
		toKey: func(key string, s *samplesession.Session) ([]byte, error) {
			plain, err := rawMsgpackMarshal(s)
			if err != nil {
				return nil, err
			}
			out := make([]byte, len(header), len(header)+12+len(plain)+16)
			copy(out, header)
			return aead.Seal(out, nil, plain, aad(header, key)), nil
		},
		fromKey: func(key string, p []byte, s *samplesession.Session) error {
			if len(p) < 4 || p[0] != 0xc1 || p[1] != 'e' || len(p) < 4+int(p[3]) {
				return fmt.Errorf("not a sealed envelope")
			}
			hdr := p[:4+int(p[3])]
			plain, err := aead.Open(nil, nil, p[len(hdr):], aad(hdr, key))
			if err != nil {
				return err
			}
			return rawMsgpackUnmarshal(plain, s)
		},
	}
}

// benchFake returns a fake with a sessions table and a repository on it.
func benchFake(b *testing.B, c codec.Codec[samplesession.Session]) (*fake.DB, *dynamosession.Repo[samplesession.Session]) {
	b.Helper()
	db := fake.New()
	if err := createSessions(db); err != nil {
		b.Fatal(err)
	}
	repo, err := dynamosession.New[samplesession.Session](db, "sessions", func(o *dynamosession.Options[samplesession.Session]) {
		o.Codec = c
		o.Clock = func() time.Time { return benchNow }
	})
	if err != nil {
		b.Fatal(err)
	}
	return db, repo
}

// BenchmarkFake compares Repo[T] with the raw SDK on the in-memory fake:
// client CPU and allocations per call. Run with -benchmem. The ratio
// repo/sdk of each pair is the repository's overhead.
func BenchmarkFake(b *testing.B) {
	ctx := context.Background()
	expires := benchNow.Add(24 * time.Hour).Unix()
	for _, bc := range benchCodecs() {
		db, repo := benchFake(b, bc.c)
		data := benchSession()
		const id = "0123456789abcdef0123456789abcdef"
		if _, err := repo.Put(ctx, id, data); err != nil {
			b.Fatal(err)
		}
		key := repo.Options().Prefix + id
		b.Run("Get/"+bc.name+"/repo", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := repo.Get(ctx, id); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Get/"+bc.name+"/sdk", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.raw.get(ctx, db, "sessions", key, benchNow); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Save/"+bc.name+"/repo", func(b *testing.B) {
			s, err := repo.Get(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				s.Data.Views++ // a change, or Save sends nothing
				if err := repo.Save(ctx, s); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Save/"+bc.name+"/sdk", func(b *testing.B) {
			s, err := bc.raw.get(ctx, db, "sessions", key, benchNow)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				s.Views++
				if err := bc.raw.save(ctx, db, "sessions", key, &s, expires); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Put/"+bc.name+"/repo", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := repo.Put(ctx, id, data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Put/"+bc.name+"/sdk", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.raw.put(ctx, db, "sessions", key, &data, expires); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFakeOverhead measures the same pairs as BenchmarkFake in a way
// that survives a busy machine (see benchAlternate). It reports both
// sides' ns per call and the repository's overhead in percent;
// allocations are BenchmarkFake's.
func BenchmarkFakeOverhead(b *testing.B) {
	ctx := context.Background()
	expires := benchNow.Add(24 * time.Hour).Unix()
	for _, bc := range benchCodecs() {
		db, repo := benchFake(b, bc.c)
		data := benchSession()
		const id, rawID = "overhead", "overhead-raw"
		for _, i := range []string{id, rawID} {
			if _, err := repo.Put(ctx, i, data); err != nil {
				b.Fatal(err)
			}
		}
		key, rawKey := repo.Options().Prefix+id, repo.Options().Prefix+rawID
		s, err := repo.Get(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		raw := s.Data
		pairs := []struct {
			op        string
			repo, sdk func() error
		}{
			{"Get", func() error { _, err := repo.Get(ctx, id); return err },
				func() error { _, err := bc.raw.get(ctx, db, "sessions", key, benchNow); return err }},
			{"Save", func() error { s.Data.Views++; return repo.Save(ctx, s) },
				func() error { raw.Views++; return bc.raw.save(ctx, db, "sessions", rawKey, &raw, expires) }},
			{"Put", func() error { _, err := repo.Put(ctx, id, data); return err },
				func() error { return bc.raw.put(ctx, db, "sessions", key, &data, expires) }},
		}
		for _, p := range pairs {
			b.Run(p.op+"/"+bc.name, func(b *testing.B) {
				r, k := benchAlternate(b, p.repo, p.sdk)
				b.ReportMetric(float64(r.Nanoseconds()), "repo-ns/call")
				b.ReportMetric(float64(k.Nanoseconds()), "sdk-ns/call")
				b.ReportMetric(100*(float64(r)/float64(k)-1), "overhead-%")
			})
		}
	}
}

// BenchmarkFakeVsMap compares each codec with the Map codec, the
// repository's default, end to end through Repo[T] on the fake, measured
// like BenchmarkFakeOverhead. It reports both sides' ns per call and the
// speed-up over Map (2 means twice as fast).
func BenchmarkFakeVsMap(b *testing.B) {
	ctx := context.Background()
	data := benchSession()
	type side struct {
		repo *dynamosession.Repo[samplesession.Session]
		s    *dynamosession.Session[samplesession.Session]
	}
	newSide := func(c codec.Codec[samplesession.Session]) side {
		_, repo := benchFake(b, c)
		if _, err := repo.Put(ctx, "vs", data); err != nil {
			b.Fatal(err)
		}
		s, err := repo.Get(ctx, "vs")
		if err != nil {
			b.Fatal(err)
		}
		return side{repo, s}
	}
	ops := []struct {
		name string
		call func(side) func() error
	}{
		{"Get", func(x side) func() error { return func() error { _, err := x.repo.Get(ctx, "vs"); return err } }},
		{"Save", func(x side) func() error { return func() error { x.s.Data.Views++; return x.repo.Save(ctx, x.s) } }},
		{"Put", func(x side) func() error { return func() error { return put(x.repo.Put(ctx, "vs", data)) } }},
	}
	base := newSide(codec.Map[samplesession.Session]())
	for _, bc := range benchCodecs()[1:] {
		other := newSide(bc.c)
		for _, op := range ops {
			b.Run(op.name+"/"+bc.name, func(b *testing.B) {
				m, c := benchAlternate(b, op.call(base), op.call(other))
				b.ReportMetric(float64(m.Nanoseconds()), "map-ns/call")
				b.ReportMetric(float64(c.Nanoseconds()), "codec-ns/call")
				b.ReportMetric(float64(m)/float64(c), "speedup-x")
			})
		}
	}
}

// benchAlternate is benchratio.Alternate in batches of 16 calls;
// allocations are left to the plain benchmarks.
func benchAlternate(b *testing.B, x, y func() error) (time.Duration, time.Duration) {
	return benchratio.Alternate(b, 16, x, y)
}

// BenchmarkCodec measures encoding and decoding alone, next to raw
// attributevalue.Marshal and Unmarshal of the same session, and reports
// the size of the stored item (as Repo.Put writes it, measured on the fake
// with DynamoDB's sizing rules) and the write units one write of it costs.
func BenchmarkCodec(b *testing.B) {
	ctx := context.Background()
	data := benchSession()
	for _, bc := range benchCodecs() {
		db, repo := benchFake(b, bc.c)
		if _, err := repo.Put(ctx, "size", data); err != nil {
			b.Fatal(err)
		}
		item, _ := db.Item("sessions", map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#size"}})
		itemBytes := capacity.ItemSize(item)
		av, err := bc.c.Encode("session#size", &data)
		if err != nil {
			b.Fatal(err)
		}
		report := func(b *testing.B) {
			b.ReportMetric(float64(itemBytes), "item-B")
			b.ReportMetric(capacity.WriteUnits(itemBytes), "WCU")
		}
		b.Run(bc.name+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.c.Encode("session#size", &data); err != nil {
					b.Fatal(err)
				}
			}
			report(b)
		})
		b.Run(bc.name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var out samplesession.Session
				if err := bc.c.Decode("session#size", av, &out); err != nil {
					b.Fatal(err)
				}
			}
			report(b)
		})
	}
	b.Run("attributevalue/marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := attributevalue.MarshalWithOptions(data, byJSONTagEnc); err != nil {
				b.Fatal(err)
			}
		}
	})
	av, err := attributevalue.MarshalWithOptions(data, byJSONTagEnc)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("attributevalue/unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out samplesession.Session
			if err := attributevalue.UnmarshalWithOptions(av, &out, byJSONTagDec); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDynamoDBLocal measures latency (p50, p99, in µs) and throughput
// of Get and Save against DynamoDB Local, repository and raw SDK per codec,
// with 1 and 16 goroutines. Each goroutine alternates repository and raw
// SDK calls, so that both meet the same server state (JVM compilation and
// garbage collection, table growth, other load on the machine), and the
// metrics come in pairs: p50-µs, p99-µs and ops/s for the repository,
// sdk-p50-µs, sdk-p99-µs and sdk-ops/s for the raw SDK. b.N counts pairs.
// Everything starts after a warm-up. DynamoDB Local is not DynamoDB:
// absolute figures say more about the machine and the JVM than about AWS;
// the comparison is the point.
func BenchmarkDynamoDBLocal(b *testing.B) {
	if dynamotest.Endpoint() == "" {
		b.Skip("DYNAMODB_ENDPOINT is not set: run under scripts/dynamodb-local (make bench)")
	}
	client := dynamotest.Client(b)
	table := dynamotest.CreateTable(b, client, "id", "expires")
	ctx := context.Background()
	data := benchSession()
	benchWarmServer(b, client, table, data)
	for _, bc := range benchCodecs() {
		repo, err := dynamosession.New[samplesession.Session](client, table, func(o *dynamosession.Options[samplesession.Session]) { o.Codec = bc.c })
		if err != nil {
			b.Fatal(err)
		}
		for _, goroutines := range []int{1, 16} {
			// Two sessions per goroutine, one for each side, so that no
			// two writers contend for an item.
			ids, rawIDs := make([]string, goroutines), make([]string, goroutines)
			sessions := make([]*dynamosession.Session[samplesession.Session], goroutines)
			rawSessions := make([]samplesession.Session, goroutines)
			for g := range goroutines {
				ids[g] = fmt.Sprintf("bench-%s-%d-%d", bc.name, goroutines, g)
				rawIDs[g] = ids[g] + "-raw"
				for _, id := range []string{ids[g], rawIDs[g]} {
					if _, err := repo.Put(ctx, id, data); err != nil {
						b.Fatal(err)
					}
				}
				if sessions[g], err = repo.Get(ctx, ids[g]); err != nil {
					b.Fatal(err)
				}
				rawSessions[g] = sessions[g].Data
			}
			rawKey := func(g int) string { return repo.Options().Prefix + rawIDs[g] }
			suffix := "/g" + strconv.Itoa(goroutines)
			b.Run("Get/"+bc.name+suffix, func(b *testing.B) {
				benchLatency(b, goroutines,
					func(g int) error { _, err := repo.Get(ctx, ids[g]); return err },
					func(g int) error { _, err := bc.raw.get(ctx, client, table, rawKey(g), time.Now()); return err })
			})
			b.Run("Save/"+bc.name+suffix, func(b *testing.B) {
				benchLatency(b, goroutines,
					func(g int) error { sessions[g].Data.Views++; return repo.Save(ctx, sessions[g]) },
					func(g int) error {
						rawSessions[g].Views++
						return bc.raw.save(ctx, client, table, rawKey(g), &rawSessions[g], time.Now().Add(24*time.Hour).Unix())
					})
			})
		}
	}
}

// benchWarmup is how many calls each goroutine makes before timing.
const benchWarmup = 100

// benchWarmServer sends DynamoDB Local a few thousand Puts, Gets and Saves
// of every codec from 8 goroutines before anything is timed: the JVM
// interprets, then compiles, its hot paths during the first thousands of
// requests, and without this the first sub-benchmarks measure the
// compiler.
func benchWarmServer(b *testing.B, client dynamosession.API, table string, data samplesession.Session) {
	b.Helper()
	ctx := context.Background()
	const goroutines, rounds = 8, 100
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, bc := range benchCodecs() {
				repo, err := dynamosession.New[samplesession.Session](client, table, func(o *dynamosession.Options[samplesession.Session]) { o.Codec = bc.c })
				if err != nil {
					errs <- err
					return
				}
				id := fmt.Sprintf("warm-%s-%d", bc.name, g)
				if _, err := repo.Put(ctx, id, data); err != nil {
					errs <- err
					return
				}
				for range rounds {
					s, err := repo.Get(ctx, id)
					if err == nil {
						s.Data.Views++
						err = repo.Save(ctx, s)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// benchLatency makes b.N pairs of calls, repo then sdk or sdk then repo
// in turn, spread over the given number of goroutines (each call gets its
// goroutine's index), after a warm-up, and reports for each side the p50
// and p99 latency of a call in µs and its throughput in calls per second.
// A side's throughput is goroutines / its mean latency (Little's law for
// a closed loop): what the goroutines would achieve making only that
// side's calls.
func benchLatency(b *testing.B, goroutines int, repo, sdk func(g int) error) {
	b.Helper()
	type sample struct{ repo, sdk []time.Duration }
	run := func(pairs func() bool) []sample {
		samples := make([]sample, goroutines)
		errs := make([]error, goroutines)
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				call := func(op func(int) error, into *[]time.Duration) bool {
					start := time.Now()
					if err := op(g); err != nil {
						errs[g] = err
						return false
					}
					*into = append(*into, time.Since(start))
					return true
				}
				for i := 0; pairs(); i++ {
					x, y := repo, sdk
					xs, ys := &samples[g].repo, &samples[g].sdk
					if i%2 == 1 { // alternate who goes first
						x, y, xs, ys = y, x, ys, xs
					}
					if !call(x, xs) || !call(y, ys) {
						return
					}
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		return samples
	}
	// Warm-up: a fixed number of pairs per goroutine, untimed. The
	// framework's first call, with b.N = 1, only probes, so it skips it.
	if b.N > 1 {
		var warm atomic.Int64
		run(func() bool { return warm.Add(1) <= int64(benchWarmup*goroutines) })
	}
	var next atomic.Int64
	b.ResetTimer()
	samples := run(func() bool { return next.Add(1) <= int64(b.N) })
	b.StopTimer()

	var repoAll, sdkAll []time.Duration
	for _, s := range samples {
		repoAll, sdkAll = append(repoAll, s.repo...), append(sdkAll, s.sdk...)
	}
	report := func(prefix string, all []time.Duration) {
		if len(all) == 0 {
			return
		}
		slices.Sort(all)
		pct := func(p float64) float64 {
			return float64(all[min(len(all)-1, int(p*float64(len(all))))].Nanoseconds()) / 1e3
		}
		var sum time.Duration
		for _, d := range all {
			sum += d
		}
		mean := sum / time.Duration(len(all))
		b.ReportMetric(pct(0.50), prefix+"p50-µs")
		b.ReportMetric(pct(0.99), prefix+"p99-µs")
		b.ReportMetric(float64(goroutines)/mean.Seconds(), prefix+"ops/s")
	}
	report("", repoAll)
	report("sdk-", sdkAll)
}

var _ dynamosession.API = benchratio.Stub{}

// benchStub returns a repository with codec c on a stub client whose
// GetItem returns data as the repository stores it (written once through
// the fake, so the item is exactly what a Put leaves in a table).
func benchStub(b *testing.B, c codec.Codec[samplesession.Session], data samplesession.Session) (benchratio.Stub, *dynamosession.Repo[samplesession.Session]) {
	b.Helper()
	db, repo := benchFake(b, c)
	if _, err := repo.Put(context.Background(), "stub", data); err != nil {
		b.Fatal(err)
	}
	item, ok := db.Item("sessions", map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: repo.Options().Prefix + "stub"}})
	if !ok {
		b.Fatal("the fake lost the item")
	}
	stub := benchratio.Stub{Item: item}
	repo, err := dynamosession.New[samplesession.Session](stub, "sessions", func(o *dynamosession.Options[samplesession.Session]) {
		o.Codec = c
		o.Clock = func() time.Time { return benchNow }
	})
	if err != nil {
		b.Fatal(err)
	}
	return stub, repo
}

// BenchmarkRatio is the table `make bench` prints (scripts/bench-table):
// each row is a repository call and the raw SDK doing the same request by
// hand (rawSDK), on a stub client that does no work, timed alternately by
// benchRatio in one run. Rows: Get, Put and Save (data changed) for every
// codec on the 2 KB session, then Get and Save of the Map and msgpack
// codecs from 0.5 KB to 350 KB (JSON size), for the cost per KB.
func BenchmarkRatio(b *testing.B) {
	ctx := context.Background()
	expires := benchNow.Add(24 * time.Hour).Unix()
	type sized struct {
		name  string
		bytes int
		ops   []string
	}
	all := []string{"Get", "Put", "Save"}
	sizes := []sized{{"", benchSessionBytes, all}}
	for _, n := range []int{512, 16 << 10, 64 << 10, 350 << 10} {
		sizes = append(sizes, sized{"/" + benchKB(n), n, []string{"Get", "Save"}})
	}
	for _, sz := range sizes {
		data := samplesession.New(rand.New(rand.NewPCG(1, 0)), sz.bytes, benchNow)
		for _, bc := range benchCodecs() {
			if sz.name != "" && bc.name != "map" && bc.name != "msgpack" {
				continue
			}
			stub, repo := benchStub(b, bc.c, data)
			key := repo.Options().Prefix + "stub"
			s, err := repo.Get(ctx, "stub")
			if err != nil {
				b.Fatal(err)
			}
			raw, err := bc.raw.get(ctx, stub, "sessions", key, benchNow)
			if err != nil {
				b.Fatal(err)
			}
			views := s.Data.Views
			calls := map[string][2]func() error{
				"Get": {
					func() error { _, err := repo.Get(ctx, "stub"); return err },
					func() error { _, err := bc.raw.get(ctx, stub, "sessions", key, benchNow); return err },
				},
				"Put": {
					func() error { _, err := repo.Put(ctx, "stub", data); return err },
					func() error { return bc.raw.put(ctx, stub, "sessions", key, &data, expires) },
				},
				// Save: a change every call, or Save sends nothing. Each call
				// saves a copy of the session as Get returned it, as a request
				// does: saving one Session again and again would measure a
				// session whose stored data is the repository's own last write.
				"Save": {
					func() error { views++; c := *s; c.Data.Views = views; return repo.Save(ctx, &c) },
					func() error { raw.Views++; return bc.raw.save(ctx, stub, "sessions", key, &raw, expires) },
				},
			}
			for _, op := range sz.ops {
				b.Run(op+"/"+bc.name+sz.name, func(b *testing.B) {
					benchRatio(b, sz.bytes, calls[op][0], calls[op][1])
				})
			}
		}
	}
}

// benchKB names a size in KB, "0.5KB" for 512 bytes.
func benchKB(n int) string {
	return strconv.FormatFloat(float64(n)/1024, 'f', -1, 64) + "KB"
}

// benchRatio reports what benchratio.Ratio reports for repo against raw,
// and the repository's ns per KB of session (JSON size).
func benchRatio(b *testing.B, sessionBytes int, repo, raw func() error) {
	r := benchratio.Ratio(b, repo, raw)
	b.ReportMetric(float64(r.Nanoseconds())/(float64(sessionBytes)/1024), "repo-ns/KB")
}
