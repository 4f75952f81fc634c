package costmodel

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/metered"
	"github.com/dynamosession/dynamosession/internal/samplesession"
)

// The kinds of request a workload is made of, in [Result.Kinds] order.
const (
	KindLogin    = "login"
	KindUpdate   = "update"
	KindPageView = "page view"
)

// storageOverheadBytes is what DynamoDB adds to every item for indexing
// when it bills storage ("DynamoDB item sizes and formats", Developer
// Guide).
const storageOverheadBytes = 100

const table = "sessions"

// epoch is when every simulation starts. Only differences matter; a fixed
// date keeps runs reproducible.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Run simulates w through a real [dynamosession.Repo], on a simulated
// clock, over an in-memory [fake.DB], and returns the capacity it
// consumed, scaled to a month, and what that costs.
//
// The simulation plays a sample of whole session lives (see
// Workload.SampleRequests), interleaved in time as real traffic is: each
// session starts with a login, then its user comes back for visits of
// Workload.PageViewsPerVisit requests, and some requests, at the
// workload's rate, update the session. Capacity is counted from the
// ConsumedCapacity of every request the repository makes, read by a
// wrapper of the client it calls, per kind of request; each kind's average is then scaled
// to its monthly count, so the result does not depend on how many logins
// or updates happened to fall in the sample.
//
// Run is deterministic: equal workloads give equal results.
func Run(ctx context.Context, w Workload) (Result, error) {
	if err := w.validate(); err != nil {
		return Result{}, err
	}
	w = w.withDefaults()
	m := derive(w)
	sim, err := newSimulation(w, m)
	if err != nil {
		return Result{}, err
	}
	if err := sim.run(ctx); err != nil {
		return Result{}, err
	}
	return sim.result(), nil
}

// RunAll runs every workload, several at a time (one per CPU), and
// returns their results in order. It stops at the first error.
func RunAll(ctx context.Context, ws []Workload) ([]Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]Result, len(ws))
	errs := make([]error, len(ws))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = Run(ctx, w)
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, fmt.Errorf("costmodel: workload %d: %w", i, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return results, nil
}

// model holds what follows from a workload's figures.
type model struct {
	requestsPerMonth   float64
	requestsPerSession float64       // over a session's life
	meanGap            time.Duration // between the starts of two visits of a session
	updateShare        float64       // of requests after the login
	perSession         int           // requests simulated per sample session
	sessions           int           // sample sessions
}

func derive(w Workload) model {
	var m model
	m.requestsPerMonth = w.RequestsPerMinute * 60 * HoursPerMonth
	m.requestsPerSession = m.requestsPerMonth / w.NewSessionsPerMonth
	lifeHours := w.LiveSessions / w.NewSessionsPerMonth * HoursPerMonth // Little's law
	visits := math.Max(1, m.requestsPerSession/float64(w.PageViewsPerVisit))
	m.meanGap = time.Duration(lifeHours / visits * float64(time.Hour))
	m.updateShare = w.UpdatesPerMonth / (m.requestsPerMonth - w.NewSessionsPerMonth)
	m.perSession = int(math.Min(math.Round(m.requestsPerSession), float64(w.SampleRequests)))
	m.perSession = max(m.perSession, 1)
	m.sessions = max(1, int(math.Round(float64(w.SampleRequests)/float64(m.perSession))))
	return m
}

// tally is what one kind of request consumed in the sample.
type tally struct {
	requests      int
	readUnits     float64
	writeUnits    float64
	writeRequests int
}

type simulation struct {
	w     Workload
	m     model
	clock simClock
	db    *fake.DB
	repo  *dynamosession.Repo[Session]
	rnd   *rand.Rand
	ctx   context.Context

	kinds   map[string]*tally
	current *tally // the kind of the request being played
	expired int
	queue   sessionQueue  // sessions with requests to play
	all     []*simSession // every sample session
}

// simClock is the simulation's time. One goroutine plays a simulation, so
// it needs no lock.
type simClock struct{ now time.Time }

func (c *simClock) Now() time.Time { return c.now }

func newSimulation(w Workload, m model) (*simulation, error) {
	s := &simulation{
		w: w, m: m,
		clock: simClock{now: epoch},
		rnd:   rand.New(rand.NewPCG(w.Seed, 0x5e55)),
		kinds: map[string]*tally{KindLogin: {}, KindUpdate: {}, KindPageView: {}},
	}
	s.db = fake.New()
	_, err := s.db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		return nil, fmt.Errorf("costmodel: create table: %w", err)
	}
	// The repository's requests go through a meter, which asks for each
	// one's ConsumedCapacity and books it (see dynamosession.API).
	s.repo, err = dynamosession.New[Session](metered.New(s.db, s.observe), table, func(o *dynamosession.Options[Session]) {
		o.Codec = w.Codec
		o.TTL = w.TTL
		o.Touch = w.Touch
		o.Consistency = consistency.Eventual
		if w.StrongReads {
			o.Consistency = consistency.Strong
		}
		o.Clock = s.clock.Now
	})
	if err != nil {
		return nil, fmt.Errorf("costmodel: %w", err)
	}
	return s, nil
}

// observe books a request's consumed capacity to the kind of request
// being played.
func (s *simulation) observe(c metered.Call) {
	if c.Consumed == nil || c.Consumed.CapacityUnits == nil {
		return
	}
	u := *c.Consumed.CapacityUnits
	if c.Op == "GetItem" {
		s.current.readUnits += u
		return
	}
	s.current.writeUnits += u
	s.current.writeRequests++
}

// simSession is one sample session: where it is in its life and when its
// next request comes.
type simSession struct {
	id      string
	next    time.Time
	done    int // requests played
	inVisit int // requests played in the current visit
	updates map[int]bool
}

func (s *simulation) run(ctx context.Context) error {
	s.ctx = ctx
	// Which requests of a session's life are updates is drawn up front, at
	// the workload's rate, with at least one in the whole sample so that
	// an update's cost is always measured.
	total := 0
	for i := range s.m.sessions {
		ss := &simSession{
			id:      fmt.Sprintf("sample-%06d-%016x", i, s.rnd.Uint64()),
			next:    epoch.Add(time.Duration(s.rnd.Float64() * float64(s.m.meanGap))),
			updates: map[int]bool{},
		}
		for r := 1; r < s.m.perSession; r++ {
			if s.rnd.Float64() < s.m.updateShare {
				ss.updates[r] = true
				total++
			}
		}
		heap.Push(&s.queue, ss)
		s.all = append(s.all, ss)
	}
	if total == 0 && s.w.UpdatesPerMonth > 0 && s.m.perSession > 1 {
		s.all[0].updates[s.m.perSession/2] = true
	}
	for s.queue.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		ss := s.queue[0]
		s.clock.now = ss.next
		if err := s.play(ss); err != nil {
			return err
		}
		ss.done++
		ss.inVisit++
		if ss.done == s.m.perSession {
			heap.Pop(&s.queue)
			continue
		}
		if ss.inVisit < s.w.PageViewsPerVisit {
			ss.next = ss.next.Add(s.w.ThinkTime)
		} else {
			ss.inVisit = 0
			visit := time.Duration(s.w.PageViewsPerVisit-1) * s.w.ThinkTime
			gap := max(s.m.meanGap-visit, s.w.ThinkTime)
			ss.next = ss.next.Add(time.Duration(s.rnd.ExpFloat64() * float64(gap)))
		}
		heap.Fix(&s.queue, 0)
	}
	return nil
}

// play makes one request of ss, as an application's session middleware
// would.
func (s *simulation) play(ss *simSession) error {
	switch {
	case ss.done == 0:
		return s.login(ss, KindLogin)
	case ss.updates[ss.done]:
		return s.update(ss)
	default:
		return s.pageView(ss)
	}
}

func (s *simulation) login(ss *simSession, kind string) error {
	s.begin(kind)
	data := samplesession.New(s.rnd, s.w.SessionBytes, s.clock.now)
	if _, err := s.repo.Put(s.ctx, ss.id, data); err != nil {
		return fmt.Errorf("costmodel: login: %w", err)
	}
	return nil
}

// get reads ss's session; a session that expired is logged in again,
// which the request's kind pays for.
func (s *simulation) get(ss *simSession) (*dynamosession.Session[Session], error) {
	sess, err := s.repo.Get(s.ctx, ss.id)
	if errors.Is(err, dynamosession.ErrNotFound) {
		s.expired++
		data := samplesession.New(s.rnd, s.w.SessionBytes, s.clock.now)
		if _, err := s.repo.Put(s.ctx, ss.id, data); err != nil {
			return nil, fmt.Errorf("costmodel: login again: %w", err)
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("costmodel: get: %w", err)
	}
	return sess, nil
}

func (s *simulation) update(ss *simSession) error {
	s.begin(KindUpdate)
	sess, err := s.get(ss)
	if sess == nil || err != nil {
		return err
	}
	// A cart change: sizes stay what the workload says.
	d := &sess.Data
	if len(d.Cart) > 0 {
		d.Cart[0].Qty = d.Cart[0].Qty%3 + 1
	}
	d.Views++
	d.LastSeen = s.clock.now.UTC().Truncate(time.Millisecond)
	if err := s.repo.Save(s.ctx, sess); err != nil {
		return fmt.Errorf("costmodel: save: %w", err)
	}
	return nil
}

func (s *simulation) pageView(ss *simSession) error {
	s.begin(KindPageView)
	sess, err := s.get(ss)
	if sess == nil || err != nil {
		return err
	}
	// Middleware saves at the end of every request; unchanged data costs
	// no request, which the figures show.
	if err := s.repo.Save(s.ctx, sess); err != nil {
		return fmt.Errorf("costmodel: save: %w", err)
	}
	if _, err := s.repo.Touch(s.ctx, sess); err != nil {
		return fmt.Errorf("costmodel: touch: %w", err)
	}
	return nil
}

func (s *simulation) begin(kind string) {
	s.current = s.kinds[kind]
	s.current.requests++
}

// itemBytes returns the average size of the stored sample items, as
// DynamoDB counts it.
func (s *simulation) itemBytes() float64 {
	sum, n := 0, 0
	for _, ss := range s.all {
		key := s.repo.Options().Prefix + ss.id
		item, ok := s.db.Item(table, map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}})
		if !ok {
			continue
		}
		sum += capacity.ItemSize(item)
		n++
	}
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}

// sessionQueue orders sample sessions by their next request.
type sessionQueue []*simSession

func (q sessionQueue) Len() int { return len(q) }
func (q sessionQueue) Less(i, j int) bool {
	if !q[i].next.Equal(q[j].next) {
		return q[i].next.Before(q[j].next)
	}
	return q[i].id < q[j].id // ties broken by ID, for determinism
}
func (q sessionQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *sessionQueue) Push(x any)   { *q = append(*q, x.(*simSession)) }
func (q *sessionQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
