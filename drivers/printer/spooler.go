package printer

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// A spooler (the Windows print spooler, CUPS) takes a job long before the
// printer does, and a printer that is off, out of paper or paused leaves
// the job waiting in the spooler's queue. followSpoolJob watches a
// submitted job so such a job is not taken for printed.

// spoolPoll is one look at a submitted job.
type spoolPoll struct {
	// done is true once the job has printed, completed or left the
	// spooler's queue.
	done bool
	// fault is set (Ready false) when the job or its queue is held by a
	// fault: the job will not print until someone clears it.
	fault Status
}

// spoolOutcome is how following a job ended.
type spoolOutcome int

const (
	// spoolDone: the job printed or left the queue.
	spoolDone spoolOutcome = iota
	// spoolFault: the job or its queue reported a fault.
	spoolFault
	// spoolTimeout: the job was still waiting, without a fault, when the
	// wait ended.
	spoolTimeout
)

// followSpoolJob polls a submitted job every interval until it is done, a
// fault shows on two polls in a row (a port monitor may flag a passing
// error while it retries) or wait has passed, and returns the last poll. A
// failing poll is retried until wait has passed, then its error is
// returned; ctx ending returns ctx's error.
func followSpoolJob(ctx context.Context, wait, every time.Duration, poll func(context.Context) (spoolPoll, error)) (spoolOutcome, spoolPoll, error) {
	deadline := time.Now().Add(wait)
	faults := 0
	for {
		p, err := poll(ctx)
		if err == nil && !p.fault.Ready && len(p.fault.Errors) > 0 {
			faults++
		} else {
			faults = 0
		}
		switch {
		case ctx.Err() != nil:
			return spoolTimeout, p, ctx.Err()
		case err == nil && p.done:
			return spoolDone, p, nil
		case faults >= 2:
			return spoolFault, p, nil
		case !time.Now().Before(deadline):
			if faults > 0 {
				return spoolFault, p, nil
			}
			return spoolTimeout, p, err
		}
		t := time.NewTimer(min(every, time.Until(deadline)))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return spoolTimeout, p, ctx.Err()
		}
	}
}

// Windows spooler constants (winspool.h).
const (
	jobStatusPaused           = 0x1
	jobStatusError            = 0x2
	jobStatusDeleting         = 0x4
	jobStatusOffline          = 0x20
	jobStatusPaperOut         = 0x40
	jobStatusPrinted          = 0x80
	jobStatusDeleted          = 0x100
	jobStatusBlockedDevQ      = 0x200
	jobStatusUserIntervention = 0x400
	jobStatusComplete         = 0x1000

	printerAttributeWorkOffline = 0x400
	printerDriverXPS            = 0x2
	errorInvalidDatatype        = 1804 // ERROR_INVALID_DATATYPE
	errorInvalidParameter       = 87   // ERROR_INVALID_PARAMETER: no such job
)

// windowsJobPoll reads a JOB_INFO_1/2 Status (and pStatus text, when the
// port monitor set one) of a submitted job. A printed, completed, deleted
// or deleting job is done: it left the queue or is leaving it. A job held
// offline, out of paper, in error, needing the user, blocked by a bad
// earlier job or paused is a fault.
func windowsJobPoll(bits uint32, text string) spoolPoll {
	raw := fmt.Sprintf("job status=%#x", bits)
	if text != "" {
		raw += " " + text
	}
	if bits&(jobStatusPrinted|jobStatusComplete|jobStatusDeleted|jobStatusDeleting) != 0 {
		return spoolPoll{done: true, fault: Status{Ready: true, Raw: raw}}
	}
	st := Status{Raw: raw}
	for _, b := range []struct {
		bit  uint32
		name string
	}{
		{jobStatusOffline, "offline"},
		{jobStatusPaperOut, "paper out"},
		{jobStatusError, "error"},
		{jobStatusUserIntervention, "needs user intervention"},
		{jobStatusBlockedDevQ, "blocked by an earlier job in the Windows queue"},
		{jobStatusPaused, "job paused in the Windows queue"},
	} {
		if bits&b.bit != 0 {
			st.Errors = append(st.Errors, b.name)
		}
	}
	if len(st.Errors) > 0 && text != "" {
		st.Errors = append(st.Errors, "spooler says "+strings.TrimSpace(text))
	}
	st.Ready = len(st.Errors) == 0
	return spoolPoll{fault: st}
}

// windowsPrinterStatus reads a PRINTER_INFO_2 Status and Attributes.
func windowsPrinterStatus(status, attributes, jobs uint32) Status {
	st := Status{Raw: fmt.Sprintf("status=%#x attributes=%#x jobs=%d", status, attributes, jobs)}
	for _, b := range []struct {
		bit  uint32
		name string
	}{
		{0x1, "paused"}, {0x2, "error"}, {0x8, "paper jam"}, {0x10, "paper out"}, {0x40, "paper problem"},
		{0x80, "offline"}, {0x1000, "not available"}, {0x100000, "needs user intervention"}, {0x400000, "door open"},
	} {
		if status&b.bit != 0 {
			st.Errors = append(st.Errors, b.name)
		}
	}
	if attributes&printerAttributeWorkOffline != 0 {
		st.Errors = append(st.Errors, "set to use printer offline")
	}
	if jobs > 0 {
		st.Warnings = append(st.Warnings, fmt.Sprintf("%d jobs in the Windows queue", jobs))
	}
	st.Ready = len(st.Errors) == 0
	return st
}

// Windows datatypes. datatypeAuto picks RAW or XPS_PASS per job.
const (
	datatypeAuto    = ""
	datatypeRAW     = "RAW"
	datatypeXPSPass = "XPS_PASS"
)

// parseDatatype reads ?datatype=: empty or auto picks by driver, RAW and
// XPS_PASS force one.
func parseDatatype(printer, s string) (string, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "AUTO":
		return datatypeAuto, nil
	case datatypeRAW:
		return datatypeRAW, nil
	case datatypeXPSPass:
		return datatypeXPSPass, nil
	}
	return "", fmt.Errorf("printer %q: datatype=%q: use RAW, XPS_PASS or auto (XPS_PASS for v4/XPS drivers, else RAW)", printer, s)
}

// chooseDatatype is the datatype to start a job with: the requested one,
// or for datatypeAuto XPS_PASS when the driver is a v4/XPS driver (its
// DRIVER_INFO_8 attributes have PRINTER_DRIVER_XPS) and RAW otherwise.
func chooseDatatype(requested string, driverAttributes uint32, known bool) string {
	if requested != datatypeAuto {
		return requested
	}
	if known && driverAttributes&printerDriverXPS != 0 {
		return datatypeXPSPass
	}
	return datatypeRAW
}

// retryDatatype is the datatype to try after StartDocPrinter failed with
// errno for tried: XPS_PASS when RAW was picked automatically and the
// driver refused it as an invalid datatype.
func retryDatatype(requested, tried string, errno uintptr) (string, bool) {
	if requested == datatypeAuto && tried == datatypeRAW && errno == errorInvalidDatatype {
		return datatypeXPSPass, true
	}
	return "", false
}

// driverInfo8AttributesOffset is the offset of dwPrinterDriverAttributes in
// DRIVER_INFO_8W for a pointer size of 4 or 8: a DWORD, ten string
// pointers, a FILETIME, an 8-aligned DWORDLONG, eight string pointers. Go
// aligns uint64 to 4 on 386 where the C struct aligns it to 8, so the
// offset is computed rather than taken from a Go struct.
func driverInfo8AttributesOffset(ptr uintptr) uintptr {
	align := func(off, a uintptr) uintptr { return (off + a - 1) &^ (a - 1) }
	off := align(4, ptr) + 10*ptr // cVersion, pName … pszzPreviousNames
	off += 8                      // ftDriverDate
	off = align(off, 8) + 8       // dwlDriverVersion
	off += 8 * ptr                // pszMfgName … pszInfPath
	return off
}

// withQueue adds the state of the job's queue to a poll: a job that is
// still waiting behind a paused, offline or faulty queue is held by that
// fault.
func (p spoolPoll) withQueue(q Status) spoolPoll {
	if p.done || len(p.fault.Errors) > 0 || q.Ready {
		return p
	}
	raw := "queue " + q.Raw
	if p.fault.Raw != "" {
		raw = p.fault.Raw + "; " + raw
	}
	p.fault = Status{Errors: q.Errors, Warnings: q.Warnings, Raw: raw}
	return p
}
