package engine

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/sla"
)

// LateWindow is the window of the late-dispatch rate metric.
const LateWindow = 30 * 24 * time.Hour

// StateCounter is an optional Store (or Tx) method that counts orders per
// state without decoding them.
type StateCounter interface {
	CountByState() (map[order.State]int, error)
}

// lateRefresh is how long a computed late-dispatch rate is reused: it reads
// every labelled order.
const lateRefresh = time.Minute

type metrics struct {
	e            *Engine
	lateMu       sync.Mutex
	lateAt       time.Time
	lateRate     float64
	purchases    *prometheus.CounterVec
	packDuration prometheus.Histogram

	ordersDesc, depthDesc, oldestDesc, deadDesc, deviceDesc, lateDesc *prometheus.Desc
}

func newMetrics(e *Engine) *metrics {
	return &metrics{
		e: e,
		purchases: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "packline_label_purchases_total",
			Help: "Label purchases by result: bought, reconciled (found upstream after an unclear answer) or refused.",
		}, []string{"result"}),
		packDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "packline_pack_duration_seconds",
			Help:    "Time from claiming an order to its label printing.",
			Buckets: []float64{15, 30, 60, 90, 120, 180, 300, 600, 1200, 3600},
		}),
		ordersDesc: prometheus.NewDesc("packline_orders", "Orders in the store by pack state.", []string{"state"}, nil),
		depthDesc:  prometheus.NewDesc("packline_outbox_depth", "Events waiting to be synced.", nil, nil),
		oldestDesc: prometheus.NewDesc("packline_outbox_oldest_unsynced_seconds", "Age of the oldest unsynced event.", nil, nil),
		deadDesc:   prometheus.NewDesc("packline_outbox_dead", "Events that gave up and need a person.", nil, nil),
		deviceDesc: prometheus.NewDesc("packline_device_up", "1 when a station device is working.", []string{"station", "kind"}, nil),
		lateDesc:   prometheus.NewDesc("packline_late_dispatch_rate", "Share of orders labelled after their dispatch deadline over the last 30 days.", nil, nil),
	}
}

// Collectors returns the engine's Prometheus collectors.
func (e *Engine) Collectors() []prometheus.Collector {
	return []prometheus.Collector{e.metrics.purchases, e.metrics.packDuration, e.metrics}
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.ordersDesc, m.depthDesc, m.oldestDesc, m.deadDesc, m.deviceDesc, m.lateDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector, reading the store at scrape time.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	e := m.e
	now := e.now()
	var counts map[order.State]int
	var stats OutboxStats
	var dispatches []sla.Dispatch
	if sc, ok := e.store.(StateCounter); ok {
		var err error
		if counts, err = sc.CountByState(); err != nil {
			e.log.Warn("counting orders", "err", err)
			counts = nil
		}
	}
	m.lateMu.Lock()
	defer m.lateMu.Unlock()
	needLate := m.lateAt.IsZero() || now.Sub(m.lateAt) >= lateRefresh || now.Before(m.lateAt)
	err := e.store.View(func(tx Tx) error {
		var err error
		if counts == nil {
			if counts, err = countStates(tx); err != nil {
				return err
			}
		}
		if stats, err = tx.OutboxStats(); err != nil {
			return err
		}
		if !needLate {
			return nil
		}
		labelled, err := tx.OrdersInState(order.LabelBought, order.LabelPrinted, order.Dispatched)
		if err != nil {
			return err
		}
		for i := range labelled {
			o := &labelled[i]
			if o.Label != nil {
				dispatches = append(dispatches, sla.Dispatch{Deadline: e.deadline(o), DispatchedAt: o.Label.BoughtAt})
			}
		}
		return nil
	})
	if err != nil {
		e.log.Warn("collecting metrics", "err", err)
		ch <- prometheus.NewInvalidMetric(m.ordersDesc, err)
		return
	}
	for _, s := range order.States {
		ch <- prometheus.MustNewConstMetric(m.ordersDesc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
	ch <- prometheus.MustNewConstMetric(m.depthDesc, prometheus.GaugeValue, float64(stats.Depth))
	ch <- prometheus.MustNewConstMetric(m.deadDesc, prometheus.GaugeValue, float64(stats.Dead))
	oldest := 0.0
	if !stats.Oldest.IsZero() {
		oldest = now.Sub(stats.Oldest).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(m.oldestDesc, prometheus.GaugeValue, oldest)
	if needLate {
		m.lateRate, _, _ = sla.LateRate(dispatches, now.Add(-LateWindow), now.Add(time.Second))
		m.lateAt = now
	}
	ch <- prometheus.MustNewConstMetric(m.lateDesc, prometheus.GaugeValue, m.lateRate)
	for _, id := range e.order {
		st := e.stations[id]
		st.mu.Lock()
		for _, kind := range []string{"scale", "printer"} {
			d, ok := st.devices[kind]
			if !ok || d.State == apitype.DeviceNone {
				continue
			}
			up := 0.0
			if d.State == apitype.DeviceOK {
				up = 1
			}
			ch <- prometheus.MustNewConstMetric(m.deviceDesc, prometheus.GaugeValue, up, id, kind)
		}
		st.mu.Unlock()
	}
}

// countStates counts orders per state inside a transaction.
func countStates(tx Tx) (map[order.State]int, error) {
	if sc, ok := tx.(StateCounter); ok {
		return sc.CountByState()
	}
	counts := map[order.State]int{}
	for _, s := range order.States {
		os, err := tx.OrdersInState(s)
		if err != nil {
			return nil, err
		}
		counts[s] = len(os)
	}
	return counts, nil
}
