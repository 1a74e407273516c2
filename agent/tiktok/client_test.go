package tiktok

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func serveBytes(b []byte) handlerFunc {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}
}

func TestNewValidates(t *testing.T) {
	good := Config{AppKey: "k", AppSecret: "s", APIBase: "https://open-api.tiktokglobalshop.com", AuthBase: "https://auth.tiktok-shops.com/", Tokens: NewMemoryTokenStore(Token{})}
	if _, err := New(good); err != nil {
		t.Fatalf("New(good) = %v", err)
	}
	bad := []func(*Config){
		func(c *Config) { c.AppKey = "" },
		func(c *Config) { c.AppSecret = " " },
		func(c *Config) { c.APIBase = "" },
		func(c *Config) { c.APIBase = "ftp://x" },
		func(c *Config) { c.APIBase = "https://x/prefix" },
		func(c *Config) { c.AuthBase = "not a url" },
		func(c *Config) { c.Tokens = nil },
		func(c *Config) { c.Retry.MaxAttempts = -1 },
	}
	for i, m := range bad {
		c := good
		m(&c)
		if _, err := New(c); err == nil {
			t.Errorf("case %d: New accepted a bad config", i)
		} else if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}

func TestShopsRequestShape(t *testing.T) {
	e := newEnv(t)
	e.fake.handle("GET /authorization/202309/shops", serveBytes(fixture(t, "shops.json")))
	shops, err := e.client.Shops(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(shops) != 1 || shops[0].Cipher != testCipher || shops[0].Region != "US" {
		t.Errorf("Shops = %+v", shops)
	}
	r, body := e.fake.lastRequest()
	if r.URL.Query().Has("shop_cipher") {
		t.Error("shop_cipher sent to /authorization/")
	}
	if len(body) != 0 {
		t.Errorf("GET sent a body %q", body)
	}
	if got := r.URL.Query().Get("timestamp"); got != "1700000000" {
		t.Errorf("timestamp = %s, want the injected clock's 1700000000", got)
	}
}

func TestEnvelopeErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    []error
		notWant []error
		text    []string
	}{
		{"scope", 200, `{"code":105005,"message":"scope missing","request_id":"R1"}`, []error{ErrScope}, []error{ErrServer}, []string{"105005", "R1", "/authorization/202309/shops"}},
		{"sign", 200, `{"code":106001,"message":"Invalid sign","request_id":"R2"}`, []error{ErrSignature}, nil, nil},
		{"timestamp", 200, `{"code":36009004,"message":"Invalid timestamp, please check","request_id":"R3"}`, []error{ErrTimestamp}, []error{ErrInvalidToken, ErrRateLimited}, nil},
		{"invalid token", 200, `{"code":36009004,"message":"Invalid access_token","request_id":"R4"}`, []error{ErrInvalidToken}, []error{ErrTimestamp}, nil},
		{"app key", 200, `{"code":36009004,"message":"invalid app_key","request_id":"R5"}`, []error{ErrInvalidAppKey}, nil, nil},
		{"unexpected cipher", 200, `{"code":36009004,"message":"shop_cipher is not required","request_id":"R6"}`, []error{ErrShopCipher}, nil, nil},
		{"cipher required", 200, `{"code":106013,"message":"shop_cipher required","request_id":"R7"}`, []error{ErrShopCipher}, nil, nil},
		{"not found", 200, `{"code":21011001,"message":"order not found","request_id":"R8"}`, []error{ErrNotFound}, []error{ErrServer}, nil},
		{"invalid path is not not-found", 404, `{"code":36009009,"message":"Invalid path","request_id":"R9"}`, nil, []error{ErrNotFound}, nil},
		{"unknown app key is not not-found", 200, `{"code":36009004,"message":"app_key not found","request_id":"R12"}`, []error{ErrInvalidAppKey}, []error{ErrNotFound}, nil},
		{"html 502", 502, `<html><body>Bad Gateway</body></html>`, []error{ErrServer, ErrMalformed}, nil, []string{"/authorization/202309/shops", "502", "text/html"}},
		{"garbage 200", 200, `{"code":0,"data":`, []error{ErrMalformed}, []error{ErrServer}, []string{"invalid JSON"}},
		{"empty 200", 200, ``, []error{ErrMalformed}, nil, []string{"empty body"}},
		{"no code", 200, `{"message":"x"}`, []error{ErrMalformed}, nil, nil},
		{"success without data", 200, `{"code":0,"message":"ok","request_id":"R10"}`, []error{ErrMalformed}, nil, []string{"R10"}},
		{"data of the wrong type", 200, `{"code":0,"message":"ok","request_id":"R11","data":{"shops":"many"}}`, []error{ErrMalformed}, nil, []string{"R11"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Retry.MaxAttempts = 1 })
			e.fake.handle("GET /authorization/202309/shops", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
				if strings.HasPrefix(tt.body, "<") {
					w.Header().Set("Content-Type", "text/html")
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			_, err := e.client.Shops(context.Background())
			if err == nil {
				t.Fatal("Shops succeeded")
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("error %q is not %v", err, w)
				}
			}
			for _, w := range tt.notWant {
				if errors.Is(err, w) {
					t.Errorf("error %q is %v", err, w)
				}
			}
			for _, s := range tt.text {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestAPIErrorFields(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Retry.MaxAttempts = 1 })
	e.fake.handle("GET /authorization/202309/shops", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		writeEnvelope(w, 200, CodeScopeMissing, "no scope", nil)
	})
	_, err := e.client.Shops(context.Background())
	ae, ok := errors.AsType[*APIError](err)
	if !ok {
		t.Fatalf("error %v is not an *APIError", err)
	}
	want := APIError{HTTPStatus: 200, Code: CodeScopeMissing, Message: "no scope", RequestID: "REQ-105005", Path: "/authorization/202309/shops"}
	if *ae != want {
		t.Errorf("APIError = %+v, want %+v", *ae, want)
	}
}

func TestRetryOn429And5xx(t *testing.T) {
	tests := []struct {
		name     string
		fail     func(w http.ResponseWriter)
		failures int
		wantErr  error
		attempts int
	}{
		{"429 then success", func(w http.ResponseWriter) { writeEnvelope(w, 429, CodeRateLimited, "Too many requests", nil) }, 2, nil, 3},
		{"36009002 in a 200", func(w http.ResponseWriter) { writeEnvelope(w, 200, CodeRateLimited, "Too many requests", nil) }, 1, nil, 2},
		{"503 then success", func(w http.ResponseWriter) { w.WriteHeader(503); _, _ = w.Write([]byte("upstream down")) }, 3, nil, 4},
		{"36009003 then success", func(w http.ResponseWriter) { writeEnvelope(w, 200, CodeInternal, "internal error", nil) }, 1, nil, 2},
		{"500 forever", func(w http.ResponseWriter) { writeEnvelope(w, 500, CodeInternal, "internal error", nil) }, 99, ErrServer, 5},
		{"429 forever", func(w http.ResponseWriter) { writeEnvelope(w, 429, CodeRateLimited, "slow down", nil) }, 99, ErrRateLimited, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			n := 0
			e.fake.handle("GET /authorization/202309/shops", func(w http.ResponseWriter, r *http.Request, b []byte) {
				n++
				if n <= tt.failures {
					tt.fail(w)
					return
				}
				serveBytes(fixture(t, "shops.json"))(w, r, b)
			})
			_, err := e.client.Shops(context.Background())
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Shops = %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Shops error = %v, want %v", err, tt.wantErr)
			}
			if got := e.fake.count("GET /authorization/202309/shops"); got != tt.attempts {
				t.Errorf("attempts = %d, want %d", got, tt.attempts)
			}
			sl := e.sleeps.all()
			if len(sl) != tt.attempts-1 {
				t.Errorf("%d backoff sleeps, want %d", len(sl), tt.attempts-1)
			}
			// Full jitter: delay n is in [0, min(cap, base·2^n)).
			for i, d := range sl {
				ceil := min(time.Millisecond<<i, 50*time.Millisecond)
				if d < 0 || d >= ceil {
					t.Errorf("sleep %d = %v, want in [0, %v)", i, d, ceil)
				}
			}
		})
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	e := newEnv(t)
	e.fake.handle("GET /authorization/202309/shops", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		writeEnvelope(w, 200, CodeScopeMissing, "scope missing", nil)
	})
	if _, err := e.client.Shops(context.Background()); !errors.Is(err, ErrScope) {
		t.Fatalf("err = %v", err)
	}
	if got := e.fake.count("GET /authorization/202309/shops"); got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}
}

func TestRetryAfter(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Retry.Cap = 10 * time.Second })
	n := 0
	e.fake.handle("GET /authorization/202309/shops", func(w http.ResponseWriter, r *http.Request, b []byte) {
		n++
		if n == 1 {
			w.Header().Set("Retry-After", "7")
			writeEnvelope(w, 429, CodeRateLimited, "Too many requests", nil)
			return
		}
		serveBytes(fixture(t, "shops.json"))(w, r, b)
	})
	if _, err := e.client.Shops(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sl := e.sleeps.all(); len(sl) != 1 || sl[0] != 7*time.Second {
		t.Errorf("sleeps = %v, want [7s] from Retry-After", sl)
	}
}

func TestRetryAfterBeyondCapIsReturned(t *testing.T) {
	e := newEnv(t) // cap 50ms
	e.fake.handle("GET /authorization/202309/shops", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Retry-After", "120")
		writeEnvelope(w, 429, CodeRateLimited, "Too many requests", nil)
	})
	_, err := e.client.Shops(context.Background())
	ae, ok := errors.AsType[*APIError](err)
	if !ok || !errors.Is(err, ErrRateLimited) || ae.RetryAfter != 120*time.Second {
		t.Fatalf("err = %v, want a rate limit carrying Retry-After 120s", err)
	}
	if got := e.fake.count("GET /authorization/202309/shops"); got != 1 {
		t.Errorf("attempts = %d, want 1 (the caller schedules the retry)", got)
	}
}

func TestRetryOnNetworkError(t *testing.T) {
	e := newEnv(t)
	n := 0
	e.fake.handle("GET /authorization/202309/shops", func(w http.ResponseWriter, r *http.Request, b []byte) {
		n++
		if n == 1 {
			hijackClose(t, w)
			return
		}
		serveBytes(fixture(t, "shops.json"))(w, r, b)
	})
	if _, err := e.client.Shops(context.Background()); err != nil {
		t.Fatalf("Shops = %v", err)
	}
	if got := e.fake.count("GET /authorization/202309/shops"); got != 2 {
		t.Errorf("attempts = %d, want 2", got)
	}
}

// hijackClose drops the connection without an answer.
func hijackClose(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Fatal("no hijacker")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()
}

func TestContextCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	e := newEnv(t, func(c *Config) {
		c.Retry.Sleep = func(ctx context.Context, d time.Duration) error {
			cancel()
			return ctx.Err()
		}
	})
	e.fake.handle("GET /authorization/202309/shops", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		writeEnvelope(w, 503, CodeInternal, "busy", nil)
	})
	_, err := e.client.Shops(ctx)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrServer) {
		t.Fatalf("err = %v, want the server error and context.Canceled", err)
	}
	if got := e.fake.count("GET /authorization/202309/shops"); got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}
}

func TestShopScopedCallNeedsCipher(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ShopCipher = "" })
	_, err := e.client.SearchOrders(context.Background(), OrderQuery{})
	if !errors.Is(err, ErrShopCipher) {
		t.Fatalf("err = %v, want ErrShopCipher", err)
	}
	if e.fake.count("POST "+pathOrderSearch) != 0 {
		t.Error("request sent without a shop cipher")
	}
}

func TestLogsCarryRequestIDNotSecrets(t *testing.T) {
	var buf strings.Builder
	e := newEnv(t, func(c *Config) {
		c.Retry.MaxAttempts = 2
		c.Logger = newTextLogger(&buf)
	})
	e.fake.handle("GET /authorization/202309/shops", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		writeEnvelope(w, 500, CodeInternal, "internal", nil)
	})
	_, _ = e.client.Shops(context.Background())
	out := buf.String()
	if !strings.Contains(out, "REQ-36009003") {
		t.Errorf("log lacks the request id:\n%s", out)
	}
	for _, secret := range []string{testAppSecret, "ACCESS-1", "REFRESH-1"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains secret %q:\n%s", secret, out)
		}
	}
}

func TestUnixAndDecimalDecoding(t *testing.T) {
	var v struct {
		A Unix    `json:"a"`
		B Unix    `json:"b"`
		C Unix    `json:"c"`
		D Decimal `json:"d"`
		E Decimal `json:"e"`
		F Int     `json:"f"`
	}
	if err := json.Unmarshal([]byte(`{"a":1700000000,"b":"1700000001","c":null,"d":1.25,"e":" 2.50 ","f":"3"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != 1700000000 || v.B != 1700000001 || v.C != 0 || v.D != "1.25" || v.E != "2.50" || v.F != 3 {
		t.Errorf("decoded %+v", v)
	}
	if got := v.A.Time(); got.Location() != time.UTC || got.Unix() != 1700000000 {
		t.Errorf("Time() = %v", got)
	}
	if !Unix(0).Time().IsZero() {
		t.Error("Unix(0).Time() is not zero")
	}
	if err := json.Unmarshal([]byte(`{"a":"soon"}`), &v); err == nil {
		t.Error("non-numeric timestamp accepted")
	}
}

func TestClockSkewCorrectedFromDateHeader(t *testing.T) {
	var local *clock
	e := newEnv(t, func(c *Config) {
		// The station's clock runs 10 minutes fast: TikTok rejects it.
		serverNow := c.Now
		local = &clock{t: serverNow().Add(10 * time.Minute)}
		c.Now = local.Now
		c.RefreshBefore = time.Minute
	})
	e.fake.handle("GET /authorization/202309/shops", serveBytes(fixture(t, "shops.json")))
	if _, err := e.client.Shops(context.Background()); err != nil {
		t.Fatalf("Shops = %v", err)
	}
	if n := e.fake.count("GET /authorization/202309/shops"); n != 2 {
		t.Errorf("calls = %d, want 2 (rejected, then on TikTok's clock)", n)
	}
	if _, err := e.client.Shops(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.count("GET /authorization/202309/shops"); n != 3 {
		t.Errorf("calls = %d, want 3: the offset is kept", n)
	}
}

func TestTimestampRejectionWithAgreeingClockIsReturned(t *testing.T) {
	e := newEnv(t)
	e.fake.handle("GET /authorization/202309/shops", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		writeEnvelope(w, 200, CodeOverloaded, "Invalid timestamp", nil)
	})
	if _, err := e.client.Shops(context.Background()); !errors.Is(err, ErrTimestamp) {
		t.Fatalf("err = %v, want ErrTimestamp", err)
	}
	if n := e.fake.count("GET /authorization/202309/shops"); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
}

func TestRateLimitPausesOtherCalls(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Retry.Cap = 10 * time.Second })
	n := 0
	e.fake.handle("GET /authorization/202309/shops", func(w http.ResponseWriter, r *http.Request, b []byte) {
		n++
		if n == 1 {
			w.Header().Set("Retry-After", "7")
			writeEnvelope(w, 429, CodeRateLimited, "Too many requests", nil)
			return
		}
		serveBytes(fixture(t, "shops.json"))(w, r, b)
	})
	if _, err := e.client.Shops(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The recording Sleep does not wait, so the 7 s pause is still on: the
	// next call, from any caller, waits it out before sending.
	if _, err := e.client.Shops(context.Background()); err != nil {
		t.Fatal(err)
	}
	sl := e.sleeps.all()
	if len(sl) != 2 || sl[0] != 7*time.Second || sl[1] <= 0 || sl[1] > 7*time.Second {
		t.Errorf("sleeps = %v, want [7s, (0, 7s]]", sl)
	}
	if got := e.fake.count("GET /authorization/202309/shops"); got != 3 {
		t.Errorf("calls = %d, want 3", got)
	}
}
