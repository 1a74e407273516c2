package printer

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// cupsTransport submits each job to a CUPS queue as raw data with
// `lp -d QUEUE -o raw`. CUPS queues pause silently, so the queue state from
// `lpstat -p QUEUE` is checked before each job.
type cupsTransport struct {
	queue string
	tm    timeouts
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

// status reads the queue's state from lpstat.
func (t *cupsTransport) status(ctx context.Context) (Status, error) {
	lpstat, err := exec.LookPath("lpstat")
	if err != nil {
		return Status{}, fmt.Errorf("cups queue %s: lpstat is not installed: %w", t.queue, ErrNoStatus)
	}
	ctx, cancel := context.WithTimeout(ctx, t.tm.status)
	defer cancel()
	out, err := exec.CommandContext(ctx, lpstat, "-p", t.queue).CombinedOutput()
	text := strings.TrimSpace(string(out))
	if err != nil {
		return Status{Raw: text}, fmt.Errorf("cups queue %s: lpstat: %v: %s", t.queue, err, text)
	}
	st := Status{Raw: text, Ready: true}
	if strings.Contains(text, "disabled") {
		st.Ready = false
		st.Errors = append(st.Errors, "cups queue disabled")
	}
	return st, nil
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

func (s *cupsSession) finish(ctx context.Context) error {
	if s.buf.Len() == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.t.tm.write)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.lp, "-d", s.t.queue, "-o", "raw")
	cmd.Stdin = bytes.NewReader(s.buf.Bytes())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("lp -d %s -o raw: %v: %s", s.t.queue, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (s *cupsSession) close() error { return nil }
