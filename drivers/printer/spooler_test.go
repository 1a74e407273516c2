package printer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWindowsJobPoll(t *testing.T) {
	for _, c := range []struct {
		bits   uint32
		text   string
		done   bool
		errors []string
	}{
		{bits: 0x0},                // queued
		{bits: 0x10},               // printing
		{bits: 0x8},                // still spooling
		{bits: 0x80, done: true},   // printed
		{bits: 0x2080, done: true}, // printed, kept in the queue
		{bits: 0x1000, done: true}, // complete (v4 drivers)
		{bits: 0x104, done: true},  // deleted
		{bits: 0x14, done: true},   // deleting while printing
		{bits: 0x32, errors: []string{"offline", "error"}},
		{bits: 0x50, errors: []string{"paper out"}},
		{bits: 0x410, errors: []string{"needs user intervention"}},
		{bits: 0x1, errors: []string{"job paused in the Windows queue"}},
		{bits: 0x200, errors: []string{"blocked by an earlier job in the Windows queue"}},
		{bits: 0x12, text: "Printer not responding ", errors: []string{"error", "spooler says Printer not responding"}},
	} {
		p := windowsJobPoll(c.bits, c.text)
		if p.done != c.done {
			t.Errorf("status %#x: done = %v, want %v", c.bits, p.done, c.done)
		}
		if !slices.Equal(p.fault.Errors, c.errors) || p.fault.Ready != (len(c.errors) == 0) {
			t.Errorf("status %#x: fault %+v, want errors %q", c.bits, p.fault, c.errors)
		}
		if !strings.Contains(p.fault.Raw, "status=") {
			t.Errorf("status %#x: raw %q does not show the bits", c.bits, p.fault.Raw)
		}
	}
}

func TestWindowsPrinterStatus(t *testing.T) {
	if st := windowsPrinterStatus(0, 0, 0); !st.Ready || len(st.Errors)+len(st.Warnings) != 0 {
		t.Fatalf("idle printer: %+v", st)
	}
	st := windowsPrinterStatus(0x80|0x10, 0x400, 2)
	if st.Ready || !slices.Equal(st.Errors, []string{"paper out", "offline", "set to use printer offline"}) {
		t.Fatalf("offline printer: %+v", st)
	}
	if !slices.Equal(st.Warnings, []string{"2 jobs in the Windows queue"}) {
		t.Fatalf("warnings %q", st.Warnings)
	}
	if err := (&NotReadyError{Status: st}).Error(); !strings.Contains(err, "load labels") {
		t.Fatalf("fault %q gives no remedy", err)
	}
}

func TestSpoolPollWithQueue(t *testing.T) {
	waiting := windowsJobPoll(0, "")
	paused := windowsPrinterStatus(0x1, 0, 1)
	p := waiting.withQueue(paused)
	if p.fault.Ready || !slices.Equal(p.fault.Errors, []string{"paused"}) || !strings.Contains(p.fault.Raw, "queue status=0x1") {
		t.Fatalf("job behind a paused queue: %+v", p.fault)
	}
	if p := waiting.withQueue(windowsPrinterStatus(0, 0, 1)); !p.fault.Ready {
		t.Fatalf("job behind a ready queue: %+v", p.fault)
	}
	if p := windowsJobPoll(0x80, "").withQueue(paused); !p.done || !p.fault.Ready {
		t.Fatalf("printed job behind a paused queue: %+v", p)
	}
	if p := windowsJobPoll(0x40, "").withQueue(paused); !slices.Equal(p.fault.Errors, []string{"paper out"}) {
		t.Fatalf("the job's own fault should win: %+v", p.fault)
	}
}

// polls replays a sequence of polls, repeating the last one.
func polls(seq ...any) func(context.Context) (spoolPoll, error) {
	i := 0
	return func(context.Context) (spoolPoll, error) {
		v := seq[min(i, len(seq)-1)]
		i++
		if err, ok := v.(error); ok {
			return spoolPoll{}, err
		}
		return v.(spoolPoll), nil
	}
}

func TestFollowSpoolJob(t *testing.T) {
	waiting := spoolPoll{fault: Status{Ready: true}}
	done := spoolPoll{done: true, fault: Status{Ready: true}}
	offline := windowsJobPoll(0x20, "")
	failed := errors.New("rpc server unavailable")
	for _, c := range []struct {
		name string
		poll func(context.Context) (spoolPoll, error)
		want spoolOutcome
		err  error
	}{
		{"printed", polls(waiting, waiting, done), spoolDone, nil},
		{"fault", polls(waiting, offline, offline, done), spoolFault, nil},
		{"passing fault", polls(offline, waiting, offline, done), spoolDone, nil},
		{"failed poll", polls(failed, waiting, done), spoolDone, nil},
		{"stuck", polls(waiting), spoolTimeout, nil},
		{"fault at the deadline", polls(waiting, waiting, waiting, waiting, offline), spoolFault, nil},
		{"poll keeps failing", polls(failed), spoolTimeout, failed},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, last, err := followSpoolJob(context.Background(), 50*time.Millisecond, 10*time.Millisecond, c.poll)
			if got != c.want || !errors.Is(err, c.err) {
				t.Fatalf("outcome %d (%v), want %d (%v)", got, err, c.want, c.err)
			}
			if got == spoolFault && !slices.Equal(last.fault.Errors, []string{"offline"}) {
				t.Fatalf("fault %+v", last.fault)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := followSpoolJob(ctx, time.Minute, time.Second, polls(waiting)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestDatatype(t *testing.T) {
	for in, want := range map[string]string{"": datatypeAuto, "auto": datatypeAuto, "RAW": datatypeRAW, "raw": datatypeRAW, "XPS_PASS": datatypeXPSPass} {
		if got, err := parseDatatype("Zebra", in); err != nil || got != want {
			t.Errorf("datatype=%q: %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := parseDatatype("Zebra", "EMF"); err == nil || !strings.Contains(err.Error(), "XPS_PASS") {
		t.Errorf("datatype=EMF: %v", err)
	}
	for _, c := range []struct {
		requested string
		attrs     uint32
		known     bool
		want      string
	}{
		{datatypeAuto, 0x2, true, datatypeXPSPass}, // v4/XPS driver
		{datatypeAuto, 0x1, true, datatypeRAW},     // v3 package-aware driver
		{datatypeAuto, 0x2, false, datatypeRAW},    // attributes unknown
		{datatypeRAW, 0x2, true, datatypeRAW},      // forced
		{datatypeXPSPass, 0, true, datatypeXPSPass},
	} {
		if got := chooseDatatype(c.requested, c.attrs, c.known); got != c.want {
			t.Errorf("chooseDatatype(%q, %#x, %v) = %q, want %q", c.requested, c.attrs, c.known, got, c.want)
		}
	}
	if dt, ok := retryDatatype(datatypeAuto, datatypeRAW, errorInvalidDatatype); !ok || dt != datatypeXPSPass {
		t.Errorf("RAW refused under auto: %q, %v", dt, ok)
	}
	if _, ok := retryDatatype(datatypeRAW, datatypeRAW, errorInvalidDatatype); ok {
		t.Error("forced RAW retried as XPS_PASS")
	}
	if _, ok := retryDatatype(datatypeAuto, datatypeRAW, 5); ok {
		t.Error("access denied retried as XPS_PASS")
	}
}

func TestDriverInfo8AttributesOffset(t *testing.T) {
	// DRIVER_INFO_8W's dwPrinterDriverAttributes: 168 on x64, 96 on x86,
	// where the DWORDLONG after the FILETIME is aligned to 8.
	if got := driverInfo8AttributesOffset(8); got != 168 {
		t.Errorf("x64 offset %d, want 168", got)
	}
	if got := driverInfo8AttributesOffset(4); got != 96 {
		t.Errorf("x86 offset %d, want 96", got)
	}
}
