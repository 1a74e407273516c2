package printer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/printer/printersim"
	"github.com/packline/packline/drivers/serialport"
)

// timeouts bound each step of a job.
type timeouts struct {
	dial, write, status time.Duration
}

func timeoutsFor(uri deviceuri.URI) (timeouts, error) {
	var t timeouts
	var err error
	if t.dial, err = uri.Duration("dial_timeout", 5*time.Second); err != nil {
		return t, err
	}
	if t.write, err = uri.Duration("write_timeout", 30*time.Second); err != nil {
		return t, err
	}
	if t.status, err = uri.Duration("status_timeout", 3*time.Second); err != nil {
		return t, err
	}
	return t, nil
}

// transport reaches the printer. open returns a session for one job or one
// status check; the device never opens two at once.
type transport interface {
	open(ctx context.Context) (session, error)
	close() error
}

// session is one conversation with the printer.
type session interface {
	write(ctx context.Context, p []byte) error
	// canRead reports whether the link carries the printer's replies.
	canRead() bool
	// read reads reply bytes, failing with a timeout error at deadline.
	read(p []byte, deadline time.Time) (int, error)
	// finish completes a job after its bytes are written (a spooler
	// submits it here).
	finish(ctx context.Context) error
	close() error
}

// statuser is a transport that learns the printer's state without the
// printer language (a spooler's queue state).
type statuser interface {
	status(ctx context.Context) (Status, error)
}

// staler is a session whose link keeps unread input between sessions (a
// serial port): after a query timed out, a late reply may still arrive and
// must be drained before the next query.
type staler interface {
	stale()
}

type request struct {
	ctx    context.Context
	id     string
	data   []byte // nil for a status check
	status bool
	reply  chan result
}

type result struct {
	st    Status
	after AfterJob
	err   error
}

// busyHinter is a session that can say why a printer may not answer
// besides being off (a TCP port that serves another client first).
type busyHinter interface {
	busyHint() string
}

// device is a Printer: one writer goroutine owns the transport.
type device struct {
	uri  deviceuri.URI
	lang language
	// status is the status dialect in use; it may change from ~HQES to
	// ~HS. Only the writer goroutine touches it.
	status language
	tr     transport
	media  Media
	tm     timeouts
	log    *slog.Logger
	sim    *printersim.Sim

	reqs chan *request
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

func newDevice(uri deviceuri.URI, lang language, tr transport, media Media, tm timeouts, log *slog.Logger) *device {
	d := &device{
		uri: uri, lang: lang, status: lang, tr: tr, media: media, tm: tm,
		log:  log.With("printer", uri.String()),
		reqs: make(chan *request),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	go d.loop()
	return d
}

func (d *device) loop() {
	defer close(d.done)
	for {
		select {
		case r := <-d.reqs:
			var res result
			if r.status {
				res.st, res.err = d.doStatus(r.ctx)
			} else {
				res.after, res.err = d.doPrint(r.ctx, r.id, r.data)
			}
			r.reply <- res
		case <-d.quit:
			return
		}
	}
}

// submit hands r to the writer and waits for its answer. Once the writer
// has the request the answer is awaited even if ctx ends: the writer aborts
// its I/O on ctx, and the caller must learn whether the job went out.
func (d *device) submit(r *request) result {
	r.reply = make(chan result, 1)
	select {
	case d.reqs <- r:
	case <-r.ctx.Done():
		return result{err: r.ctx.Err()}
	case <-d.quit:
		return result{err: ErrClosed}
	}
	return <-r.reply
}

// Print implements Printer.
func (d *device) Print(ctx context.Context, job Job) error {
	_, err := d.PrintStatus(ctx, job)
	return err
}

// PrintStatus implements JobStatusPrinter.
func (d *device) PrintStatus(ctx context.Context, job Job) (AfterJob, error) {
	if job.Image == nil {
		return AfterJob{}, fmt.Errorf("%w: job %q has no image", ErrBadJob, job.ID)
	}
	data, err := d.lang.encode(job.Image, max(job.Copies, 1), d.media)
	if err != nil {
		return AfterJob{}, fmt.Errorf("%w: job %q for %s (%s at %d dpi): %w", ErrBadJob, job.ID, d.uri, d.media.Stock, d.media.DPI, err)
	}
	res := d.submit(&request{ctx: ctx, id: job.ID, data: data})
	return res.after, res.err
}

// Status implements Printer.
func (d *device) Status(ctx context.Context) (Status, error) {
	res := d.submit(&request{ctx: ctx, status: true})
	return res.st, res.err
}

// Close stops the writer and releases the transport.
func (d *device) Close() error {
	var err error
	d.once.Do(func() {
		close(d.quit)
		<-d.done
		err = d.tr.close()
		if d.sim != nil {
			d.sim.Close()
		}
	})
	return err
}

func (d *device) doPrint(ctx context.Context, id string, data []byte) (AfterJob, error) {
	start := time.Now()
	s, err := d.tr.open(ctx)
	if err != nil {
		return AfterJob{}, fmt.Errorf("job %q: %w", id, err)
	}
	defer s.close()
	bidi := s.canRead() && d.status.query() != nil
	if bidi {
		st, err := d.query(ctx, s)
		if err != nil {
			return AfterJob{}, fmt.Errorf("job %q not sent: %w", id, err)
		}
		if !st.Ready {
			return AfterJob{}, fmt.Errorf("job %q not sent: %w", id, &NotReadyError{Status: st})
		}
	} else if sp, ok := d.tr.(statuser); ok {
		st, err := sp.status(ctx)
		if err == nil && !st.Ready {
			return AfterJob{}, fmt.Errorf("job %q not sent: %w", id, &NotReadyError{Status: st})
		}
	}
	if err := s.write(ctx, data); err != nil {
		return AfterJob{}, fmt.Errorf("job %q: sending to %s: %w", id, d.uri, err)
	}
	if err := s.finish(ctx); err != nil {
		return AfterJob{}, fmt.Errorf("job %q: %w", id, err)
	}
	d.log.Debug("job sent", "job", id, "bytes", len(data), "took", time.Since(start))
	if !bidi {
		return AfterJob{}, nil
	}
	// The printer has the job; what it says now is for the operator.
	st, err := d.query(ctx, s)
	after := AfterJob{Checked: true, Status: st, Err: err}
	switch {
	case err != nil:
		d.log.Warn("printer took the job but did not answer the status query after it", "job", id, "err", err)
	case !st.Ready:
		d.log.Warn("printer took the job and then reported a fault", "job", id, "status", describe(st))
	}
	return after, nil
}

func (d *device) doStatus(ctx context.Context) (Status, error) {
	s, err := d.tr.open(ctx)
	if err != nil {
		return Status{}, err
	}
	defer s.close()
	if s.canRead() && d.status.query() != nil {
		return d.query(ctx, s)
	}
	if sp, ok := d.tr.(statuser); ok {
		return sp.status(ctx)
	}
	return Status{}, fmt.Errorf("%s: %w", d.uri, ErrNoStatus)
}

// silentError is a status query that got no reply at all.
type silentError struct{ err error }

func (e *silentError) Error() string { return e.err.Error() }
func (e *silentError) Unwrap() error { return e.err }

// neitherAnsweredError is a ZPL printer silent to both ~HQES and ~HS. It
// matches ErrNoAnswer.
type neitherAnsweredError struct{ uri, hint string }

func (e *neitherAnsweredError) Error() string {
	return e.uri + ": printer did not answer ~HQES or ~HS: check it is on and connected; set status=off to print without status" + e.hint
}

// Is makes errors.Is(err, ErrNoAnswer) true.
func (e *neitherAnsweredError) Is(target error) bool { return target == ErrNoAnswer }

// query asks the printer for its status in the device's status dialect.
// When a ZPL printer left on the default dialect does not answer ~HQES at
// all, query asks once with ~HS and, if that is answered, keeps to ~HS for
// this device from then on.
func (d *device) query(ctx context.Context, s session) (Status, error) {
	st, err := d.ask(ctx, s, d.status)
	zl, ok := d.status.(zplLang)
	var silent *silentError
	if err == nil || !ok || !zl.auto || zl.hs || !errors.As(err, &silent) {
		return st, err
	}
	st, err = d.ask(ctx, s, zplEither{zl})
	if errors.As(err, &silent) {
		return Status{}, &neitherAnsweredError{uri: d.uri.String(), hint: hintFor(s)}
	}
	if err != nil {
		return Status{}, err
	}
	if !isHQESReply([]byte(st.Raw)) {
		d.status = zplLang{enc: zl.enc, hs: true}
		d.log.Info("printer does not answer ~HQES; asking with ~HS from now on", "timeout", d.tm.status)
	}
	return st, nil
}

// hintFor is the session's reason a printer may be silent, as a suffix.
func hintFor(s session) string {
	if h, ok := s.(busyHinter); ok {
		return " (" + h.busyHint() + ")"
	}
	return ""
}

// ask sends l's status request and reads the whole reply. A reply that
// never starts is a *silentError.
func (d *device) ask(ctx context.Context, s session, l language) (Status, error) {
	if err := s.write(ctx, l.query()); err != nil {
		return Status{}, fmt.Errorf("asking %s for status: %w", d.uri, err)
	}
	deadline := time.Now().Add(d.tm.status)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	var buf []byte
	tmp := make([]byte, 512)
	for !l.complete(buf) {
		n, err := s.read(tmp, deadline)
		buf = append(buf, tmp[:n]...)
		if len(buf) > 64<<10 {
			return Status{}, fmt.Errorf("%s: status reply longer than 64 KiB: is this a %s printer?", d.uri, l.name())
		}
		if err == nil {
			continue
		}
		if isTimeout(err) {
			if ctx.Err() != nil {
				return Status{}, ctx.Err()
			}
			if time.Now().Before(deadline) {
				continue // a serial read slice ended; the deadline has not
			}
			if st, ok := s.(staler); ok {
				st.stale()
			}
			if len(buf) > 0 {
				return Status{}, fmt.Errorf("%s: %w (partial reply %q after %s)%s", d.uri, ErrNoAnswer, buf, d.tm.status, hintFor(s))
			}
			return Status{}, &silentError{fmt.Errorf("%s: %w (no reply to %s within %s)%s", d.uri, ErrNoAnswer, l.query(), d.tm.status, hintFor(s))}
		}
		return Status{}, fmt.Errorf("%s: reading status: %w", d.uri, err)
	}
	st, err := l.parse(buf)
	if err != nil {
		return Status{}, fmt.Errorf("%s: unreadable status reply %q: %w", d.uri, buf, err)
	}
	return st, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || serialport.IsTimeout(err) || (errors.As(err, &ne) && ne.Timeout())
}
