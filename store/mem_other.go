//go:build !linux

package store

import bolt "go.etcd.io/bbolt"

// releaseMapped is a no-op where the mapping's resident pages are not
// released explicitly.
func releaseMapped(*bolt.DB, int64) {}
