package tiktoksim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// specSign signs a request exactly as the API reference §2.1 describes,
// written independently of the simulator's verifier.
func specSign(secret, path string, query map[string]string, body []byte) string {
	keys := make([]string, 0, len(query))
	for k := range query {
		if k != "sign" && k != "access_token" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	msg := secret + path
	for _, k := range keys {
		msg += k + query[k]
	}
	msg += string(body) + secret
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// apiClient calls the simulator like a TikTok client does.
type apiClient struct {
	t      testing.TB
	base   string
	key    string
	secret string
	cipher string
	token  string
	clock  func() time.Time
	hc     *http.Client
}

type result struct {
	Status    int
	Code      int             `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
	Header    http.Header
}

// call sends a signed request. query holds decoded values; shop adds the
// shop_cipher. mutate may tamper with the final query before sending.
func (c *apiClient) call(method, path string, query map[string]string, body any, shop bool, mutate ...func(q url.Values, h http.Header)) (result, error) {
	q := map[string]string{"app_key": c.key, "timestamp": strconv.FormatInt(c.clock().Unix(), 10)}
	for k, v := range query {
		q[k] = v
	}
	if shop {
		q["shop_cipher"] = c.cipher
	}
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			c.t.Fatal(err)
		}
	}
	q["sign"] = specSign(c.secret, path, q, raw)
	vals := url.Values{}
	for k, v := range q {
		vals.Set(k, v)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if c.token != "" {
		h.Set("x-tts-access-token", c.token)
	}
	for _, m := range mutate {
		m(vals, h)
	}
	req, err := http.NewRequest(method, c.base+path+"?"+vals.Encode(), bytes.NewReader(raw))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header = h
	resp, err := c.hc.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	var r result
	if err := json.Unmarshal(b, &r); err != nil {
		c.t.Fatalf("%s %s: answer is not JSON (%d): %q", method, path, resp.StatusCode, b)
	}
	r.Status = resp.StatusCode
	r.Header = resp.Header
	return r, nil
}

// ok calls and requires code 0, decoding data into out.
func (c *apiClient) ok(method, path string, query map[string]string, body any, out any) {
	c.t.Helper()
	r, err := c.call(method, path, query, body, path != "/authorization/202309/shops")
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if r.Code != 0 || r.Status != 200 {
		c.t.Fatalf("%s %s: HTTP %d code %d %q", method, path, r.Status, r.Code, r.Message)
	}
	if r.RequestID == "" {
		c.t.Errorf("%s %s: no request_id", method, path)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			c.t.Fatalf("%s %s: data: %v", method, path, err)
		}
	}
}

// newTestSim starts a simulator on a loopback port with a settable clock.
func newTestSim(t testing.TB, opts Options) (*Sim, *apiClient, *testClock) {
	t.Helper()
	clk := &testClock{t: time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	s := New(opts)
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	o := s.Options()
	c := &apiClient{t: t, base: base, key: o.AppKey, secret: o.AppSecret, cipher: o.ShopCipher, token: s.IssueToken().AccessToken, clock: s.Now,
		hc: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}}
	t.Cleanup(c.hc.CloseIdleConnections)
	return s, c, clk
}

type ordersPage struct {
	Orders        []Order `json:"orders"`
	NextPageToken string  `json:"next_page_token"`
	TotalCount    int     `json:"total_count"`
}
