package dynamosession_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/ttl"
)

// TestWithLifetime: a session's own lifetime, passed through the context,
// sets the expiry of every write and the touch schedule; without it the
// repository's TTL (a day, touched hourly) applies.
func TestWithLifetime(t *testing.T) {
	const day = 24 * time.Hour
	// step is one request at `at` after the session was created: a read
	// and a touch, or a read and a changed save.
	type step struct {
		At      time.Duration
		Save    bool
		Wrote   bool
		Expires time.Duration // after creation
	}
	tests := []struct {
		name     string
		lifetime time.Duration
		steps    []step
	}{
		{"repository TTL", 0, []step{
			{At: 2 * time.Hour, Wrote: true, Expires: 2*time.Hour + day},
			{At: 3 * time.Hour, Save: true, Wrote: true, Expires: 3*time.Hour + day},
		}},
		{"remember me: 30 days", 30 * day, []step{
			// Judged against 30 days: last written 2 h ago, so due.
			{At: 2 * time.Hour, Wrote: true, Expires: 2*time.Hour + 30*day},
			{At: 2*time.Hour + 30*time.Minute, Expires: 2*time.Hour + 30*day},
			{At: 3 * time.Hour, Save: true, Wrote: true, Expires: 3*time.Hour + 30*day},
		}},
		{"shorter than the touch interval: touched at half", 40 * time.Minute, []step{
			{At: 10 * time.Minute, Expires: 40 * time.Minute},
			{At: 20 * time.Minute, Wrote: true, Expires: 60 * time.Minute},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			onBackends(t, map[string]func(t *testing.T, e *env){"steps": func(t *testing.T, e *env) {
				repo := newRepo(t, e, func(o *dynamosession.Options[cart]) {
					o.TTL, o.Touch = ttl.Sliding(day), ttl.TouchAfter(time.Hour)
				})
				ctx := dynamosession.WithLifetime(context.Background(), tt.lifetime)
				t0 := e.clock.Now()
				s, err := repo.Put(ctx, newID(t), cart{User: "ada"})
				must(t, err)
				wantCreated := t0.Add(day)
				if tt.lifetime > 0 {
					wantCreated = t0.Add(tt.lifetime)
				}
				if !s.ExpiresAt.Equal(wantCreated) {
					t.Errorf("created with expiry %v, want %v", s.ExpiresAt, wantCreated)
				}
				var got []step
				for _, st := range tt.steps {
					e.clock.Advance(t0.Add(st.At).Sub(e.clock.Now()))
					s, err = repo.Get(ctx, s.ID)
					must(t, err)
					wrote := true
					if st.Save {
						s.Data.Items = append(s.Data.Items, "x")
						err = repo.Save(ctx, s)
					} else {
						wrote, err = repo.Touch(ctx, s)
					}
					must(t, err)
					got = append(got, step{At: st.At, Save: st.Save, Wrote: wrote, Expires: s.ExpiresAt.Sub(t0)})
				}
				if diff := cmp.Diff(tt.steps, got); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
			}})
		})
	}
}
