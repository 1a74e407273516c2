// Package relay delivers the outbox: it takes due events from the store in
// order (events of one order stay in order), hands each to the handler
// registered for its kind, and acknowledges, retries with full-jitter
// backoff, or gives up on it. Everything it knows is in the store, so it
// resumes where it stopped after a restart.
package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Event is one outbox event.
type Event struct {
	Seq       uint64
	ID        string
	Kind      string
	Aggregate string
	Payload   json.RawMessage
	CreatedAt time.Time
	Attempts  int
	// Undecodable, when set, is why the stored event cannot be read: the
	// relay moves it to the dead letters without delivering it, so it
	// holds back nothing.
	Undecodable string
}

// Stats describe the outbox and the relay's work since it started.
type Stats struct {
	Depth     int
	Dead      int
	Oldest    time.Time
	Delivered uint64
	Retried   uint64
	Failed    uint64
	LastError string
}

// Store is the outbox as the relay needs it.
type Store interface {
	DueEvents(now time.Time, max int) ([]Event, error)
	// Settle records the outcomes of delivered events in one transaction.
	Settle(outcomes []Outcome) error
	Stats() (Stats, error)
}

// Outcome is what became of one delivery attempt.
type Outcome struct {
	Seq uint64
	// Action is Ack, Retry or Dead.
	Action Action
	// Next is when a retried event is due again.
	Next time.Time
	// Cause is the error of a retried or dead event.
	Cause string
}

// Action is what the relay does with an event after a delivery attempt.
type Action int

// Actions.
const (
	Ack Action = iota + 1
	Retry
	Dead
)

// Handler delivers one event. A nil error acknowledges it; an error made
// with Permanent gives up on it; RetryAfter asks for a retry no sooner than
// the given delay; any other error retries with backoff.
type Handler func(ctx context.Context, ev Event) error

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying: the event goes to the dead
// letters for a person to look at.
func Permanent(err error) error { return &permanentError{err} }

// retryAfterError carries a server's Retry-After.
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter asks for a retry no sooner than d.
func RetryAfter(d time.Duration, err error) error { return &retryAfterError{err, d} }

// Options tune the relay.
type Options struct {
	// Base and Cap bound the full-jitter backoff: a retry waits
	// rand(0, min(Cap, Base·2^attempts)). Defaults 2 s and 10 min.
	Base, Cap time.Duration
	// Batch is how many events one pass takes (default 100).
	Batch int
	// Poll is how often the relay looks for due retries when not kicked
	// (default 1 s).
	Poll time.Duration
	// Timeout bounds one delivery (default 60 s).
	Timeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Jitter returns a number in [0, n); nil uses math/rand/v2.
	Jitter func(n int64) int64
	Logger *slog.Logger
}

// Relay drains the outbox.
type Relay struct {
	store    Store
	opt      Options
	log      *slog.Logger
	kick     chan struct{}
	mu       sync.Mutex
	handlers map[string]Handler
	stats    Stats
	passMu   sync.Mutex
}

// New returns a relay over s. It does nothing until Run or Drain.
func New(s Store, opt Options) *Relay {
	if opt.Base <= 0 {
		opt.Base = 2 * time.Second
	}
	if opt.Cap <= 0 {
		opt.Cap = 10 * time.Minute
	}
	if opt.Batch <= 0 {
		opt.Batch = 100
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 60 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Jitter == nil {
		opt.Jitter = rand.Int64N
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Relay{store: s, opt: opt, log: log, kick: make(chan struct{}, 1), handlers: map[string]Handler{}}
}

// Register sets the handler of an event kind, replacing any earlier one.
func (r *Relay) Register(kind string, h Handler) {
	r.mu.Lock()
	r.handlers[kind] = h
	r.mu.Unlock()
}

// Kick makes the relay run a pass at once. It never blocks.
func (r *Relay) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run drains the outbox whenever kicked and every Poll, until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	t := time.NewTicker(r.opt.Poll)
	defer t.Stop()
	for {
		if _, err := r.Drain(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("outbox pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.kick:
		case <-t.C:
		}
	}
}

// Drain delivers due events until none is left due now, and reports how
// many it handled (acknowledged, retried or given up).
func (r *Relay) Drain(ctx context.Context) (int, error) {
	r.passMu.Lock()
	defer r.passMu.Unlock()
	handled := 0
	// seen keeps a pass from retrying an event twice when its backoff
	// came out as zero.
	seen := map[uint64]bool{}
	for ctx.Err() == nil {
		evs, err := r.store.DueEvents(r.opt.Now(), r.opt.Batch)
		if err != nil {
			return handled, fmt.Errorf("reading due events: %w", err)
		}
		// Outcomes of a batch commit together: one fsync per batch rather
		// than per event. A crash before the commit redelivers the batch,
		// which at-least-once delivery allows (receivers dedupe by id).
		var outs []Outcome
		for _, ev := range evs {
			if ctx.Err() != nil {
				break
			}
			if seen[ev.Seq] {
				continue
			}
			seen[ev.Seq] = true
			outs = append(outs, r.deliver(ctx, ev))
		}
		if len(outs) == 0 {
			return handled, nil
		}
		if err := r.store.Settle(outs); err != nil {
			return handled, fmt.Errorf("recording %d delivery outcomes: %w", len(outs), err)
		}
		handled += len(outs)
		for _, o := range outs {
			r.count(func(s *Stats) {
				switch o.Action {
				case Ack:
					s.Delivered++
				case Retry:
					s.Retried++
					s.LastError = o.Cause
				case Dead:
					s.Failed++
					s.LastError = o.Cause
				}
			})
		}
	}
	return handled, nil
}

// Backoff is the full-jitter delay before retry number attempts (1-based).
func (r *Relay) Backoff(attempts int) time.Duration {
	d := r.opt.Cap
	if attempts < 40 {
		if b := r.opt.Base << max(attempts-1, 0); b > 0 && b < d {
			d = b
		}
	}
	return time.Duration(r.opt.Jitter(int64(d) + 1))
}

// deliver hands one event to its handler and decides its outcome.
func (r *Relay) deliver(ctx context.Context, ev Event) Outcome {
	if ev.Undecodable != "" {
		r.log.Error("outbox event cannot be decoded: moved to the dead letters", "seq", ev.Seq, "err", ev.Undecodable)
		return Outcome{Seq: ev.Seq, Action: Dead, Cause: "event cannot be decoded: " + ev.Undecodable}
	}
	r.mu.Lock()
	h := r.handlers[ev.Kind]
	r.mu.Unlock()
	var err error
	if h == nil {
		err = Permanent(fmt.Errorf("no handler for event kind %q: this agent cannot deliver it", ev.Kind))
	} else {
		hctx, cancel := context.WithTimeout(ctx, r.opt.Timeout)
		err = safeCall(hctx, h, ev)
		cancel()
	}
	var perm *permanentError
	var ra *retryAfterError
	switch {
	case err == nil:
		return Outcome{Seq: ev.Seq, Action: Ack}
	case errors.As(err, &perm):
		r.log.Error("event given up", "seq", ev.Seq, "kind", ev.Kind, "aggregate", ev.Aggregate, "err", err)
		return Outcome{Seq: ev.Seq, Action: Dead, Cause: err.Error()}
	}
	wait := r.Backoff(ev.Attempts + 1)
	if errors.As(err, &ra) && ra.after > wait {
		wait = min(ra.after, r.opt.Cap)
	}
	if ctx.Err() != nil {
		wait = 0
	}
	r.log.Info("event delivery will be retried", "seq", ev.Seq, "kind", ev.Kind, "aggregate", ev.Aggregate, "in", wait, "err", err)
	return Outcome{Seq: ev.Seq, Action: Retry, Next: r.opt.Now().Add(wait), Cause: err.Error()}
}

// safeCall runs a handler, turning a panic into a permanent error so one bad
// event cannot stop the relay.
func safeCall(ctx context.Context, h Handler, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = Permanent(fmt.Errorf("handler for %s panicked: %v", ev.Kind, p))
		}
	}()
	return h(ctx, ev)
}

func (r *Relay) count(fn func(*Stats)) {
	r.mu.Lock()
	fn(&r.stats)
	r.mu.Unlock()
}

// Stats returns the outbox depth and the relay's counters.
func (r *Relay) Stats() (Stats, error) {
	s, err := r.store.Stats()
	r.mu.Lock()
	s.Delivered, s.Retried, s.Failed, s.LastError = r.stats.Delivered, r.stats.Retried, r.stats.Failed, r.stats.LastError
	r.mu.Unlock()
	return s, err
}
