package sla

import (
	"math"
	"testing"
	"time"

	"github.com/packline/packline/agent/order"
)

func mustCal(t *testing.T, tz string, hol ...string) *Calendar {
	t.Helper()
	c, err := New(tz, hol, 2)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDeadlineBusinessDays(t *testing.T) {
	c := mustCal(t, "America/Los_Angeles", "2026-11-26", "2026-12-25")
	la := c.Location()
	tests := []struct {
		name string
		paid time.Time
		want time.Time
	}{
		{"monday", time.Date(2026, 11, 16, 10, 0, 0, 0, la), time.Date(2026, 11, 19, 0, 0, 0, 0, la)},
		{"friday crosses weekend", time.Date(2026, 11, 20, 22, 0, 0, 0, la), time.Date(2026, 11, 25, 0, 0, 0, 0, la)},
		{"saturday", time.Date(2026, 11, 21, 9, 0, 0, 0, la), time.Date(2026, 11, 25, 0, 0, 0, 0, la)},
		{"thanksgiving", time.Date(2026, 11, 25, 9, 0, 0, 0, la), time.Date(2026, 12, 1, 0, 0, 0, 0, la)},
		{"christmas eve", time.Date(2026, 12, 24, 12, 0, 0, 0, la), time.Date(2026, 12, 30, 0, 0, 0, 0, la)},
		// DST ends 2026-11-01 in Los Angeles: the deadline is local midnight, 25 h days included.
		{"dst end", time.Date(2026, 10, 30, 15, 0, 0, 0, la), time.Date(2026, 11, 4, 0, 0, 0, 0, la)},
		// DST starts 2026-03-08.
		{"dst start", time.Date(2026, 3, 6, 15, 0, 0, 0, la), time.Date(2026, 3, 11, 0, 0, 0, 0, la)},
		// 2026-11-17 06:30 UTC is still Monday 16th evening in LA.
		{"utc instant, local day", time.Date(2026, 11, 17, 6, 30, 0, 0, time.UTC), time.Date(2026, 11, 19, 0, 0, 0, 0, la)},
	}
	for _, tt := range tests {
		o := &order.Order{PaidTime: tt.paid.UTC()}
		got := c.Deadline(o)
		if !got.Equal(tt.want) {
			t.Errorf("%s: deadline %v, want %v", tt.name, got.In(la), tt.want)
		}
		if got.In(la).Hour() != 0 || got.In(la).Minute() != 0 {
			t.Errorf("%s: deadline %v is not local midnight", tt.name, got.In(la))
		}
	}
	rts := time.Unix(1790000000, 0).UTC()
	if got := c.Deadline(&order.Order{PaidTime: time.Now(), RTSDeadline: rts}); !got.Equal(rts) {
		t.Errorf("rts deadline ignored: %v", got)
	}
	if got := c.Deadline(&order.Order{}); !got.IsZero() {
		t.Errorf("no times: %v", got)
	}
}

func TestIsBusinessDay(t *testing.T) {
	c := mustCal(t, "Europe/Berlin", "2026-12-25")
	berlin := c.Location()
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 12, 25, 12, 0, 0, 0, berlin), false},
		{time.Date(2026, 12, 24, 23, 30, 0, 0, time.UTC), false}, // already the 25th in Berlin
		{time.Date(2026, 12, 24, 22, 30, 0, 0, time.UTC), true},
		{time.Date(2026, 12, 26, 12, 0, 0, 0, berlin), false}, // Saturday
		{time.Date(2026, 12, 28, 12, 0, 0, 0, berlin), true},
	} {
		if got := c.IsBusinessDay(tt.at); got != tt.want {
			t.Errorf("IsBusinessDay(%v) = %v", tt.at, got)
		}
	}
}

func TestUrgency(t *testing.T) {
	c := mustCal(t, "America/New_York")
	ny := c.Location()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, ny)
	for _, tt := range []struct {
		deadline time.Time
		want     string
	}{
		{now.Add(-time.Minute), Late},
		{now, Late},
		{now.Add(3*time.Hour + 59*time.Minute), Due},
		{now.Add(4 * time.Hour), Soon},
		{time.Date(2026, 11, 25, 0, 0, 0, 0, ny), Soon}, // end of today
		{time.Date(2026, 11, 25, 0, 0, 1, 0, ny), Normal},
		{time.Time{}, Normal},
	} {
		if got := c.Urgency(tt.deadline, now); got != tt.want {
			t.Errorf("Urgency(%v) = %s, want %s", tt.deadline, got, tt.want)
		}
	}
}

func TestLateRate(t *testing.T) {
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	h := func(n int) time.Time { return base.Add(time.Duration(n) * time.Hour) }
	ds := []Dispatch{
		{Deadline: h(10), DispatchedAt: h(5)},
		{Deadline: h(10), DispatchedAt: h(11)}, // late
		{Deadline: h(10), DispatchedAt: h(10)}, // on the deadline is on time
		{Deadline: h(30), DispatchedAt: h(40)}, // late, outside window
		{Deadline: h(30)},                      // not dispatched
	}
	rate, late, total := LateRate(ds, h(0), h(24))
	if late != 1 || total != 3 || math.Abs(rate-1.0/3) > 1e-9 {
		t.Errorf("LateRate = %v %d/%d", rate, late, total)
	}
	if rate, _, total := LateRate(nil, h(0), h(1)); rate != 0 || total != 0 {
		t.Errorf("empty LateRate = %v", rate)
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New("Mars/Olympus", nil, 2); err == nil {
		t.Error("bad zone accepted")
	}
	if _, err := New("UTC", []string{"25/12/2026"}, 2); err == nil {
		t.Error("bad holiday accepted")
	}
}
