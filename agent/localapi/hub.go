package localapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/packline/packline/agent/localapi/apitype"
)

// Publish sends an event to the clients of station, or to every client when
// station is "". It never blocks on a client: one that cannot keep up is
// disconnected and resumes from its last sequence number when it returns.
func (s *Server) Publish(station, event string, data any) {
	raw, err := json.Marshal(data)
	if err != nil {
		s.log.Error("event not published: cannot encode its data", "event", event, "station", station, "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	frame, err := json.Marshal(apitype.Message{Type: apitype.TypeEvent, Seq: s.seq, Event: event, Data: raw})
	if err != nil {
		s.log.Error("event not published: cannot encode it", "event", event, "err", err)
		return
	}
	s.hold(heldEvent{seq: s.seq, station: station, frame: frame})
	s.metrics.events.Inc()
	for c := range s.clients {
		if c.subscribed && (station == "" || c.station == station) {
			c.enqueueLocked(outItem{frame: frame})
		}
	}
}

// Seq returns the latest event sequence number.
func (s *Server) Seq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// hold appends e to the history ring, dropping the oldest events beyond
// the count or byte limit; s.mu is held.
func (s *Server) hold(e heldEvent) {
	n := len(s.ring)
	if s.held == n {
		s.dropOldest()
	}
	s.ring[(s.head+s.held)%n] = e
	s.held++
	s.bytes += len(e.frame)
	for s.bytes > s.opts.HistoryBytes && s.held > 1 {
		s.dropOldest()
	}
}

func (s *Server) dropOldest() {
	s.bytes -= len(s.ring[s.head].frame)
	s.ring[s.head] = heldEvent{}
	s.head = (s.head + 1) % len(s.ring)
	s.held--
}

// firstHeld is the oldest sequence number still held; s.mu is held.
func (s *Server) firstHeld() uint64 { return s.seq - uint64(s.held) + 1 }

// heldAfter returns the frames of held events after seq for station;
// s.mu is held.
func (s *Server) heldAfter(seq uint64, station string) [][]byte {
	var out [][]byte
	n := len(s.ring)
	for i := 0; i < s.held; i++ {
		e := s.ring[(s.head+i)%n]
		if e.seq > seq && (e.station == "" || e.station == station) {
			out = append(out, e.frame)
		}
	}
	return out
}

// subscribe answers a hello: welcome, then the missed events or a fresh
// snapshot, then live events, in that order and without a gap. The
// connection takes the station from any connection that held it before.
func (s *Server) subscribe(c *conn, h apitype.Hello) {
	s.mu.Lock()
	if !s.claimLocked(c, h) {
		s.mu.Unlock()
		return
	}
	latest := s.seq
	if h.AfterSeq > 0 && h.AfterSeq <= latest && h.AfterSeq+1 >= s.firstHeld() {
		batch := [][]byte{mustFrame(apitype.TypeWelcome, "", 0, "", s.welcome(h.Station, latest, true))}
		batch = append(batch, s.heldAfter(h.AfterSeq, h.Station)...)
		s.attachLocked(c, h.Station, batch)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()

	// Ask the backend outside the hub's lock: it may publish while it
	// builds the snapshot. Events after latest follow the snapshot; they
	// are still held unless the history is smaller than the burst.
	view, queue, link, devices, err := s.snapshot(h.Station)
	if err != nil {
		s.logPanic("station snapshot failed", err, "station", h.Station, "remote", c.remote)
		c.reply(mustFrame(apitype.TypeError, "", 0, "", apitype.Error{Code: apitype.ErrInternal,
			Message: "the agent failed to build this station's state; the connection closes and the app reconnects: if this repeats, check the agent log"}))
		c.close(websocket.CloseInternalServerErr, "snapshot failed", true)
		return
	}
	if view.Station == "" {
		view.Station = h.Station
	}
	if queue == nil {
		queue = []apitype.QueueEntry{}
	}
	batch := [][]byte{
		mustFrame(apitype.TypeWelcome, "", 0, "", s.welcome(h.Station, latest, false)),
		mustFrame(apitype.TypeEvent, "", latest, apitype.EvStation, view),
		mustFrame(apitype.TypeEvent, "", latest, apitype.EvQueue, queue),
		mustFrame(apitype.TypeEvent, "", latest, apitype.EvLink, link),
	}
	for _, d := range devices {
		batch = append(batch, mustFrame(apitype.TypeEvent, "", latest, apitype.EvDevice, d))
	}
	s.mu.Lock()
	batch = append(batch, s.heldAfter(latest, h.Station)...)
	s.attachLocked(c, h.Station, batch)
	s.mu.Unlock()
}

// panicError is a backend panic turned into an error; it keeps the stack
// for the log.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("backend panicked: %v", e.value) }

// snapshot asks the backend for station's state and turns a panic into an
// error, so that one station's broken state cannot take the agent down.
func (s *Server) snapshot(station string) (view apitype.StationView, queue []apitype.QueueEntry, link apitype.Link, devices []apitype.DeviceStatus, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("building snapshot of station %s: %w", station, &panicError{value: p, stack: debug.Stack()})
		}
	}()
	view, queue, link, devices = s.backend.Snapshot(station)
	return view, queue, link, devices, nil
}

// logPanic logs err at Error, with the stack when it comes from a panic.
func (s *Server) logPanic(msg string, err error, args ...any) {
	var pe *panicError
	if errors.As(err, &pe) {
		args = append(args, "stack", string(pe.stack))
	}
	s.log.Error(msg, append(args, "err", err)...)
}

func (s *Server) welcome(station string, seq uint64, resumed bool) apitype.Welcome {
	return apitype.Welcome{Version: apitype.Version, Station: station, AgentVersion: s.opts.AgentVersion, Seq: seq, Resumed: resumed}
}

// claimLocked makes c the holder of h.Station; it reports false when c is
// already gone. The newest claim wins, so that an app that reconnects
// before its old connection is known dead gets its station back at once.
// The previous holder stops getting the station's events now, is told who
// took the station and closes. s.mu is held.
func (s *Server) claimLocked(c *conn, h apitype.Hello) bool {
	if _, ok := s.clients[c]; !ok {
		return false
	}
	c.station = h.Station
	old := s.holders[h.Station]
	s.holders[h.Station] = c
	if old == nil || old == c {
		return true
	}
	old.subscribed = false
	by := remoteHost(c.remote)
	s.log.Warn("station opened on another connection: closing the one that held it",
		"station", h.Station, "remote", c.remote, "client", h.Client, "previous", old.remote)
	final := mustFrame(apitype.TypeEvent, "", 0, apitype.EvStationTaken, apitype.StationTaken{Station: h.Station, By: by, Client: h.Client})
	old.closeWith(apitype.CloseStationTaken, closeReason("station "+h.Station+" opened from "+by), true, final)
	return true
}

// holding returns c's station and whether c still holds it.
func (s *Server) holding(c *conn) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return c.station, c.station == "" || s.holders[c.station] == c
}

// knownStation returns an error for the client when the backend lists its
// stations and id is not one of them.
func (s *Server) knownStation(id string) *apitype.Error {
	l, ok := s.backend.(StationLister)
	if !ok {
		return nil
	}
	ids := l.Stations()
	if slices.Contains(ids, id) {
		return nil
	}
	if len(ids) == 0 {
		return &apitype.Error{Code: apitype.ErrUnknownStation, Message: fmt.Sprintf(
			"this agent has no stations configured: add a [[station]] with id %q to the agent's config and restart the agent", id)}
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return &apitype.Error{Code: apitype.ErrUnknownStation, Message: fmt.Sprintf(
		"this agent has no station %q; its stations are %s. Set this computer's station id with the app's --station flag, "+
			"the PACKLINE_STATION environment variable or the first line of the station file "+
			"(/etc/packline/station; %%ProgramData%%\\Packline\\station on Windows), then restart the app; "+
			"or add a [[station]] with id %q to the agent's config",
		id, strings.Join(ids, ", "), id)}
}

// remoteHost is the host part of a remote address.
func remoteHost(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}

// closeReason cuts text to what fits a close frame.
func closeReason(text string) string {
	const limit = 123 // a control frame's 125 bytes less the close code
	if len(text) <= limit {
		return text
	}
	text = text[:limit]
	for !utf8.ValidString(text) {
		text = text[:len(text)-1]
	}
	return text
}

// attachLocked starts live delivery to c after batch, unless c is gone or
// has lost its station to a newer connection; s.mu is held.
func (s *Server) attachLocked(c *conn, station string, batch [][]byte) {
	if _, ok := s.clients[c]; !ok {
		return // already gone
	}
	if s.holders[station] != c {
		return // taken by a newer connection, which closes this one
	}
	c.station = station
	c.subscribed = true
	c.enqueueLocked(outItem{batch: batch})
}

// mustFrame encodes a message whose data are plain wire types, which
// always encode.
func mustFrame(typ, id string, seq uint64, event string, data any) []byte {
	raw, err := json.Marshal(data)
	if err != nil {
		raw, _ = json.Marshal(apitype.Error{Code: apitype.ErrInternal, Message: "cannot encode " + typ + ": " + err.Error()})
		typ = apitype.TypeError
	}
	b, _ := json.Marshal(apitype.Message{Type: typ, ID: id, Seq: seq, Event: event, Data: raw})
	return b
}
