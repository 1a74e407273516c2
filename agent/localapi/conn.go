package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"sync"
	"time"
	"unicode"

	"github.com/gorilla/websocket"

	"github.com/packline/packline/agent/localapi/apitype"
)

// outItem is one entry of a client's send queue: a single frame or a batch
// (welcome plus replay) that must go out in one piece.
type outItem struct {
	frame []byte
	batch [][]byte
}

// conn is one websocket client. Its reader goroutine decodes frames and
// runs commands; its writer goroutine owns every write.
type conn struct {
	s      *Server
	ws     *websocket.Conn
	remote string
	send   chan outItem

	// station and subscribed are guarded by s.mu.
	station    string
	subscribed bool

	// hello is touched by the reader only.
	hello bool

	closeOnce sync.Once
	done      chan struct{}
	closeCode int
	closeText string
	drain     bool
	// final, when set, is written after the drained frames, just before
	// the close frame, even when the send queue is full.
	final []byte
}

func newConn(s *Server, ws *websocket.Conn, remote string) *conn {
	return &conn{s: s, ws: ws, remote: remote, send: make(chan outItem, s.opts.SendQueue), done: make(chan struct{})}
}

// run registers the connection, serves it and unregisters it.
func (c *conn) run() {
	s := c.s
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.ws.Close()
		return
	}
	s.clients[c] = struct{}{}
	s.mu.Unlock()
	s.metrics.clients.Inc()
	s.log.Info("station connected", "remote", c.remote)

	writerDone := make(chan struct{})
	go func() { defer close(writerDone); c.writeLoop() }()
	// Whatever ends the reader, a panic included, the writer stops, the
	// socket closes and the connection leaves the hub.
	defer func() {
		s.mu.Lock()
		delete(s.clients, c)
		station := c.station
		if s.holders[station] == c {
			delete(s.holders, station)
		}
		s.mu.Unlock()
		s.metrics.clients.Dec()
		s.log.Info("station disconnected", "remote", c.remote, "station", station, "reason", c.closeText)
	}()
	defer c.ws.Close()
	defer func() { <-writerDone }()
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("station connection failed", "remote", c.remote, "panic", p, "stack", string(debug.Stack()))
			c.close(websocket.CloseInternalServerErr, "agent error: reconnect", false)
		}
	}()
	c.readLoop()
}

// close ends the connection with a close frame. With drain the frames
// already queued go out first.
func (c *conn) close(code int, text string, drain bool) {
	c.closeWith(code, text, drain, nil)
}

// closeWith is close with a final frame written after the drained ones.
// Only the first close of a connection counts.
func (c *conn) closeWith(code int, text string, drain bool, final []byte) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeText, c.drain, c.final = code, text, drain, final
		close(c.done)
	})
}

// enqueueLocked queues an item without blocking; a client whose queue is
// full is disconnected. s.mu is held.
func (c *conn) enqueueLocked(it outItem) {
	select {
	case c.send <- it:
	default:
		c.s.metrics.dropped.Inc()
		c.close(websocket.CloseTryAgainLater, "client too slow: reconnect and resume", false)
	}
}

// reply queues a message from the reader goroutine.
func (c *conn) reply(frame []byte) {
	c.s.mu.Lock()
	c.enqueueLocked(outItem{frame: frame})
	c.s.mu.Unlock()
}

func (c *conn) replyError(id, code, format string, args ...any) {
	c.reply(mustFrame(apitype.TypeError, id, 0, "", apitype.Error{Code: code, Message: fmt.Sprintf(format, args...)}))
}

func (c *conn) writeLoop() {
	ping := time.NewTicker(c.s.opts.PingInterval)
	defer ping.Stop()
	write := func(frame []byte) bool {
		c.ws.SetWriteDeadline(time.Now().Add(writeWait))
		if err := c.ws.WriteMessage(websocket.TextMessage, frame); err != nil {
			c.close(websocket.CloseAbnormalClosure, "write failed: "+err.Error(), false)
			return false
		}
		return true
	}
	writeItem := func(it outItem) bool {
		if it.frame != nil {
			return write(it.frame)
		}
		for _, f := range it.batch {
			if !write(f) {
				return false
			}
		}
		return true
	}
	for {
		select {
		case it := <-c.send:
			if !writeItem(it) {
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				c.close(websocket.CloseAbnormalClosure, "ping failed: "+err.Error(), false)
				return
			}
		case <-c.done:
			if c.drain {
			drain:
				for {
					select {
					case it := <-c.send:
						if !writeItem(it) {
							return
						}
					default:
						break drain
					}
				}
			}
			if c.final != nil && !write(c.final) {
				return
			}
			if c.closeCode != websocket.CloseAbnormalClosure {
				c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(c.closeCode, c.closeText), time.Now().Add(writeWait))
			}
			// Unblock the reader.
			c.ws.SetReadDeadline(time.Now())
			return
		}
	}
}

func (c *conn) readLoop() {
	ws := c.ws
	pongWait := c.s.opts.PongWait
	ws.SetReadLimit(hardReadLimit)
	ws.SetReadDeadline(time.Now().Add(pongWait))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		typ, r, err := ws.NextReader()
		if err != nil {
			switch {
			case errors.Is(err, websocket.ErrReadLimit):
				c.close(websocket.CloseMessageTooBig, "message too large", false)
			case websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway):
				c.close(websocket.CloseNormalClosure, "client closed", false)
			default:
				c.close(websocket.CloseAbnormalClosure, "read failed: "+err.Error(), false)
			}
			return
		}
		data, err := io.ReadAll(io.LimitReader(r, apitype.MaxMessageBytes+1))
		if err != nil {
			c.close(websocket.CloseMessageTooBig, "message too large", false)
			return
		}
		if len(data) > apitype.MaxMessageBytes {
			// Read the rest (up to the hard limit) so the close below is a
			// clean one and the client gets to read the reason.
			io.Copy(io.Discard, r)
			c.replyError("", apitype.ErrTooLarge, "message larger than %d bytes refused; the connection closes, reconnect and send smaller messages", apitype.MaxMessageBytes)
			c.close(websocket.CloseMessageTooBig, "message too large", true)
			return
		}
		ws.SetReadDeadline(time.Now().Add(pongWait))
		if typ != websocket.TextMessage {
			c.replyError("", apitype.ErrBadRequest, "binary frames are not accepted: send JSON text messages")
			continue
		}
		c.handleFrame(data)
	}
}

// handleFrame decodes and handles one client frame. Every problem becomes an
// error message to this client; nothing here may panic or touch other
// connections.
func (c *conn) handleFrame(data []byte) {
	msg, perr := decodeMessage(data)
	if perr != nil {
		c.reply(mustFrame(apitype.TypeError, msg.ID, 0, "", perr))
		return
	}
	switch msg.Type {
	case apitype.TypeHello:
		if c.hello {
			c.replyError(msg.ID, apitype.ErrOutOfOrder, "hello already received on this connection: reconnect to start over")
			return
		}
		h, perr := decodeHello(msg.Data)
		if perr != nil {
			c.reply(mustFrame(apitype.TypeError, msg.ID, 0, "", perr))
			return
		}
		c.hello = true
		if perr := c.s.knownStation(h.Station); perr != nil {
			c.s.log.Warn("hello for an unknown station refused", "station", h.Station, "remote", c.remote, "client", h.Client)
			c.reply(mustFrame(apitype.TypeError, msg.ID, 0, "", perr))
			c.close(apitype.CloseUnknownStation, closeReason("unknown station "+h.Station), true)
			return
		}
		c.s.subscribe(c, h)
	case apitype.TypeCommand:
		if !c.hello {
			c.replyError(msg.ID, apitype.ErrOutOfOrder, "command before hello: send {\"type\":\"hello\",\"data\":{\"version\":%d,\"station\":\"...\"}} first", apitype.Version)
			return
		}
		if msg.ID == "" {
			c.replyError("", apitype.ErrBadRequest, "command without an id: give every command a unique id to match its result")
			return
		}
		cmd, perr := decodeCommand(msg.Data)
		if perr != nil {
			c.reply(mustFrame(apitype.TypeError, msg.ID, 0, "", perr))
			return
		}
		station, held := c.s.holding(c)
		if !held {
			c.replyError(msg.ID, apitype.ErrStationTaken, "not applied: station %s was opened by another client and this connection is closing", station)
			return
		}
		res := c.s.do(station, cmd)
		c.reply(mustFrame(apitype.TypeResult, msg.ID, 0, "", res))
	case apitype.TypeWelcome, apitype.TypeResult, apitype.TypeEvent, apitype.TypeError:
		c.replyError(msg.ID, apitype.ErrUnknown, "message type %q is sent by the agent, not by clients: send hello or command", msg.Type)
	default:
		c.replyError(msg.ID, apitype.ErrUnknown, "unknown message type %q: send hello or command", msg.Type)
	}
}

// do runs cmd on the backend with the command timeout. A backend that does
// not return in time gets its context cancelled and the client an error.
func (s *Server) do(station string, cmd apitype.Command) (res apitype.Result) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CommandTimeout)
	defer cancel()
	start := time.Now()
	done := make(chan apitype.Result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("backend panicked on a command", "station", station, "kind", cmd.Kind, "panic", p)
				done <- apitype.Result{Error: &apitype.Error{Code: apitype.ErrInternal, Message: "the agent failed on this command; it was not applied, try again"}}
			}
		}()
		done <- s.backend.Do(ctx, station, cmd)
	}()
	select {
	case res = <-done:
	case <-ctx.Done():
		res = apitype.Result{Error: &apitype.Error{Code: apitype.ErrInternal, Message: fmt.Sprintf("the agent did not answer %s within %v: check the agent log, then try again", cmd.Kind, s.opts.CommandTimeout)}}
	}
	s.metrics.latency.Observe(time.Since(start).Seconds())
	s.metrics.commands.WithLabelValues(cmd.Kind, strconv.FormatBool(res.OK)).Inc()
	return res
}

// decodeMessage parses one frame. On failure it returns what it could read
// (for the id) and an error for the client.
func decodeMessage(data []byte) (apitype.Message, *apitype.Error) {
	var msg apitype.Message
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&msg); err != nil {
		return apitype.Message{}, &apitype.Error{Code: apitype.ErrBadRequest, Message: "malformed JSON (" + err.Error() + "): send one JSON object per frame, e.g. {\"type\":\"hello\",\"data\":{...}}"}
	}
	if dec.More() {
		return msg, &apitype.Error{Code: apitype.ErrBadRequest, Message: "more than one JSON value in a frame: send one message per frame"}
	}
	if msg.Type == "" {
		return msg, &apitype.Error{Code: apitype.ErrBadRequest, Message: "message without a type: set \"type\" to hello or command"}
	}
	return msg, nil
}

func decodeHello(raw json.RawMessage) (apitype.Hello, *apitype.Error) {
	var h apitype.Hello
	if len(raw) == 0 {
		return h, &apitype.Error{Code: apitype.ErrBadRequest, Message: "hello without data: send {\"version\":1,\"station\":\"<station id>\",\"after_seq\":<last seq or 0>}"}
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return h, &apitype.Error{Code: apitype.ErrBadRequest, Message: "malformed hello (" + err.Error() + ")"}
	}
	if h.Version != apitype.Version {
		return h, &apitype.Error{Code: apitype.ErrBadRequest, Message: fmt.Sprintf("protocol version %d not supported: this agent speaks version %d; update the station app", h.Version, apitype.Version)}
	}
	if err := validStation(h.Station); err != "" {
		return h, &apitype.Error{Code: apitype.ErrBadRequest, Message: err}
	}
	return h, nil
}

// validStation returns a reason when id is not a usable station id.
func validStation(id string) string {
	if id == "" {
		return "hello without a station id: start the station app with --station <id>"
	}
	if len(id) > 64 {
		return "station id longer than 64 characters"
	}
	for _, r := range id {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return fmt.Sprintf("station id %q contains spaces or control characters", id)
		}
	}
	return ""
}

func decodeCommand(raw json.RawMessage) (apitype.Command, *apitype.Error) {
	var cmd apitype.Command
	if len(raw) == 0 {
		return cmd, &apitype.Error{Code: apitype.ErrBadRequest, Message: "command without data: send {\"kind\":\"scan\",\"code\":\"...\"}"}
	}
	if err := json.Unmarshal(raw, &cmd); err != nil {
		return cmd, &apitype.Error{Code: apitype.ErrBadRequest, Message: "malformed command (" + err.Error() + ")"}
	}
	if cmd.Kind == "" {
		return cmd, &apitype.Error{Code: apitype.ErrBadRequest, Message: "command without a kind: set \"kind\" (scan, accept_weight, override, reprint, retry_label, release, queue, zero_scale, snapshot)"}
	}
	return cmd, nil
}
