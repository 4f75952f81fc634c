// Package samplesession generates the realistic session this repository
// measures with: the cost model of the dynamosession command, the codec
// benchmarks and the compression tests all store the same shop session, so
// their figures can be compared. Generated sessions depend only on the seed
// and the clock, never on the run.
package samplesession

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Session is the session the measurements store: what a shop keeps for a signed-in
// visitor. Its shape is chosen to exercise every codec the way real sessions
// do: short and long strings, integers, timestamps, a nested slice of
// structs, a string slice and a map. Fields are named by `json` tags, as the
// codecs expect.
type Session struct {
	UserID    string            `json:"userId"`
	Email     string            `json:"email"`
	Name      string            `json:"name"`
	Locale    string            `json:"locale"`
	Roles     []string          `json:"roles"`
	CSRF      string            `json:"csrf"`
	CreatedAt time.Time         `json:"createdAt"`
	LastSeen  time.Time         `json:"lastSeen"`
	Views     int               `json:"views"`
	Cart      []CartItem        `json:"cart"`
	Recent    []string          `json:"recent"`
	Prefs     map[string]string `json:"prefs"`
	Flash     string            `json:"flash,omitempty"`
}

// CartItem is one line of a [Session]'s cart.
type CartItem struct {
	SKU        string    `json:"sku"`
	Name       string    `json:"name"`
	Qty        int       `json:"qty"`
	PriceCents int64     `json:"priceCents"`
	Currency   string    `json:"currency"`
	AddedAt    time.Time `json:"addedAt"`
}

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Radia", "Niklaus"}
	lastNames  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Perlman", "Wirth"}
	adjectives = []string{"Organic", "Vintage", "Compact", "Wireless", "Handmade", "Stainless", "Recycled", "Classic", "Ergonomic", "Waterproof"}
	nouns      = []string{"Coffee Grinder", "Desk Lamp", "Backpack", "Notebook", "Water Bottle", "Headphones", "Tea Kettle", "Bicycle Bell", "Yoga Mat", "Chef's Knife"}
	colours    = []string{"black", "white", "forest green", "navy", "sand", "charcoal", "terracotta"}
	locales    = []string{"en-GB", "en-US", "de-DE", "fr-FR", "es-ES", "ja-JP"}
	flashWords = []string{"your", "order", "has", "been", "updated", "and", "we", "will", "email", "you", "when", "it", "ships", "thanks", "for", "shopping", "with", "us", "today"}
)

// New returns a realistic session whose JSON encoding is
// jsonBytes long, give or take a few bytes, built from r so that the same
// seed always gives the same session. Sizes are stated in JSON bytes because
// that is the size an application sees of its own session; each codec then
// stores it in more or fewer bytes, which is what the measurements compare.
//
// The content compresses the way real sessions do: product names and
// preferences repeat words, while IDs and the CSRF token are random.
func New(r *rand.Rand, jsonBytes int, now time.Time) Session {
	now = now.UTC().Truncate(time.Millisecond) // what a JavaScript Date keeps
	first, last := pick(r, firstNames), pick(r, lastNames)
	s := Session{
		UserID:    fmt.Sprintf("u_%012d", r.Int64N(1e12)),
		Email:     strings.ToLower(first+"."+last) + "@example.com",
		Name:      first + " " + last,
		Locale:    pick(r, locales),
		Roles:     []string{"customer"},
		CSRF:      randomToken(r, 32),
		CreatedAt: now.Add(-time.Duration(r.Int64N(int64(30 * 24 * time.Hour)))).Truncate(time.Millisecond),
		LastSeen:  now,
		Views:     1 + r.IntN(500),
		Prefs: map[string]string{
			"theme":      pick(r, []string{"light", "dark", "system"}),
			"currency":   "EUR",
			"newsletter": pick(r, []string{"weekly", "monthly", "never"}),
		},
	}
	if r.IntN(10) == 0 {
		s.Roles = append(s.Roles, "beta")
	}
	// Grow the cart and the recently viewed list until the next addition
	// would overshoot, then fill the rest with a flash message. Sizes are
	// added up per element (plus its comma) rather than by re-encoding the
	// whole session each time, which would make large sessions quadratic.
	s.Cart, s.Recent = []CartItem{}, []string{}
	n := size(&s)
	for i := 0; ; i++ {
		if i%3 == 2 {
			id := fmt.Sprintf("p_%08d", r.IntN(1e8))
			grow := len(id) + 2 + min(len(s.Recent), 1)
			if n+grow > jsonBytes {
				break
			}
			s.Recent, n = append(s.Recent, id), n+grow
			continue
		}
		item := CartItem{
			SKU:        fmt.Sprintf("SKU-%05d-%s", r.IntN(1e5), strings.ToUpper(pick(r, colours)[:3])),
			Name:       pick(r, adjectives) + " " + pick(r, nouns) + ", " + pick(r, colours),
			Qty:        1 + r.IntN(3),
			PriceCents: 199 + r.Int64N(20000),
			Currency:   "EUR",
			AddedAt:    now.Add(-time.Duration(r.Int64N(int64(72 * time.Hour)))).Truncate(time.Millisecond),
		}
		grow := jsonSize(item) + min(len(s.Cart), 1)
		if n+grow > jsonBytes {
			break
		}
		s.Cart, n = append(s.Cart, item), n+grow
	}
	// `"flash":""` costs 11 bytes before any text.
	if room := jsonBytes - n - len(`,"flash":""`); room > 0 {
		var b strings.Builder
		for b.Len() < room {
			w := pick(r, flashWords)
			if b.Len() > 0 {
				w = " " + w
			}
			if b.Len()+len(w) > room {
				break
			}
			b.WriteString(w)
		}
		s.Flash = b.String()
	}
	return s
}

func size(s *Session) int { return jsonSize(s) }

func jsonSize(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // sessions and cart items always marshal
	}
	return len(b)
}

func pick[E any](r *rand.Rand, from []E) E { return from[r.IntN(len(from))] }

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// randomToken returns n random URL-safe characters, like the CSRF tokens
// and IDs web frameworks generate: the part of a session no compressor
// can shrink.
func randomToken(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = tokenAlphabet[r.IntN(len(tokenAlphabet))]
	}
	return string(b)
}
