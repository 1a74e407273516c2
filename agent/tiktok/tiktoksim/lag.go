package tiktoksim

import "time"

// SetOrderDetailLag makes Get Order Detail lag behind label purchases: for d
// of sim time after a package is created, the order reads as if it did not
// exist (no packages[] entry, no package on its line items, and the status
// it had before), as a replica that has not caught up would show it.
// Package Detail and Search Package see the package at once. Zero turns the
// lag off.
func (s *Sim) SetOrderDetailLag(d time.Duration) {
	s.mu.Lock()
	s.detailLag = max(d, 0)
	s.mu.Unlock()
}

// lagged hides from c, a copy of an order, the packages created less than
// the Order Detail lag before now. Callers hold s.mu.
func (s *Sim) lagged(c *Order, now time.Time) {
	if s.detailLag <= 0 || len(c.Packages) == 0 {
		return
	}
	fresh := map[string]bool{}
	var kept []PackageRef
	for _, ref := range c.Packages {
		if p := s.packages[ref.ID]; p != nil && now.Sub(time.Unix(p.w.CreateTime, 0)) < s.detailLag {
			fresh[ref.ID] = true
			continue
		}
		kept = append(kept, ref)
	}
	if len(fresh) == 0 {
		return
	}
	c.Packages = kept
	packaged := false
	for i := range c.LineItems {
		li := &c.LineItems[i]
		if fresh[li.PackageID] {
			li.PackageID, li.PackageStatus, li.TrackingNumber, li.ShippingProviderID, li.ShippingProvider = "", "", "", "", ""
			if li.CancelUser == "" {
				li.DisplayStatus = StatusAwaitingShipment
			}
		}
		packaged = packaged || li.PackageID != ""
	}
	switch {
	case c.Status != StatusAwaitingCollection && c.Status != StatusPartiallyShipping:
	case packaged:
		c.Status = StatusPartiallyShipping
	default:
		c.Status = StatusAwaitingShipment
		c.TrackingNumber, c.ShippingProviderID, c.ShippingProvider = "", "", ""
	}
}
