package printer

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// lpstat -p output in the C locale, as CUPS 2.4 prints it.
const (
	lpstatIdle     = "printer label4x6 is idle.  enabled since Tue 06 Jan 2026 09:12:44 AM UTC"
	lpstatPrinting = "printer label4x6 now printing label4x6-12.  enabled since Tue 06 Jan 2026 09:12:44 AM UTC\n\tWaiting for printer to become available."
	lpstatPaused   = "printer label4x6 disabled since Tue 06 Jan 2026 09:14:02 AM UTC -\n\tPaused"
	lpstatStopped  = "printer label4x6 disabled since Tue 06 Jan 2026 09:14:02 AM UTC -\n\treason unknown"
	lpstatHolding  = "printer label4x6 is holding new jobs.  enabled since Tue 06 Jan 2026 09:12:44 AM UTC"
	lpstatJobs     = "label4x6-12             packline          1024   Tue 06 Jan 2026 09:13:02 AM UTC\n" +
		"label4x6-13             packline          2048   Tue 06 Jan 2026 09:13:05 AM UTC"
)

func TestParseLpstatPrinter(t *testing.T) {
	for _, c := range []struct {
		name, out string
		ready     bool
		errors    []string
		warnings  []string
	}{
		{"idle", lpstatIdle, true, nil, nil},
		{"printing", lpstatPrinting, true, nil, []string{"Waiting for printer to become available."}},
		{"paused", lpstatPaused, false, []string{"CUPS queue label4x6 disabled (Paused)"}, nil},
		{"stopped", lpstatStopped, false, []string{"CUPS queue label4x6 disabled"}, nil},
		{"holding", lpstatHolding, false, []string{"CUPS queue label4x6 holding new jobs: run cupsenable --release label4x6"}, nil},
		{"after jobs and other queues", lpstatJobs + "\nprinter label4x6-b disabled since Tue 06 Jan 2026 -\n\tPaused\n" + lpstatIdle, true, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := parseLpstatPrinter(c.out, "label4x6")
			if err != nil {
				t.Fatal(err)
			}
			if st.Ready != c.ready || !slices.Equal(st.Errors, c.errors) || !slices.Equal(st.Warnings, c.warnings) {
				t.Fatalf("status %+v, want ready %v errors %q warnings %q", st, c.ready, c.errors, c.warnings)
			}
			if !strings.HasPrefix(st.Raw, "printer label4x6 ") {
				t.Fatalf("raw %q", st.Raw)
			}
		})
	}
	st, _ := parseLpstatPrinter(lpstatPaused, "label4x6")
	if msg := (&NotReadyError{Status: st}).Error(); !strings.Contains(msg, "cupsenable") {
		t.Fatalf("paused queue: %q gives no remedy", msg)
	}
	for _, out := range []string{"", "printer label4x6-b is idle.  enabled since Tue 06 Jan 2026", "Drucker label4x6 ist frei"} {
		if _, err := parseLpstatPrinter(out, "label4x6"); !errors.Is(err, ErrNoStatus) {
			t.Errorf("%q: err %v, want ErrNoStatus", out, err)
		}
	}
}

func TestParseLpRequestID(t *testing.T) {
	for out, want := range map[string]string{
		"request id is label4x6-123 (0 file(s))":  "label4x6-123",
		"request id is zebra-zp450-7 (1 file(s))": "zebra-zp450-7",
		"lp: Error - scheduler not responding.":   "",
		"":                                        "",
	} {
		if got := parseLpRequestID(out); got != want {
			t.Errorf("%q: %q, want %q", out, got, want)
		}
	}
}

func TestLpstatHasJob(t *testing.T) {
	out := lpstatJobs + "\n\tStatus: Connecting to printer.\n" + lpstatPrinting
	for job, want := range map[string]bool{"label4x6-12": true, "label4x6-13": true, "label4x6-1": false, "label4x6-14": false, "printer": false} {
		if got := lpstatHasJob(out, job); got != want {
			t.Errorf("%s listed = %v, want %v", job, got, want)
		}
	}
	if lpstatHasJob(lpstatIdle, "label4x6-12") {
		t.Error("a job found in an empty list")
	}
}

// cupsBin puts fake lp, lpstat and (if cancel is set) cancel commands on
// PATH. lpstat -p prints before; the job follow (lpstat -W not-completed
// -o Q -p Q) prints follow[i] on its i-th call, the last one from then on.
// Each command appends "name args LC_ALL=… LANG=…" to the returned log.
func cupsBin(t *testing.T, before string, follow []string, cancel bool) (log string) {
	t.Helper()
	bin := t.TempDir()
	log = filepath.Join(bin, "log")
	write := func(name, body string) {
		script := "#!/bin/sh\necho \"" + name + " $* LC_ALL=$LC_ALL LANG=$LANG\" >> " + log + "\n" + body
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("lp", "/bin/cat > "+filepath.Join(bin, "job")+"\necho 'request id is label4x6-5 (0 file(s))'\n")
	printf := func(out string) string {
		return "printf '" + strings.NewReplacer("%", "%%", "\t", "\\t", "\n", "\\n").Replace(out) + "\\n'"
	}
	body := "if [ \"$1\" = -p ]; then " + printf(before) + "; exit 0; fi\n" +
		"n=0; [ -f " + bin + "/n ] && read n < " + bin + "/n; echo $((n+1)) > " + bin + "/n\ncase $n in\n"
	for i, out := range follow {
		pat := "*"
		if i < len(follow)-1 {
			pat = string(rune('0' + i))
		}
		body += pat + ") " + printf(out) + " ;;\n"
	}
	write("lpstat", body+"esac\n")
	if cancel {
		write("cancel", "")
	}
	t.Setenv("PATH", bin)
	t.Setenv("LC_ALL", "de_DE.UTF-8")
	t.Setenv("LANG", "de_DE.UTF-8")
	return log
}

func readLog(t *testing.T, log string) []string {
	t.Helper()
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

func TestCUPSFollowsJobUntilDone(t *testing.T) {
	job := "label4x6-5             packline          1024   Tue 06 Jan 2026 09:13:02 AM UTC\n"
	log := cupsBin(t, lpstatIdle, []string{job + lpstatPrinting, job + lpstatPrinting, lpstatIdle}, true)
	p := open(t, "zpl+cups://label4x6")
	start := time.Now()
	if err := p.Print(testCtx(t), Job{ID: "c", Image: randomLabel(21, 64, 64)}); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 400*time.Millisecond {
		t.Fatal("Print returned before the job left the queue")
	}
	calls := readLog(t, log)
	want := []string{
		"lpstat -p label4x6 LC_ALL=C LANG=C",
		"lp -d label4x6 -o raw LC_ALL=C LANG=C",
		"lpstat -W not-completed -o label4x6 -p label4x6 LC_ALL=C LANG=C",
		"lpstat -W not-completed -o label4x6 -p label4x6 LC_ALL=C LANG=C",
		"lpstat -W not-completed -o label4x6 -p label4x6 LC_ALL=C LANG=C",
	}
	if !slices.Equal(calls, want) {
		t.Fatalf("commands:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
	}
}

func TestCUPSPausedWhileJobWaits(t *testing.T) {
	job := "label4x6-5             packline          1024   Tue 06 Jan 2026 09:13:02 AM UTC\n"
	log := cupsBin(t, lpstatIdle, []string{job + lpstatPaused}, true)
	p := open(t, "zpl+cups://label4x6")
	err := p.Print(testCtx(t), Job{ID: "c", Image: randomLabel(22, 64, 64)})
	var nr *NotReadyError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), "CUPS queue label4x6 is paused: run cupsenable label4x6") {
		t.Fatalf("err = %v, want a paused queue fault", err)
	}
	if !slices.Equal(nr.Status.Errors, []string{"CUPS queue label4x6 disabled (Paused)"}) {
		t.Fatalf("fault %+v", nr.Status)
	}
	if calls := readLog(t, log); !slices.Contains(calls, "cancel label4x6-5 LC_ALL=C LANG=C") {
		t.Fatalf("the held job was not cancelled:\n%s", strings.Join(calls, "\n"))
	}
}

func TestCUPSPausedJobThatCannotBeCancelled(t *testing.T) {
	// The job stays in the CUPS queue and prints once it is enabled, so it
	// must count as taken: sending it again would print it twice.
	job := "label4x6-5             packline          1024   Tue 06 Jan 2026 09:13:02 AM UTC\n"
	cupsBin(t, lpstatIdle, []string{job + lpstatPaused}, false)
	p := open(t, "zpl+cups://label4x6")
	if err := p.Print(testCtx(t), Job{ID: "c", Image: randomLabel(23, 64, 64)}); err != nil {
		t.Fatalf("err = %v, want the job taken", err)
	}
}

func TestCUPSJobStillQueuedAtTimeout(t *testing.T) {
	job := "label4x6-5             packline          1024   Tue 06 Jan 2026 09:13:02 AM UTC\n"
	log := cupsBin(t, lpstatIdle, []string{job + lpstatPrinting}, true)
	p := open(t, "zpl+cups://label4x6?write_timeout=600ms")
	start := time.Now()
	if err := p.Print(testCtx(t), Job{ID: "c", Image: randomLabel(24, 64, 64)}); err != nil {
		t.Fatalf("err = %v, want the job left to CUPS", err)
	}
	if d := time.Since(start); d < 600*time.Millisecond || d > 5*time.Second {
		t.Fatalf("Print took %s, want about the write timeout", d)
	}
	for _, c := range readLog(t, log) {
		if strings.HasPrefix(c, "cancel") {
			t.Fatalf("a waiting job without a fault was cancelled: %s", c)
		}
	}
}

func TestCUPSStatusInCLocale(t *testing.T) {
	// A German station: lpstat must still be read in English.
	bin := t.TempDir()
	script := "#!/bin/sh\nif [ \"$LC_ALL\" = C ]; then echo '" + lpstatIdle + "'; else echo 'Drucker label4x6 ist im Leerlauf.'; fi\n"
	if err := os.WriteFile(filepath.Join(bin, "lpstat"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "lp"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	t.Setenv("LC_ALL", "de_DE.UTF-8")
	p := open(t, "zpl+cups://label4x6")
	if st, err := p.Status(testCtx(t)); err != nil || !st.Ready {
		t.Fatalf("status %+v, %v", st, err)
	}
}

func TestCUPSQueueNotAccepting(t *testing.T) {
	bin := t.TempDir()
	os.WriteFile(filepath.Join(bin, "lpstat"), []byte("#!/bin/sh\necho '"+lpstatIdle+"'\n"), 0o755)
	os.WriteFile(filepath.Join(bin, "lp"), []byte("#!/bin/sh\necho 'lp: Destination \"label4x6\" is not accepting jobs.' >&2\nexit 1\n"), 0o755)
	t.Setenv("PATH", bin)
	p := open(t, "zpl+cups://label4x6")
	err := p.Print(testCtx(t), Job{ID: "c", Image: randomLabel(25, 64, 64)})
	if err == nil || !strings.Contains(err.Error(), "run cupsaccept label4x6") {
		t.Fatalf("err = %v, want a cupsaccept remedy", err)
	}
}
