package printer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// cupsTransport submits each job to a CUPS queue as raw data with
// `lp -d QUEUE -o raw`. CUPS queues pause silently, so the queue state from
// `lpstat -p QUEUE` is checked before each job, and after `lp` the job is
// followed with `lpstat -o` until it has left the queue: a job held by a
// queue that paused meanwhile is cancelled and reported as a fault, so it
// is sent again rather than taken for printed.
type cupsTransport struct {
	queue string
	tm    timeouts
	// every is how often a submitted job is polled; zero means 250 ms.
	every time.Duration
}

// cupsCommand runs a CUPS client command in the C locale, so its output
// reads the same on every station.
func cupsCommand(ctx context.Context, path string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	return cmd
}

func (t *cupsTransport) open(ctx context.Context) (session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lp, err := exec.LookPath("lp")
	if err != nil {
		return nil, fmt.Errorf("%w: the lp command is not installed: install the CUPS client (apt install cups-client) or print straight to the printer with zpl+tcp://HOST:9100", ErrUnreachable)
	}
	return &cupsSession{t: t, lp: lp}, nil
}

func (t *cupsTransport) close() error { return nil }

// lpstat runs lpstat with args and returns its output.
func (t *cupsTransport) lpstat(ctx context.Context, args ...string) (string, error) {
	lpstat, err := exec.LookPath("lpstat")
	if err != nil {
		return "", fmt.Errorf("cups queue %s: lpstat is not installed: install the CUPS client (apt install cups-client): %w", t.queue, ErrNoStatus)
	}
	ctx, cancel := context.WithTimeout(ctx, t.tm.status)
	defer cancel()
	out, err := cupsCommand(ctx, lpstat, args...).CombinedOutput()
	text := strings.TrimSpace(string(out))
	if err != nil {
		return text, fmt.Errorf("cups queue %s: lpstat %s: %w: %s: check the queue name with lpstat -p", t.queue, strings.Join(args, " "), err, text)
	}
	return text, nil
}

// status reads the queue's state from lpstat.
func (t *cupsTransport) status(ctx context.Context) (Status, error) {
	out, err := t.lpstat(ctx, "-p", t.queue)
	if err != nil {
		return Status{Raw: out}, err
	}
	return parseLpstatPrinter(out, t.queue)
}

// parseLpstatPrinter reads the queue's line of `lpstat -p` in the C locale
// ("printer Q is idle.  enabled since …", "printer Q now printing Q-7.
// enabled since …", "printer Q disabled since … -" followed by the reason
// on a tab-indented line).
func parseLpstatPrinter(out, queue string) (Status, error) {
	lines := strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n")
	prefix := "printer " + queue + " "
	for i, line := range lines {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		var reason string
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "\t") {
			reason = strings.TrimSpace(lines[i+1])
		}
		raw := strings.TrimSpace(line)
		if reason != "" {
			raw += " - " + reason
		}
		st := Status{Raw: raw}
		state := strings.TrimPrefix(line, prefix)
		switch {
		case strings.HasPrefix(state, "disabled"):
			cond := "CUPS queue " + queue + " disabled"
			if reason != "" && reason != "reason unknown" {
				cond += " (" + reason + ")"
			}
			st.Errors = append(st.Errors, cond)
		case strings.HasPrefix(state, "is holding new jobs"):
			st.Errors = append(st.Errors, "CUPS queue "+queue+" holding new jobs: run cupsenable --release "+queue)
		case strings.HasPrefix(state, "is idle"), strings.HasPrefix(state, "now printing"):
			if reason != "" {
				st.Warnings = append(st.Warnings, reason)
			}
		default:
			return Status{Raw: out}, fmt.Errorf("cups queue %s: unrecognised lpstat state %q: %w", queue, raw, ErrNoStatus)
		}
		st.Ready = len(st.Errors) == 0
		return st, nil
	}
	return Status{Raw: out}, fmt.Errorf("cups queue %s: lpstat -p did not list the queue (%q): check the name with lpstat -p: %w", queue, out, ErrNoStatus)
}

var lpRequestID = regexp.MustCompile(`request id is (\S+) \(`)

// parseLpRequestID returns the job id in lp's reply
// ("request id is Q-123 (0 file(s))"), or "" when there is none.
func parseLpRequestID(out string) string {
	if m := lpRequestID.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return ""
}

// lpstatHasJob reports whether the `lpstat -o` job list in out holds job:
// each job's line starts with its id ("Q-123  user  1024  date"); lpstat -l
// detail lines are indented and printer lines start with "printer ".
func lpstatHasJob(out, job string) bool {
	for line := range strings.SplitSeq(out, "\n") {
		if line == "" || line[0] == ' ' || line[0] == '\t' || strings.HasPrefix(line, "printer ") {
			continue
		}
		if f := strings.Fields(line); len(f) > 0 && f[0] == job {
			return true
		}
	}
	return false
}

type cupsSession struct {
	t   *cupsTransport
	lp  string
	buf bytes.Buffer
}

func (s *cupsSession) write(_ context.Context, p []byte) error {
	s.buf.Write(p)
	return nil
}

func (s *cupsSession) canRead() bool                       { return false }
func (s *cupsSession) read([]byte, time.Time) (int, error) { return 0, ErrNoStatus }

// finish submits the job with lp and follows it until it leaves the
// queue's not-completed list. A job held by a queue that is disabled or
// holding jobs is cancelled and the fault returned as a *NotReadyError,
// so it is sent again once the queue is enabled; if it cannot be
// cancelled it stays queued and prints then, and finish reports it as
// taken. A job still waiting without a fault after write_timeout is left
// to CUPS.
func (s *cupsSession) finish(ctx context.Context) error {
	if s.buf.Len() == 0 {
		return nil
	}
	q := s.t.queue
	lctx, cancel := context.WithTimeout(ctx, s.t.tm.write)
	defer cancel()
	cmd := cupsCommand(lctx, s.lp, "-d", q, "-o", "raw")
	cmd.Stdin = bytes.NewReader(s.buf.Bytes())
	out, err := cmd.CombinedOutput()
	text := strings.TrimSpace(string(out))
	if err != nil {
		hint := "check the queue with lpstat -p " + q
		if strings.Contains(text, "not accepting jobs") {
			hint = "run cupsaccept " + q
		}
		return fmt.Errorf("lp -d %s -o raw: %w: %s: %s", q, err, text, hint)
	}
	job := parseLpRequestID(text)
	if job == "" {
		return nil // taken; lp did not say under which id
	}
	outcome, last, _ := followSpoolJob(ctx, s.t.tm.write, orDefault(s.t.every, 250*time.Millisecond), func(ctx context.Context) (spoolPoll, error) {
		out, err := s.t.lpstat(ctx, "-W", "not-completed", "-o", q, "-p", q)
		if err != nil {
			return spoolPoll{}, err
		}
		if !lpstatHasJob(out, job) {
			return spoolPoll{done: true, fault: Status{Ready: true}}, nil
		}
		waiting := spoolPoll{fault: Status{Ready: true}}
		st, err := parseLpstatPrinter(out, q)
		if err != nil {
			return waiting, nil // the job is there; the state is unknown
		}
		return waiting.withQueue(st), nil
	})
	if outcome != spoolFault || s.cancelJob(ctx, job) != nil {
		return nil
	}
	action := "run cupsenable " + q
	if strings.Contains(last.fault.Raw, "holding new jobs") {
		action = "run cupsenable --release " + q
	}
	return fmt.Errorf("CUPS queue %s is paused: %s; job %s was cancelled there and will be sent again: %w",
		q, action, job, &NotReadyError{Status: last.fault})
}

// cancelJob removes job from the CUPS queue.
func (s *cupsSession) cancelJob(ctx context.Context, job string) error {
	path, err := exec.LookPath("cancel")
	if err != nil {
		return fmt.Errorf("cancelling CUPS job %s: %w", job, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.t.tm.status)
	defer cancel()
	if out, err := cupsCommand(ctx, path, job).CombinedOutput(); err != nil {
		return fmt.Errorf("cancel %s: %w: %s", job, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (s *cupsSession) close() error { return nil }

// orDefault returns d, or def when d is not positive.
func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
