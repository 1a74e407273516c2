package tiktoksim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Handler returns the simulator as an http.Handler: the Open API, the auth
// endpoints under /api/v2/token/, label documents under /_sim/docs/ and the
// control API under /_sim/. Start serves it on a real listener.
func (s *Sim) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Sim) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.net.mu.Lock()
	online := s.net.online
	s.net.mu.Unlock()
	if !online {
		abort(w)
		return
	}
	// The Date header carries sim time, so a client that learns its clock
	// offset from it agrees with the timestamp check.
	w.Header().Set("Date", s.Now().UTC().Format(http.TimeFormat))
	path := r.URL.Path
	if strings.HasPrefix(path, "/_sim/") && !strings.HasPrefix(path, "/_sim/docs/") {
		s.serveControl(w, r)
		return
	}
	next := s.serveAPI
	if strings.HasPrefix(path, "/_sim/docs/") {
		next = s.serveDoc
	}
	if s.opts.QPS > 0 && !strings.HasPrefix(path, "/_sim/") {
		if ok, wait := s.limiter.allow(path, s.opts.QPS, s.opts.Burst, time.Now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
			s.reply(w, r, s.Now(), nil, errf(http.StatusTooManyRequests, CodeTooManyRequests, "Too many requests: the rate limit of this API is exceeded, retry later"))
			return
		}
	}
	tok := r.Header.Get("x-tts-access-token")
	f, ok := s.takeFault(path, tok != "")
	if !ok {
		next(w, r)
		return
	}
	s.log.Info("tiktoksim: injecting fault", "kind", f.Kind.String(), "path", path)
	now := s.Now()
	switch f.Kind {
	case RateLimit:
		w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
		s.reply(w, r, now, nil, errf(http.StatusTooManyRequests, CodeTooManyRequests, "Too many requests: the rate limit of this API is exceeded, retry later"))
	case ServerError:
		s.reply(w, r, now, nil, errf(f.Status, CodeInternalError, "Internal error, please retry later"))
	case Slow:
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
			next(w, r)
		case <-r.Context().Done():
		}
	case Reset:
		abort(w)
	case TokenExpiry:
		s.mu.Lock()
		if t := s.access[tok]; t != nil && t.expires.After(now) {
			t.expires = now
		}
		s.mu.Unlock()
		s.reply(w, r, now, nil, errf(http.StatusUnauthorized, CodeTokenExpired, "Access token is expired, please refresh it"))
	case DropAfterSuccess:
		next(&discardWriter{h: http.Header{}}, r)
		abort(w)
	}
}

// abort closes the request's connection without an answer. A TCP
// connection is reset rather than closed gracefully.
func abort(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// discardWriter swallows a response that will never be sent.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// Start serves the simulator on addr ("127.0.0.1:0" for a free port) and
// returns its base URL, e.g. "http://127.0.0.1:41234". The same URL serves
// the API and the auth endpoints.
func (s *Sim) Start(addr string) (string, error) {
	s.net.mu.Lock()
	defer s.net.mu.Unlock()
	if s.net.srv != nil {
		return "", errors.New("tiktoksim: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("tiktoksim: listen on %s: %w", addr, err)
	}
	s.net.conns = map[net.Conn]struct{}{}
	s.net.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		ConnState:         s.trackConn,
	}
	s.net.ln = ln
	s.net.addr = ln.Addr().String()
	go s.serve(s.net.srv, ln)
	return "http://" + s.net.addr, nil
}

func (s *Sim) serve(srv *http.Server, ln net.Listener) {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Debug("tiktoksim: listener stopped", "err", err)
	}
}

func (s *Sim) trackConn(c net.Conn, st http.ConnState) {
	s.net.mu.Lock()
	defer s.net.mu.Unlock()
	switch st {
	case http.StateNew:
		s.net.conns[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(s.net.conns, c)
	}
}

// BaseURL is the URL Start listens on ("" before Start).
func (s *Sim) BaseURL() string {
	s.net.mu.Lock()
	defer s.net.mu.Unlock()
	if s.net.addr == "" {
		return ""
	}
	return "http://" + s.net.addr
}

// SetOnline takes the simulator off the network (false) or back on (true).
// Offline, the listener is closed and open connections are reset, so
// clients see "connection refused" as when the link is down; through
// Handler alone, every request's connection is closed unanswered. Back
// online, it listens again on the same address.
func (s *Sim) SetOnline(online bool) error {
	s.net.mu.Lock()
	defer s.net.mu.Unlock()
	if s.net.online == online {
		return nil
	}
	s.net.online = online
	if s.net.srv == nil || s.net.closed {
		return nil
	}
	if !online {
		if s.net.ln != nil {
			s.net.ln.Close()
			s.net.ln = nil
		}
		for c := range s.net.conns {
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			c.Close()
			delete(s.net.conns, c)
		}
		return nil
	}
	ln, err := net.Listen("tcp", s.net.addr)
	if err != nil {
		s.net.online = false
		return fmt.Errorf("tiktoksim: listen again on %s: %w", s.net.addr, err)
	}
	s.net.ln = ln
	go s.serve(s.net.srv, ln)
	return nil
}

// Close stops serving and closes every connection.
func (s *Sim) Close() error {
	s.net.mu.Lock()
	srv := s.net.srv
	s.net.closed = true
	s.net.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// Shutdown stops serving gracefully, waiting for requests in flight.
func (s *Sim) Shutdown(ctx context.Context) error {
	s.net.mu.Lock()
	srv := s.net.srv
	s.net.closed = true
	s.net.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}

// Info is what a client needs to talk to the simulator.
type Info struct {
	BaseURL     string    `json:"base_url"`
	AppKey      string    `json:"app_key"`
	AppSecret   string    `json:"app_secret"`
	ShopCipher  string    `json:"shop_cipher"`
	ShopID      string    `json:"shop_id"`
	WarehouseID string    `json:"warehouse_id"`
	Now         time.Time `json:"now"`
}

// Info returns the simulator's credentials and identifiers.
func (s *Sim) Info() Info {
	return Info{BaseURL: s.BaseURL(), AppKey: s.opts.AppKey, AppSecret: s.opts.AppSecret, ShopCipher: s.opts.ShopCipher, ShopID: s.opts.ShopID, WarehouseID: s.opts.WarehouseID, Now: s.Now()}
}

// AgentConfig returns the keys of an agent's [tiktok] section that point it
// at this simulator (base URLs, credentials, a fresh single-use auth code
// and the warehouse), one per line, for a configuration file to embed.
func (s *Sim) AgentConfig() string {
	info := s.Info()
	return fmt.Sprintf("api_base = %q\nauth_base = %q\napp_key = %q\napp_secret = %q\nshop_cipher = %q\nauth_code = %q\nwarehouse_ids = [%q]",
		info.BaseURL, info.BaseURL, info.AppKey, info.AppSecret, info.ShopCipher, s.AuthCode(), info.WarehouseID)
}

// serveControl is the JSON control API under /_sim/.
//
//	GET    /_sim/info                       credentials, base URL, sim time
//	GET    /_sim/catalog                    scannable SKUs with GTINs and weights
//	GET    /_sim/orders                     every order in API shape
//	GET    /_sim/orders/{id}                one order in API shape
//	POST   /_sim/orders                     add an order (OrderSpec) → {"id"}
//	POST   /_sim/orders/{id}/cancel         cancel it (buyer)
//	POST   /_sim/orders/{id}/request_cancel buyer asks to cancel
//	POST   /_sim/orders/{id}/collect        carrier pickup: IN_TRANSIT
//	GET    /_sim/purchases                  {"total", "by_order"}
//	GET    /_sim/faults                     pending faults
//	POST   /_sim/faults                     inject {"path","kind","count","status","delay_ms","retry_after_s"}
//	DELETE /_sim/faults                     clear faults
//	POST   /_sim/auth_code                  {"auth_code"}
//	POST   /_sim/token                      a fresh token pair
//	POST   /_sim/expire_tokens              expire every access token
//	POST   /_sim/advance                    {"seconds": n} moves sim time forward
//	POST   /_sim/offline                    {"seconds": n} drops off the network for n real seconds
func (s *Sim) serveControl(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/_sim")
	send := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	fail := func(status int, err error) { send(status, map[string]string{"error": err.Error()}) }
	decode := func(v any) bool {
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			fail(http.StatusBadRequest, fmt.Errorf("request body: %w", err))
			return false
		}
		return true
	}
	m := r.Method
	switch {
	case m == "GET" && path == "/info":
		info := s.Info()
		if info.BaseURL == "" {
			info.BaseURL = "http://" + r.Host
		}
		send(http.StatusOK, info)
	case m == "GET" && path == "/catalog":
		send(http.StatusOK, s.Catalog())
	case m == "GET" && path == "/orders":
		send(http.StatusOK, s.Orders())
	case m == "GET" && strings.HasPrefix(path, "/orders/") && !strings.Contains(strings.TrimPrefix(path, "/orders/"), "/"):
		o, ok := s.Order(strings.TrimPrefix(path, "/orders/"))
		if !ok {
			fail(http.StatusNotFound, fmt.Errorf("order %s: %w", strings.TrimPrefix(path, "/orders/"), ErrNotFound))
			return
		}
		send(http.StatusOK, o)
	case m == "POST" && path == "/orders":
		var spec OrderSpec
		if !decode(&spec) {
			return
		}
		id, err := s.AddOrder(spec)
		if err != nil {
			fail(http.StatusBadRequest, err)
			return
		}
		send(http.StatusOK, map[string]string{"id": id})
	case m == "POST" && strings.HasPrefix(path, "/orders/") && strings.Count(path, "/") == 3:
		rest := strings.TrimPrefix(path, "/orders/")
		id, action, _ := strings.Cut(rest, "/")
		var err error
		switch action {
		case "cancel":
			err = s.CancelOrder(id)
		case "request_cancel":
			err = s.RequestCancel(id)
		case "collect":
			err = s.Collect(id)
		default:
			fail(http.StatusNotFound, fmt.Errorf("no order action %q: use cancel, request_cancel or collect", action))
			return
		}
		switch {
		case errors.Is(err, ErrNotFound):
			fail(http.StatusNotFound, err)
		case err != nil:
			fail(http.StatusConflict, err)
		default:
			o, _ := s.Order(id)
			send(http.StatusOK, o)
		}
	case m == "GET" && path == "/purchases":
		s.mu.Lock()
		by := make(map[string]int, len(s.purchases))
		for k, v := range s.purchases {
			by[k] = v
		}
		total := s.totalPurchases
		s.mu.Unlock()
		send(http.StatusOK, map[string]any{"total": total, "by_order": by})
	case m == "GET" && path == "/faults":
		send(http.StatusOK, s.Faults())
	case m == "POST" && path == "/faults":
		var fj faultJSON
		if !decode(&fj) {
			return
		}
		if err := s.Inject(fj.fault()); err != nil {
			fail(http.StatusBadRequest, err)
			return
		}
		send(http.StatusOK, s.Faults())
	case m == "DELETE" && path == "/faults":
		s.ClearFaults()
		send(http.StatusOK, []Fault{})
	case m == "POST" && path == "/auth_code":
		send(http.StatusOK, map[string]string{"auth_code": s.AuthCode()})
	case m == "POST" && path == "/token":
		send(http.StatusOK, s.IssueToken())
	case m == "POST" && path == "/expire_tokens":
		s.ExpireTokens()
		send(http.StatusOK, map[string]bool{"expired": true})
	case m == "POST" && path == "/advance":
		var body struct {
			Seconds int64 `json:"seconds"`
		}
		if !decode(&body) {
			return
		}
		if body.Seconds <= 0 {
			fail(http.StatusBadRequest, errors.New("seconds must be positive: sim time only moves forward"))
			return
		}
		s.Advance(time.Duration(body.Seconds) * time.Second)
		send(http.StatusOK, map[string]time.Time{"now": s.Now()})
	case m == "POST" && path == "/offline":
		var body struct {
			Seconds int `json:"seconds"`
		}
		if !decode(&body) {
			return
		}
		if body.Seconds <= 0 || body.Seconds > 3600 {
			fail(http.StatusBadRequest, errors.New("seconds must be from 1 to 3600: the simulator comes back online by itself after them"))
			return
		}
		send(http.StatusOK, map[string]int{"offline_seconds": body.Seconds})
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		time.AfterFunc(10*time.Millisecond, func() {
			if err := s.SetOnline(false); err != nil {
				s.log.Error("tiktoksim: go offline", "err", err)
			}
			time.AfterFunc(time.Duration(body.Seconds)*time.Second, func() {
				if err := s.SetOnline(true); err != nil {
					s.log.Error("tiktoksim: back online", "err", err)
				}
			})
		})
	default:
		fail(http.StatusNotFound, fmt.Errorf("no control endpoint %s %s", m, r.URL.Path))
	}
}
