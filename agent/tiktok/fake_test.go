package tiktok

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testAppKey    = "29a39d"
	testAppSecret = "e59af819cc"
	testCipher    = "GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// handlerFunc answers one fake endpoint; body is the raw request body.
type handlerFunc func(w http.ResponseWriter, r *http.Request, body []byte)

// fakeTikTok is an httptest server that checks what the client sends the
// way TikTok does: signature (computed here independently of Sign),
// timestamp window, app key, access token header, shop_cipher rules.
type fakeTikTok struct {
	t     testing.TB
	srv   *httptest.Server
	clock *clock

	mu       sync.Mutex
	token    string // the access token the server accepts
	routes   map[string]handlerFunc
	calls    map[string]int
	requests []*http.Request
	bodies   [][]byte
}

func newFake(t testing.TB, clk *clock) *fakeTikTok {
	t.Helper()
	f := &fakeTikTok{t: t, clock: clk, token: "ACCESS-1", routes: map[string]handlerFunc{}, calls: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTikTok) handle(methodPath string, h handlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[methodPath] = h
}

func (f *fakeTikTok) count(methodPath string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[methodPath]
}

func (f *fakeTikTok) setToken(tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token = tok
}

func (f *fakeTikTok) lastRequest() (*http.Request, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		return nil, nil
	}
	return f.requests[len(f.requests)-1], f.bodies[len(f.bodies)-1]
}

// independentSign recomputes the signature from the received request.
func independentSign(secret string, r *http.Request, body []byte) string {
	q := r.URL.Query()
	var keys []string
	for k := range q {
		if k != "sign" && k != "access_token" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	s := r.URL.Path
	for _, k := range keys {
		s += k + q.Get(k)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		s += string(body)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(secret + s + secret))
	return hex.EncodeToString(m.Sum(nil))
}

func writeEnvelope(w http.ResponseWriter, status, code int, msg string, data any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	env := map[string]any{"code": code, "message": msg, "request_id": "REQ-" + strconv.Itoa(code)}
	if data != nil {
		env["data"] = data
	}
	_ = json.NewEncoder(w).Encode(env)
}

func writeOK(w http.ResponseWriter, data any) { writeEnvelope(w, 200, 0, "Success", data) }

func (f *fakeTikTok) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := r.Method + " " + r.URL.Path
	f.mu.Lock()
	f.calls[key]++
	f.requests = append(f.requests, r)
	f.bodies = append(f.bodies, body)
	h := f.routes[key]
	token := f.token
	f.mu.Unlock()

	w.Header().Set("Date", f.clock.Now().UTC().Format(http.TimeFormat))
	if !strings.HasPrefix(r.URL.Path, "/api/v2/token/") {
		q := r.URL.Query()
		if got, want := q.Get("sign"), independentSign(testAppSecret, r, body); got != want {
			f.t.Errorf("%s: sign = %s, want %s", key, got, want)
			writeEnvelope(w, 200, CodeInvalidSign, "Invalid sign", nil)
			return
		}
		if q.Get("app_key") != testAppKey {
			f.t.Errorf("%s: app_key = %q", key, q.Get("app_key"))
		}
		ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		now := f.clock.Now().Unix()
		if err != nil || ts < now-300 || ts > now+30 {
			writeEnvelope(w, 200, CodeOverloaded, "Invalid timestamp", nil)
			return
		}
		if r.Header.Get("Content-Type") != "application/json" {
			f.t.Errorf("%s: content-type %q", key, r.Header.Get("Content-Type"))
		}
		if q.Has("access_token") {
			f.t.Errorf("%s: access_token sent in the query", key)
		}
		shopScoped := !strings.HasPrefix(r.URL.Path, "/authorization/")
		if shopScoped && q.Get("shop_cipher") != testCipher {
			writeEnvelope(w, 200, CodeShopCipher, "shop_cipher is required", nil)
			return
		}
		if !shopScoped && q.Has("shop_cipher") {
			writeEnvelope(w, 200, CodeOverloaded, "shop_cipher is not required for this api", nil)
			return
		}
		if r.Header.Get("x-tts-access-token") != token {
			writeEnvelope(w, 200, CodeTokenExpired, "Expired credentials", nil)
			return
		}
	}
	if h == nil {
		writeEnvelope(w, 404, CodeInvalidPath, "Invalid path", nil)
		return
	}
	h(w, r, body)
}

// recordedSleeps is a RetryPolicy.Sleep that records delays without waiting.
type recordedSleeps struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *recordedSleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays = append(s.delays, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *recordedSleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.delays...)
}

// testEnv is a client wired to a fake TikTok.
type testEnv struct {
	fake   *fakeTikTok
	client *Client
	store  *MemoryTokenStore
	clock  *clock
	sleeps *recordedSleeps
}

func newEnv(t testing.TB, mod ...func(*Config)) *testEnv {
	t.Helper()
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	f := newFake(t, clk)
	store := NewMemoryTokenStore(Token{
		AccessToken: "ACCESS-1", RefreshToken: "REFRESH-1",
		AccessExpiry: clk.Now().Add(7 * 24 * time.Hour), RefreshExpiry: clk.Now().Add(365 * 24 * time.Hour),
		OpenID: "open-1", SellerName: "Test Seller",
	})
	sl := &recordedSleeps{}
	cfg := Config{
		AppKey: testAppKey, AppSecret: testAppSecret,
		APIBase: f.srv.URL, AuthBase: f.srv.URL, ShopCipher: testCipher,
		Tokens: store, Now: clk.Now,
		Retry: RetryPolicy{Base: time.Millisecond, Cap: 50 * time.Millisecond, MaxAttempts: 5, Sleep: sl.Sleep},
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &testEnv{fake: f, client: c, store: store, clock: clk, sleeps: sl}
}

// refreshHandler answers token refreshes with ACCESS-n / REFRESH-n.
func (e *testEnv) refreshHandler(t *testing.T) {
	n := 1
	var mu sync.Mutex
	e.fake.handle("GET /api/v2/token/refresh", func(w http.ResponseWriter, r *http.Request, _ []byte) {
		mu.Lock()
		defer mu.Unlock()
		q := r.URL.Query()
		if q.Get("app_key") != testAppKey || q.Get("app_secret") != testAppSecret || q.Get("grant_type") != "refresh_token" {
			t.Errorf("refresh query %v", q)
		}
		if want := fmt.Sprintf("REFRESH-%d", n); q.Get("refresh_token") != want {
			t.Errorf("refresh_token = %q, want %q", q.Get("refresh_token"), want)
		}
		n++
		acc := fmt.Sprintf("ACCESS-%d", n)
		e.fake.setToken(acc)
		now := e.clock.Now().Unix()
		writeOK(w, map[string]any{
			"access_token": acc, "access_token_expire_in": now + 7*86400,
			"refresh_token": fmt.Sprintf("REFRESH-%d", n), "refresh_token_expire_in": now + 300*86400,
			"open_id": "open-1", "seller_name": "Test Seller", "seller_base_region": "US", "user_type": 0,
		})
	})
}

// newTestRequest builds a request as a server would see it.
func newTestRequest(path string, q map[string][]string, body []byte) (*http.Request, error) {
	r := httptest.NewRequest("POST", "http://example.test"+path, strings.NewReader(string(body)))
	vals := make([]string, 0, len(q))
	for k, vs := range q {
		for _, v := range vs {
			vals = append(vals, urlEscape(k)+"="+urlEscape(v))
		}
	}
	r.URL.RawQuery = strings.Join(vals, "&")
	r.Header.Set("Content-Type", "application/json")
	return r, nil
}

func urlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (f *fakeTikTok) allRequests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.requests...)
}
