// Package localapi serves the agent's local API: a websocket that streams
// station events and takes the packers' commands, /healthz and /metrics.
//
// Every request passes a gate before anything else runs: requests that a web
// page could have sent (Origin, Referer or Sec-Fetch-* headers) and requests
// for a foreign Host (DNS rebinding) are refused, the websocket and the
// metrics need the bearer token from the agent's data directory, and
// backups (POST /v1/backup) need the separate admin token.
package localapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/packline/packline/agent/localapi/apitype"
)

// DefaultListen is the address the API listens on unless configured.
const DefaultListen = "127.0.0.1:7420"

// Defaults for Options fields left zero.
const (
	DefaultHistory        = 4096
	DefaultHistoryBytes   = 16 << 20
	DefaultSendQueue      = 256
	DefaultCommandTimeout = 10 * time.Second
	DefaultPingInterval   = 50 * time.Second
	DefaultPongWait       = 60 * time.Second
	writeWait             = 10 * time.Second
	// hardReadLimit is where the websocket library itself cuts a frame off;
	// frames between MaxMessageBytes and it get an error message first.
	hardReadLimit = 4 * apitype.MaxMessageBytes
)

// Backend runs station commands and reports the current state of a station.
// The pack-flow engine implements it.
type Backend interface {
	Do(ctx context.Context, station string, cmd apitype.Command) apitype.Result
	Snapshot(station string) (apitype.StationView, []apitype.QueueEntry, apitype.Link, []apitype.DeviceStatus)
}

// StationLister is implemented by a Backend that knows which stations it
// has: a hello naming any other station is refused with
// apitype.ErrUnknownStation. With a Backend that does not implement it,
// every well-formed station id is accepted.
type StationLister interface {
	// Stations returns the ids of the configured stations.
	Stations() []string
}

// Options configures a Server.
type Options struct {
	Backend Backend
	// Token is the bearer token clients must present; TokenFile is read
	// (and created with a new token if missing) when Token is empty.
	Token     string
	TokenFile string
	// Backup, when set, serves POST /v1/backup, guarded by the admin
	// token: AdminToken, or the one read from AdminTokenFile (created
	// with mode 0600 if missing) when AdminToken is empty.
	Backup         Backuper
	AdminToken     string
	AdminTokenFile string
	// Listen is the address for ListenAndServe (default 127.0.0.1:7420).
	Listen string
	// AllowLAN lets stations on other machines connect: it also accepts a
	// Host that is an IP address (DNS rebinding needs a name) or one of
	// the names in LANHosts (and the host part of Listen), with the
	// listening port. The token is still required.
	AllowLAN bool
	LANHosts []string
	// Gatherer feeds /metrics; nil serves the server's own metrics only.
	Gatherer     prometheus.Gatherer
	AgentVersion string
	Logger       *slog.Logger
	// History is how many events are kept for resuming clients, and
	// HistoryBytes caps their total size (default 16 MiB), whichever
	// binds first.
	History      int
	HistoryBytes int
	// SendQueue is how many frames may wait for a slow client before it is
	// disconnected.
	SendQueue      int
	CommandTimeout time.Duration
	PingInterval   time.Duration
	PongWait       time.Duration
}

// Server is the local API. Create it with New.
type Server struct {
	opts    Options
	backend Backend
	token   []byte
	admin   []byte // nil: no administrative endpoints
	log     *slog.Logger
	started time.Time

	port atomic.Int64

	mu      sync.Mutex
	seq     uint64
	ring    []heldEvent
	head    int // index of the oldest held event
	held    int
	bytes   int // total frame bytes held
	clients map[*conn]struct{}
	// holders maps a station id to the connection that said hello with it
	// last; only that one gets the station's events and runs its commands.
	holders map[string]*conn
	closed  bool

	wg sync.WaitGroup

	metrics *serverMetrics
	mux     *http.ServeMux
	upgrade websocket.Upgrader
}

type heldEvent struct {
	seq     uint64
	station string
	frame   []byte
}

// New checks the options and returns a Server. It reads (or creates) the
// token file when Token is empty and starts nothing.
func New(opts Options) (*Server, error) {
	if opts.Backend == nil {
		return nil, errors.New("localapi: no backend given")
	}
	if opts.Token == "" {
		if opts.TokenFile == "" {
			return nil, errors.New("localapi: neither a token nor a token file given")
		}
		tok, err := LoadOrCreateToken(opts.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("localapi: %w", err)
		}
		opts.Token = tok
	}
	if len(opts.Token) < 16 {
		return nil, errors.New("localapi: the api token is shorter than 16 characters; use LoadOrCreateToken to make one")
	}
	if opts.Backup != nil && opts.AdminToken == "" {
		if opts.AdminTokenFile == "" {
			return nil, errors.New("localapi: backups need an admin token or an admin token file")
		}
		tok, err := LoadOrCreateAdminToken(opts.AdminTokenFile)
		if err != nil {
			return nil, fmt.Errorf("localapi: admin token: %w", err)
		}
		opts.AdminToken = tok
	}
	if opts.Backup != nil && len(opts.AdminToken) < 16 {
		return nil, errors.New("localapi: the admin token is shorter than 16 characters; use LoadOrCreateAdminToken to make one")
	}
	if opts.Backup != nil && opts.AdminToken == opts.Token {
		return nil, errors.New("localapi: the admin token must differ from the station token")
	}
	if opts.Listen == "" {
		opts.Listen = DefaultListen
	}
	if opts.History <= 0 {
		opts.History = DefaultHistory
	}
	if opts.HistoryBytes <= 0 {
		opts.HistoryBytes = DefaultHistoryBytes
	}
	if opts.SendQueue <= 0 {
		opts.SendQueue = DefaultSendQueue
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = DefaultCommandTimeout
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = DefaultPingInterval
	}
	if opts.PongWait <= 0 {
		opts.PongWait = DefaultPongWait
	}
	if opts.PongWait <= opts.PingInterval {
		return nil, fmt.Errorf("localapi: pong wait %v must be longer than the ping interval %v", opts.PongWait, opts.PingInterval)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	now := time.Now()
	s := &Server{
		opts:    opts,
		backend: opts.Backend,
		token:   []byte(opts.Token),
		log:     opts.Logger,
		started: now,
		// Sequence numbers start from the clock so that they keep growing
		// across agent restarts: a station that resumes after a restart
		// asks for a number the new process never held and gets a
		// snapshot instead of a silent gap.
		seq:     uint64(now.UnixMicro()),
		ring:    make([]heldEvent, opts.History),
		clients: make(map[*conn]struct{}),
		holders: make(map[string]*conn),
		metrics: newServerMetrics(),
	}
	if opts.Backup != nil {
		s.admin = []byte(opts.AdminToken)
	}
	s.upgrade = websocket.Upgrader{
		Subprotocols:     []string{apitype.Subprotocol},
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      func(r *http.Request) bool { return r.Header.Get("Origin") == "" },
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.HandleFunc("GET /metrics", s.handleMetrics)
	s.mux.HandleFunc("GET /v1/ws", s.handleWS)
	s.mux.HandleFunc("GET /v1/label.png", s.handleLabel)
	if s.admin != nil {
		s.mux.HandleFunc("POST "+BackupPath, s.handleBackup)
	}
	return s, nil
}

// Token returns the bearer token clients must present.
func (s *Server) Token() string { return string(s.token) }

// Collector returns the server's own metrics (connected clients, events,
// commands, dropped slow clients) for registration elsewhere.
func (s *Server) Collector() prometheus.Collector { return s.metrics }

// ServeHTTP applies the gate and routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	if status, msg := s.gate(r); status != 0 {
		s.log.Warn("local api request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "status", status, "reason", msg)
		s.metrics.refused.WithLabelValues(strconv.Itoa(status)).Inc()
		if status == http.StatusUnauthorized {
			h.Set("WWW-Authenticate", `Bearer realm="packline"`)
		}
		http.Error(w, msg, status)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// gate returns a non-zero HTTP status and a reason when r must be refused.
func (s *Server) gate(r *http.Request) (int, string) {
	if r.Header.Get("Origin") != "" || r.Header.Get("Referer") != "" {
		return http.StatusForbidden, "requests from web pages are refused: the local api serves native clients only"
	}
	for name := range r.Header {
		if strings.HasPrefix(http.CanonicalHeaderKey(name), "Sec-Fetch-") {
			return http.StatusForbidden, "requests from web browsers are refused: the local api serves native clients only"
		}
	}
	if !s.validHost(r.Host) {
		return http.StatusForbidden, fmt.Sprintf("host %q is not this agent: connect to 127.0.0.1:%d", r.Host, s.port.Load())
	}
	if r.URL.Path == "/healthz" {
		return 0, ""
	}
	if isAdminPath(r.URL.Path) {
		if s.admin == nil {
			return http.StatusNotFound, "this agent does not take backups through its local api"
		}
		// The station token is not enough: backups write files as the
		// service account.
		if !validBearer(r.Header.Get("Authorization"), s.admin) {
			return http.StatusUnauthorized, "missing or wrong admin token: send Authorization: Bearer <token from the agent's admin-token file> (readable by root or Administrators only)"
		}
		return 0, ""
	}
	if !validBearer(r.Header.Get("Authorization"), s.token) {
		return http.StatusUnauthorized, "missing or wrong api token: send Authorization: Bearer <token from the agent's ui-token file>"
	}
	return 0, ""
}

// validHost reports whether host (host:port from the request) names this
// agent: a loopback name with the listening port, or a configured LAN name.
func (s *Server) validHost(host string) bool {
	port := strconv.FormatInt(s.port.Load(), 10)
	switch host {
	case "127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port:
		return true
	}
	if !s.opts.AllowLAN {
		return false
	}
	h, p, err := net.SplitHostPort(host)
	if err != nil || p != port {
		return false
	}
	if net.ParseIP(h) != nil {
		return true
	}
	for _, lan := range s.lanHosts() {
		if strings.EqualFold(h, lan) {
			return true
		}
	}
	return false
}

func (s *Server) lanHosts() []string {
	hosts := append([]string(nil), s.opts.LANHosts...)
	if h, _, err := net.SplitHostPort(s.opts.Listen); err == nil {
		if ip := net.ParseIP(h); h != "" && (ip == nil || !ip.IsUnspecified()) {
			hosts = append(hosts, strings.Trim(h, "[]"))
		}
	}
	return hosts
}

// validBearer reports whether header is "Bearer " followed by want.
func validBearer(header string, want []byte) bool {
	tok, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), want) == 1
}

// Health is the JSON body of /healthz.
type Health struct {
	Status        string  `json:"status"`
	Version       string  `json:"version"`
	Protocol      int     `json:"protocol"`
	Seq           uint64  `json:"seq"`
	Clients       int     `json:"clients"`
	UptimeSeconds float64 `json:"uptime_seconds"`
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h := Health{Status: "ok", Version: s.opts.AgentVersion, Protocol: apitype.Version, Seq: s.seq, Clients: len(s.clients)}
	s.mu.Unlock()
	h.UptimeSeconds = time.Since(s.started).Seconds()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(h)
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.metrics)
	gs := prometheus.Gatherers{reg}
	if s.opts.Gatherer != nil {
		gs = append(gs, s.opts.Gatherer)
	}
	promhttp.HandlerFor(gs, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}).ServeHTTP(w, r)
}

// handleLabel serves the preview PNG of a station's current label.
func (s *Server) handleLabel(w http.ResponseWriter, r *http.Request) {
	station := r.URL.Query().Get("station")
	if station == "" {
		http.Error(w, "add ?station=<station id>", http.StatusBadRequest)
		return
	}
	view, _, _, _, err := s.snapshot(station)
	if err != nil {
		s.logPanic("label preview failed", err, "station", station)
		http.Error(w, "the agent failed to build the state of station "+station+": check the agent log", http.StatusInternalServerError)
		return
	}
	if view.Label == nil || len(view.Label.PreviewPNG) == 0 {
		http.Error(w, "station "+station+" has no label preview", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(view.Label.PreviewPNG)
}

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		http.Error(w, "this is the packline websocket: connect with a websocket client", http.StatusBadRequest)
		return
	}
	offered := false
	for _, p := range websocket.Subprotocols(r) {
		if p == apitype.Subprotocol {
			offered = true
		}
	}
	if !offered {
		http.Error(w, "websocket subprotocol "+apitype.Subprotocol+" required: this agent speaks protocol version "+strconv.Itoa(apitype.Version), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if closed {
		http.Error(w, "agent shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	ws, err := s.upgrade.Upgrade(w, r, nil)
	if err != nil {
		s.log.Warn("websocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	c := newConn(s, ws, r.RemoteAddr)
	c.run()
}

// Serve serves the API on ln until ctx is cancelled, then closes every
// client connection and returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
		s.port.Store(int64(tcp.Port))
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Requests end with the server, so a long backup does not hold
		// the store open past shutdown.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("local api listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		s.shutdownClients()
		return fmt.Errorf("serving local api: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	s.shutdownClients()
	<-errc
	if err != nil {
		return fmt.Errorf("shutting down local api: %w", err)
	}
	return nil
}

// ListenAndServe listens on Options.Listen and serves until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (is another agent running?)", s.opts.Listen, err)
	}
	return s.Serve(ctx, ln)
}

// shutdownClients tells every client the agent is going away and waits
// for their goroutines.
func (s *Server) shutdownClients() {
	s.mu.Lock()
	s.closed = true
	for c := range s.clients {
		c.close(websocket.CloseGoingAway, "agent shutting down", true)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(writeWait):
		s.log.Warn("local api clients did not close in time")
	}
}
