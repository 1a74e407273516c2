package printer

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"
)

// lpOutputs are replies of `lp -d Q -o raw` as CUPS prints them, and
// odd ones.
var lpOutputs = []string{
	"request id is label4x6-123 (0 file(s))",
	"request id is zebra-zp450-7 (1 file(s))",
	"lp: Error - scheduler not responding.",
	"lp: The printer or class does not exist.",
	"request id is  (0 file(s))",
	"request id is label4x6-5 (",
	"",
}

// lpstatOutputs are `lpstat -p Q` and `lpstat -W not-completed -o Q -p Q`
// outputs in the C locale, and odd ones.
var lpstatOutputs = []string{
	lpstatIdle, lpstatPrinting, lpstatPaused, lpstatStopped, lpstatHolding, lpstatJobs,
	lpstatJobs + "\n" + lpstatPaused,
	lpstatJobs + "\n\tStatus: Connecting to printer.\n" + lpstatPrinting,
	lpstatJobs + "\nprinter label4x6-b disabled since Tue 06 Jan 2026 -\n\tPaused\n" + lpstatIdle,
	strings.ReplaceAll(lpstatPaused, "\n", "\r\n"),
	"printer label4x6 disabled since Tue 06 Jan 2026 09:14:02 AM UTC -\n",
	"printer label4x6 is idle.\n\t",
	"printer label4x6 ",
	"printer label4x6-b is idle.  enabled since Tue 06 Jan 2026",
	"Drucker label4x6 ist frei",
	"lpstat: Invalid destination name in list \"label4x6\".",
	"",
}

func FuzzParseLpstatPrinter(f *testing.F) {
	for _, out := range lpstatOutputs {
		f.Add(out, "label4x6")
	}
	f.Add(lpstatIdle, "")
	f.Add(lpstatIdle, "label4x6 is")
	f.Fuzz(func(t *testing.T, out, queue string) {
		st, err := parseLpstatPrinter(out, queue)
		if err != nil {
			if !errors.Is(err, ErrNoStatus) {
				t.Fatalf("error %v is not ErrNoStatus", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "cups queue "+queue+":") {
				t.Fatalf("error %q does not name queue %q", msg, queue)
			}
			if st.Ready || len(st.Errors)+len(st.Warnings) != 0 || st.Raw != out {
				t.Fatalf("failed parse gave status %+v", st)
			}
			return
		}
		if st.Ready != (len(st.Errors) == 0) {
			t.Fatalf("ready %v with errors %q", st.Ready, st.Errors)
		}
		if !strings.HasPrefix(st.Raw, "printer "+queue) || strings.Contains(st.Raw, "\n") {
			t.Fatalf("raw %q is not the line of queue %q", st.Raw, queue)
		}
		if !strings.Contains(out, "printer "+queue+" ") {
			t.Fatalf("status %+v read from output without the queue's line", st)
		}
		for _, e := range st.Errors {
			if !strings.HasPrefix(e, "CUPS queue "+queue+" ") {
				t.Fatalf("error %q does not name queue %q", e, queue)
			}
		}
		for _, w := range st.Warnings {
			if w == "" || w != strings.TrimSpace(w) {
				t.Fatalf("warning %q", w)
			}
		}
		if !st.Ready {
			if msg := (&NotReadyError{Status: st}).Error(); !strings.Contains(msg, "cupsenable") && !strings.Contains(msg, "disabled") {
				t.Fatalf("paused queue: %q gives no remedy", msg)
			}
		}
		// What is read does not depend on the line ending.
		if !strings.ContainsAny(out+queue, "\r") {
			crlf, err := parseLpstatPrinter(strings.ReplaceAll(out, "\n", "\r\n"), queue)
			if err != nil || crlf.Ready != st.Ready || fmt.Sprint(crlf.Errors) != fmt.Sprint(st.Errors) || fmt.Sprint(crlf.Warnings) != fmt.Sprint(st.Warnings) {
				t.Fatalf("with CRLF: %+v, %v; with LF: %+v", crlf, err, st)
			}
		}
	})
}

func FuzzParseLpRequestID(f *testing.F) {
	for _, out := range lpOutputs {
		f.Add(out)
	}
	f.Fuzz(func(t *testing.T, out string) {
		job := parseLpRequestID(out)
		if job == "" {
			if strings.Contains(out, "request id is ") && lpRequestID.MatchString(out) {
				t.Fatalf("%q: no id read from a request id line", out)
			}
			return
		}
		if strings.ContainsAny(job, " \t\n\f\r") || !strings.Contains(out, "request id is "+job+" (") {
			t.Fatalf("%q: job id %q", out, job)
		}
	})
}

func FuzzLpstatHasJob(f *testing.F) {
	for _, out := range lpstatOutputs {
		for _, job := range []string{"label4x6-12", "label4x6-13", "label4x6-1", "printer", ""} {
			f.Add(out, job)
		}
	}
	f.Fuzz(func(t *testing.T, out, job string) {
		has := lpstatHasJob(out, job)
		if has {
			found := false
			for line := range strings.SplitSeq(out, "\n") {
				if fs := strings.Fields(line); len(fs) > 0 && fs[0] == job && !strings.HasPrefix(line, "printer ") && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t") {
					found = true
				}
			}
			if !found {
				t.Fatalf("job %q listed in %q, which has no line for it", job, out)
			}
		}
		// A job id as lp reports it is found on its own job line,
		// wherever that line stands, and not on an indented one.
		// lpstat's columns are split at any white space.
		id := parseLpRequestID("request id is " + job + " (0 file(s))")
		if id == "" || id == "printer" || strings.IndexFunc(id, unicode.IsSpace) >= 0 {
			return
		}
		line := id + "             packline          1024   Tue 06 Jan 2026 09:13:02 AM UTC"
		for _, list := range []string{line, line + "\n" + out, out + "\n" + line, line + "\r\n" + out} {
			if !lpstatHasJob(list, id) {
				t.Fatalf("job %q not found in %q", id, list)
			}
		}
		if !has && (lpstatHasJob(out+"\n\t"+line, id) || lpstatHasJob(out+"\n "+line, id)) {
			t.Fatalf("job %q found on a detail line", id)
		}
	})
}

func FuzzWindowsSpoolerStatus(f *testing.F) {
	for _, c := range []struct {
		bits                    uint32
		text                    string
		status, attributes, jbs uint32
	}{
		{0x0, "", 0, 0, 0},
		{0x10, "", 0x1, 0, 1},
		{0x8, "", 0x80 | 0x10, 0x400, 2},
		{0x80, "", 0, 0, 0},
		{0x2080, "", 0x1, 0, 1},
		{0x1000, "", 0, 0, 0},
		{0x104, "", 0, 0, 0},
		{0x14, "", 0, 0, 0},
		{0x32, "", 0, 0, 0},
		{0x50, "", 0x10, 0, 1},
		{0x410, "", 0x100000, 0, 1},
		{0x1, "", 0, 0, 0},
		{0x200, "", 0, 0, 3},
		{0x12, "Printer not responding ", 0x2, 0, 1},
		{0x0, "", 0x400000, 0x400, 0xffffffff},
	} {
		f.Add(c.bits, c.text, c.status, c.attributes, c.jbs)
	}
	f.Fuzz(func(t *testing.T, bits uint32, text string, status, attributes, jobs uint32) {
		p := windowsJobPoll(bits, text)
		if !strings.Contains(p.fault.Raw, fmt.Sprintf("status=%#x", bits)) {
			t.Fatalf("raw %q does not show the bits %#x", p.fault.Raw, bits)
		}
		finished := bits&(jobStatusPrinted|jobStatusComplete|jobStatusDeleted|jobStatusDeleting) != 0
		if p.done != finished {
			t.Fatalf("status %#x: done %v", bits, p.done)
		}
		if p.done && (!p.fault.Ready || len(p.fault.Errors) != 0) {
			t.Fatalf("status %#x: done with fault %+v", bits, p.fault)
		}
		if p.fault.Ready != (len(p.fault.Errors) == 0) {
			t.Fatalf("status %#x: ready %v with errors %q", bits, p.fault.Ready, p.fault.Errors)
		}
		held := bits&(jobStatusOffline|jobStatusPaperOut|jobStatusError|jobStatusUserIntervention|jobStatusBlockedDevQ|jobStatusPaused) != 0
		if !p.done && p.fault.Ready == held {
			t.Fatalf("status %#x: fault %+v", bits, p.fault)
		}

		q := windowsPrinterStatus(status, attributes, jobs)
		if q.Ready != (len(q.Errors) == 0) {
			t.Fatalf("printer status %#x: ready %v with errors %q", status, q.Ready, q.Errors)
		}
		if want := fmt.Sprintf("status=%#x attributes=%#x jobs=%d", status, attributes, jobs); q.Raw != want {
			t.Fatalf("printer raw %q, want %q", q.Raw, want)
		}
		if (jobs > 0) != (len(q.Warnings) == 1) {
			t.Fatalf("%d jobs: warnings %q", jobs, q.Warnings)
		}

		w := p.withQueue(q)
		switch {
		case p.done || len(p.fault.Errors) > 0 || q.Ready:
			if fmt.Sprint(w) != fmt.Sprint(p) {
				t.Fatalf("queue %+v changed poll %+v to %+v", q, p, w)
			}
		default:
			if w.done || w.fault.Ready || fmt.Sprint(w.fault.Errors) != fmt.Sprint(q.Errors) || !strings.HasSuffix(w.fault.Raw, "queue "+q.Raw) {
				t.Fatalf("job %+v behind queue %+v: %+v", p, q, w)
			}
		}
		for _, st := range []Status{p.fault, q, w.fault} {
			if !st.Ready {
				if msg := (&NotReadyError{Status: st}).Error(); len(msg) < len("printer not ready: x") {
					t.Fatalf("fault %+v: error %q", st, msg)
				}
			}
		}
	})
}

func FuzzParseDatatype(f *testing.F) {
	for _, s := range []string{"", "auto", "AUTO", "RAW", "raw", "XPS_PASS", "xps_pass", " RAW ", "EMF", "NT EMF 1.008", "TEXT"} {
		f.Add("Zebra ZP450", s)
	}
	f.Fuzz(func(t *testing.T, printer, s string) {
		dt, err := parseDatatype(printer, s)
		if err != nil {
			if dt != "" || !strings.Contains(err.Error(), fmt.Sprintf("datatype=%q", s)) || !strings.Contains(err.Error(), fmt.Sprintf("%q", printer)) {
				t.Fatalf("datatype=%q: %q, %v", s, dt, err)
			}
			return
		}
		switch dt {
		case datatypeAuto, datatypeRAW, datatypeXPSPass:
		default:
			t.Fatalf("datatype=%q read as %q", s, dt)
		}
		if again, err := parseDatatype(printer, dt); err != nil || again != dt {
			t.Fatalf("datatype %q does not read back: %q, %v", dt, again, err)
		}
		for _, attrs := range []uint32{0, printerDriverXPS} {
			for _, known := range []bool{false, true} {
				got := chooseDatatype(dt, attrs, known)
				if got != datatypeRAW && got != datatypeXPSPass || dt != datatypeAuto && got != dt {
					t.Fatalf("chooseDatatype(%q, %#x, %v) = %q", dt, attrs, known, got)
				}
			}
		}
	})
}
