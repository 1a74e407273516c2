package engine

import (
	"errors"
	"fmt"

	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/store"
)

// FromStore adapts the bbolt store to the engine's Store.
func FromStore(db *store.DB) Store { return storeDB{db} }

type storeDB struct{ db *store.DB }

var _ Store = storeDB{}

func (s storeDB) Update(fn func(Tx) error) error {
	return s.db.Update(func(tx *store.Tx) error { return fn(storeTx{tx}) })
}

func (s storeDB) View(fn func(Tx) error) error {
	return s.db.View(func(tx *store.Tx) error { return fn(storeTx{tx}) })
}

// CountByState counts orders per state from the store's index.
func (s storeDB) CountByState() (map[order.State]int, error) {
	st, err := s.db.Stats()
	if err != nil {
		return nil, err
	}
	return st.Orders, nil
}

var _ StateCounter = storeDB{}

type storeTx struct{ tx *store.Tx }

// notFound makes store.ErrNotFound also match engine.ErrNotFound.
func notFound(err error) error {
	if err != nil && errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

func (t storeTx) Order(id string) (order.Order, error) {
	o, err := t.tx.Order(id)
	return o, notFound(err)
}
func (t storeTx) PutOrder(o *order.Order) error      { return t.tx.PutOrder(o) }
func (t storeTx) OpenOrders() ([]order.Order, error) { return t.tx.OpenOrders() }
func (t storeTx) FirstOpenOrders(max int) ([]order.Order, error) {
	return t.tx.FirstOpenOrders(max)
}
func (t storeTx) CountByState() (map[order.State]int, error) { return t.tx.CountByState() }
func (t storeTx) OrdersInState(states ...order.State) ([]order.Order, error) {
	return t.tx.OrdersInState(states...)
}
func (t storeTx) OrderIDByPackage(p string) (string, error) {
	id, err := t.tx.OrderIDByPackage(p)
	return id, notFound(err)
}
func (t storeTx) Enqueue(kind, aggregate string, payload any) error {
	_, err := t.tx.Enqueue(kind, aggregate, payload)
	return err
}
func (t storeTx) Audit(a Audit) error {
	return t.tx.Audit(store.AuditEntry{At: a.At, OrderID: a.OrderID, Station: a.Station, Actor: a.Actor, Action: a.Action, Detail: a.Detail})
}
func (t storeTx) PutDocument(key string, b []byte) error { return t.tx.PutDocument(key, b) }
func (t storeTx) Document(key string) ([]byte, error) {
	b, err := t.tx.Document(key)
	return b, notFound(err)
}
func (t storeTx) Product(id string) (order.Product, error) {
	p, err := t.tx.Product(id)
	return p, notFound(err)
}
func (t storeTx) LookupBarcode(code string) (string, int, error) {
	sku, units, err := t.tx.LookupBarcode(code)
	if err != nil {
		// A misread GTIN is simply not a known barcode here; the resolver
		// goes on and reports the code in words.
		return "", 0, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return sku, units, nil
}
func (t storeTx) OutboxStats() (OutboxStats, error) {
	s, err := t.tx.OutboxStats()
	return OutboxStats{Depth: s.Depth, Dead: s.Dead, Oldest: s.Oldest}, err
}

var _ StateCounter = storeTx{}
