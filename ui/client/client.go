// Package client is the station app's connection to the agent's local API:
// a websocket that says hello with the station id and the last event seen,
// resumes without gaps after a drop, reconnects with backoff for ever and
// runs commands as round trips with ids and timeouts. It imports no UI.
//
// It stops for good only when the agent hands its station to another
// client (a TakenError): reconnecting then would take the station back,
// and two apps set to the same station id would take it from each other
// for ever.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/packline/packline/agent/localapi/apitype"
)

// State is the state of the connection to the agent.
type State int

// Connection states.
const (
	// Connecting: dialling or waiting for the welcome.
	Connecting State = iota
	// Connected: welcomed; events stream and commands may be sent.
	Connected
	// Disconnected: the last attempt failed; the next one is scheduled.
	Disconnected
	// Stopped: Run returned.
	Stopped
)

// String returns the state in words.
func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Disconnected:
		return "disconnected"
	case Stopped:
		return "stopped"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Errors returned by Do.
var (
	// ErrNotConnected means the command was not sent: the agent is not
	// reachable right now.
	ErrNotConnected = errors.New("agent unreachable: the command was not sent")
	// ErrConnectionLost means the connection dropped after the command was
	// sent; the agent may or may not have applied it.
	ErrConnectionLost = errors.New("connection to the agent lost before the answer arrived")
	// ErrTimeout means no answer came within the command timeout.
	ErrTimeout = errors.New("the agent did not answer in time")
)

// TakenError is why Run stopped: another client said hello to the agent
// with this client's station id and the agent handed it the station.
type TakenError struct {
	Station string
	// By is the address the other client connected from, "" when the
	// agent did not say.
	By string
	// Client names the other client's app, "" when unknown.
	Client string
}

// Error implements error.
func (e *TakenError) Error() string {
	msg := "station " + e.Station + " was opened by another client"
	if e.By != "" {
		msg += " at " + e.By
	}
	return msg + ": not reconnecting"
}

// UnknownStationError is the agent refusing the station id because it has
// no such station; Message, the agent's words, lists the stations it has
// and says how to set the id. Run asks again every UnknownStationRetry, in
// case the agent's config changes.
type UnknownStationError struct {
	Station string
	Message string
}

// Error implements error.
func (e *UnknownStationError) Error() string {
	return "the agent refused station " + e.Station + ": " + e.Message
}

// Options configures a Client.
type Options struct {
	// URL is the agent, e.g. ws://127.0.0.1:7420; the path /v1/ws is
	// added when missing.
	URL   string
	Token string
	// Station is the station id sent in hello.
	Station string
	// Name identifies the client in the agent's log.
	Name   string
	Logger *slog.Logger
	// MinBackoff and MaxBackoff bound the pause between attempts
	// (defaults 200 ms and 3 s).
	MinBackoff, MaxBackoff time.Duration
	// CommandTimeout bounds a command round trip (default 15 s).
	CommandTimeout time.Duration
	// ReadTimeout ends a connection that has been silent that long
	// (default 75 s; the agent pings every 50 s).
	ReadTimeout time.Duration
	// UnknownStationRetry is the pause before asking again for a station
	// the agent does not have (default 30 s).
	UnknownStationRetry time.Duration

	// OnWelcome is called with each welcome; Resumed false means the
	// client's state must be dropped: snapshot events follow.
	OnWelcome func(apitype.Welcome)
	// OnEvent is called with each event, in order.
	OnEvent func(apitype.Message)
	// OnState is called when the connection state changes; err says why
	// a connection ended or an attempt failed.
	OnState func(State, error)
	// OnError is called with error messages the agent sends outside
	// command results.
	OnError func(apitype.Error)
}

// Client is a connection to the agent that keeps itself up. Its callbacks
// run on the client's own goroutine, one at a time, in arrival order.
type Client struct {
	opts   Options
	url    string
	header http.Header
	log    *slog.Logger

	lastSeq atomic.Uint64
	nextID  atomic.Uint64

	wmu sync.Mutex // serialises writes

	mu      sync.Mutex
	state   State
	ws      *websocket.Conn
	pending map[string]chan apitype.Result
}

// New checks opts and returns a client; it does not connect until Run.
func New(opts Options) (*Client, error) {
	if opts.Station == "" {
		return nil, errors.New("client: no station id: start with --station <id>")
	}
	if opts.Token == "" {
		return nil, errors.New("client: no api token: pass --token-file with the agent's ui-token file")
	}
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("client: agent address %q: %w", opts.URL, err)
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("client: agent address %q: use ws://host:port", opts.URL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/ws"
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 200 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(3*time.Second, opts.MinBackoff)
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 15 * time.Second
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = 75 * time.Second
	}
	if opts.UnknownStationRetry <= 0 {
		opts.UnknownStationRetry = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{
		opts:    opts,
		url:     u.String(),
		header:  http.Header{"Authorization": {"Bearer " + opts.Token}},
		log:     opts.Logger,
		state:   Disconnected,
		pending: make(map[string]chan apitype.Result),
	}, nil
}

// LastSeq returns the sequence number of the last event received.
func (c *Client) LastSeq() uint64 { return c.lastSeq.Load() }

// State returns the connection state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

func (c *Client) setState(s State, err error) {
	c.mu.Lock()
	changed := c.state != s
	c.state = s
	c.mu.Unlock()
	if changed && c.opts.OnState != nil {
		c.opts.OnState(s, err)
	}
}

// Run connects and reconnects until ctx ends, then returns ctx's error.
// When the agent hands the station to another client it stops at once,
// reports Stopped with a *TakenError and returns that error.
func (c *Client) Run(ctx context.Context) error {
	backoff := c.opts.MinBackoff
	for {
		c.setState(Connecting, nil)
		welcomed, err := c.session(ctx)
		if ctx.Err() != nil {
			c.setState(Stopped, nil)
			return ctx.Err()
		}
		var taken *TakenError
		if errors.As(err, &taken) {
			c.log.Error("the agent gave this station to another client: not reconnecting",
				"station", c.opts.Station, "by", taken.By, "client", taken.Client)
			c.setState(Stopped, err)
			return err
		}
		if welcomed {
			backoff = c.opts.MinBackoff
		}
		wait := backoff
		var unknown *UnknownStationError
		if errors.As(err, &unknown) {
			wait = c.opts.UnknownStationRetry
		}
		c.log.Warn("agent connection ended", "err", err, "retry_in", wait)
		c.setState(Disconnected, err)
		// Jitter keeps a room of stations from reconnecting in lockstep.
		pause := wait/2 + rand.N(wait/2+1)
		select {
		case <-ctx.Done():
			c.setState(Stopped, nil)
			return ctx.Err()
		case <-time.After(pause):
		}
		backoff = min(backoff*2, c.opts.MaxBackoff)
	}
}

// session runs one connection; it reports whether the agent welcomed it.
func (c *Client) session(ctx context.Context) (welcomed bool, err error) {
	d := websocket.Dialer{Subprotocols: []string{apitype.Subprotocol}, HandshakeTimeout: 10 * time.Second}
	ws, resp, err := d.DialContext(ctx, c.url, c.header)
	if err != nil {
		if resp != nil {
			switch resp.StatusCode {
			case http.StatusUnauthorized:
				return false, fmt.Errorf("the agent refused the api token (check --token-file): %w", err)
			case http.StatusForbidden:
				return false, fmt.Errorf("the agent refused this connection (address %s): %w", c.url, err)
			}
		}
		return false, fmt.Errorf("dialling %s: %w", c.url, err)
	}
	defer ws.Close()
	ws.SetReadLimit(4 * apitype.MaxMessageBytes)
	stop := context.AfterFunc(ctx, func() {
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "station closing"), time.Now().Add(time.Second))
		ws.Close()
	})
	defer stop()
	readTimeout := c.opts.ReadTimeout
	ws.SetPingHandler(func(data string) error {
		ws.SetReadDeadline(time.Now().Add(readTimeout))
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})

	hello, _ := json.Marshal(apitype.Hello{Version: apitype.Version, Station: c.opts.Station, AfterSeq: c.lastSeq.Load(), Client: c.opts.Name})
	if err := c.write(ws, apitype.Message{Type: apitype.TypeHello, Data: hello}); err != nil {
		return false, fmt.Errorf("sending hello: %w", err)
	}
	defer c.dropConn(ws)
	for {
		ws.SetReadDeadline(time.Now().Add(readTimeout))
		_, b, err := ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				switch ce.Code {
				case apitype.CloseStationTaken:
					return welcomed, &TakenError{Station: c.opts.Station}
				case apitype.CloseUnknownStation:
					return welcomed, &UnknownStationError{Station: c.opts.Station, Message: ce.Text}
				}
			}
			return welcomed, fmt.Errorf("reading from the agent: %w", err)
		}
		var m apitype.Message
		if err := json.Unmarshal(b, &m); err != nil {
			c.log.Warn("undecodable frame from the agent", "err", err)
			continue
		}
		switch m.Type {
		case apitype.TypeWelcome:
			var w apitype.Welcome
			if err := json.Unmarshal(m.Data, &w); err != nil {
				return welcomed, fmt.Errorf("decoding welcome: %w", err)
			}
			if !w.Resumed {
				c.lastSeq.Store(w.Seq)
			}
			welcomed = true
			c.mu.Lock()
			c.ws = ws
			c.mu.Unlock()
			if c.opts.OnWelcome != nil {
				c.opts.OnWelcome(w)
			}
			c.setState(Connected, nil)
		case apitype.TypeEvent:
			if m.Event == apitype.EvStationTaken {
				var st apitype.StationTaken
				json.Unmarshal(m.Data, &st)
				return welcomed, &TakenError{Station: c.opts.Station, By: st.By, Client: st.Client}
			}
			if m.Seq > c.lastSeq.Load() {
				c.lastSeq.Store(m.Seq)
			}
			if c.opts.OnEvent != nil {
				c.opts.OnEvent(m)
			}
		case apitype.TypeResult:
			var r apitype.Result
			if err := json.Unmarshal(m.Data, &r); err != nil {
				r = apitype.Result{Error: &apitype.Error{Code: apitype.ErrInternal, Message: "undecodable result: " + err.Error()}}
			}
			c.deliver(m.ID, r)
		case apitype.TypeError:
			var e apitype.Error
			json.Unmarshal(m.Data, &e)
			if m.ID != "" && c.deliver(m.ID, apitype.Result{Error: &e}) {
				continue
			}
			c.log.Warn("agent reported an error", "code", e.Code, "message", e.Message)
			if c.opts.OnError != nil {
				c.opts.OnError(e)
			}
			if e.Code == apitype.ErrUnknownStation {
				return welcomed, &UnknownStationError{Station: c.opts.Station, Message: e.Message}
			}
		}
	}
}

// dropConn forgets ws and fails the commands waiting on it.
func (c *Client) dropConn(ws *websocket.Conn) {
	c.mu.Lock()
	if c.ws == ws {
		c.ws = nil
	}
	pending := c.pending
	c.pending = make(map[string]chan apitype.Result)
	c.mu.Unlock()
	for _, ch := range pending {
		close(ch)
	}
}

func (c *Client) deliver(id string, r apitype.Result) bool {
	c.mu.Lock()
	ch, ok := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if ok {
		ch <- r
	}
	return ok
}

// write sends one message; gorilla allows one writer at a time.
func (c *Client) write(ws *websocket.Conn, m apitype.Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return ws.WriteMessage(websocket.TextMessage, b)
}

// Do sends cmd and waits for its result. A result with OK false is not an
// error: it carries the agent's answer in words. Errors mean the command
// did not complete a round trip (ErrNotConnected, ErrConnectionLost,
// ErrTimeout or ctx's error).
func (c *Client) Do(ctx context.Context, cmd apitype.Command) (apitype.Result, error) {
	data, err := json.Marshal(cmd)
	if err != nil {
		return apitype.Result{}, fmt.Errorf("encoding command: %w", err)
	}
	id := c.opts.Station + "-" + strconv.FormatUint(c.nextID.Add(1), 10)
	ch := make(chan apitype.Result, 1)
	c.mu.Lock()
	ws := c.ws
	if ws == nil {
		c.mu.Unlock()
		return apitype.Result{}, ErrNotConnected
	}
	c.pending[id] = ch
	c.mu.Unlock()
	if err := c.write(ws, apitype.Message{Type: apitype.TypeCommand, ID: id, Data: data}); err != nil {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		ws.Close()
		return apitype.Result{}, fmt.Errorf("%w: %v", ErrNotConnected, err)
	}
	timer := time.NewTimer(c.opts.CommandTimeout)
	defer timer.Stop()
	select {
	case r, ok := <-ch:
		if !ok {
			return apitype.Result{}, ErrConnectionLost
		}
		return r, nil
	case <-timer.C:
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return apitype.Result{}, ErrTimeout
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return apitype.Result{}, ctx.Err()
	}
}

// Describe returns err in words for the packer.
func Describe(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNotConnected):
		return "Not sent: agent unreachable. Scan again when the banner turns green."
	case errors.Is(err, ErrConnectionLost):
		return "Connection lost while sending: check the screen, then scan again if nothing changed."
	case errors.Is(err, ErrTimeout):
		return "The agent did not answer in time: check the screen, then try again."
	}
	return strings.TrimSpace(err.Error())
}
