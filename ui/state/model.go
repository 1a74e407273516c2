// Package state is the station app's view-model: what the agent last said
// about this station (view, queue, devices, link), the connection state and
// the alert on screen, plus the pure functions that decide what the packer
// sees. It holds no widgets.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"unicode/utf8"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/ui/client"
)

// Change tells which parts of the model an update touched.
type Change uint

// Parts of the model.
const (
	ChangeView Change = 1 << iota
	ChangeQueue
	ChangeReading
	ChangeDevices
	ChangeLink
	ChangeAlert
	ChangeConn
	ChangeNotice
	ChangeAll Change = 1<<iota - 1
)

// Model is the station's state. It is not safe for concurrent use: the
// station app changes and reads it on the UI goroutine only.
type Model struct {
	Station string
	View    apitype.StationView
	Queue   []apitype.QueueEntry
	Devices []apitype.DeviceStatus
	Link    apitype.Link
	// Reading is the latest scale reading, nil before the first one.
	Reading *apitype.Reading
	// Conn is the connection to the agent; ConnErr says why it last ended.
	Conn    client.State
	ConnErr string
	// Welcomed is true once the agent has answered at least once.
	Welcomed bool
	// Alert is the full-screen alert on show, nil when none.
	Alert *apitype.Alert
	// Blocked is true while Alert says why this station cannot work at
	// all (the agent gave its station to another app, or has no station
	// with its id); no key dismisses it.
	Blocked bool
	// Notice is the last command's answer when it was refused, in words.
	Notice string
	// AgentVersion is the agent's version from its welcome.
	AgentVersion string
}

// NewModel returns an empty model for station.
func NewModel(station string) *Model {
	return &Model{Station: station, Conn: client.Connecting, View: apitype.StationView{Station: station, Phase: apitype.PhaseIdle}}
}

// Welcome applies the agent's welcome. A welcome that does not resume
// drops everything the model knew: the snapshot follows.
func (m *Model) Welcome(w apitype.Welcome) Change {
	m.Welcomed = true
	m.AgentVersion = w.AgentVersion
	if w.Resumed {
		if m.Blocked {
			m.Blocked = false
			m.Alert = nil
			return ChangeConn | ChangeAlert
		}
		return ChangeConn
	}
	m.Blocked = false
	m.View = apitype.StationView{Station: m.Station, Phase: apitype.PhaseIdle}
	m.Queue = nil
	m.Devices = nil
	m.Reading = nil
	m.Alert = nil
	m.Notice = ""
	return ChangeAll
}

// SetConn records a connection state change. When the agent gave the
// station to another app, or has no station with this id, the model shows
// a full-screen message saying what to do until the agent welcomes it.
func (m *Model) SetConn(s client.State, err error) Change {
	m.Conn = s
	if err != nil {
		m.ConnErr = err.Error()
	} else if s == client.Connected {
		m.ConnErr = ""
	}
	var (
		taken   *client.TakenError
		unknown *client.UnknownStationError
	)
	switch {
	case errors.As(err, &taken):
		m.Alert = &apitype.Alert{Kind: apitype.AlertError, Title: "Station in use elsewhere", Detail: TakenMessage(m.Station, taken.By), Sound: "error"}
		m.Blocked = true
		return ChangeConn | ChangeAlert
	case errors.As(err, &unknown):
		m.Alert = &apitype.Alert{Kind: apitype.AlertError, Title: "Unknown station", Detail: sentence(unknown.Message), Sound: "error"}
		m.Blocked = true
		return ChangeConn | ChangeAlert
	case s == client.Connected && m.Blocked:
		m.Alert = nil
		m.Blocked = false
		return ChangeConn | ChangeAlert
	}
	return ChangeConn
}

// TakenMessage says that another app opened station, from the address by
// ("" when unknown), and what to do about it.
func TakenMessage(station, by string) string {
	const todo = " Set a different station id here, then restart the app."
	switch ip := net.ParseIP(by); {
	case by == "":
		return "Station " + station + " was opened on another computer." + todo
	case ip != nil && ip.IsLoopback():
		return "Station " + station + " was opened by another app on the agent's computer (" + by + ")." + todo
	}
	return "Station " + station + " was opened on another computer (" + by + ")." + todo
}

// sentence starts msg with a capital letter.
func sentence(msg string) string {
	r, n := utf8.DecodeRuneInString(msg)
	if n == 0 {
		return msg
	}
	return strings.ToUpper(string(r)) + msg[n:]
}

// Apply applies one event from the agent and reports what changed.
func (m *Model) Apply(msg apitype.Message) (Change, error) {
	if msg.Type != apitype.TypeEvent {
		return 0, fmt.Errorf("state: %s message is not an event", msg.Type)
	}
	decode := func(v any) error {
		if err := json.Unmarshal(msg.Data, v); err != nil {
			return fmt.Errorf("state: decoding %s event %d: %w", msg.Event, msg.Seq, err)
		}
		return nil
	}
	switch msg.Event {
	case apitype.EvStation:
		var v apitype.StationView
		if err := decode(&v); err != nil {
			return 0, err
		}
		if v.Station != "" && v.Station != m.Station {
			return 0, nil
		}
		m.View = v
		return ChangeView, nil
	case apitype.EvQueue:
		var q []apitype.QueueEntry
		if err := decode(&q); err != nil {
			return 0, err
		}
		m.Queue = q
		return ChangeQueue, nil
	case apitype.EvReading:
		var r apitype.Reading
		if err := decode(&r); err != nil {
			return 0, err
		}
		m.Reading = &r
		return ChangeReading, nil
	case apitype.EvDevice:
		var d apitype.DeviceStatus
		if err := decode(&d); err != nil {
			return 0, err
		}
		m.setDevice(d)
		return ChangeDevices, nil
	case apitype.EvLink:
		var l apitype.Link
		if err := decode(&l); err != nil {
			return 0, err
		}
		m.Link = l
		return ChangeLink, nil
	case apitype.EvAlert:
		var a apitype.Alert
		if err := decode(&a); err != nil {
			return 0, err
		}
		m.Alert = &a
		return ChangeAlert, nil
	}
	// Newer agents may send events this app does not know yet.
	return 0, nil
}

func (m *Model) setDevice(d apitype.DeviceStatus) {
	for i := range m.Devices {
		if m.Devices[i].Kind == d.Kind {
			m.Devices[i] = d
			return
		}
	}
	m.Devices = append(m.Devices, d)
}

// ApplyResult records a command's outcome: a refused command leaves its
// reason as the notice; an accepted one clears the notice. The view a
// result carries is taken only when it is newer than the one shown: results
// and events travel separately, and the event stream is authoritative.
func (m *Model) ApplyResult(res apitype.Result, err error) Change {
	switch {
	case err != nil:
		m.Notice = client.Describe(err)
		return ChangeNotice
	case !res.OK:
		if res.Error != nil {
			m.Notice = res.Error.Message
		} else {
			m.Notice = "The agent refused this without saying why: check the agent log."
		}
		return ChangeNotice
	}
	c := ChangeNotice
	m.Notice = ""
	if v := res.View; v != nil && (v.Station == "" || v.Station == m.Station) && v.UpdatedAt.After(m.View.UpdatedAt) {
		m.View = *res.View
		c |= ChangeView
	}
	if res.Queue != nil {
		m.Queue = res.Queue
		c |= ChangeQueue
	}
	return c
}

// DismissAlert hides the alert; it reports whether one was shown. An
// alert that blocks the station stays.
func (m *Model) DismissAlert() bool {
	if m.Blocked {
		return false
	}
	shown := m.Alert != nil
	m.Alert = nil
	return shown
}

// Device returns the status of the station's device of kind ("scale",
// "printer"), and false when the agent has not reported one.
func (m *Model) Device(kind string) (apitype.DeviceStatus, bool) {
	for _, d := range m.Devices {
		if d.Kind == kind {
			return d, true
		}
	}
	return apitype.DeviceStatus{}, false
}
