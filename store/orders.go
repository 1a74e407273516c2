package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/packline/packline/agent/order"
	bolt "go.etcd.io/bbolt"
)

// timeKey encodes t so that byte order is time order (sign-flipped Unix
// seconds, then nanoseconds, big-endian).
func timeKey(t time.Time) []byte {
	k := make([]byte, 12)
	binary.BigEndian.PutUint64(k, uint64(t.Unix())^(1<<63))
	binary.BigEndian.PutUint32(k[8:], uint32(t.Nanosecond()))
	return k
}

// deadlineKey is the idx_deadline key: RTS deadline then order id.
func deadlineKey(t time.Time, id string) []byte {
	return append(timeKey(t), id...)
}

// stateKey is the idx_state key: state, 0, RTS deadline, order id.
func stateKey(s order.State, t time.Time, id string) []byte {
	k := make([]byte, 0, len(s)+1+12+len(id))
	k = append(k, s...)
	k = append(k, 0)
	return append(k, deadlineKey(t, id)...)
}

// orderIndexFields are the fields of a stored order its indexes depend on.
type orderIndexFields struct {
	State       order.State `json:"state"`
	RTSDeadline time.Time   `json:"rts_deadline"`
	Packages    []string    `json:"packages"`
	Rev         uint64      `json:"rev"`
}

// decodeOrder decodes a stored order; a bad value is ErrCorrupt.
func decodeOrder(key, v []byte) (order.Order, error) {
	var o order.Order
	if err := json.Unmarshal(v, &o); err != nil {
		return order.Order{}, fmt.Errorf("%w: order %q cannot be decoded: %v", ErrCorrupt, key, err)
	}
	if o.ID != string(key) {
		return order.Order{}, fmt.Errorf("%w: order record %q holds order %q", ErrCorrupt, key, o.ID)
	}
	if !o.State.Valid() {
		return order.Order{}, fmt.Errorf("%w: order %q has unknown state %q", ErrCorrupt, key, o.State)
	}
	return o, nil
}

// validID checks an id used inside index keys.
func validID(kind, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%s id is empty", kind)
	case len(id) > 512:
		return fmt.Errorf("%s id is %d bytes long; at most 512 are allowed", kind, len(id))
	case strings.IndexByte(id, 0) >= 0:
		return fmt.Errorf("%s id %q contains a NUL byte", kind, id)
	}
	return nil
}

// Order returns the order with the given id, or an error that is ErrNotFound.
func (tx *Tx) Order(id string) (order.Order, error) {
	b, err := tx.bucket([]byte(bOrders))
	if err != nil {
		return order.Order{}, err
	}
	v := b.Get([]byte(id))
	if v == nil {
		return order.Order{}, fmt.Errorf("order %q: %w", id, ErrNotFound)
	}
	return decodeOrder([]byte(id), v)
}

// orderBuckets are the buckets an order write touches.
type orderBuckets struct {
	orders, state, pkg, deadline *bolt.Bucket
}

func (tx *Tx) orderBuckets() (orderBuckets, error) {
	var ob orderBuckets
	var err error
	if ob.orders, err = tx.bucket([]byte(bOrders)); err != nil {
		return ob, err
	}
	if ob.state, err = tx.bucket([]byte(bIdxState)); err != nil {
		return ob, err
	}
	if ob.pkg, err = tx.bucket([]byte(bIdxPackage)); err != nil {
		return ob, err
	}
	ob.deadline, err = tx.bucket([]byte(bIdxDeadline))
	return ob, err
}

// PutOrder writes o, replacing any stored order with the same id. It sets
// o.Rev to one more than the larger of o.Rev and the stored Rev, so Rev only
// grows, and keeps the state, package and deadline indexes in step: entries
// for the old state, deadline and packages are removed. An empty State is
// stored as order.Pulled.
func (tx *Tx) PutOrder(o *order.Order) error {
	ob, err := tx.orderBuckets()
	if err != nil {
		return err
	}
	var old *orderIndexFields
	if v := ob.orders.Get([]byte(o.ID)); v != nil {
		var f orderIndexFields
		if err := json.Unmarshal(v, &f); err != nil {
			return fmt.Errorf("%w: stored order %q cannot be decoded (%v): delete it with DeleteOrder and pull it again", ErrCorrupt, o.ID, err)
		}
		old = &f
	}
	return putOrder(ob, o, old, nil)
}

// putOrder writes o and its index entries; old holds the stored order's
// indexed fields, nil when there is none. pre, when set, is o already
// encoded as a new order (State defaulted, Rev+1); it is used only when old
// is nil.
func putOrder(ob orderBuckets, o *order.Order, old *orderIndexFields, pre []byte) error {
	if err := validID("order", o.ID); err != nil {
		return fmt.Errorf("storing order: %w", err)
	}
	if o.State == "" {
		o.State = order.Pulled
	}
	if !o.State.Valid() {
		return fmt.Errorf("storing order %s: unknown state %q", o.ID, o.State)
	}
	for _, p := range o.Packages {
		if err := validID("package", p); err != nil {
			return fmt.Errorf("storing order %s: %w", o.ID, err)
		}
	}
	rev := o.Rev
	if old != nil && old.Rev > rev {
		rev = old.Rev
	}
	o.Rev = rev + 1
	v := pre
	if old != nil || v == nil {
		var err error
		if v, err = json.Marshal(o); err != nil {
			o.Rev = rev
			return fmt.Errorf("encoding order %s: %w", o.ID, err)
		}
	}
	id := []byte(o.ID)
	if err := ob.orders.Put(id, v); err != nil {
		return fmt.Errorf("storing order %s: %w", o.ID, err)
	}
	if old != nil {
		if old.State != o.State || !old.RTSDeadline.Equal(o.RTSDeadline) {
			if err := ob.state.Delete(stateKey(old.State, old.RTSDeadline, o.ID)); err != nil {
				return err
			}
		}
		if !old.RTSDeadline.Equal(o.RTSDeadline) {
			if err := ob.deadline.Delete(deadlineKey(old.RTSDeadline, o.ID)); err != nil {
				return err
			}
		}
		for _, p := range old.Packages {
			if !slices.Contains(o.Packages, p) {
				if cur := ob.pkg.Get([]byte(p)); bytes.Equal(cur, id) {
					if err := ob.pkg.Delete([]byte(p)); err != nil {
						return err
					}
				}
			}
		}
	}
	if err := ob.state.Put(stateKey(o.State, o.RTSDeadline, o.ID), nil); err != nil {
		return err
	}
	if err := ob.deadline.Put(deadlineKey(o.RTSDeadline, o.ID), nil); err != nil {
		return err
	}
	for _, p := range o.Packages {
		if err := ob.pkg.Put([]byte(p), id); err != nil {
			return err
		}
	}
	return nil
}

// DeleteOrder removes an order and its index entries; ErrNotFound when it
// does not exist. Its audit entries stay.
func (tx *Tx) DeleteOrder(id string) error {
	ob, err := tx.orderBuckets()
	if err != nil {
		return err
	}
	v := ob.orders.Get([]byte(id))
	if v == nil {
		return fmt.Errorf("order %q: %w", id, ErrNotFound)
	}
	var f orderIndexFields
	if err := json.Unmarshal(v, &f); err != nil {
		// A damaged record: remove every index entry that points at it.
		tx.db.log.Warn("deleting an undecodable order; sweeping its index entries", "order", id, "err", err)
		return sweepOrder(ob, id)
	}
	if err := ob.state.Delete(stateKey(f.State, f.RTSDeadline, id)); err != nil {
		return err
	}
	if err := ob.deadline.Delete(deadlineKey(f.RTSDeadline, id)); err != nil {
		return err
	}
	for _, p := range f.Packages {
		if cur := ob.pkg.Get([]byte(p)); bytes.Equal(cur, []byte(id)) {
			if err := ob.pkg.Delete([]byte(p)); err != nil {
				return err
			}
		}
	}
	return ob.orders.Delete([]byte(id))
}

// sweepOrder removes an order and every index entry naming it by scanning.
func sweepOrder(ob orderBuckets, id string) error {
	var dead [][]byte
	collect := func(b *bolt.Bucket, match func(k, v []byte) bool) {
		dead = dead[:0]
		_ = b.ForEach(func(k, v []byte) error {
			if match(k, v) {
				dead = append(dead, slices.Clone(k))
			}
			return nil
		})
	}
	del := func(b *bolt.Bucket) error {
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	}
	collect(ob.state, func(k, _ []byte) bool {
		i := bytes.IndexByte(k, 0)
		return i >= 0 && len(k) >= i+13 && string(k[i+13:]) == id
	})
	if err := del(ob.state); err != nil {
		return err
	}
	collect(ob.deadline, func(k, _ []byte) bool { return len(k) >= 12 && string(k[12:]) == id })
	if err := del(ob.deadline); err != nil {
		return err
	}
	collect(ob.pkg, func(_, v []byte) bool { return string(v) == id })
	if err := del(ob.pkg); err != nil {
		return err
	}
	return ob.orders.Delete([]byte(id))
}

// OrdersInState returns the orders in any of the given states, by RTS
// deadline ascending (orders without a deadline first), then by id.
func (tx *Tx) OrdersInState(states ...order.State) ([]order.Order, error) {
	return tx.FirstOrdersInState(0, states...)
}

// FirstOrdersInState is OrdersInState for the first max orders only (0 =
// all): it reads the index for every order but decodes only those it
// returns, so a short list stays cheap with many orders stored.
func (tx *Tx) FirstOrdersInState(max int, states ...order.State) ([]order.Order, error) {
	ob, err := tx.orderBuckets()
	if err != nil {
		return nil, err
	}
	type entry struct {
		key   []byte // deadline key + id
		state order.State
	}
	var keys []entry
	seen := map[order.State]bool{}
	for _, s := range states {
		if seen[s] {
			continue
		}
		seen[s] = true
		prefix := append([]byte(s), 0)
		c := ob.state.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			keys = append(keys, entry{slices.Clone(k[len(prefix):]), s})
		}
	}
	if len(seen) > 1 {
		sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i].key, keys[j].key) < 0 })
	}
	if max > 0 && len(keys) > max {
		keys = keys[:max]
	}
	vals := make([][]byte, len(keys))
	for i, k := range keys {
		if len(k.key) < 12 {
			return nil, fmt.Errorf("%w: state index key %x is short", ErrCorrupt, k.key)
		}
		id := k.key[12:]
		if vals[i] = ob.orders.Get(id); vals[i] == nil {
			return nil, fmt.Errorf("%w: the state index names order %q, which does not exist", ErrCorrupt, id)
		}
	}
	// The values stay mapped until the transaction ends; decode them on
	// every core before returning.
	decoded := make([]order.Order, len(keys))
	errs := make([]error, len(keys))
	decodeRange := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			decoded[i], errs[i] = decodeOrder(keys[i].key[12:], vals[i])
		}
	}
	if workers := min(runtime.GOMAXPROCS(0), len(keys)/256); workers > 1 {
		var wg sync.WaitGroup
		per := (len(keys) + workers - 1) / workers
		for lo := 0; lo < len(keys); lo += per {
			wg.Go(func() { decodeRange(lo, min(lo+per, len(keys))) })
		}
		wg.Wait()
	} else {
		decodeRange(0, len(keys))
	}
	out := decoded[:0]
	for i, o := range decoded {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if o.State != keys[i].state {
			// A stale entry: the order is listed under its real state.
			tx.db.log.Error("state index out of step; entry ignored", "order", o.ID, "index_state", keys[i].state, "state", o.State)
			continue
		}
		out = append(out, o)
	}
	return out, nil
}

// OpenOrders returns every order whose state still needs warehouse work
// (order.State.Open), by RTS deadline ascending.
func (tx *Tx) OpenOrders() ([]order.Order, error) { return tx.FirstOpenOrders(0) }

// FirstOpenOrders returns the max open orders due first (0 = all).
func (tx *Tx) FirstOpenOrders(max int) ([]order.Order, error) {
	var open []order.State
	for _, s := range order.States {
		if s.Open() {
			open = append(open, s)
		}
	}
	return tx.FirstOrdersInState(max, open...)
}

// OrderIDsDueBefore returns the ids of orders (in any state) whose RTS
// deadline is before t, earliest first, at most max (0 = all).
func (tx *Tx) OrderIDsDueBefore(t time.Time, max int) ([]string, error) {
	ob, err := tx.orderBuckets()
	if err != nil {
		return nil, err
	}
	end := timeKey(t)
	var ids []string
	c := ob.deadline.Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k[:min(len(k), 12)], end) < 0; k, _ = c.Next() {
		if len(k) < 12 {
			return nil, fmt.Errorf("%w: deadline index key %x is short", ErrCorrupt, k)
		}
		ids = append(ids, string(k[12:]))
		if max > 0 && len(ids) == max {
			break
		}
	}
	return ids, nil
}

// ForEachOrder calls fn with every order, by id. fn must not write orders;
// collect what to change and write it after ForEachOrder returns. An error
// from fn stops the walk and is returned.
func (tx *Tx) ForEachOrder(fn func(*order.Order) error) error {
	b, err := tx.bucket([]byte(bOrders))
	if err != nil {
		return err
	}
	return b.ForEach(func(k, v []byte) error {
		o, err := decodeOrder(k, v)
		if err != nil {
			return err
		}
		return fn(&o)
	})
}

// OrderIDByPackage returns the id of the order an upstream package belongs
// to, or an error that is ErrNotFound.
func (tx *Tx) OrderIDByPackage(packageID string) (string, error) {
	b, err := tx.bucket([]byte(bIdxPackage))
	if err != nil {
		return "", err
	}
	v := b.Get([]byte(packageID))
	if v == nil {
		return "", fmt.Errorf("package %q: %w", packageID, ErrNotFound)
	}
	return string(v), nil
}

// CountOrders returns how many orders are stored.
func (tx *Tx) CountOrders() (int, error) {
	b, err := tx.bucket([]byte(bOrders))
	if err != nil {
		return 0, err
	}
	return countKeys(b), nil
}

func countKeys(b *bolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// CountByState counts orders per state through the state index, without
// decoding them.
func (tx *Tx) CountByState() (map[order.State]int, error) {
	b, err := tx.bucket([]byte(bIdxState))
	if err != nil {
		return nil, err
	}
	counts := map[order.State]int{}
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			return nil, fmt.Errorf("%w: state index key %x has no separator", ErrCorrupt, k)
		}
		counts[order.State(k[:i])]++
	}
	return counts, nil
}

// PutOrdersChunk is how many orders PutOrders writes per transaction.
const PutOrdersChunk = 500

// PutOrders stores many orders, PutOrdersChunk per transaction, for bulk
// intake. When an order already exists, merge decides what is stored: it gets
// the stored order and the incoming one and returns the order to store, or
// false to leave the stored one as it is. A nil merge stores the incoming
// order. It returns how many orders were written; on error, the chunks before
// the failing one stay committed.
func (db *DB) PutOrders(orders []order.Order, merge func(old *order.Order, incoming order.Order) (order.Order, bool)) (int, error) {
	// Write in key order, across the whole batch: each transaction then
	// touches a narrow range of the tree, so a commit rewrites few pages.
	// The sort is stable, so of two copies of one order the later wins.
	idx := make([]int, len(orders))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return orders[idx[a]].ID < orders[idx[b]].ID })

	// Encode the next chunk as new orders while the current one commits.
	type encoded struct {
		chunk []int
		pre   [][]byte
	}
	chunks := make(chan encoded, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(chunks)
		for start := 0; start < len(idx); start += PutOrdersChunk {
			e := encoded{chunk: idx[start:min(start+PutOrdersChunk, len(idx))]}
			e.pre = make([][]byte, len(e.chunk))
			for j, i := range e.chunk {
				o := orders[i]
				if o.State == "" {
					o.State = order.Pulled
				}
				o.Rev++
				e.pre[j], _ = json.Marshal(&o)
			}
			select {
			case chunks <- e:
			case <-stop:
				return
			}
		}
	}()

	written := 0
	for e := range chunks {
		n := 0
		err := db.Update(func(tx *Tx) error {
			n = 0
			ob, err := tx.orderBuckets()
			if err != nil {
				return err
			}
			ob.orders.FillPercent = bulkFillPercent
			for j, i := range e.chunk {
				in := orders[i]
				var old *orderIndexFields
				if v := ob.orders.Get([]byte(in.ID)); v != nil {
					prev, err := decodeOrder([]byte(in.ID), v)
					if err != nil {
						return err
					}
					old = &orderIndexFields{State: prev.State, RTSDeadline: prev.RTSDeadline, Packages: prev.Packages, Rev: prev.Rev}
					if merge != nil {
						m, ok := merge(&prev, in)
						if !ok {
							continue
						}
						if m.ID != in.ID {
							return fmt.Errorf("merging order %s: the merge returned order %q", in.ID, m.ID)
						}
						in = m
					}
				}
				if err := putOrder(ob, &in, old, e.pre[j]); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return written, fmt.Errorf("storing a batch of %d orders (%d of %d already stored): %w", len(e.chunk), written, len(orders), err)
		}
		written += n
	}
	return written, nil
}

// bulkFillPercent packs order pages fuller during bulk intake, where keys
// mostly arrive in order.
const bulkFillPercent = 0.8
