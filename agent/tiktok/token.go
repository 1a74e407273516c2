package tiktok

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"
)

// Token is a seller's authorisation: the access token sent with every call
// and the refresh token that renews it.
type Token struct {
	AccessToken   string
	RefreshToken  string
	AccessExpiry  time.Time
	RefreshExpiry time.Time
	OpenID        string
	SellerName    string
}

// LogValue keeps the secrets out of logs.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("seller", t.SellerName),
		slog.String("open_id", t.OpenID),
		slog.Time("access_expiry", t.AccessExpiry),
		slog.Time("refresh_expiry", t.RefreshExpiry),
	)
}

// TokenStore persists the seller token. LoadToken returns an error wrapping
// ErrNoToken (or a zero Token) when nothing is stored yet. SaveToken is
// called after every exchange and refresh, because TikTok may rotate the
// refresh token.
type TokenStore interface {
	LoadToken(ctx context.Context) (Token, error)
	SaveToken(ctx context.Context, t Token) error
}

// MemoryTokenStore is a TokenStore in memory, for tests and tools.
type MemoryTokenStore struct {
	mu    sync.Mutex
	tok   Token
	saves int
}

// NewMemoryTokenStore returns a store holding t (a zero Token means empty).
func NewMemoryTokenStore(t Token) *MemoryTokenStore {
	return &MemoryTokenStore{tok: t}
}

// LoadToken returns the stored token or ErrNoToken.
func (m *MemoryTokenStore) LoadToken(context.Context) (Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tok == (Token{}) {
		return Token{}, ErrNoToken
	}
	return m.tok, nil
}

// SaveToken stores t.
func (m *MemoryTokenStore) SaveToken(_ context.Context, t Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tok = t
	m.saves++
	return nil
}

// Saves reports how many times SaveToken was called.
func (m *MemoryTokenStore) Saves() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.saves
}

// tokenData is the data of a token/get or token/refresh answer.
type tokenData struct {
	AccessToken          string   `json:"access_token"`
	AccessTokenExpireIn  Unix     `json:"access_token_expire_in"`
	RefreshToken         string   `json:"refresh_token"`
	RefreshTokenExpireIn Unix     `json:"refresh_token_expire_in"`
	OpenID               string   `json:"open_id"`
	SellerName           string   `json:"seller_name"`
	SellerBaseRegion     string   `json:"seller_base_region"`
	UserType             Int      `json:"user_type"`
	GrantedScopes        []string `json:"granted_scopes"`
}

// expiryTime converts an *_expire_in value, documented as an absolute Unix
// time. A value too small to be one (before 2001) is taken as seconds from
// now, which is what some OAuth services send.
func expiryTime(v Unix, now time.Time) time.Time {
	switch {
	case v <= 0:
		return time.Time{}
	case v < 1_000_000_000:
		return now.Add(time.Duration(v) * time.Second).UTC()
	}
	return v.Time()
}

// token converts d; an empty refresh token keeps prev's.
func (d tokenData) token(prev Token, now time.Time) (Token, error) {
	if d.AccessToken == "" {
		return Token{}, errors.New("token answer has no access_token")
	}
	t := Token{
		AccessToken:   d.AccessToken,
		RefreshToken:  d.RefreshToken,
		AccessExpiry:  expiryTime(d.AccessTokenExpireIn, now),
		RefreshExpiry: expiryTime(d.RefreshTokenExpireIn, now),
		OpenID:        d.OpenID,
		SellerName:    d.SellerName,
	}
	if t.RefreshToken == "" {
		t.RefreshToken, t.RefreshExpiry = prev.RefreshToken, prev.RefreshExpiry
	}
	if t.OpenID == "" {
		t.OpenID = prev.OpenID
	}
	if t.SellerName == "" {
		t.SellerName = prev.SellerName
	}
	return t, nil
}

// lockToken takes the token semaphore or gives up when ctx ends.
func (c *Client) lockToken(ctx context.Context) error {
	select {
	case c.tokLock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the seller token: %w", ctx.Err())
	}
}

func (c *Client) unlockToken() { <-c.tokLock }

// ExchangeCode trades a single-use authorisation code (valid 30 minutes)
// for a seller token and saves it in the token store.
func (c *Client) ExchangeCode(ctx context.Context, authCode string) (Token, error) {
	if authCode == "" {
		return Token{}, fmt.Errorf("%w: empty auth code", ErrInvalidRequest)
	}
	if err := c.lockToken(ctx); err != nil {
		return Token{}, err
	}
	defer c.unlockToken()
	var d tokenData
	err := c.do(ctx, request{method: "GET", path: "/api/v2/token/get", auth: true, query: url.Values{
		"app_key": {c.appKey}, "app_secret": {c.appSecret}, "auth_code": {authCode}, "grant_type": {"authorized_code"},
	}}, &d)
	if err != nil {
		return Token{}, fmt.Errorf("exchanging auth code: %w", err)
	}
	t, err := d.token(Token{}, c.now())
	if err != nil {
		return Token{}, fmt.Errorf("exchanging auth code: %w", err)
	}
	c.tok, c.tokOK, c.tokDirty = t, true, true
	if err := c.persistLocked(ctx); err != nil {
		return t, err
	}
	return t, nil
}

// Token returns the current seller token, loading it from the store, and
// refreshing it if it is about to expire.
func (c *Client) Token(ctx context.Context) (Token, error) {
	if _, err := c.accessToken(ctx); err != nil {
		return Token{}, err
	}
	if err := c.lockToken(ctx); err != nil {
		return Token{}, err
	}
	defer c.unlockToken()
	return c.tok, nil
}

// RefreshToken renews the access token now, whatever its expiry.
func (c *Client) RefreshToken(ctx context.Context) (Token, error) {
	if err := c.lockToken(ctx); err != nil {
		return Token{}, err
	}
	defer c.unlockToken()
	if err := c.loadLocked(ctx); err != nil {
		return Token{}, err
	}
	if err := c.refreshLocked(ctx); err != nil {
		return Token{}, err
	}
	return c.tok, nil
}

// accessToken returns a usable access token, refreshing it proactively when
// less than RefreshBefore is left.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	if err := c.lockToken(ctx); err != nil {
		return "", err
	}
	defer c.unlockToken()
	if err := c.loadLocked(ctx); err != nil {
		return "", err
	}
	if c.tokDirty {
		_ = c.persistLocked(ctx)
	}
	now := c.now()
	stale := c.tok.AccessToken == "" || (!c.tok.AccessExpiry.IsZero() && c.tok.AccessExpiry.Sub(now) < c.refreshBefore)
	if !stale {
		return c.tok.AccessToken, nil
	}
	err := c.refreshLocked(ctx)
	if err == nil {
		return c.tok.AccessToken, nil
	}
	if c.tok.AccessToken != "" && now.Before(c.tok.AccessExpiry) && ctx.Err() == nil {
		// The old token still works: use it and refresh on a later call.
		c.log.LogAttrs(ctx, slog.LevelWarn, "tiktok proactive token refresh failed; using the current token",
			slog.Time("access_expiry", c.tok.AccessExpiry), slog.String("error", err.Error()))
		return c.tok.AccessToken, nil
	}
	return "", err
}

// refreshAfterExpiry refreshes after TikTok answered 105002 to a call made
// with stale. If another caller refreshed meanwhile, its token is used.
func (c *Client) refreshAfterExpiry(ctx context.Context, stale string) (string, error) {
	if err := c.lockToken(ctx); err != nil {
		return "", err
	}
	defer c.unlockToken()
	if err := c.loadLocked(ctx); err != nil {
		return "", err
	}
	if c.tok.AccessToken != stale {
		return c.tok.AccessToken, nil
	}
	if err := c.refreshLocked(ctx); err != nil {
		return "", err
	}
	return c.tok.AccessToken, nil
}

// loadLocked reads the token from the store once.
func (c *Client) loadLocked(ctx context.Context) error {
	if c.tokOK {
		return nil
	}
	t, err := c.tokens.LoadToken(ctx)
	if err != nil {
		if errors.Is(err, ErrNoToken) {
			return err
		}
		return fmt.Errorf("loading seller token: %w", err)
	}
	if t.AccessToken == "" && t.RefreshToken == "" {
		return ErrNoToken
	}
	c.tok, c.tokOK = t, true
	return nil
}

// refreshLocked renews the token and persists it.
func (c *Client) refreshLocked(ctx context.Context) error {
	if c.tok.RefreshToken == "" {
		return fmt.Errorf("refreshing access token: %w", ErrNoToken)
	}
	now := c.now()
	if !c.tok.RefreshExpiry.IsZero() && !now.Before(c.tok.RefreshExpiry) {
		return fmt.Errorf("refreshing access token: %w (expired %s)", ErrReauthorize, c.tok.RefreshExpiry.Format(time.RFC3339))
	}
	var d tokenData
	err := c.do(ctx, request{method: "GET", path: "/api/v2/token/refresh", auth: true, query: url.Values{
		"app_key": {c.appKey}, "app_secret": {c.appSecret}, "refresh_token": {c.tok.RefreshToken}, "grant_type": {"refresh_token"},
	}}, &d)
	if err != nil {
		return fmt.Errorf("refreshing access token: %w", err)
	}
	t, err := d.token(c.tok, now)
	if err != nil {
		return fmt.Errorf("refreshing access token: %w", err)
	}
	c.tok, c.tokDirty = t, true
	c.log.LogAttrs(ctx, slog.LevelInfo, "tiktok access token refreshed", slog.Any("token", t))
	_ = c.persistLocked(ctx)
	return nil
}

// persistLocked saves a token not yet saved. A failure is logged and kept
// for the next call to retry: the token in memory stays usable.
func (c *Client) persistLocked(ctx context.Context) error {
	if err := c.tokens.SaveToken(ctx, c.tok); err != nil {
		c.log.LogAttrs(ctx, slog.LevelError, "tiktok token not saved; will retry on the next call", slog.String("error", err.Error()))
		return fmt.Errorf("saving seller token: %w", err)
	}
	c.tokDirty = false
	return nil
}
