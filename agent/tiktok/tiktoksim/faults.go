package tiktoksim

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// FaultKind is a kind of upstream failure the simulator can inject.
type FaultKind int

// Fault kinds.
const (
	// RateLimit answers HTTP 429, code 36009002, with a Retry-After header.
	RateLimit FaultKind = iota + 1
	// ServerError answers HTTP 500 (or Fault.Status, e.g. 503), code 36009003.
	ServerError
	// Slow waits Fault.Delay before handling the request normally. The
	// delay is on the way in: if the client gives up first, the request is
	// never handled (use DropAfterSuccess for work done but unanswered).
	Slow
	// Reset closes the connection without answering.
	Reset
	// DropAfterSuccess handles the request (a label is bought, say), then
	// closes the connection without sending the answer.
	DropAfterSuccess
	// TokenExpiry expires the access token the request carries and answers
	// 105002, as when a token runs out mid-shift. Requests without a token
	// are not affected.
	TokenExpiry
)

var faultNames = map[FaultKind]string{
	RateLimit: "rate_limit", ServerError: "server_error", Slow: "slow", Reset: "reset",
	DropAfterSuccess: "drop_after_success", TokenExpiry: "token_expiry",
}

// String returns the kind's name as used by the HTTP control API.
func (k FaultKind) String() string {
	if n, ok := faultNames[k]; ok {
		return n
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// MarshalText encodes the kind by name.
func (k FaultKind) MarshalText() ([]byte, error) {
	if _, ok := faultNames[k]; !ok {
		return nil, fmt.Errorf("unknown fault kind %d", int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads a kind by name (rate_limit, server_error, slow,
// reset, drop_after_success, token_expiry).
func (k *FaultKind) UnmarshalText(b []byte) error {
	for kind, n := range faultNames {
		if n == string(b) {
			*k = kind
			return nil
		}
	}
	names := make([]string, 0, len(faultNames))
	for kind := RateLimit; kind <= TokenExpiry; kind++ {
		names = append(names, faultNames[kind])
	}
	return fmt.Errorf("unknown fault kind %q: use one of %s", b, strings.Join(names, ", "))
}

// Fault is a failure to inject into matching requests.
type Fault struct {
	// Path is a path prefix the fault applies to ("" = every request,
	// /_sim/docs/ downloads included, the /_sim control API excluded).
	Path string
	Kind FaultKind
	// Count is how many requests it affects: 0 means 1, negative means
	// every matching request until ClearFaults.
	Count int
	// Status is the HTTP status of a ServerError (500 by default, or 503).
	Status int
	// Delay is how long a Slow request waits (1 s by default).
	Delay time.Duration
	// RetryAfter is the Retry-After of a RateLimit (1 s by default).
	RetryAfter time.Duration
}

// faultJSON is a Fault on the HTTP control API.
type faultJSON struct {
	Path        string    `json:"path"`
	Kind        FaultKind `json:"kind"`
	Count       int       `json:"count"`
	Status      int       `json:"status,omitempty"`
	DelayMS     int64     `json:"delay_ms,omitempty"`
	RetryAfterS int       `json:"retry_after_s,omitempty"`
}

func (f Fault) toJSON() faultJSON {
	return faultJSON{Path: f.Path, Kind: f.Kind, Count: f.Count, Status: f.Status, DelayMS: f.Delay.Milliseconds(), RetryAfterS: int(f.RetryAfter / time.Second)}
}

func (j faultJSON) fault() Fault {
	return Fault{Path: j.Path, Kind: j.Kind, Count: j.Count, Status: j.Status, Delay: time.Duration(j.DelayMS) * time.Millisecond, RetryAfter: time.Duration(j.RetryAfterS) * time.Second}
}

// MarshalJSON encodes f as the control API does: {"path", "kind",
// "count", "status", "delay_ms", "retry_after_s"}.
func (f Fault) MarshalJSON() ([]byte, error) { return json.Marshal(f.toJSON()) }

// UnmarshalJSON decodes the control API's form of a fault.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var j faultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = j.fault()
	return nil
}

type activeFault struct {
	f    Fault
	left int // < 0: unlimited
}

// Inject adds a fault. Faults apply in the order injected; a request takes
// at most one.
func (s *Sim) Inject(f Fault) error {
	if _, ok := faultNames[f.Kind]; !ok {
		return fmt.Errorf("inject fault: unknown kind %d", int(f.Kind))
	}
	if f.Kind == ServerError && f.Status == 0 {
		f.Status = 500
	}
	if f.Kind == ServerError && (f.Status < 500 || f.Status > 599) {
		return fmt.Errorf("inject fault: server error status %d is not a 5xx", f.Status)
	}
	if f.Kind == Slow && f.Delay <= 0 {
		f.Delay = time.Second
	}
	if f.Kind == RateLimit && f.RetryAfter <= 0 {
		f.RetryAfter = time.Second
	}
	left := f.Count
	if left == 0 {
		left = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, &activeFault{f: f, left: left})
	s.mu.Unlock()
	return nil
}

// ClearFaults removes every pending fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// Faults lists the pending faults with the requests each still affects.
func (s *Sim) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, a := range s.faults {
		f := a.f
		f.Count = a.left
		out = append(out, f)
	}
	return out
}

// takeFault consumes and returns the first fault matching the request.
func (s *Sim) takeFault(path string, hasToken bool) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, a := range s.faults {
		if !strings.HasPrefix(path, a.f.Path) {
			continue
		}
		if a.f.Kind == TokenExpiry && !hasToken {
			continue
		}
		if a.left > 0 {
			a.left--
			if a.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return a.f, true
	}
	return Fault{}, false
}

// limiter is a token bucket per API path on the wall clock.
type limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// allow takes a token for path, or reports how long until one is free.
func (l *limiter) allow(path string, qps float64, burst int, now time.Time) (bool, time.Duration) {
	if burst <= 0 {
		burst = max(1, int(qps))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	b := l.buckets[path]
	if b == nil {
		b = &bucket{tokens: float64(burst), last: now}
		l.buckets[path] = b
	}
	b.tokens = min(float64(burst), b.tokens+now.Sub(b.last).Seconds()*qps)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / qps * float64(time.Second))
}
