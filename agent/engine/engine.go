// Package engine runs the pack flow of every station: it claims orders,
// verifies scanned units, checks the weight, buys the TikTok label off the
// command path, prints it, and keeps each station's view current. Every
// state change commits with its audit line and a pack.record outbox event
// in one store transaction; scanning, verifying and weighing never wait on
// the network.
//
// A label is bought at most once: the intent is committed with the weighed
// state, each attempt is committed before Create Packages is called, and
// after any attempt (a crash, a timeout, an unclear answer) the order's
// packages are read upstream before another may be made. Just before
// buying, the order is re-read upstream; a cancelled order or one with a
// pending cancel request is never labelled. Without a link the order is
// staged and labelled, most urgent first, when TikTok answers again.
//
// Dispatch is confirmed by scanning the printed label's tracking number
// (label_printed → dispatched). For the late-dispatch rate, an order counts
// as dispatched when its label was bought: that is when TikTok sees it ready
// to ship, which is what its dispatch deadline (rts_sla_time) measures.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/packing"
	"github.com/packline/packline/agent/sla"
)

// Outbox event kinds the engine enqueues.
const (
	// KindLabelPurchase asks for the order's label to be bought; its
	// handler is Engine.HandleLabelPurchase.
	KindLabelPurchase = "label.purchase"
	// KindPackRecord carries a PackRecord to the seller's sync endpoint.
	KindPackRecord = "pack.record"
)

// StationDevices are one station's settings and device handles.
type StationDevices struct {
	ID   string
	Name string
	// Scale and Printer may be nil when the station has none.
	Scale   Scale
	Printer Printer
	// ScaleURI and PrinterURI are shown in device status.
	ScaleURI   string
	PrinterURI string
	// Label is how labels are rasterised for the printer.
	Label LabelSpec
}

// Deps are the engine's collaborators.
type Deps struct {
	Store    Store
	Shop     Shop
	Labeler  Labeler
	Stations []StationDevices
	// Publisher receives station events; nil drops them.
	Publisher Publisher
	// Relay is kicked after commits that enqueue events; may be nil.
	Relay Kicker
	// Calendar gives deadlines and urgency.
	Calendar *sla.Calendar
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Options are the engine's policies.
type Options struct {
	Weight packing.Policy
	// WeightUnit is the declared weight unit: POUND (default) or GRAM.
	WeightUnit string
	Boxes      []order.Box
	// Barcodes are configured codes, looked up before the store's map.
	Barcodes map[string]BarcodeEntry
	// WeightTimeout bounds the wait for a stable weight (default 5 s).
	WeightTimeout time.Duration
	// UpstreamTimeout bounds each label purchase step (default 30 s).
	UpstreamTimeout time.Duration
	// PrintTimeout bounds rendering and handing a label to the printer
	// (default 30 s).
	PrintTimeout time.Duration
	// StagedRetry is how often staged orders are retried (default 30 s).
	StagedRetry time.Duration
	// QueueLimit caps the queue sent to stations (default 200).
	QueueLimit int
}

// BarcodeEntry is a configured barcode.
type BarcodeEntry struct {
	SKUID string
	Units int
}

// Engine is the pack flow of all stations.
type Engine struct {
	store    Store
	shop     Shop
	labeler  Labeler
	pub      Publisher
	relay    Kicker
	cal      *sla.Calendar
	now      func() time.Time
	log      *slog.Logger
	opt      Options
	resolver packing.Resolver

	stations map[string]*station
	order    []string // station ids in configuration order

	locksMu sync.Mutex
	locks   map[string]*orderLock

	linkMu sync.Mutex
	link   apitype.Link

	stagedKick chan struct{}
	queueKick  chan struct{}
	drainMu    sync.Mutex

	metrics *metrics
}

type orderLock struct {
	mu   sync.Mutex
	refs int
}

// station is the in-memory state of one station. The order itself lives in
// the store; the station remembers which order it has open and what is
// happening to its label.
type station struct {
	dev StationDevices
	// jobs carries order ids to the station's label worker.
	jobs chan string

	mu sync.Mutex
	// orderID is the order open at the station, "" when idle.
	orderID string
	// busy is "buying" or "printing" while the worker handles the order.
	busy     string
	labelErr string
	notice   string
	// lastMeasured and lastCheck describe the last weight capture.
	lastCheck *packing.Check
	// preview is a small PNG of the label last rendered for previewOf.
	preview   []byte
	previewOf string
	devices   map[string]apitype.DeviceStatus
	// restored ranks the order restore attached, see restorePriority.
	restored int
}

// New builds an engine. It does no I/O: Run starts the workers and restores
// each station's open order from the store.
func New(d Deps, o Options) (*Engine, error) {
	if d.Store == nil {
		return nil, errors.New("engine: a store is required")
	}
	if d.Shop == nil {
		return nil, errors.New("engine: a shop client is required")
	}
	if d.Calendar == nil {
		return nil, errors.New("engine: a business-day calendar is required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.WeightUnit == "" {
		o.WeightUnit = "POUND"
	}
	if o.WeightUnit != "POUND" && o.WeightUnit != "GRAM" {
		return nil, fmt.Errorf("engine: weight unit %q: use POUND or GRAM", o.WeightUnit)
	}
	if o.WeightTimeout <= 0 {
		o.WeightTimeout = 5 * time.Second
	}
	if o.UpstreamTimeout <= 0 {
		o.UpstreamTimeout = 30 * time.Second
	}
	if o.PrintTimeout <= 0 {
		o.PrintTimeout = 30 * time.Second
	}
	if o.StagedRetry <= 0 {
		o.StagedRetry = 30 * time.Second
	}
	if o.QueueLimit <= 0 {
		o.QueueLimit = 200
	}
	e := &Engine{
		store: d.Store, shop: d.Shop, labeler: d.Labeler, pub: d.Publisher, relay: d.Relay,
		cal: d.Calendar, now: d.Now, log: d.Logger, opt: o,
		stations:   map[string]*station{},
		locks:      map[string]*orderLock{},
		stagedKick: make(chan struct{}, 1),
		queueKick:  make(chan struct{}, 1),
		link:       apitype.Link{Online: true},
	}
	boxes := map[string]order.Box{}
	for _, b := range o.Boxes {
		if b.Code == "" {
			return nil, errors.New("engine: a box has no code")
		}
		boxes[b.Code] = b
	}
	e.resolver = packing.Resolver{Boxes: boxes}
	codes := map[string]BarcodeEntry{}
	for k, v := range o.Barcodes {
		if v.Units < 1 {
			v.Units = 1
		}
		codes[k] = v
		if g, ok := packing.GTIN14(k); ok {
			codes[g] = v
		}
	}
	e.opt.Barcodes = codes
	for _, s := range d.Stations {
		if s.ID == "" {
			return nil, errors.New("engine: a station has no id")
		}
		if _, dup := e.stations[s.ID]; dup {
			return nil, fmt.Errorf("engine: station %q is listed twice", s.ID)
		}
		if s.Name == "" {
			s.Name = s.ID
		}
		st := &station{dev: s, jobs: make(chan string, 64), devices: map[string]apitype.DeviceStatus{}}
		now := e.now()
		st.devices["scale"] = deviceStatus("scale", s.ScaleURI, s.Scale != nil, now)
		st.devices["printer"] = deviceStatus("printer", s.PrinterURI, s.Printer != nil, now)
		e.stations[s.ID] = st
		e.order = append(e.order, s.ID)
	}
	e.metrics = newMetrics(e)
	return e, nil
}

func deviceStatus(kind, uri string, present bool, now time.Time) apitype.DeviceStatus {
	if !present {
		return apitype.DeviceStatus{Kind: kind, URI: uri, State: apitype.DeviceNone, Detail: "no " + kind + " configured", Since: now}
	}
	return apitype.DeviceStatus{Kind: kind, URI: uri, State: apitype.DeviceOK, Since: now}
}

// Run restores each station's open order, starts the label workers, the
// scale watchers and the staged-order retry loop, and blocks until ctx ends
// and every worker has stopped.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.restore(); err != nil {
		return fmt.Errorf("restoring stations: %w", err)
	}
	var wg sync.WaitGroup
	for _, id := range e.order {
		st := e.stations[id]
		wg.Go(func() { e.worker(ctx, st) })
		if st.dev.Scale != nil {
			wg.Go(func() { e.watchScale(ctx, st) })
		}
	}
	wg.Go(func() { e.stagedLoop(ctx) })
	wg.Go(func() { e.queueLoop(ctx) })
	e.kickQueue()
	<-ctx.Done()
	wg.Wait()
	return nil
}

// restore reattaches each station to the order it had open and queues the
// orders whose label work was interrupted.
func (e *Engine) restore() error {
	var orders []order.Order
	err := e.store.View(func(tx Tx) error {
		var err error
		orders, err = tx.OrdersInState(order.Claimed, order.Verified, order.Weighed, order.Exception, order.Staged, order.LabelBought)
		return err
	})
	if err != nil {
		return err
	}
	for i := range orders {
		o := &orders[i]
		if onHold(o) {
			// Held for a cancel request: the box is set aside, and the
			// request may have been declined while the agent was down.
			e.react(o.ID)
			continue
		}
		if o.Pack == nil {
			continue
		}
		st := e.stations[o.Pack.Station]
		if st == nil {
			continue
		}
		st.mu.Lock()
		// An order the packer is working on wins over one whose label is
		// in progress, which wins over a staged one.
		if restorePriority(o.State) > st.restored {
			st.orderID, st.restored = o.ID, restorePriority(o.State)
		}
		st.mu.Unlock()
		switch o.State {
		case order.Weighed, order.LabelBought:
			e.schedule(st, o.ID)
		case order.Staged:
			e.kickStaged()
		}
	}
	for _, id := range e.order {
		e.publishView(e.stations[id])
	}
	return nil
}

func restorePriority(s order.State) int {
	switch {
	case holdsStation(s):
		return 3
	case s == order.Staged:
		return 1
	}
	return 2
}

// lockOrder serialises the label work on one order across the station
// worker, the staged loop and the relay.
func (e *Engine) lockOrder(id string) func() {
	e.locksMu.Lock()
	l := e.locks[id]
	if l == nil {
		l = &orderLock{}
		e.locks[id] = l
	}
	l.refs++
	e.locksMu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		e.locksMu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(e.locks, id)
		}
		e.locksMu.Unlock()
	}
}

// change is one state change: it moves o to state to (or keeps the state
// when to is ""), and commits the order, an audit line and a pack.record
// event in one transaction, plus any extra events.
type change struct {
	to      order.State
	station string
	actor   string
	action  string
	detail  string
	// events are extra outbox events to commit with the change.
	events []outboxEvent
	// noRecord skips the pack.record event (for changes that are not state
	// changes, such as a scan).
	noRecord bool
}

type outboxEvent struct {
	kind    string
	payload any
}

// mutate loads the order, lets fn change it, and commits it with the audit
// line and events that fn's change describes, in one transaction. fn may
// return a nil change to write nothing.
func (e *Engine) mutate(id string, fn func(o *order.Order) (*change, error)) (order.Order, error) {
	return e.mutateWith(nil, id, fn)
}

// mutateWith is mutate with a hook that sees the transaction first.
func (e *Engine) mutateWith(hook func(Tx), id string, fn func(o *order.Order) (*change, error)) (order.Order, error) {
	var out order.Order
	enqueued := false
	err := e.store.Update(func(tx Tx) error {
		if hook != nil {
			hook(tx)
		}
		o, err := tx.Order(id)
		if err != nil {
			return err
		}
		from := o.State
		c, err := fn(&o)
		if err != nil {
			return err
		}
		if c == nil {
			out = o
			return nil
		}
		if c.to != "" && c.to != from {
			o.State = from
			if err := packing.Transition(&o, c.to); err != nil {
				return err
			}
		}
		if err := tx.PutOrder(&o); err != nil {
			return err
		}
		detail := c.detail
		if c.to != "" && c.to != from {
			detail = fmt.Sprintf("%s → %s", from, c.to)
			if c.detail != "" {
				detail += ": " + c.detail
			}
		}
		if err := tx.Audit(Audit{At: e.now(), OrderID: o.ID, Station: c.station, Actor: c.actor, Action: c.action, Detail: detail}); err != nil {
			return err
		}
		if c.to != "" && c.to != from && !c.noRecord {
			if err := tx.Enqueue(KindPackRecord, outboxKey(KindPackRecord, o.ID), e.packRecord(&o, from, c)); err != nil {
				return err
			}
			enqueued = true
		}
		for _, ev := range c.events {
			if err := tx.Enqueue(ev.kind, outboxKey(ev.kind, o.ID), ev.payload); err != nil {
				return err
			}
			enqueued = true
		}
		out = o
		return nil
	})
	if err != nil {
		return order.Order{}, err
	}
	if enqueued && e.relay != nil {
		e.relay.Kick()
	}
	return out, nil
}

// PackRecord is the payload of a pack.record event: what the warehouse did
// to an order, sent to the seller's sync endpoint on every state change.
type PackRecord struct {
	OrderID  string `json:"order_id"`
	From     string `json:"from"`
	State    string `json:"state"`
	Action   string `json:"action"`
	Detail   string `json:"detail,omitempty"`
	Station  string `json:"station,omitempty"`
	Actor    string `json:"actor,omitempty"`
	Packer   string `json:"packer,omitempty"`
	At       time.Time
	Started  time.Time       `json:"started_at,omitzero"`
	Scans    []order.Scan    `json:"scans,omitempty"`
	Box      *order.Box      `json:"box,omitempty"`
	Expected float64         `json:"expected_grams,omitempty"`
	Measured float64         `json:"measured_grams,omitempty"`
	Declared string          `json:"declared_weight,omitempty"`
	Unit     string          `json:"declared_unit,omitempty"`
	Override *order.Override `json:"override,omitempty"`
	// TypedWeight names the lead who typed the weight in, when the scale
	// did not read it.
	TypedWeight *order.Override `json:"typed_weight,omitempty"`
	Package     string          `json:"package_id,omitempty"`
	Tracking    string          `json:"tracking_number,omitempty"`
}

func (e *Engine) packRecord(o *order.Order, from order.State, c *change) PackRecord {
	r := PackRecord{OrderID: o.ID, From: string(from), State: string(o.State), Action: c.action, Detail: c.detail, Station: c.station, Actor: c.actor, At: e.now()}
	if p := o.Pack; p != nil {
		r.Packer, r.Started, r.Scans, r.Box, r.Override, r.TypedWeight = p.Packer, p.StartedAt, p.Scans, p.Box, p.Override, p.TypedWeight
		r.Expected, r.Measured = p.Expected.Grams(), p.Measured.Grams()
	}
	if o.Intent != nil {
		r.Declared, r.Unit = o.Intent.Weight, o.Intent.WeightUnit
	}
	if o.Label != nil {
		r.Package, r.Tracking = o.Label.PackageID, o.Label.TrackingNumber
	}
	return r
}

// LabelPurchase is the payload of a label.purchase event.
type LabelPurchase struct {
	OrderID  string `json:"order_id"`
	IntentID string `json:"intent_id"`
}

// newIntent builds the label intent for a weighed order.
func (e *Engine) newIntent(o *order.Order) (*order.LabelIntent, error) {
	if o.Pack == nil || o.Pack.Box == nil || o.Pack.Measured <= 0 {
		return nil, errors.New("the box is not weighed yet")
	}
	w, err := packing.Declared(o.Pack.Measured, e.opt.WeightUnit)
	if err != nil {
		return nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("making intent id: %w", err)
	}
	return &order.LabelIntent{ID: id.String(), LineItemIDs: o.LineItemIDs(), Weight: w, WeightUnit: e.opt.WeightUnit, Box: *o.Pack.Box, CreatedAt: e.now()}, nil
}

// deadline is the order's dispatch deadline.
func (e *Engine) deadline(o *order.Order) time.Time { return e.cal.Deadline(o) }

// Queue returns the open orders, most urgent first.
func (e *Engine) Queue() ([]apitype.QueueEntry, error) {
	var orders []order.Order
	err := e.store.View(func(tx Tx) error {
		var err error
		// Only the orders the stations are shown are read: the queue is
		// rebuilt after every change, with any number of orders stored.
		orders, err = tx.FirstOpenOrders(e.opt.QueueLimit)
		return err
	})
	if err != nil {
		return nil, err
	}
	now := e.now()
	q := make([]apitype.QueueEntry, 0, len(orders))
	for i := range orders {
		o := &orders[i]
		if !o.State.Open() {
			continue
		}
		dl := e.deadline(o)
		qe := apitype.QueueEntry{OrderID: o.ID, State: string(o.State), Deadline: dl, Urgency: e.cal.Urgency(dl, now), Units: len(o.Items()), Staged: o.State == order.Staged}
		if o.Exception != nil {
			qe.Exception = o.Exception.Reason
		}
		if o.Pack != nil && o.State != order.Pulled {
			qe.ClaimedBy = o.Pack.Station
		}
		q = append(q, qe)
	}
	sort.SliceStable(q, func(i, j int) bool {
		a, b := q[i].Deadline, q[j].Deadline
		switch {
		case a.IsZero() != b.IsZero():
			return b.IsZero()
		case !a.Equal(b):
			return a.Before(b)
		}
		return q[i].OrderID < q[j].OrderID
	})
	if len(q) > e.opt.QueueLimit {
		q = q[:e.opt.QueueLimit]
	}
	return q, nil
}

func (e *Engine) publish(station, event string, data any) {
	if e.pub != nil {
		e.pub.Publish(station, event, data)
	}
}

func (e *Engine) kickQueue() {
	select {
	case e.queueKick <- struct{}{}:
	default:
	}
}

func (e *Engine) kickStaged() {
	select {
	case e.stagedKick <- struct{}{}:
	default:
	}
}

// queueLoop publishes the queue after changes, coalescing bursts.
func (e *Engine) queueLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.queueKick:
			q, err := e.Queue()
			if err != nil {
				e.log.Warn("building queue", "err", err)
				continue
			}
			e.publish("", apitype.EvQueue, q)
		}
	}
}

// SetLink records the upstream link state reported by the intake loop. When
// the link comes back, staged orders are labelled, most urgent first.
func (e *Engine) SetLink(online bool, detail string) {
	e.linkMu.Lock()
	was := e.link.Online
	e.link.Online, e.link.Detail = online, detail
	e.linkMu.Unlock()
	if was != online {
		e.publishLink()
	}
	if online && !was {
		e.kickStaged()
	}
}

func (e *Engine) publishLink() {
	e.publish("", apitype.EvLink, e.Link())
}

// Link returns the upstream link and outbox state.
func (e *Engine) Link() apitype.Link {
	e.linkMu.Lock()
	l := e.link
	e.linkMu.Unlock()
	_ = e.store.View(func(tx Tx) error {
		s, err := tx.OutboxStats()
		if err != nil {
			return err
		}
		l.OutboxDepth, l.Dead = s.Depth, s.Dead
		if !s.Oldest.IsZero() {
			l.OldestUnsyncedSeconds = e.now().Sub(s.Oldest).Seconds()
		}
		staged, err := tx.OrdersInState(order.Staged)
		l.Staged = len(staged)
		return err
	})
	return l
}

// SetDevice records a device's state (the daemon reports printer and scale
// health) and publishes it to the station.
func (e *Engine) SetDevice(stationID string, st apitype.DeviceStatus) {
	s := e.stations[stationID]
	if s == nil {
		return
	}
	s.mu.Lock()
	old, ok := s.devices[st.Kind]
	if ok && old.State == st.State && old.Detail == st.Detail {
		s.mu.Unlock()
		return
	}
	if st.Since.IsZero() {
		st.Since = e.now()
	}
	s.devices[st.Kind] = st
	s.mu.Unlock()
	e.publish(stationID, apitype.EvDevice, st)
	if st.State == apitype.DeviceError || st.State == apitype.DeviceOffline {
		e.publish(stationID, apitype.EvAlert, apitype.Alert{Kind: apitype.AlertDevice, Title: st.Kind + " " + st.State, Detail: st.Detail, Sound: "warning"})
	}
}

// Stations returns the ids of the configured stations, in configuration
// order; the local API refuses a station app that names another.
func (e *Engine) Stations() []string { return slices.Clone(e.order) }

// Snapshot returns what a station shows: its view, the queue, the link and
// its devices.
func (e *Engine) Snapshot(stationID string) (apitype.StationView, []apitype.QueueEntry, apitype.Link, []apitype.DeviceStatus) {
	st := e.stations[stationID]
	if st == nil {
		v := apitype.StationView{Station: stationID, Phase: apitype.PhaseIdle, Prompt: fmt.Sprintf("station %q is not configured: add a [[station]] with this id to the agent's config", stationID), UpdatedAt: e.now()}
		q, _ := e.Queue()
		return v, q, e.Link(), nil
	}
	v := e.view(st)
	q, err := e.Queue()
	if err != nil {
		e.log.Warn("building queue", "err", err)
	}
	st.mu.Lock()
	devs := []apitype.DeviceStatus{st.devices["scale"], st.devices["printer"]}
	st.mu.Unlock()
	return v, q, e.Link(), devs
}

// Notify tells the engine that orders changed in the store outside it (the
// intake loop merged an upstream change). A cancelled order is closed at
// once and its station told; one whose buyer asked to cancel is held until
// TikTok decides, and resumes when the request is declined; an unclaimed
// order TikTok no longer waits for leaves the queue.
func (e *Engine) Notify(ids ...string) {
	for _, id := range ids {
		e.react(id)
	}
	e.kickQueue()
}
