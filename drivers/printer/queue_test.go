package printer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packline/packline/drivers/printer/printersim"
	"github.com/packline/packline/drivers/raster"
)

// runQueue starts a queue on p with fast retries and returns a function
// that waits until cond holds for the queue's state.
func runQueue(t *testing.T, p Printer, dir string) (*Queue, func(what string, cond func(QueueState) bool), context.CancelFunc) {
	t.Helper()
	changed := make(chan struct{}, 1)
	q, err := NewQueue(p, QueueOptions{SpoolDir: dir, RetryMin: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond,
		OnChange: func(QueueState) {
			select {
			case changed <- struct{}{}:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := q.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	stop := func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	wait := func(what string, cond func(QueueState) bool) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for !cond(q.State()) {
			select {
			case <-changed:
			case <-time.After(50 * time.Millisecond):
			case <-deadline:
				t.Fatalf("waiting for %s: state %+v", what, q.State())
			}
		}
	}
	return q, wait, stop
}

func spoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.job"))
	return m
}

func TestQueuePaperOutThenPrintedOnce(t *testing.T) {
	sim, addr := startSim(t, "zpl")
	p := open(t, "zpl+tcp://"+addr)
	dir := t.TempDir()
	q, wait, _ := runQueue(t, p, dir)
	sim.SetFault(printersim.FaultPaperOut)

	img := randomLabel(20, 812, 1218)
	if err := q.Submit(testCtx(t), Job{ID: "order-1", Image: img}); err != nil {
		t.Fatal(err)
	}
	// Durable before anything is sent.
	if n := len(spoolFiles(t, dir)); n != 1 {
		t.Fatalf("%d spool files after Submit, want 1", n)
	}
	wait("the printer's fault to show", func(s QueueState) bool { return strings.Contains(s.PrinterError, "media out") })
	st := q.State()
	if st.Depth != 1 || st.Printer.Ready || st.NextAttempt.IsZero() {
		t.Fatalf("state while out of paper: %+v", st)
	}
	if sim.Jobs() != 0 {
		t.Fatal("job sent while the printer was out of paper")
	}
	// Several retries have happened by now; none sent the job.
	wait("a few retries", func(QueueState) bool { return sim.StatusQueries() >= 3 })
	sim.SetFault(printersim.FaultNone)
	if err := q.Wait(testCtx(t), "order-1"); err != nil {
		t.Fatal(err)
	}
	wait("an empty queue", func(s QueueState) bool { return s.Depth == 0 && s.Printed == 1 })
	got := sim.Labels()
	if len(got) != 1 || sim.Jobs() != 1 || !bytes.Equal(got[0].Bits, img.Bits) {
		t.Fatalf("printed %d labels from %d jobs, want exactly one", len(got), sim.Jobs())
	}
	if n := len(spoolFiles(t, dir)); n != 0 {
		t.Fatalf("%d spool files left after printing", n)
	}
	if _, err := os.Stat(filepath.Join(dir, lastName)); err != nil {
		t.Fatalf("last printed job not kept: %v", err)
	}
	if st := q.State(); st.LastID != "order-1" || st.PrinterError != "" {
		t.Fatalf("state after printing: %+v", st)
	}
}

func TestQueueResendsPendingAfterRestart(t *testing.T) {
	sim, addr := startSim(t, "zpl")
	dir := t.TempDir()
	img := randomLabel(21, 812, 1218)

	// First run: the printer is unreachable (a dead port), the job waits
	// on disk, and the agent stops.
	dead := open(t, "zpl+tcp://127.0.0.1:1?dial_timeout=200ms")
	q1, wait1, stop1 := runQueue(t, dead, dir)
	if err := q1.Submit(testCtx(t), Job{ID: "order-2", Image: img, Copies: 2}); err != nil {
		t.Fatal(err)
	}
	wait1("a failed attempt", func(s QueueState) bool { return s.PrinterError != "" })
	stop1()
	if n := len(spoolFiles(t, dir)); n != 1 {
		t.Fatalf("%d spool files after the stop, want 1", n)
	}

	// Second run on the same spool: the job is sent once.
	p := open(t, "zpl+tcp://"+addr)
	q2, wait2, _ := runQueue(t, p, dir)
	wait2("the pending job to print", func(s QueueState) bool { return s.Printed == 1 && s.Depth == 0 })
	if _, err := sim.WaitLabels(testCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	if sim.Jobs() != 1 || !bytes.Equal(sim.Labels()[0].Bits, img.Bits) {
		t.Fatalf("jobs %d: the pending job was not printed exactly once", sim.Jobs())
	}
	if q2.State().LastID != "order-2" || len(spoolFiles(t, dir)) != 0 {
		t.Fatalf("state %+v", q2.State())
	}
}

func TestQueuePrintReprintAndOrder(t *testing.T) {
	sim, addr := startSim(t, "zpl")
	p := open(t, "zpl+tcp://"+addr)
	q, _, _ := runQueue(t, p, t.TempDir())
	ctx := testCtx(t)
	if err := q.Reprint(ctx); err == nil || !strings.Contains(err.Error(), "nothing has been printed") {
		t.Fatalf("reprint before any print: %v", err)
	}
	var imgs []*raster.Bitmap
	for i := 0; i < 3; i++ {
		imgs = append(imgs, randomLabel(uint64(30+i), 400, 300))
		if err := q.Submit(ctx, Job{ID: "o-" + string(rune('a'+i)), Image: imgs[i]}); err != nil {
			t.Fatal(err)
		}
	}
	// Submitting a waiting job again does not queue it twice.
	q.Submit(ctx, Job{ID: "o-c", Image: imgs[2]})
	if err := q.Wait(ctx, "o-c"); err != nil {
		t.Fatal(err)
	}
	if err := q.Print(ctx, Job{ID: "o-d", Image: imgs[0]}); err != nil {
		t.Fatal(err)
	}
	if err := q.Reprint(ctx); err != nil {
		t.Fatal(err)
	}
	got := sim.Labels()
	want := []*raster.Bitmap{imgs[0], imgs[1], imgs[2], imgs[0], imgs[0]}
	if len(got) != len(want) {
		t.Fatalf("%d labels, want %d", len(got), len(want))
	}
	for i := range want {
		for y := 0; y < want[i].Height; y++ {
			if !bytes.Equal(got[i].Row(y)[:want[i].Stride], want[i].Row(y)) {
				t.Fatalf("label %d out of order", i)
			}
		}
	}
	if !strings.HasPrefix(q.State().LastID, "o-d-reprint-") {
		t.Fatalf("last id %q", q.State().LastID)
	}
}

func TestQueueWaitGivesUpButKeepsJob(t *testing.T) {
	sim, addr := startSim(t, "zpl")
	sim.SetFault(printersim.FaultHeadOpen)
	p := open(t, "zpl+tcp://"+addr)
	q, wait, _ := runQueue(t, p, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var err error
	wg.Add(1)
	go func() {
		defer wg.Done()
		err = q.Print(ctx, Job{ID: "w", Image: randomLabel(40, 64, 64)})
	}()
	wait("head open", func(s QueueState) bool { return strings.Contains(s.PrinterError, "head open") || err != nil })
	cancel()
	wg.Wait()
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "still queued") {
		t.Fatalf("err = %v", err)
	}
	sim.SetFault(printersim.FaultNone)
	q.Retry()
	wait("the job to print after all", func(s QueueState) bool { return s.Printed == 1 })
	if sim.Jobs() != 1 {
		t.Fatalf("jobs %d", sim.Jobs())
	}
}

func TestQueueKeepsDamagedSpoolFiles(t *testing.T) {
	sim, addr := startSim(t, "zpl")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "00000000000000000001-bad.job"), []byte("PLSPOOL1 {\"id\":\"bad\"}\ncut"), 0o600)
	os.WriteFile(filepath.Join(dir, ".tmp-123"), []byte("half"), 0o600)
	p := open(t, "zpl+tcp://"+addr)
	q, wait, _ := runQueue(t, p, dir)
	wait("the damaged file to be counted", func(s QueueState) bool { return s.Damaged == 1 })
	if _, err := os.Stat(filepath.Join(dir, "00000000000000000001-bad.job.damaged")); err != nil {
		t.Fatalf("damaged spool file not kept: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".tmp-123")); err == nil {
		t.Fatal("temporary file of an unfinished Submit left behind")
	}
	if err := q.Print(testCtx(t), Job{ID: "after", Image: randomLabel(41, 64, 64)}); err != nil {
		t.Fatal(err)
	}
	if sim.Jobs() != 1 {
		t.Fatalf("jobs %d", sim.Jobs())
	}
}

func TestNewQueueNeedsAbsoluteDir(t *testing.T) {
	if _, err := NewQueue(nil, QueueOptions{SpoolDir: "spool"}); err == nil {
		t.Fatal("relative spool directory accepted")
	}
}

func TestSpoolRoundTrip(t *testing.T) {
	img := randomLabel(42, 813, 17)
	data, err := encodeSpool(Job{ID: "x/y", Image: img, Copies: 3}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	job, _, err := decodeSpool(data)
	if err != nil || job.ID != "x/y" || job.Copies != 3 || !bytes.Equal(job.Image.Bits, img.Bits) {
		t.Fatalf("%+v %v", job, err)
	}
	data[len(data)-1] ^= 1
	if _, _, err := decodeSpool(data); err == nil {
		t.Fatal("damaged image accepted")
	}
}

func TestQueuePollsIdlePrinter(t *testing.T) {
	sim, addr := startSim(t, "zpl")
	p := open(t, "zpl+tcp://"+addr)
	q, err := NewQueue(p, QueueOptions{SpoolDir: t.TempDir(), PollEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	changes := make(chan QueueState, 100)
	q.opt.OnChange = func(s QueueState) {
		select {
		case changes <- s:
		default:
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go q.Run(ctx)
	sim.SetFault(printersim.FaultHeadOpen)
	for s := range changes {
		if strings.Contains(s.PrinterError, "head open") && !s.Printer.Ready {
			break
		}
	}
	sim.SetFault(printersim.FaultNone)
	for s := range changes {
		if s.PrinterError == "" && s.Printer.Ready {
			break
		}
	}
	if sim.Jobs() != 0 || q.State().Depth != 0 {
		t.Fatal("polling printed something")
	}
}

func TestQueueShowsFaultRightAfterJob(t *testing.T) {
	sim := printersim.New(printersim.Options{Roll: 1})
	addr, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	p := open(t, "zpl+tcp://"+addr)
	q, _, _ := runQueue(t, p, t.TempDir())
	// The job takes the last label on the roll: it is printed, and the
	// printer is out of paper at once.
	if err := q.Print(testCtx(t), Job{ID: "last-label", Image: randomLabel(60, 812, 1218)}); err != nil {
		t.Fatal(err)
	}
	st := q.State()
	if st.Printed != 1 || st.LastID != "last-label" || st.Depth != 0 {
		t.Fatalf("state %+v, want the job printed", st)
	}
	if st.Printer.Ready || !strings.Contains(st.PrinterError, "media out") || !strings.Contains(st.PrinterError, "load labels") {
		t.Fatalf("printer %+v error %q, want paper out shown after the job", st.Printer, st.PrinterError)
	}
}

func TestQueueRunOnce(t *testing.T) {
	_, addr := startSim(t, "zpl")
	p := open(t, "zpl+tcp://"+addr)
	q, wait, _ := runQueue(t, p, t.TempDir())
	wait("the first Run to start", func(QueueState) bool { return q.running.Load() })
	if err := q.Run(testCtx(t)); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second Run: %v", err)
	}
}

func TestQueueSetsAsideJobThatCannotPrint(t *testing.T) {
	sim, addr := startSim(t, "zpl")
	p := open(t, "zpl+tcp://"+addr)
	dir := t.TempDir()
	q, _, _ := runQueue(t, p, dir)
	ctx := testCtx(t)
	err := q.Print(ctx, Job{ID: "too-big", Image: raster.New(1000, 1400)})
	if !errors.Is(err, ErrBadJob) || !strings.Contains(err.Error(), "1000x1400") {
		t.Fatalf("err = %v, want ErrBadJob naming the size", err)
	}
	// The queue goes on with the next job.
	if err := q.Print(ctx, Job{ID: "fine", Image: randomLabel(50, 812, 1218)}); err != nil {
		t.Fatal(err)
	}
	if sim.Jobs() != 1 || q.State().Damaged != 1 {
		t.Fatalf("jobs %d damaged %d", sim.Jobs(), q.State().Damaged)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.rejected")); len(m) != 1 {
		t.Fatalf("rejected job not kept: %v", m)
	}
}
