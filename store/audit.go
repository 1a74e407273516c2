package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// AuditEntry is one line of the append-only audit log: who did what to which
// order, where.
type AuditEntry struct {
	At      time.Time `json:"at"`
	OrderID string    `json:"order_id,omitempty"`
	Station string    `json:"station,omitempty"`
	Actor   string    `json:"actor,omitempty"`
	Action  string    `json:"action"`
	Detail  string    `json:"detail,omitempty"`
}

func auditIndexKey(orderID string, seq []byte) []byte {
	k := make([]byte, 0, len(orderID)+1+len(seq))
	k = append(k, orderID...)
	k = append(k, 0)
	return append(k, seq...)
}

// Audit appends an entry to the audit log. A zero At is set to now.
func (tx *Tx) Audit(e AuditEntry) error {
	b, err := tx.bucket([]byte(bAudit))
	if err != nil {
		return err
	}
	ix, err := tx.bucket([]byte(bIdxAudit))
	if err != nil {
		return err
	}
	if e.Action == "" {
		return fmt.Errorf("audit entry for order %q has no action", e.OrderID)
	}
	if e.OrderID != "" {
		if err := validID("order", e.OrderID); err != nil {
			return fmt.Errorf("audit entry: %w", err)
		}
	}
	if e.At.IsZero() {
		e.At = tx.db.now().UTC()
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding audit entry: %w", err)
	}
	k := seqKey(seq)
	if err := b.Put(k, v); err != nil {
		return err
	}
	if e.OrderID != "" {
		return ix.Put(auditIndexKey(e.OrderID, k), nil)
	}
	return nil
}

// decodeAudit decodes a stored audit entry; a bad value is ErrCorrupt.
func decodeAudit(key, v []byte) (AuditEntry, error) {
	var e AuditEntry
	if err := json.Unmarshal(v, &e); err != nil {
		return AuditEntry{}, fmt.Errorf("%w: audit entry %x cannot be decoded: %v", ErrCorrupt, key, err)
	}
	return e, nil
}

// AuditLog returns the audit entries of one order, oldest first.
func (tx *Tx) AuditLog(orderID string) ([]AuditEntry, error) {
	b, err := tx.bucket([]byte(bAudit))
	if err != nil {
		return nil, err
	}
	ix, err := tx.bucket([]byte(bIdxAudit))
	if err != nil {
		return nil, err
	}
	prefix := auditIndexKey(orderID, nil)
	var out []AuditEntry
	c := ix.Cursor()
	for k, _ := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
		seq := k[len(prefix):]
		v := b.Get(seq)
		if v == nil {
			return nil, fmt.Errorf("%w: the audit index names entry %x, which does not exist", ErrCorrupt, seq)
		}
		e, err := decodeAudit(seq, v)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
