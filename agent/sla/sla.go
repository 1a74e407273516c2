// Package sla computes dispatch deadlines and urgency on the warehouse's
// business-day calendar: its time zone, weekends and holidays. Times from
// TikTok arrive as UTC instants; only the calendar arithmetic happens in the
// warehouse's zone.
package sla

import (
	"errors"
	"fmt"
	"time"

	"github.com/packline/packline/agent/order"
)

// Urgency levels, equal to the apitype Urgency constants.
const (
	Late   = "late"
	Due    = "due"
	Soon   = "soon"
	Normal = "normal"
)

// DueWindow is how close a deadline must be to count as Due.
const DueWindow = 4 * time.Hour

// Calendar is a warehouse's business-day calendar.
type Calendar struct {
	loc      *time.Location
	holidays map[civilDate]bool
	// days is the dispatch promise in business days.
	days int
}

type civilDate struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) civilDate {
	y, m, d := t.Date()
	return civilDate{y, m, d}
}

// New returns the calendar of the IANA zone tz with holidays given as
// YYYY-MM-DD dates and a dispatch promise of days business days.
func New(tz string, holidays []string, days int) (*Calendar, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: use an IANA zone like America/Chicago: %w", tz, err)
	}
	if days < 0 {
		return nil, errors.New("dispatch days must not be negative")
	}
	c := &Calendar{loc: loc, holidays: map[civilDate]bool{}, days: days}
	for _, h := range holidays {
		t, err := time.ParseInLocation("2006-01-02", h, loc)
		if err != nil {
			return nil, fmt.Errorf("holiday %q is not a date like 2026-12-25: %w", h, err)
		}
		c.holidays[dateOf(t)] = true
	}
	return c, nil
}

// Location is the warehouse's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsBusinessDay reports whether t falls on a business day in the warehouse.
func (c *Calendar) IsBusinessDay(t time.Time) bool {
	t = t.In(c.loc)
	switch t.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return !c.holidays[dateOf(t)]
}

// startOfDay is local midnight of t's day; it is computed from the date,
// so a DST change that day does not shift it.
func (c *Calendar) startOfDay(t time.Time) time.Time {
	t = t.In(c.loc)
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, c.loc)
}

// nextDay is local midnight of the day after t's day.
func (c *Calendar) nextDay(t time.Time) time.Time {
	t = t.In(c.loc)
	y, m, d := t.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, c.loc)
}

// EndOfBusinessDays returns the end (next local midnight) of the n-th
// business day after t's day. n = 0 is the end of t's own day if that is a
// business day, else of the next business day.
func (c *Calendar) EndOfBusinessDays(t time.Time, n int) time.Time {
	day := c.startOfDay(t)
	if n == 0 {
		for !c.IsBusinessDay(day) {
			day = c.nextDay(day)
		}
		return c.nextDay(day)
	}
	for n > 0 {
		day = c.nextDay(day)
		if c.IsBusinessDay(day) {
			n--
		}
	}
	return c.nextDay(day)
}

// Deadline is when o must be dispatched: TikTok's rts_sla_time when known,
// else the end of the promised number of business days after payment (or
// creation, for an order with no paid time).
func (c *Calendar) Deadline(o *order.Order) time.Time {
	if !o.RTSDeadline.IsZero() {
		return o.RTSDeadline
	}
	start := o.PaidTime
	if start.IsZero() {
		start = o.CreateTime
	}
	if start.IsZero() {
		return time.Time{}
	}
	return c.EndOfBusinessDays(start, c.days)
}

// Urgency ranks a deadline at now: Late when passed, Due when less than
// four hours are left, Soon when it falls today in warehouse time, else
// Normal. An unknown (zero) deadline is Normal.
func (c *Calendar) Urgency(deadline, now time.Time) string {
	switch {
	case deadline.IsZero():
		return Normal
	case !now.Before(deadline):
		return Late
	case deadline.Sub(now) < DueWindow:
		return Due
	case dateOf(deadline.In(c.loc)) == dateOf(now.In(c.loc)) || deadline.Equal(c.nextDay(now)):
		return Soon
	}
	return Normal
}

// Dispatch is one order's deadline and when it was dispatched (reached
// TikTok's ready-to-ship: its label bought).
type Dispatch struct {
	Deadline     time.Time
	DispatchedAt time.Time
}

// Late reports whether the dispatch missed its deadline.
func (d Dispatch) Late() bool {
	return !d.Deadline.IsZero() && d.DispatchedAt.After(d.Deadline)
}

// LateRate is the late-dispatch rate over the window [from, to): orders
// dispatched after their deadline divided by orders dispatched, counted by
// dispatch time. It is 0 when nothing was dispatched.
func LateRate(ds []Dispatch, from, to time.Time) (rate float64, late, total int) {
	for _, d := range ds {
		if d.DispatchedAt.IsZero() || d.DispatchedAt.Before(from) || !d.DispatchedAt.Before(to) {
			continue
		}
		total++
		if d.Late() {
			late++
		}
	}
	if total == 0 {
		return 0, 0, 0
	}
	return float64(late) / float64(total), late, total
}
