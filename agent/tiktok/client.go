// Package tiktok is Packline's client of the TikTok Shop Open API (version
// 202309): signed requests, seller tokens with proactive refresh, order
// intake, catalogue weights, label purchase (Create Packages), label
// documents and package reconciliation. It retries only what is safe to
// retry: Create Packages has no idempotency key, so an unclear outcome is
// returned as ErrUnclear for the caller to reconcile.
package tiktok

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packline/packline/agent/order"
)

// Defaults of the optional Config fields.
const (
	DefaultRefreshBefore    = time.Hour
	DefaultProductTTL       = 15 * time.Minute
	DefaultMaxDocumentBytes = 20 << 20
	DefaultHTTPTimeout      = 30 * time.Second
	// maxResponseBytes bounds an API response body.
	maxResponseBytes = 32 << 20
)

// Config configures a Client. AppKey, AppSecret, APIBase, AuthBase and
// Tokens are required; the rest have defaults.
type Config struct {
	AppKey    string
	AppSecret string
	// APIBase is the Open API origin, e.g. https://open-api.tiktokglobalshop.com.
	APIBase string
	// AuthBase is the token service origin, e.g. https://auth.tiktok-shops.com.
	AuthBase string
	// ShopCipher is the shop's cipher from Shops; shop-scoped calls need it.
	ShopCipher string
	// HTTPClient sends the requests; its Timeout bounds each attempt.
	// Default: a client with a 30 s timeout.
	HTTPClient *http.Client
	// Tokens persists the seller token.
	Tokens TokenStore
	// Logger receives request failures (with request_id, never secrets).
	Logger *slog.Logger
	// Now is the clock for timestamps and token expiry; default time.Now.
	Now   func() time.Time
	Retry RetryPolicy
	// RefreshBefore refreshes the access token when less than this is left
	// (default 1 h).
	RefreshBefore time.Duration
	// ProductTTL is how long Product answers are cached in memory (default
	// 15 min; negative disables the cache).
	ProductTTL time.Duration
	// MaxDocumentBytes bounds a downloaded label document (default 20 MiB).
	MaxDocumentBytes int64
}

// Client calls the TikTok Shop Open API for one shop. It is safe for
// concurrent use.
type Client struct {
	appKey, appSecret string
	shopCipher        string
	apiBase, authBase *url.URL
	hc                *http.Client
	log               *slog.Logger
	now               func() time.Time
	retry             RetryPolicy
	refreshBefore     time.Duration
	productTTL        time.Duration
	maxDoc            int64
	tokens            TokenStore

	// tokLock is a one-slot semaphore that serialises token loading and
	// refreshing, so concurrent callers never refresh in parallel, while
	// waiting callers still honour their contexts.
	tokLock  chan struct{}
	tok      Token
	tokOK    bool
	tokDirty bool

	// skew is added to the local clock for request timestamps, learnt
	// from TikTok's Date header after a timestamp rejection (nanoseconds).
	skew atomic.Int64
	// pauseUntil is when calls may resume after a rate limit (Unix ns,
	// wall clock).
	pauseUntil atomic.Int64

	prodMu   sync.Mutex
	products map[string]cachedProduct
}

type cachedProduct struct {
	p       order.Product
	expires time.Time
}

// New validates cfg and returns a Client. It does no I/O.
func New(cfg Config) (*Client, error) {
	var problems []string
	if strings.TrimSpace(cfg.AppKey) == "" {
		problems = append(problems, "app key is empty")
	}
	if strings.TrimSpace(cfg.AppSecret) == "" {
		problems = append(problems, "app secret is empty")
	}
	apiBase, err := parseBase("api base", cfg.APIBase)
	if err != nil {
		problems = append(problems, err.Error())
	}
	authBase, err := parseBase("auth base", cfg.AuthBase)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if cfg.Tokens == nil {
		problems = append(problems, "token store is nil")
	}
	if cfg.Retry.MaxAttempts < 0 || cfg.Retry.Base < 0 || cfg.Retry.Cap < 0 {
		problems = append(problems, "retry policy has negative values")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("tiktok config: %s", strings.Join(problems, "; "))
	}
	c := &Client{
		appKey:        cfg.AppKey,
		appSecret:     cfg.AppSecret,
		shopCipher:    cfg.ShopCipher,
		apiBase:       apiBase,
		authBase:      authBase,
		hc:            cfg.HTTPClient,
		log:           cfg.Logger,
		now:           cfg.Now,
		retry:         cfg.Retry.withDefaults(),
		refreshBefore: cfg.RefreshBefore,
		productTTL:    cfg.ProductTTL,
		maxDoc:        cfg.MaxDocumentBytes,
		tokens:        cfg.Tokens,
		tokLock:       make(chan struct{}, 1),
		products:      map[string]cachedProduct{},
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.refreshBefore <= 0 {
		c.refreshBefore = DefaultRefreshBefore
	}
	if c.productTTL == 0 {
		c.productTTL = DefaultProductTTL
	}
	if c.maxDoc <= 0 {
		c.maxDoc = DefaultMaxDocumentBytes
	}
	return c, nil
}

// parseBase checks that s is an http(s) origin without a path, query or
// fragment: the signed path must be exactly the path sent.
func parseBase(name, s string) (*url.URL, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("%s is empty", name)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %v", name, s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%s %q must be an http or https URL with a host", name, s)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s %q must be scheme://host[:port] with no path or query", name, s)
	}
	u.Path = ""
	return u, nil
}

// request is one API call.
type request struct {
	method string
	// path is the path sent and signed, e.g. /order/202309/orders/search.
	path  string
	query url.Values
	// body is the exact JSON sent and signed; nil sends no body.
	body []byte
	// shop adds shop_cipher.
	shop bool
	// auth marks a token-service call: AuthBase, unsigned, no token.
	auth bool
	// once marks a non-idempotent call: never retried once it may have
	// reached the server.
	once bool
}

// attempt is the raw outcome of one HTTP exchange.
type attempt struct {
	status int
	header http.Header
	body   []byte
	// sent is true once a connection was obtained, after which the
	// request may have reached the server.
	sent *atomic.Bool
}

// do runs r with retries and decodes the envelope's data into out (which
// may be nil).
func (c *Client) do(ctx context.Context, r request, out any) error {
	var access string
	if !r.auth {
		if r.shop && c.shopCipher == "" {
			return fmt.Errorf("tiktok %s: %w: shop cipher is not configured (list the shops and set shop_cipher)", r.path, ErrShopCipher)
		}
		var err error
		if access, err = c.accessToken(ctx); err != nil {
			return fmt.Errorf("tiktok %s: %w", r.path, err)
		}
	}
	refreshed, reclocked := false, false
	paused := false
	for n := 0; ; n++ {
		if !paused {
			// Another call was told to slow down: do not add to the burst.
			if d := time.Duration(c.pauseUntil.Load() - time.Now().UnixNano()); d > 0 {
				if err := c.retry.Sleep(ctx, d); err != nil {
					return fmt.Errorf("tiktok %s: waiting out a rate limit: %w", r.path, err)
				}
			}
		}
		paused = false
		a, err := c.send(ctx, r, access)
		if err == nil {
			err = decodeResponse(r.path, a.status, a.header, a.body, out)
			if err == nil {
				return nil
			}
			if errors.Is(err, ErrTimestamp) && !reclocked && c.adjustSkew(ctx, a.header) {
				// Rejected before processing: retry once on TikTok's clock.
				reclocked = true
				n--
				continue
			}
			if errors.Is(err, ErrTokenExpired) && !r.auth && !refreshed {
				// Rejected before processing: refresh once and try again.
				refreshed = true
				c.logFailure(r, err, n+1)
				if access, err = c.refreshAfterExpiry(ctx, access); err != nil {
					return fmt.Errorf("tiktok %s: %w", r.path, err)
				}
				n--
				continue
			}
			if r.once && !errors.Is(err, ErrRateLimited) && (errors.Is(err, ErrServer) || errors.Is(err, ErrMalformed)) {
				c.logFailure(r, err, n+1)
				return fmt.Errorf("%w: %w", ErrUnclear, err)
			}
			if !retryable(err) {
				c.logFailure(r, err, n+1)
				return err
			}
		} else {
			if r.once && a.sent.Load() {
				c.logFailure(r, err, n+1)
				return fmt.Errorf("tiktok %s %s: %w: %w", r.method, r.path, ErrUnclear, err)
			}
			if ctx.Err() != nil {
				return fmt.Errorf("tiktok %s %s: %w", r.method, r.path, err)
			}
			err = fmt.Errorf("tiktok %s %s: %w", r.method, r.path, err)
		}
		if n+1 >= c.retry.MaxAttempts {
			c.logFailure(r, err, n+1)
			if n > 0 {
				return fmt.Errorf("%w (gave up after %d attempts)", err, n+1)
			}
			return err
		}
		delay := c.retry.backoff(n)
		if ae, ok := errors.AsType[*APIError](err); ok && ae.RetryAfter > 0 {
			if ae.RetryAfter > c.retry.Cap {
				c.logFailure(r, err, n+1)
				return err
			}
			delay = max(delay, ae.RetryAfter)
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "tiktok call failed, retrying",
			slog.String("path", r.path), slog.Int("attempt", n+1), slog.Duration("delay", delay),
			slog.String("request_id", requestIDOf(err)), slog.String("error", err.Error()))
		if errors.Is(err, ErrRateLimited) {
			c.pauseAll(delay)
		}
		if serr := c.retry.Sleep(ctx, delay); serr != nil {
			return fmt.Errorf("%w (gave up waiting to retry: %w)", err, serr)
		}
		paused = true
	}
}

// pauseAll holds back every call of the client for d after a rate limit:
// the limit is per app and shop, so other callers would only be refused too.
func (c *Client) pauseAll(d time.Duration) {
	until := time.Now().Add(d).UnixNano()
	for {
		cur := c.pauseUntil.Load()
		if cur >= until || c.pauseUntil.CompareAndSwap(cur, until) {
			return
		}
	}
}

// adjustSkew learns the offset of the local clock from the Date header of
// a timestamp rejection. It reports whether a retry may help.
func (c *Client) adjustSkew(ctx context.Context, h http.Header) bool {
	date, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return false
	}
	off := date.Sub(c.now())
	if off > -2*time.Second && off < 2*time.Second {
		return false // the clock agrees; the rejection has another cause
	}
	c.skew.Store(int64(off))
	c.log.LogAttrs(ctx, slog.LevelWarn, "local clock disagrees with TikTok; using TikTok's time for request timestamps (fix the machine's time sync)",
		slog.Duration("offset", off))
	return true
}

// logFailure records a failed call with its request id.
func (c *Client) logFailure(r request, err error, attempts int) {
	c.log.LogAttrs(context.Background(), slog.LevelWarn, "tiktok call failed",
		slog.String("method", r.method), slog.String("path", r.path), slog.Int("attempts", attempts),
		slog.String("request_id", requestIDOf(err)), slog.String("error", err.Error()))
}

// requestIDOf returns the request id carried by err, if any.
func requestIDOf(err error) string {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.RequestID
	}
	if me, ok := errors.AsType[*malformedError](err); ok {
		return me.requestID
	}
	return ""
}

// send performs one HTTP exchange of r.
func (c *Client) send(ctx context.Context, r request, access string) (attempt, error) {
	a := attempt{sent: new(atomic.Bool)}
	q := url.Values{}
	for k, vs := range r.query {
		v := strings.Join(vs, ",")
		if v != "" {
			q.Set(k, v)
		}
	}
	var u url.URL
	if r.auth {
		u = *c.authBase
	} else {
		u = *c.apiBase
		q.Set("app_key", c.appKey)
		q.Set("timestamp", strconv.FormatInt(c.now().Add(time.Duration(c.skew.Load())).Unix(), 10))
		if r.shop {
			q.Set("shop_cipher", c.shopCipher)
		}
		q.Set("sign", Sign(c.appSecret, r.path, q, r.body, "application/json"))
	}
	u.Path = r.path
	u.RawQuery = q.Encode()

	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { a.sent.Store(true) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), r.method, u.String(), body)
	if err != nil {
		return a, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if !r.auth {
		req.Header.Set("x-tts-access-token", access)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return a, stripURL(err)
	}
	defer resp.Body.Close()
	a.status, a.header = resp.StatusCode, resp.Header
	a.body, err = io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return a, fmt.Errorf("reading response (HTTP %d): %w", resp.StatusCode, stripURL(err))
	}
	if len(a.body) > maxResponseBytes {
		return a, fmt.Errorf("response larger than %d bytes (HTTP %d)", maxResponseBytes, resp.StatusCode)
	}
	return a, nil
}

// stripURL removes the request URL from a transport error: token-service
// URLs carry the app secret and the refresh token.
func stripURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		if ue.Timeout() {
			return fmt.Errorf("request timed out: %w", ue.Err)
		}
		return fmt.Errorf("sending request: %w", ue.Err)
	}
	return err
}

// validID checks an id that goes into a URL path.
func validID(kind, id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty %s id", ErrInvalidRequest, kind)
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("%w: %s id %q has characters other than letters, digits, '-', '_' and '.'", ErrInvalidRequest, kind, id)
		}
	}
	return nil
}
