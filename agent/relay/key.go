package relay

import "strings"

// Destinations of outbox events. Each destination orders its own events, so
// one that is down never holds back the others.
const (
	// DestLabel is TikTok's label purchase (label.purchase events).
	DestLabel = "label"
	// DestSync is the seller's sync endpoint (pack.record events).
	DestSync = "sync"
)

// OrderingKey is the outbox aggregate of an order's events bound for dest:
// "<dest>/<order id>". Events with the same key are delivered in order;
// events of one order bound for different destinations are not ordered
// against each other.
func OrderingKey(dest, orderID string) string { return dest + "/" + orderID }

// OrderID returns the order the event belongs to: its aggregate without the
// destination (events stored before destinations hold the bare order id).
func (e Event) OrderID() string {
	if _, id, ok := strings.Cut(e.Aggregate, "/"); ok {
		return id
	}
	return e.Aggregate
}
