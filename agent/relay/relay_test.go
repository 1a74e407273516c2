package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packline/packline/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t    *testing.T
	path string
	db   *store.DB
	clk  *clock
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, path: filepath.Join(t.TempDir(), "outbox.db"), clk: &clock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}}
	e.open()
	return e
}

func (e *env) open() {
	db, err := store.Open(e.path, store.Options{Timeout: time.Second, Now: e.clk.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	e.db = db
	e.t.Cleanup(func() { db.Close() })
}

func (e *env) enqueue(kind, agg string, payload any) store.Event {
	e.t.Helper()
	var ev store.Event
	if err := e.db.Update(func(tx *store.Tx) error {
		var err error
		ev, err = tx.Enqueue(kind, agg, payload)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return ev
}

func (e *env) relay() *Relay {
	// Jitter returns the top of the range, so backoffs are exact.
	return New(FromStore(e.db), Options{Now: e.clk.Now, Jitter: func(n int64) int64 { return n - 1 }})
}

func (e *env) pending(agg string) []store.Event {
	var evs []store.Event
	if err := e.db.View(func(tx *store.Tx) error {
		var err error
		evs, err = tx.PendingEvents(agg)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func TestBackoff(t *testing.T) {
	r := New(nil, Options{Jitter: func(n int64) int64 { return n - 1 }})
	for _, tt := range []struct {
		attempts int
		want     time.Duration
	}{
		{1, 2 * time.Second}, {2, 4 * time.Second}, {5, 32 * time.Second}, {9, 512 * time.Second},
		{10, 10 * time.Minute}, {60, 10 * time.Minute}, {1000, 10 * time.Minute},
	} {
		if got := r.Backoff(tt.attempts); got != tt.want {
			t.Errorf("Backoff(%d) = %v, want %v", tt.attempts, got, tt.want)
		}
	}
	zero := New(nil, Options{Jitter: func(int64) int64 { return 0 }})
	if got := zero.Backoff(3); got != 0 {
		t.Errorf("full jitter floor %v", got)
	}
}

func TestAckRetryDeadAndFIFO(t *testing.T) {
	e := newEnv(t)
	e.enqueue("a.kind", "o1", map[string]int{"n": 1})
	e.enqueue("a.kind", "o1", map[string]int{"n": 2})
	e.enqueue("a.kind", "o2", map[string]int{"n": 3})
	e.enqueue("bad.kind", "o3", nil)
	e.enqueue("perm.kind", "o4", nil)
	var got []string
	fail := true
	r := e.relay()
	r.Register("a.kind", func(ctx context.Context, ev Event) error {
		got = append(got, ev.Aggregate+":"+string(ev.Payload))
		if ev.Aggregate == "o1" && fail {
			return errors.New("receiver down")
		}
		return nil
	})
	r.Register("perm.kind", func(ctx context.Context, ev Event) error { return Permanent(errors.New("order unknown")) })
	n, err := r.Drain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 || strings.Join(got, " ") != `o1:{"n":1} o2:{"n":3}` {
		t.Fatalf("handled %d, delivered %v", n, got)
	}
	st, _ := r.Stats()
	if st.Delivered != 1 || st.Retried != 1 || st.Failed != 2 || st.Dead != 2 || st.Depth != 2 {
		t.Errorf("stats %+v", st)
	}
	p := e.pending("o1")
	if len(p) != 2 || p[0].Attempts != 1 || p[0].LastError != "receiver down" || !p[0].NextAttemptAt.Equal(e.clk.Now().Add(2*time.Second)) {
		t.Fatalf("o1 pending %+v", p)
	}
	// Not due yet: nothing happens.
	got = nil
	if n, _ := r.Drain(context.Background()); n != 0 {
		t.Fatalf("drained %d before the backoff passed", n)
	}
	// After a restart (new store handle, new relay) the retry goes out in order.
	e.db.Close()
	e.open()
	fail = false
	e.clk.Add(2 * time.Second)
	r2 := e.relay()
	r2.Register("a.kind", r.handlers["a.kind"])
	if _, err := r2.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != `o1:{"n":1} o1:{"n":2}` {
		t.Fatalf("after restart delivered %v", got)
	}
	if st, _ := r2.Stats(); st.Depth != 0 || st.Dead != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	e := newEnv(t)
	e.enqueue("k", "o1", nil)
	r := e.relay()
	r.Register("k", func(ctx context.Context, ev Event) error {
		return RetryAfter(90*time.Second, errors.New("slow down"))
	})
	if _, err := r.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := e.pending("o1")
	if len(p) != 1 || !p[0].NextAttemptAt.Equal(e.clk.Now().Add(90*time.Second)) {
		t.Fatalf("pending %+v", p)
	}
}

func TestZeroJitterDoesNotSpin(t *testing.T) {
	e := newEnv(t)
	e.enqueue("k", "o1", nil)
	r := New(FromStore(e.db), Options{Now: e.clk.Now, Jitter: func(int64) int64 { return 0 }})
	calls := 0
	r.Register("k", func(ctx context.Context, ev Event) error { calls++; return errors.New("down") })
	if _, err := r.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("handler called %d times in one pass", calls)
	}
}

func TestPanickingHandlerIsDead(t *testing.T) {
	e := newEnv(t)
	e.enqueue("k", "o1", nil)
	r := e.relay()
	r.Register("k", func(ctx context.Context, ev Event) error { panic("boom") })
	if _, err := r.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, _ := r.Stats(); st.Dead != 1 || !strings.Contains(st.LastError, "panicked: boom") {
		t.Errorf("stats %+v", st)
	}
}

// receiver dedupes by Idempotency-Key, like a well-behaved seller endpoint.
type receiver struct {
	mu      sync.Mutex
	posts   int
	records map[string]json.RawMessage
	// failAfterStore answers 500 after storing, for the first n posts.
	failAfterStore int
	status         int
	retryAfter     string
	auth           string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.posts++
	rc.auth = r.Header.Get("Authorization")
	if rc.status != 0 {
		if rc.retryAfter != "" {
			w.Header().Set("Retry-After", rc.retryAfter)
		}
		http.Error(w, "nope", rc.status)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	var body json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || key == "" {
		http.Error(w, "bad record", http.StatusBadRequest)
		return
	}
	if _, dup := rc.records[key]; !dup {
		rc.records[key] = body
	}
	if rc.failAfterStore > 0 {
		rc.failAfterStore--
		http.Error(w, "stored but crashed before answering", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func TestSyncExactlyOnceAtReceiver(t *testing.T) {
	e := newEnv(t)
	rc := &receiver{records: map[string]json.RawMessage{}, failAfterStore: 2}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	h, err := SyncHandler(SyncOptions{URL: srv.URL, Token: "s3cret", Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		ids = append(ids, e.enqueue("pack.record", fmt.Sprintf("o%d", i), map[string]any{"order_id": fmt.Sprintf("o%d", i), "state": "label_printed"}).ID)
	}
	r := e.relay()
	r.Register("pack.record", h)
	for range 5 {
		if _, err := r.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.clk.Add(10 * time.Second)
	}
	if st, _ := r.Stats(); st.Depth != 0 || st.Delivered != 3 || st.Retried != 2 {
		t.Fatalf("stats %+v", st)
	}
	if rc.posts != 5 || len(rc.records) != 3 || rc.auth != "Bearer s3cret" {
		t.Fatalf("posts %d records %d auth %q", rc.posts, len(rc.records), rc.auth)
	}
	for _, id := range ids {
		if _, ok := rc.records[id]; !ok {
			t.Errorf("record %s missing", id)
		}
	}
}

func TestSyncStatusClasses(t *testing.T) {
	for _, tt := range []struct {
		status     int
		retryAfter string
		wantDead   bool
		wantWait   time.Duration
	}{
		{http.StatusTooManyRequests, "120", false, 120 * time.Second},
		{http.StatusServiceUnavailable, "", false, 2 * time.Second},
		{http.StatusBadRequest, "", true, 0},
		{http.StatusUnauthorized, "", true, 0},
	} {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			e := newEnv(t)
			rc := &receiver{records: map[string]json.RawMessage{}, status: tt.status, retryAfter: tt.retryAfter}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			h, _ := SyncHandler(SyncOptions{URL: srv.URL, Client: srv.Client(), Now: e.clk.Now})
			e.enqueue("pack.record", "o1", map[string]string{"x": "y"})
			r := e.relay()
			r.Register("pack.record", h)
			if _, err := r.Drain(context.Background()); err != nil {
				t.Fatal(err)
			}
			st, _ := r.Stats()
			if tt.wantDead {
				if st.Dead != 1 || !strings.Contains(st.LastError, "sync endpoint refused pack.record") {
					t.Errorf("stats %+v", st)
				}
				return
			}
			p := e.pending("o1")
			if len(p) != 1 || !p[0].NextAttemptAt.Equal(e.clk.Now().Add(tt.wantWait)) {
				t.Errorf("pending %+v", p)
			}
		})
	}
}

func TestSyncWithoutURLAcksLocally(t *testing.T) {
	e := newEnv(t)
	h, err := SyncHandler(SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.enqueue("pack.record", "o1", nil)
	r := e.relay()
	r.Register("pack.record", h)
	if _, err := r.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, _ := r.Stats(); st.Depth != 0 || st.Delivered != 1 {
		t.Errorf("stats %+v", st)
	}
	if _, err := SyncHandler(SyncOptions{URL: "ftp://x"}); err == nil {
		t.Error("ftp url accepted")
	}
}

func TestRunKick(t *testing.T) {
	e := newEnv(t)
	r := New(FromStore(e.db), Options{Poll: time.Hour, Now: e.clk.Now})
	got := make(chan string, 4)
	r.Register("k", func(ctx context.Context, ev Event) error { got <- ev.Aggregate; return nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	e.enqueue("k", "o1", nil)
	r.Kick()
	if a := <-got; a != "o1" {
		t.Errorf("delivered %s", a)
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{"30": 30 * time.Second, "Wed, 25 Nov 2026 09:01:00 GMT": time.Minute, "0": 0} {
		if d, ok := parseRetryAfter(v, now); !ok || d != want {
			t.Errorf("%q = %v %v", v, d, ok)
		}
	}
	for _, v := range []string{"", "soon", "-5"} {
		if _, ok := parseRetryAfter(v, now); ok {
			t.Errorf("%q parsed", v)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "Wed, 25 Nov 2026 09:01:00 GMT", "", "-1", "1e9", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := parseRetryAfter(s, now); ok && d < 0 {
			t.Fatalf("negative delay %v for %q", d, s)
		}
	})
}
