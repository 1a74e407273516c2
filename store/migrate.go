package store

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// Bucket names.
const (
	bMeta        = "meta"        // schema version and store facts
	bSettings    = "settings"    // SetMeta values
	bOrders      = "orders"      // order id -> JSON order.Order
	bIdxState    = "idx_state"   // state 0 deadline id -> ""
	bIdxPackage  = "idx_package" // package id -> order id
	bIdxDeadline = "idx_deadline"
	bOutbox      = "outbox"      // seq -> JSON Event
	bOutboxDead  = "outbox_dead" // seq -> JSON Event
	bDelivered   = "delivered"   // event id -> ack time
	bAudit       = "audit"       // seq -> JSON AuditEntry
	bIdxAudit    = "idx_audit"   // order id 0 seq -> ""
	bDocuments   = "documents"   // key -> bytes
	bProducts    = "products"    // product id -> JSON order.Product
	bBarcodes    = "barcodes"    // GTIN-14 or code -> JSON barcode
)

const keySchema = "schema_version"

// migration moves the schema to version to. It runs inside the migration
// transaction and must only use bbolt directly, never the Tx helpers, which
// follow the newest schema.
type migration struct {
	to   int
	name string
	up   func(tx *bolt.Tx) error
}

// migrations returns the schema history, oldest first.
func migrations() []migration {
	return []migration{
		{to: 1, name: "create buckets", up: func(tx *bolt.Tx) error {
			for _, n := range []string{bMeta, bSettings, bOrders, bIdxState, bIdxPackage, bOutbox, bOutboxDead, bDelivered, bAudit, bDocuments, bProducts, bBarcodes} {
				if _, err := tx.CreateBucketIfNotExists([]byte(n)); err != nil {
					return fmt.Errorf("creating bucket %s: %w", n, err)
				}
			}
			return nil
		}},
		{to: 2, name: "index orders by deadline and audit entries by order", up: migrateV2},
	}
}

// migrateV2 adds the RTS deadline index and the audit-by-order index and
// fills them from the existing records.
func migrateV2(tx *bolt.Tx) error {
	dl, err := tx.CreateBucketIfNotExists([]byte(bIdxDeadline))
	if err != nil {
		return err
	}
	ia, err := tx.CreateBucketIfNotExists([]byte(bIdxAudit))
	if err != nil {
		return err
	}
	err = tx.Bucket([]byte(bOrders)).ForEach(func(k, v []byte) error {
		var o orderIndexFields
		if err := json.Unmarshal(v, &o); err != nil {
			return fmt.Errorf("%w: order %q: %v", ErrCorrupt, k, err)
		}
		return dl.Put(deadlineKey(o.RTSDeadline, string(k)), nil)
	})
	if err != nil {
		return err
	}
	return tx.Bucket([]byte(bAudit)).ForEach(func(k, v []byte) error {
		var e AuditEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("%w: audit entry %x: %v", ErrCorrupt, k, err)
		}
		if e.OrderID == "" {
			return nil
		}
		return ia.Put(auditIndexKey(e.OrderID, k), nil)
	})
}

// schemaVersion reads the version of an open file: 0 for a new, empty file.
func schemaVersion(tx *bolt.Tx) (int, error) {
	m := tx.Bucket([]byte(bMeta))
	if m == nil {
		empty := true
		_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if !empty {
			return 0, fmt.Errorf("the file is not a Packline store (it has no %q bucket): check store.path", bMeta)
		}
		return 0, nil
	}
	v := m.Get([]byte(keySchema))
	if v == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, fmt.Errorf("%w: schema version %q: %v", ErrCorrupt, v, err)
	}
	return n, nil
}

// migrate brings the file to the newest schema. An existing file is backed
// up to BackupDir first; all pending migrations run in one transaction, so a
// failure leaves the file as it was. Failures that opening again would only
// repeat (and back up again) are ErrMigration.
func (db *DB) migrate(migs []migration) error {
	latest := 0
	if len(migs) > 0 {
		latest = migs[len(migs)-1].to
	}
	var cur int
	if err := db.bolt.View(func(tx *bolt.Tx) (err error) { cur, err = schemaVersion(tx); return err }); err != nil {
		return fmt.Errorf("opening store %s: %w", db.path, err)
	}
	db.schema = cur
	if cur > latest {
		return &migrationError{fmt.Errorf("store %s has schema v%d, newer than this packline-agent knows (v%d): upgrade packline-agent or restore an older backup", db.path, cur, latest)}
	}
	if cur == latest {
		return nil
	}
	backup := ""
	if cur > 0 {
		if db.opt.BackupDir == "" {
			return &migrationError{fmt.Errorf("store %s needs migrating from schema v%d to v%d but no backup directory is set: set store.backup_dir", db.path, cur, latest)}
		}
		if err := os.MkdirAll(db.opt.BackupDir, 0o750); err != nil {
			return fmt.Errorf("creating backup directory: %w", err)
		}
		backup = filepath.Join(db.opt.BackupDir, fmt.Sprintf("pre-migrate-v%d-%s.db", latest, db.now().UTC().Format("20060102T150405Z")))
		if err := db.backupFile(backup); err != nil {
			return fmt.Errorf("backing up %s before migrating it to schema v%d: %w (nothing was changed)", db.path, latest, err)
		}
		db.log.Info("store backed up before migration", "backup", backup, "from", cur, "to", latest)
	}
	var at migration
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		for _, m := range migs {
			if m.to <= cur {
				continue
			}
			at = m
			if err := m.up(tx); err != nil {
				return err
			}
		}
		mb, err := tx.CreateBucketIfNotExists([]byte(bMeta))
		if err != nil {
			return err
		}
		return mb.Put([]byte(keySchema), []byte(strconv.Itoa(latest)))
	})
	if err != nil {
		err = db.mapErr(err)
		if backup != "" {
			return &migrationError{fmt.Errorf("migrating store %s from schema v%d to v%d failed at v%d (%s): %w; the file was not changed and a copy is in %s", db.path, cur, latest, at.to, at.name, err, backup)}
		}
		return fmt.Errorf("initialising store %s (schema v%d, %s): %w", db.path, at.to, at.name, err)
	}
	db.log.Info("store schema migrated", "from", cur, "to", latest)
	db.schema = latest
	return nil
}
