package printer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packline/packline/drivers/raster"
)

// QueueOptions configure a Queue.
type QueueOptions struct {
	// SpoolDir holds the pending jobs (*.job) and the last printed one
	// (last.print). Required; it must be an absolute path.
	SpoolDir string
	Logger   *slog.Logger
	// RetryMin and RetryMax bound the wait between attempts while the
	// printer is offline or in error (defaults 1 s and 30 s); the wait
	// doubles from RetryMin up to RetryMax.
	RetryMin, RetryMax time.Duration
	// PollEvery, if set, asks the printer for its status this often while
	// no job is waiting, so QueueState shows a fault (paper out, head
	// open, unplugged) before the next label needs the printer.
	PollEvery time.Duration
	// OnChange, if set, is called (from the queue's goroutine, without
	// locks held) after every change of QueueState.
	OnChange func(QueueState)
}

// QueueState is what the station UI and the metrics show.
type QueueState struct {
	// Depth is the number of jobs waiting, the one being sent included;
	// Pending lists their IDs, oldest first.
	Depth   int
	Pending []string
	// Oldest is when the oldest waiting job was queued.
	Oldest time.Time
	// Printer is the printer's last known state; PrinterError is set when
	// the last attempt failed (offline, not answering, paper out…).
	Printer      Status
	PrinterError string
	// NextAttempt is when a waiting job is tried again.
	NextAttempt time.Time
	// Printed counts jobs printed since the queue started; LastID and
	// LastPrinted describe the last one.
	Printed     uint64
	LastID      string
	LastPrinted time.Time
	// Damaged counts spool files that could not be read back (kept as
	// *.damaged) and jobs that can never print, such as an image larger
	// than the label (kept as *.rejected); their waiters get the error.
	Damaged int
}

// Queue is a durable print queue in front of one printer. A job is written
// and synced to the spool directory before Submit returns, sent by a single
// goroutine (Run) in order, retried with backoff while the printer is
// offline or reports a fault, and its spool file is replaced by last.print
// once the printer has taken it. Pending files are resent after a restart.
// The queue never sends a job again after the printer took it; a crash in
// the instant between the printer taking a job and the rename can print it
// a second time on restart (at least once, never lost).
type Queue struct {
	p   Printer
	opt QueueOptions
	log *slog.Logger

	kick    chan struct{}
	running atomic.Bool

	// spoolMu orders spool writes against the start-up scan, which
	// removes the temporary files of writes a crash cut short.
	spoolMu sync.Mutex

	mu      sync.Mutex
	pending []*spooled // ordered oldest first
	byID    map[string]*spooled
	waiters map[string][]chan error
	state   QueueState
	seq     uint64
}

type spooled struct {
	path   string
	id     string
	queued time.Time
}

// NewQueue returns a queue for p. It does no I/O: Run creates the spool
// directory and picks up pending jobs.
func NewQueue(p Printer, opt QueueOptions) (*Queue, error) {
	if opt.SpoolDir == "" || !filepath.IsAbs(opt.SpoolDir) {
		return nil, fmt.Errorf("print queue: spool directory %q must be an absolute path", opt.SpoolDir)
	}
	if opt.RetryMin <= 0 {
		opt.RetryMin = time.Second
	}
	if opt.RetryMax < opt.RetryMin {
		opt.RetryMax = max(30*time.Second, opt.RetryMin)
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Queue{
		p: p, opt: opt, log: log.With("spool", opt.SpoolDir),
		kick:    make(chan struct{}, 1),
		byID:    map[string]*spooled{},
		waiters: map[string][]chan error{},
	}, nil
}

const (
	spoolMagic = "PLSPOOL1"
	lastName   = "last.print"
)

// spoolHeader is the JSON line at the top of a spool file.
type spoolHeader struct {
	ID     string    `json:"id"`
	Copies int       `json:"copies"`
	Width  int       `json:"width"`
	Height int       `json:"height"`
	Queued time.Time `json:"queued"`
	CRC    uint32    `json:"crc"`
}

func encodeSpool(job Job, queued time.Time) ([]byte, error) {
	if job.Image == nil {
		return nil, fmt.Errorf("job %q has no image", job.ID)
	}
	if err := job.Image.Validate(); err != nil {
		return nil, fmt.Errorf("job %q: %w", job.ID, err)
	}
	h := spoolHeader{ID: job.ID, Copies: max(job.Copies, 1), Width: job.Image.Width, Height: job.Image.Height,
		Queued: queued.UTC(), CRC: crc32.ChecksumIEEE(job.Image.Bits)}
	head, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(len(head) + len(job.Image.Bits) + 16)
	b.WriteString(spoolMagic)
	b.WriteByte(' ')
	b.Write(head)
	b.WriteByte('\n')
	b.Write(job.Image.Bits)
	return b.Bytes(), nil
}

func decodeSpool(data []byte) (Job, time.Time, error) {
	line, rest, ok := bytes.Cut(data, []byte{'\n'})
	if !ok || !bytes.HasPrefix(line, []byte(spoolMagic+" ")) {
		return Job{}, time.Time{}, errors.New("not a spool file")
	}
	var h spoolHeader
	if err := json.Unmarshal(line[len(spoolMagic)+1:], &h); err != nil {
		return Job{}, time.Time{}, fmt.Errorf("spool header: %w", err)
	}
	if h.Width <= 0 || h.Height <= 0 || h.Width > 20000 || h.Height > 20000 {
		return Job{}, time.Time{}, fmt.Errorf("spool header: image %dx%d", h.Width, h.Height)
	}
	img := raster.New(h.Width, h.Height)
	if len(rest) != len(img.Bits) {
		return Job{}, time.Time{}, fmt.Errorf("spool file holds %d image bytes, want %d (cut short)", len(rest), len(img.Bits))
	}
	if crc32.ChecksumIEEE(rest) != h.CRC {
		return Job{}, time.Time{}, errors.New("spool image checksum mismatch")
	}
	copy(img.Bits, rest)
	return Job{ID: h.ID, Copies: h.Copies, Image: img}, h.Queued, nil
}

// writeDurable writes data to path through a synced temporary file and a
// rename, then syncs the directory.
func writeDurable(dir, path string, data []byte) error {
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) && !errors.Is(err, fs.ErrPermission) {
		// Windows cannot sync a directory; the rename is durable there.
		return err
	}
	return nil
}

// safeName keeps a job id readable in a file name.
func safeName(id string) string {
	var b strings.Builder
	for _, r := range id {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	return b.String()
}

// Submit queues job durably: when Submit returns nil the job is on disk
// and will be printed, after a restart if need be. A job whose ID is
// already waiting is not queued twice.
func (q *Queue) Submit(ctx context.Context, job Job) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if job.ID == "" {
		return errors.New("print queue: job needs an ID")
	}
	if err := os.MkdirAll(q.opt.SpoolDir, 0o750); err != nil {
		return fmt.Errorf("print queue: creating spool directory: %w", err)
	}
	q.mu.Lock()
	if _, dup := q.byID[job.ID]; dup {
		q.mu.Unlock()
		return nil
	}
	now := time.Now()
	q.seq = max(q.seq+1, uint64(now.UnixNano()))
	name := fmt.Sprintf("%020d-%s.job", q.seq, safeName(job.ID))
	q.mu.Unlock()
	data, err := encodeSpool(job, now)
	if err != nil {
		return fmt.Errorf("print queue: %w", err)
	}
	path := filepath.Join(q.opt.SpoolDir, name)
	q.spoolMu.Lock()
	err = writeDurable(q.opt.SpoolDir, path, data)
	q.spoolMu.Unlock()
	if err != nil {
		return fmt.Errorf("print queue: spooling job %q: %w (check free disk space and permissions on %s)", job.ID, err, q.opt.SpoolDir)
	}
	q.mu.Lock()
	if e, dup := q.byID[job.ID]; dup {
		// Queued meanwhile, or picked up from disk by the start-up scan.
		q.mu.Unlock()
		if e.path != path {
			os.Remove(path)
		}
		return nil
	}
	s := &spooled{path: path, id: job.ID, queued: now}
	q.pending = append(q.pending, s)
	q.byID[job.ID] = s
	q.refreshLocked()
	st := q.state
	q.mu.Unlock()
	q.log.Info("job queued", "job", job.ID, "file", name)
	q.changed(st)
	q.Retry()
	return nil
}

// Print queues job durably and waits until the printer has taken it. When
// ctx ends first, Print returns ctx's error and the job stays queued: it
// will still be printed.
func (q *Queue) Print(ctx context.Context, job Job) error {
	if err := q.Submit(ctx, job); err != nil {
		return err
	}
	return q.Wait(ctx, job.ID)
}

// Wait blocks until the job with this ID is printed. It returns nil at
// once when no such job is waiting.
func (q *Queue) Wait(ctx context.Context, id string) error {
	q.mu.Lock()
	if _, ok := q.byID[id]; !ok {
		q.mu.Unlock()
		return nil
	}
	ch := make(chan error, 1)
	q.waiters[id] = append(q.waiters[id], ch)
	q.mu.Unlock()
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		q.mu.Lock()
		ws := q.waiters[id]
		for i, w := range ws {
			if w == ch {
				q.waiters[id] = append(ws[:i], ws[i+1:]...)
				break
			}
		}
		q.mu.Unlock()
		return fmt.Errorf("job %q is still queued (%s): %w", id, q.State().PrinterError, ctx.Err())
	}
}

// Reprint queues the last printed job again, under the id
// "<id>-reprint-<n>", and waits until it is printed.
func (q *Queue) Reprint(ctx context.Context) error {
	data, err := os.ReadFile(filepath.Join(q.opt.SpoolDir, lastName))
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("print queue: nothing has been printed yet, so there is nothing to reprint")
	}
	if err != nil {
		return fmt.Errorf("print queue: reading the last label: %w", err)
	}
	job, _, err := decodeSpool(data)
	if err != nil {
		return fmt.Errorf("print queue: the last label's spool file is damaged: %w", err)
	}
	base, _, _ := strings.Cut(job.ID, "-reprint-")
	job.ID = fmt.Sprintf("%s-reprint-%d", base, time.Now().UnixNano())
	return q.Print(ctx, job)
}

// Status asks the printer for its state.
func (q *Queue) Status(ctx context.Context) (Status, error) { return q.p.Status(ctx) }

// Retry makes a waiting job be tried now instead of after its backoff
// (the operator fixed the printer).
func (q *Queue) Retry() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// State returns the queue's state.
func (q *Queue) State() QueueState {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.state
}

func (q *Queue) refreshLocked() {
	q.state.Depth = len(q.pending)
	q.state.Pending = make([]string, len(q.pending))
	for i, s := range q.pending {
		q.state.Pending[i] = s.id
	}
	q.state.Oldest = time.Time{}
	if len(q.pending) > 0 {
		q.state.Oldest = q.pending[0].queued
	}
}

func (q *Queue) changed(st QueueState) {
	if q.opt.OnChange != nil {
		q.opt.OnChange(st)
	}
}

// load picks up the spool directory's pending jobs, oldest first.
func (q *Queue) load() error {
	q.spoolMu.Lock()
	defer q.spoolMu.Unlock()
	if err := os.MkdirAll(q.opt.SpoolDir, 0o750); err != nil {
		return fmt.Errorf("print queue: creating spool directory: %w", err)
	}
	entries, err := os.ReadDir(q.opt.SpoolDir)
	if err != nil {
		return fmt.Errorf("print queue: reading spool directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		switch n := e.Name(); {
		case strings.HasPrefix(n, ".tmp-"):
			// A spool write cut short by a crash: Submit never returned.
			os.Remove(filepath.Join(q.opt.SpoolDir, n))
		case strings.HasSuffix(n, ".job"):
			names = append(names, n)
		}
	}
	sort.Strings(names)
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, n := range names {
		path := filepath.Join(q.opt.SpoolDir, n)
		data, err := os.ReadFile(path)
		var job Job
		var queued time.Time
		if err == nil {
			job, queued, err = decodeSpool(data)
		}
		if err != nil {
			q.log.Error("spool file unreadable: kept as .damaged", "file", n, "err", err)
			os.Rename(path, path+".damaged")
			q.state.Damaged++
			continue
		}
		if _, dup := q.byID[job.ID]; dup {
			continue
		}
		var seq uint64
		fmt.Sscanf(n, "%020d-", &seq)
		q.seq = max(q.seq, seq)
		s := &spooled{path: path, id: job.ID, queued: queued}
		q.pending = append(q.pending, s)
		q.byID[job.ID] = s
	}
	// Jobs submitted before Run started are already in pending; keep the
	// file order.
	sort.Slice(q.pending, func(i, j int) bool { return q.pending[i].path < q.pending[j].path })
	q.refreshLocked()
	if len(q.pending) > 0 {
		q.log.Info("resending jobs left in the spool", "jobs", len(q.pending))
	}
	return nil
}

// Run sends queued jobs until ctx ends. Call it once, on its own
// goroutine; a second concurrent Run is refused, since two senders could
// print a job twice.
func (q *Queue) Run(ctx context.Context) error {
	if !q.running.CompareAndSwap(false, true) {
		return errors.New("print queue: Run is already running for this queue")
	}
	defer q.running.Store(false)
	if err := q.load(); err != nil {
		return err
	}
	q.changed(q.State())
	wait := time.Duration(0)
	for {
		q.mu.Lock()
		var head *spooled
		if len(q.pending) > 0 {
			head = q.pending[0]
		}
		q.mu.Unlock()
		if head == nil {
			var poll <-chan time.Time
			var t *time.Timer
			if q.opt.PollEvery > 0 {
				t = time.NewTimer(q.opt.PollEvery)
				poll = t.C
			}
			select {
			case <-q.kick:
			case <-poll:
				q.poll(ctx)
			case <-ctx.Done():
				return nil
			}
			if t != nil {
				t.Stop()
			}
			continue
		}
		err := q.send(ctx, head)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			wait = 0
			continue
		}
		if wait == 0 {
			wait = q.opt.RetryMin
		} else {
			wait = min(2*wait, q.opt.RetryMax)
		}
		// Up to a quarter of jitter, so printers coming back together are
		// not hit at once.
		d := wait - time.Duration(rand.Int64N(int64(wait)/4+1))
		q.mu.Lock()
		q.state.NextAttempt = time.Now().Add(d)
		st := q.state
		q.mu.Unlock()
		q.changed(st)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-q.kick:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return nil
		}
	}
}

// poll refreshes the printer's state while the queue is idle.
func (q *Queue) poll(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, max(q.opt.PollEvery, 10*time.Second))
	defer cancel()
	st, err := q.p.Status(ctx)
	if ctx.Err() != nil && err != nil {
		return
	}
	q.mu.Lock()
	switch {
	case errors.Is(err, ErrNoStatus):
		q.state.PrinterError = ""
	case err != nil:
		q.state.Printer, q.state.PrinterError = Status{}, err.Error()
	case !st.Ready:
		q.state.Printer, q.state.PrinterError = st, (&NotReadyError{Status: st}).Error()
	default:
		q.state.Printer, q.state.PrinterError = st, ""
	}
	s := q.state
	q.mu.Unlock()
	q.changed(s)
}

// send tries the job once.
func (q *Queue) send(ctx context.Context, s *spooled) error {
	data, err := os.ReadFile(s.path)
	var job Job
	if err == nil {
		job, _, err = decodeSpool(data)
	}
	if err != nil {
		q.log.Error("spool file unreadable: kept as .damaged", "file", s.path, "err", err)
		os.Rename(s.path, s.path+".damaged")
		q.finish(s, fmt.Errorf("print queue: spool file of job %q is damaged: %w", s.id, err), true, AfterJob{})
		return nil
	}
	var after AfterJob
	if sp, ok := q.p.(JobStatusPrinter); ok {
		after, err = sp.PrintStatus(ctx, job)
	} else {
		err = q.p.Print(ctx, job)
	}
	if errors.Is(err, ErrBadJob) {
		// It would block every job behind it forever: set it aside.
		q.log.Error("job can never print: kept as .rejected", "job", s.id, "err", err)
		os.Rename(s.path, s.path+".rejected")
		q.finish(s, err, true, AfterJob{})
		return nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		q.mu.Lock()
		q.state.PrinterError = err.Error()
		var nr *NotReadyError
		if errors.As(err, &nr) {
			q.state.Printer = nr.Status
		} else {
			q.state.Printer = Status{}
		}
		st := q.state
		q.mu.Unlock()
		q.log.Warn("job not printed yet; will retry", "job", s.id, "err", err)
		q.changed(st)
		return err
	}
	// The printer has the job: it must never be sent again.
	last := filepath.Join(q.opt.SpoolDir, lastName)
	if err := os.Rename(s.path, last); err != nil {
		q.log.Error("job printed but its spool file could not be retired; removing it", "job", s.id, "err", err)
		if rmErr := os.Remove(s.path); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
			// Keep it out of the pending list anyway so this run does
			// not print it twice.
			q.log.Error("job printed but its spool file remains", "file", s.path, "err", rmErr)
		}
	}
	if err := syncDir(q.opt.SpoolDir); err != nil {
		q.log.Warn("syncing spool directory", "err", err)
	}
	q.log.Info("job printed", "job", s.id)
	q.finish(s, nil, false, after)
	return nil
}

// finish removes s from the pending list and wakes its waiters. For a
// printed job, after is what the printer said once it had the job: a fault
// it reports then is shown at once, though the job counts as printed.
func (q *Queue) finish(s *spooled, result error, damaged bool, after AfterJob) {
	q.mu.Lock()
	if len(q.pending) > 0 && q.pending[0] == s {
		q.pending = q.pending[1:]
	}
	delete(q.byID, s.id)
	ws := q.waiters[s.id]
	delete(q.waiters, s.id)
	if damaged {
		q.state.Damaged++
	} else {
		q.state.Printed++
		q.state.LastID = s.id
		q.state.LastPrinted = time.Now()
		switch {
		case !after.Checked:
			q.state.Printer, q.state.PrinterError = Status{Ready: true}, ""
		case after.Err != nil:
			q.state.Printer = Status{}
			q.state.PrinterError = fmt.Sprintf("job %q printed, but then: %v", s.id, after.Err)
		case !after.Status.Ready:
			q.state.Printer = after.Status
			q.state.PrinterError = fmt.Sprintf("job %q printed, but then: %v", s.id, &NotReadyError{Status: after.Status})
		default:
			q.state.Printer, q.state.PrinterError = after.Status, ""
		}
	}
	q.state.NextAttempt = time.Time{}
	q.refreshLocked()
	st := q.state
	q.mu.Unlock()
	for _, w := range ws {
		w <- result
	}
	q.changed(st)
}

// Close closes the printer behind the queue. Stop Run (cancel its context)
// first; jobs still waiting stay in the spool for the next start.
func (q *Queue) Close() error { return q.p.Close() }

// Interface guards.
var (
	_ Printer = (*Queue)(nil)
	_ Printer = (*device)(nil)
)
