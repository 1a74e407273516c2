package localapi

import "github.com/prometheus/client_golang/prometheus"

// serverMetrics are the local API's own metrics.
type serverMetrics struct {
	clients  prometheus.Gauge
	events   prometheus.Counter
	commands *prometheus.CounterVec
	dropped  prometheus.Counter
	refused  *prometheus.CounterVec
	latency  prometheus.Histogram
}

func newServerMetrics() *serverMetrics {
	return &serverMetrics{
		clients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "packline_localapi_clients", Help: "Connected websocket clients.",
		}),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "packline_localapi_events_total", Help: "Events published to stations.",
		}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "packline_localapi_commands_total", Help: "Commands handled, by kind and outcome.",
		}, []string{"kind", "ok"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "packline_localapi_slow_clients_dropped_total", Help: "Clients disconnected because they did not keep up.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "packline_localapi_refused_total", Help: "Requests refused by the gate, by HTTP status.",
		}, []string{"status"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "packline_localapi_command_seconds",
			Help:    "Time the backend took to answer a command.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
	}
}

// Describe implements prometheus.Collector.
func (m *serverMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.clients.Describe(ch)
	m.events.Describe(ch)
	m.commands.Describe(ch)
	m.dropped.Describe(ch)
	m.refused.Describe(ch)
	m.latency.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *serverMetrics) Collect(ch chan<- prometheus.Metric) {
	m.clients.Collect(ch)
	m.events.Collect(ch)
	m.commands.Collect(ch)
	m.dropped.Collect(ch)
	m.refused.Collect(ch)
	m.latency.Collect(ch)
}
