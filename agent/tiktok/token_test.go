package tiktok

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRefreshOn105002ExactlyOnce(t *testing.T) {
	e := newEnv(t)
	e.refreshHandler(t)
	e.fake.setToken("ACCESS-2") // the server already considers ACCESS-1 expired
	e.fake.handle("GET /authorization/202309/shops", serveBytes(fixture(t, "shops.json")))
	if _, err := e.client.Shops(context.Background()); err != nil {
		t.Fatalf("Shops = %v", err)
	}
	if got := e.fake.count("GET /api/v2/token/refresh"); got != 1 {
		t.Errorf("refreshes = %d, want 1", got)
	}
	if got := e.fake.count("GET /authorization/202309/shops"); got != 2 {
		t.Errorf("calls = %d, want 2 (rejected, retried)", got)
	}
	tok, _ := e.store.LoadToken(context.Background())
	if tok.AccessToken != "ACCESS-2" || tok.RefreshToken != "REFRESH-2" {
		t.Errorf("stored token = %+v, want ACCESS-2/REFRESH-2", tok)
	}
	if !tok.AccessExpiry.Equal(e.clock.Now().Add(7 * 24 * time.Hour)) {
		t.Errorf("access expiry = %v", tok.AccessExpiry)
	}
	if len(e.sleeps.all()) != 0 {
		t.Error("a token refresh waited a backoff")
	}
}

func TestRefreshOn105002DoesNotLoop(t *testing.T) {
	e := newEnv(t)
	e.refreshHandler(t)
	e.fake.handle("GET /authorization/202309/shops", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		writeEnvelope(w, 200, CodeTokenExpired, "Expired credentials", nil)
	})
	_, err := e.client.Shops(context.Background())
	if !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("err = %v, want ErrTokenExpired", err)
	}
	if got := e.fake.count("GET /api/v2/token/refresh"); got != 1 {
		t.Errorf("refreshes = %d, want 1", got)
	}
	if got := e.fake.count("GET /authorization/202309/shops"); got != 2 {
		t.Errorf("calls = %d, want 2", got)
	}
}

func TestProactiveRefreshSingleFlight(t *testing.T) {
	e := newEnv(t)
	e.refreshHandler(t)
	e.fake.handle("GET /authorization/202309/shops", serveBytes(fixture(t, "shops.json")))
	// 30 minutes left: under the 1 h threshold.
	e.clock.Add(7*24*time.Hour - 30*time.Minute)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			if _, err := e.client.Shops(context.Background()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := e.fake.count("GET /api/v2/token/refresh"); got != 1 {
		t.Errorf("refreshes = %d, want 1", got)
	}
	if e.store.Saves() != 1 {
		t.Errorf("saves = %d, want 1", e.store.Saves())
	}
	for i, r := range e.fake.allRequests() {
		if r.URL.Path == "/authorization/202309/shops" && r.Header.Get("x-tts-access-token") != "ACCESS-2" {
			t.Errorf("request %d used token %q", i, r.Header.Get("x-tts-access-token"))
		}
	}
}

func TestProactiveRefreshFailureUsesValidToken(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Retry.MaxAttempts = 1 })
	e.fake.handle("GET /api/v2/token/refresh", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		writeEnvelope(w, 503, CodeInternal, "down", nil)
	})
	e.fake.handle("GET /authorization/202309/shops", serveBytes(fixture(t, "shops.json")))
	e.clock.Add(7*24*time.Hour - 30*time.Minute)
	if _, err := e.client.Shops(context.Background()); err != nil {
		t.Fatalf("Shops = %v, want success with the still-valid token", err)
	}
}

func TestExpiredRefreshTokenNeedsReauthorisation(t *testing.T) {
	e := newEnv(t)
	e.clock.Add(400 * 24 * time.Hour)
	_, err := e.client.Shops(context.Background())
	if !errors.Is(err, ErrReauthorize) {
		t.Fatalf("err = %v, want ErrReauthorize", err)
	}
	if e.fake.count("GET /api/v2/token/refresh") != 0 {
		t.Error("refresh attempted with an expired refresh token")
	}
}

func TestNoToken(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Tokens = NewMemoryTokenStore(Token{}) })
	if _, err := e.client.Shops(context.Background()); !errors.Is(err, ErrNoToken) {
		t.Fatalf("err = %v, want ErrNoToken", err)
	}
}

func TestExchangeCode(t *testing.T) {
	store := NewMemoryTokenStore(Token{})
	e := newEnv(t, func(c *Config) { c.Tokens = store })
	e.fake.handle("GET /api/v2/token/get", func(w http.ResponseWriter, r *http.Request, _ []byte) {
		q := r.URL.Query()
		if q.Get("auth_code") != "CODE-1" || q.Get("grant_type") != "authorized_code" || q.Get("app_secret") != testAppSecret || q.Get("app_key") != testAppKey {
			t.Errorf("token/get query %v", q)
		}
		if q.Has("sign") || r.Header.Get("x-tts-access-token") != "" {
			t.Error("token/get was signed or carried a token")
		}
		_, _ = w.Write(fixture(t, "token.json"))
	})
	tok, err := e.client.ExchangeCode(context.Background(), "CODE-1")
	if err != nil {
		t.Fatal(err)
	}
	want := Token{AccessToken: "ROW_XXXXXXXXXX", RefreshToken: "ROW_YYYYYYYYYY",
		AccessExpiry: time.Unix(1700604800, 0).UTC(), RefreshExpiry: time.Unix(1731536000, 0).UTC(),
		OpenID: "7010736057180325637", SellerName: "Test Seller"}
	if tok != want {
		t.Errorf("token = %+v, want %+v", tok, want)
	}
	if got, _ := store.LoadToken(context.Background()); got != want {
		t.Errorf("stored = %+v", got)
	}
	e.fake.handle("GET /api/v2/token/get", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		writeEnvelope(w, 200, CodeInvalidAuthCode, "auth code is invalid", nil)
	})
	if _, err := e.client.ExchangeCode(context.Background(), "CODE-1"); !errors.Is(err, ErrAuthCode) {
		t.Errorf("reused code err = %v, want ErrAuthCode", err)
	}
}

// failingStore fails to save a number of times.
type failingStore struct {
	*MemoryTokenStore
	fail int
}

func (f *failingStore) SaveToken(ctx context.Context, t Token) error {
	if f.fail > 0 {
		f.fail--
		return errors.New("disk full")
	}
	return f.MemoryTokenStore.SaveToken(ctx, t)
}

func TestRefreshedTokenSaveIsRetried(t *testing.T) {
	var fs *failingStore
	e := newEnv(t, func(c *Config) {
		fs = &failingStore{MemoryTokenStore: c.Tokens.(*MemoryTokenStore), fail: 1}
		c.Tokens = fs
	})
	e.refreshHandler(t)
	e.fake.handle("GET /authorization/202309/shops", serveBytes(fixture(t, "shops.json")))
	e.clock.Add(7*24*time.Hour - 30*time.Minute)
	if _, err := e.client.Shops(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tok, _ := fs.LoadToken(context.Background()); tok.RefreshToken != "REFRESH-1" {
		t.Fatalf("stored refresh token %q; the failed save should not have stored", tok.RefreshToken)
	}
	if _, err := e.client.Shops(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tok, _ := fs.LoadToken(context.Background()); tok.RefreshToken != "REFRESH-2" {
		t.Errorf("stored refresh token %q after the next call, want REFRESH-2", tok.RefreshToken)
	}
}

func TestRelativeExpiry(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	if got := expiryTime(604800, now); !got.Equal(now.Add(7 * 24 * time.Hour)) {
		t.Errorf("relative expiry = %v", got)
	}
	if got := expiryTime(1700604800, now); !got.Equal(time.Unix(1700604800, 0)) {
		t.Errorf("absolute expiry = %v", got)
	}
}

func TestSeededRefreshTokenOnly(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Tokens = NewMemoryTokenStore(Token{RefreshToken: "REFRESH-1"}) })
	e.refreshHandler(t)
	e.fake.handle("GET /authorization/202309/shops", serveBytes(fixture(t, "shops.json")))
	if _, err := e.client.Shops(context.Background()); err != nil {
		t.Fatal(err)
	}
	tok, err := e.client.Token(context.Background())
	if err != nil || tok.AccessToken != "ACCESS-2" || tok.RefreshToken != "REFRESH-2" {
		t.Errorf("Token = %+v, %v", tok, err)
	}
	tok, err = e.client.RefreshToken(context.Background())
	if err != nil || tok.AccessToken != "ACCESS-3" {
		t.Errorf("RefreshToken = %+v, %v", tok, err)
	}
	if got := e.fake.count("GET /api/v2/token/refresh"); got != 2 {
		t.Errorf("refreshes = %d, want 2", got)
	}
}

func TestTokenLogValueHidesSecrets(t *testing.T) {
	v := Token{AccessToken: "SECRET-A", RefreshToken: "SECRET-R", SellerName: "Shop"}.LogValue().String()
	if strings.Contains(v, "SECRET") || !strings.Contains(v, "Shop") {
		t.Errorf("LogValue = %s", v)
	}
}
