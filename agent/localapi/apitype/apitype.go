// Package apitype defines the versioned JSON messages between the agent's
// local API and its clients (the station app and tools). It imports only the
// standard library so that any client can use it.
//
// Every frame is a Message. A client opens with a "hello"; the agent answers
// "welcome" and then replays every event after hello.after_seq that it still
// holds, so a reconnecting station resumes without gaps. Commands carry an id
// that the agent echoes in exactly one "result".
//
// A station is held by one connection at a time: a hello naming a station
// that another connection holds takes it over, and that connection gets a
// final "station_taken" event and closes with CloseStationTaken. A hello
// naming a station the agent does not have is answered with an
// "unknown_station" error and the connection closes.
package apitype

import (
	"encoding/json"
	"strings"
	"time"
)

// Version is the protocol version; Subprotocol names it in the websocket
// handshake.
const (
	Version     = 1
	Subprotocol = "packline.v1"
	// MaxMessageBytes is the largest frame either side accepts.
	MaxMessageBytes = 64 << 10
)

// Message types.
const (
	TypeHello   = "hello"
	TypeWelcome = "welcome"
	TypeCommand = "command"
	TypeResult  = "result"
	TypeEvent   = "event"
	TypeError   = "error"
)

// Message is one websocket frame.
type Message struct {
	Type string `json:"type"`
	// ID ties a command to its result.
	ID string `json:"id,omitempty"`
	// Seq orders events; it only grows and is never reused.
	Seq uint64 `json:"seq,omitempty"`
	// Event names the event kind of an event message.
	Event string          `json:"event,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
}

// Hello is the first message a client sends.
type Hello struct {
	Version int `json:"version"`
	// Station is the station id the client speaks for; its scale and
	// printer readings and status are streamed to it.
	Station string `json:"station"`
	// AfterSeq resumes the event stream after this sequence number; 0 asks
	// for a fresh snapshot.
	AfterSeq uint64 `json:"after_seq"`
	Client   string `json:"client,omitempty"`
}

// Welcome answers Hello.
type Welcome struct {
	Version      int    `json:"version"`
	Station      string `json:"station"`
	AgentVersion string `json:"agent_version"`
	// Seq is the agent's latest event sequence number.
	Seq uint64 `json:"seq"`
	// Resumed is true when every event after Hello.AfterSeq was still held
	// and follows; false means the client must drop its state and use the
	// snapshot events that follow.
	Resumed bool `json:"resumed"`
}

// Command kinds.
const (
	// CmdScan submits a scanned code: an order or package id opens an order,
	// an item code counts a unit, a box code chooses the box, a tracking
	// number confirms the printed label.
	CmdScan = "scan"
	// CmdAcceptWeight captures the scale's stable weight now.
	CmdAcceptWeight = "accept_weight"
	// CmdOverride lets a lead pass a failed check, with a reason.
	CmdOverride = "override"
	// CmdReprint prints the current (or last) label again.
	CmdReprint = "reprint"
	// CmdRetryLabel tries again to buy and print after an error.
	CmdRetryLabel = "retry_label"
	// CmdRelease puts the open order back in the queue.
	CmdRelease = "release"
	// CmdQueue asks for the station's queue.
	CmdQueue = "queue"
	// CmdZeroScale zeroes the station's scale.
	CmdZeroScale = "zero_scale"
	// CmdSnapshot asks for the station view and the queue again.
	CmdSnapshot = "snapshot"
)

// Command is the data of a command message.
type Command struct {
	Kind   string `json:"kind"`
	Code   string `json:"code,omitempty"`
	Lead   string `json:"lead,omitempty"`
	Reason string `json:"reason,omitempty"`
	// WeightGrams, with accept_weight, is a weight in grams typed in
	// instead of read from the scale. It is declared to TikTok as measured,
	// so it needs Lead and Reason, which are kept with the pack.
	WeightGrams float64 `json:"weight_grams,omitempty"`
}

// Result is the data of a result message.
type Result struct {
	OK    bool         `json:"ok"`
	Error *Error       `json:"error,omitempty"`
	View  *StationView `json:"view,omitempty"`
	Queue []QueueEntry `json:"queue,omitempty"`
}

// Error codes.
const (
	ErrBadRequest   = "bad_request"
	ErrUnknown      = "unknown_command"
	ErrOutOfOrder   = "out_of_order"
	ErrTooLarge     = "too_large"
	ErrNotFound     = "not_found"
	ErrWrongItem    = "wrong_item"
	ErrExtraUnit    = "extra_unit"
	ErrCancelled    = "cancelled"
	ErrNotPackable  = "not_packable"
	ErrClaimed      = "claimed_elsewhere"
	ErrWeight       = "weight_out_of_tolerance"
	ErrNoWeight     = "no_stable_weight"
	ErrOffline      = "offline"
	ErrDevice       = "device_error"
	ErrInternal     = "internal"
	ErrUnauthorized = "unauthorized"
	// ErrStoreFull means the agent could not record the action because its
	// disk or store is full; nothing was recorded.
	ErrStoreFull = "store_full"
	// ErrUnknownStation answers a hello that names a station the agent
	// has no configuration for; the connection closes after it with
	// CloseUnknownStation.
	ErrUnknownStation = "unknown_station"
	// ErrStationTaken answers a command sent on a connection whose station
	// has been opened by another client since.
	ErrStationTaken = "station_taken"
)

// Close codes the agent ends a connection with, besides the standard ones.
const (
	// CloseStationTaken: another client said hello with this connection's
	// station id and now holds the station. The client must not reconnect
	// by itself, or two apps set to the same station take it from each
	// other for ever.
	CloseStationTaken = 4001
	// CloseUnknownStation: the hello named a station the agent does not
	// have; an ErrUnknownStation error says which ones it has.
	CloseUnknownStation = 4002
)

// Error is a typed error in words a packer can act on.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Event kinds.
const (
	// EvStation carries a StationView.
	EvStation = "station"
	// EvQueue carries []QueueEntry.
	EvQueue = "queue"
	// EvReading carries a Reading from the station's scale.
	EvReading = "reading"
	// EvDevice carries a DeviceStatus.
	EvDevice = "device"
	// EvLink carries a Link.
	EvLink = "link"
	// EvAlert carries an Alert to show full-screen.
	EvAlert = "alert"
	// EvStationTaken carries a StationTaken. It is the last message of a
	// connection whose station another client has opened, is sent to that
	// connection only and has no sequence number.
	EvStationTaken = "station_taken"
)

// StationTaken tells a client that another client opened its station; the
// connection closes with CloseStationTaken after it.
type StationTaken struct {
	Station string `json:"station"`
	// By is the network address (host only) the new holder connected
	// from, "" when unknown.
	By string `json:"by,omitempty"`
	// Client is the new holder's hello.client, e.g. "packline-station 1.4".
	Client string `json:"client,omitempty"`
}

// Phases of a station.
const (
	PhaseIdle      = "idle"      // waiting for an order scan
	PhaseScanning  = "scanning"  // scanning units
	PhaseBoxing    = "boxing"    // all units in; scan the box
	PhaseWeighing  = "weighing"  // box on the scale
	PhaseBuying    = "buying"    // buying the label
	PhasePrinting  = "printing"  // label printing
	PhaseDone      = "done"      // label printed; scan it to confirm or scan the next order
	PhaseException = "exception" // needs a lead
	PhaseStaged    = "staged"    // packed offline; label follows when the link returns
)

// StationView is everything a station shows about its open order.
type StationView struct {
	Station string     `json:"station"`
	Phase   string     `json:"phase"`
	Order   *OrderView `json:"order,omitempty"`
	// Prompt tells the packer what to do next, in words.
	Prompt string `json:"prompt"`
	Box    *Box   `json:"box,omitempty"`
	// Weight check, in grams.
	ExpectedGrams  float64    `json:"expected_grams,omitempty"`
	MeasuredGrams  float64    `json:"measured_grams,omitempty"`
	ToleranceGrams float64    `json:"tolerance_grams,omitempty"`
	WeightOK       *bool      `json:"weight_ok,omitempty"`
	Label          *LabelView `json:"label,omitempty"`
	Exception      string     `json:"exception,omitempty"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// OrderView is an order as the packer sees it.
type OrderView struct {
	ID           string     `json:"id"`
	State        string     `json:"state"`
	Status       string     `json:"status"`
	Deadline     time.Time  `json:"deadline"`
	Recipient    string     `json:"recipient,omitempty"`
	BuyerMessage string     `json:"buyer_message,omitempty"`
	Lines        []LineView `json:"lines"`
}

// LineView is one SKU of the order with its scan progress.
type LineView struct {
	SKUID     string `json:"sku_id"`
	SellerSKU string `json:"seller_sku,omitempty"`
	Name      string `json:"name"`
	Want      int    `json:"want"`
	Got       int    `json:"got"`
	Gift      bool   `json:"gift,omitempty"`
}

// Box is the chosen box.
type Box struct {
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	Dimensions string  `json:"dimensions"`
	TareGrams  float64 `json:"tare_grams"`
}

// LabelView describes the bought label.
type LabelView struct {
	PackageID      string `json:"package_id"`
	TrackingNumber string `json:"tracking_number"`
	Carrier        string `json:"carrier,omitempty"`
	Service        string `json:"service,omitempty"`
	DeclaredWeight string `json:"declared_weight"`
	Printed        bool   `json:"printed"`
	// PreviewPNG is a small PNG of the printed raster, when available.
	PreviewPNG []byte `json:"preview_png,omitempty"`
	Error      string `json:"error,omitempty"`
}

// CarrierService names the carrier and its service once: TikTok's service
// names often start with the carrier's ("USPS Ground Advantage").
func (l LabelView) CarrierService() string {
	if l.Carrier == "" || strings.HasPrefix(strings.ToLower(l.Service), strings.ToLower(l.Carrier)) {
		return l.Service
	}
	return strings.TrimSpace(l.Carrier + " " + l.Service)
}

// Urgency levels of a queue entry, by time left to the dispatch deadline.
const (
	UrgencyLate   = "late"
	UrgencyDue    = "due"    // under 4 hours left
	UrgencySoon   = "soon"   // due today (warehouse time)
	UrgencyNormal = "normal" // later
)

// QueueEntry is one order waiting to be packed.
type QueueEntry struct {
	OrderID   string    `json:"order_id"`
	State     string    `json:"state"`
	Deadline  time.Time `json:"deadline"`
	Urgency   string    `json:"urgency"`
	Units     int       `json:"units"`
	Staged    bool      `json:"staged,omitempty"`
	Exception string    `json:"exception,omitempty"`
	ClaimedBy string    `json:"claimed_by,omitempty"`
}

// Reading is a live scale reading.
type Reading struct {
	Grams float64 `json:"grams"`
	// Display is the reading as the scale sent it, e.g. "1.25 lb".
	Display string    `json:"display"`
	Stable  bool      `json:"stable"`
	Zero    bool      `json:"zero,omitempty"`
	Over    bool      `json:"over,omitempty"`
	Under   bool      `json:"under,omitempty"`
	At      time.Time `json:"at"`
}

// Device states.
const (
	DeviceOK      = "ok"
	DeviceOffline = "offline"
	DeviceError   = "error"
	DeviceNone    = "none"
)

// DeviceStatus is the state of one of the station's devices.
type DeviceStatus struct {
	Kind   string    `json:"kind"` // "scale" or "printer"
	URI    string    `json:"uri"`
	State  string    `json:"state"`
	Detail string    `json:"detail,omitempty"`
	Since  time.Time `json:"since"`
}

// Link is the state of the upstream connection and the outbox.
type Link struct {
	Online bool   `json:"online"`
	Detail string `json:"detail,omitempty"`
	// OutboxDepth, OldestUnsyncedSeconds and Dead describe the sync backlog.
	OutboxDepth           int     `json:"outbox_depth"`
	OldestUnsyncedSeconds float64 `json:"oldest_unsynced_seconds"`
	Dead                  int     `json:"dead"`
	Staged                int     `json:"staged"`
}

// Alert kinds.
const (
	AlertWrongItem = "wrong_item"
	AlertExtraUnit = "extra_unit"
	AlertCancelled = "cancelled"
	AlertWeight    = "weight"
	AlertDevice    = "device"
	AlertError     = "error"
)

// Alert is shown full-screen, in words, with a distinct sound.
type Alert struct {
	Kind   string `json:"kind"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	// Sound is "error", "warning" or "ok".
	Sound string `json:"sound"`
}
