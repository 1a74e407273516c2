package svc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packline/packline/agent/config"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	if body == "" {
		body = fmt.Sprintf("[agent]\ndata_dir = %q\n[log]\nfile = \"-\"\n", filepath.Join(dir, "data"))
	}
	p := filepath.Join(dir, "agent.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type closeCounter struct{ n int }

func (c *closeCounter) Close() error { c.n++; return nil }

func newLogger(closer io.Closer) LoggerFunc {
	return func(config.Log, slog.Handler) (*slog.Logger, io.Closer, error) {
		return slog.New(slog.DiscardHandler), closer, nil
	}
}

// TestStartStopWaitsForRun: Stop returns only after the agent's orderly
// shutdown has finished, and closes the log afterwards.
func TestStartStopWaitsForRun(t *testing.T) {
	path := writeConfig(t, "")
	started := make(chan *config.Config, 1)
	var mu sync.Mutex
	finished := false
	run := func(ctx context.Context, cfg *config.Config, _ *slog.Logger) error {
		started <- cfg
		<-ctx.Done()
		time.Sleep(20 * time.Millisecond) // the agent's drain
		mu.Lock()
		finished = true
		mu.Unlock()
		return nil
	}
	cc := &closeCounter{}
	p, err := NewProgram(Options{ConfigPath: path, Run: run, NewLogger: newLogger(cc)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(nil); err != nil {
		t.Fatalf("Start: %v", err)
	}
	cfg := <-started
	if cfg.Path != path {
		t.Errorf("run got config %q, want %q", cfg.Path, path)
	}
	if err := p.Start(nil); err == nil {
		t.Error("a second Start succeeded; want an error")
	}
	if err := p.Stop(nil); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !finished {
		t.Error("Stop returned before the agent finished")
	}
	if cc.n != 1 {
		t.Errorf("log closed %d times, want 1", cc.n)
	}
	if err := p.Err(); err != nil {
		t.Errorf("Err after an orderly stop = %v, want nil", err)
	}
	select {
	case <-p.Failed():
		t.Error("Failed is closed after an orderly stop")
	default:
	}
}

// TestStopRespectsBudget: an agent that ignores its context does not hold
// Stop past the budget.
func TestStopRespectsBudget(t *testing.T) {
	release := make(chan struct{})
	run := func(ctx context.Context, _ *config.Config, _ *slog.Logger) error {
		<-release
		return nil
	}
	p, err := NewProgram(Options{ConfigPath: writeConfig(t, ""), Run: run, NewLogger: newLogger(nil), StopTimeout: 30 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	err = p.Stop(nil)
	close(release)
	if !errors.Is(err, ErrStopTimeout) {
		t.Fatalf("Stop = %v, want ErrStopTimeout", err)
	}
	<-p.done
}

// TestStartRefusesBadConfig: a broken config is reported by Start, as a
// permanent failure, and the agent never runs.
func TestStartRefusesBadConfig(t *testing.T) {
	ran := false
	run := func(context.Context, *config.Config, *slog.Logger) error { ran = true; return nil }
	for name, body := range map[string]string{
		"unknown key": "[agent]\ndata_dri = \"/x\"\n",
		"bad zone":    "[agent]\ntime_zone = \"Mars/Olympus\"\n",
	} {
		p, err := NewProgram(Options{ConfigPath: writeConfig(t, body), Run: run, NewLogger: newLogger(nil)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = p.Start(nil)
		if err == nil || !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), "packline-agent check") {
			t.Errorf("%s: Start = %v, want a permanent error with the check hint", name, err)
		}
		if err := p.Stop(nil); err != nil {
			t.Errorf("%s: Stop after a failed Start = %v", name, err)
		}
	}
	missing := filepath.Join(t.TempDir(), "none.toml")
	p, _ := NewProgram(Options{ConfigPath: missing, Run: run, NewLogger: newLogger(nil)}, nil)
	if err := p.Start(nil); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing config: Start = %v", err)
	}
	if ran {
		t.Error("the agent ran with a bad config")
	}
	if _, err := NewProgram(Options{ConfigPath: "agent.toml", Run: run, NewLogger: newLogger(nil)}, nil); err == nil {
		t.Error("a relative config path was accepted")
	}
}

// TestRunFailureIsReported: an agent that ends by itself closes Failed and
// yields an exit code: 1 to be restarted, 3 when an operator must act.
func TestRunFailureIsReported(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
	}{
		{errors.New("store: disk full"), ExitFailed},
		{fmt.Errorf("migrating store: %w", ErrPermanent), ExitPermanent},
		{nil, ExitFailed},
	} {
		run := func(context.Context, *config.Config, *slog.Logger) error { return tc.err }
		p, err := NewProgram(Options{ConfigPath: writeConfig(t, ""), Run: run, NewLogger: newLogger(nil)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Start(nil); err != nil {
			t.Fatal(err)
		}
		<-p.Failed()
		var ee *ExitError
		if !errors.As(p.Err(), &ee) || ee.ExitCode() != tc.code {
			t.Errorf("run error %v: Err = %v, want exit code %d", tc.err, p.Err(), tc.code)
		}
		if err := p.Stop(nil); err != nil {
			t.Errorf("Stop after a failure: %v", err)
		}
	}
}

func TestRunPanicIsAFailure(t *testing.T) {
	run := func(context.Context, *config.Config, *slog.Logger) error { panic("boom") }
	p, _ := NewProgram(Options{ConfigPath: writeConfig(t, ""), Run: run, NewLogger: newLogger(nil)}, nil)
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	<-p.Failed()
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Err = %v, want the panic", err)
	}
}

type fakeSysLog struct{ warn, errs []string }

func (f *fakeSysLog) Warning(v ...any) error { f.warn = append(f.warn, fmt.Sprint(v...)); return nil }
func (f *fakeSysLog) Error(v ...any) error   { f.errs = append(f.errs, fmt.Sprint(v...)); return nil }

func TestSystemLogHandlerForwardsWarnAndError(t *testing.T) {
	f := &fakeSysLog{}
	log := slog.New(NewSystemLogHandler(f)).With("station", "S1").WithGroup("scale")
	log.Info("ready")
	log.Warn("scale unstable", "uri", "nci+serial:///dev/ttyUSB0")
	log.Error("store full", "free", "0 B")
	if len(f.warn) != 1 || f.warn[0] != "scale unstable station=S1 scale.uri=nci+serial:///dev/ttyUSB0" {
		t.Errorf("warnings = %q", f.warn)
	}
	if len(f.errs) != 1 || f.errs[0] != `store full station=S1 scale.free="0 B"` {
		t.Errorf("errors = %q", f.errs)
	}
}

func TestServiceConfig(t *testing.T) {
	c := serviceConfig(Options{ConfigPath: "/etc/packline/agent.toml", SystemdUnit: "[Unit]\n"}, nil)
	if c.Name != "packline-agent" || strings.Join(c.Arguments, " ") != "run --config /etc/packline/agent.toml" {
		t.Errorf("name %q arguments %q", c.Name, c.Arguments)
	}
	for k, want := range map[string]any{"SystemdScript": "[Unit]\n", "OnFailure": "restart", "DelayedAutoStart": true, "StartType": "automatic", "OnFailureResetPeriod": 60} {
		if got := c.Option[k]; got != want {
			t.Errorf("option %s = %v, want %v", k, got, want)
		}
	}
}

type fakeAgent struct {
	done    chan struct{}
	stopped chan struct{}
	err     error
}

func (a *fakeAgent) Done() <-chan struct{} { return a.done }
func (a *fakeAgent) Stop() error {
	select {
	case <-a.stopped:
	default:
		close(a.stopped)
	}
	return a.err
}

// TestStartFuncErrorsReachStart: with a StartFunc, the agent's start-up
// error is Start's error (the service manager sees a failed start), and a
// started agent is stopped by Stop.
func TestStartFuncErrorsReachStart(t *testing.T) {
	start := func(context.Context, *config.Config, *slog.Logger) (Agent, error) {
		return nil, errors.New("store locked")
	}
	p, err := NewProgram(Options{ConfigPath: writeConfig(t, ""), Start: start, NewLogger: newLogger(nil)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(nil); err == nil || !strings.Contains(err.Error(), "store locked") {
		t.Fatalf("Start = %v, want the start-up error", err)
	}

	a := &fakeAgent{done: make(chan struct{}), stopped: make(chan struct{})}
	start = func(context.Context, *config.Config, *slog.Logger) (Agent, error) { return a, nil }
	p, _ = NewProgram(Options{ConfigPath: writeConfig(t, ""), Start: start, NewLogger: newLogger(nil)}, nil)
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.stopped:
	default:
		t.Error("Stop did not stop the agent")
	}

	// An agent that ends by itself is a failure with its error.
	a = &fakeAgent{done: make(chan struct{}), stopped: make(chan struct{}), err: errors.New("relay crashed")}
	p, _ = NewProgram(Options{ConfigPath: writeConfig(t, ""), Start: start, NewLogger: newLogger(nil)}, nil)
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	close(a.done)
	<-p.Failed()
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "relay crashed") {
		t.Errorf("Err = %v", err)
	}
}

// TestRunForegroundUntilCancelled: Run starts the agent, keeps it running
// until its context ends, then stops it in order and reports success.
func TestRunForegroundUntilCancelled(t *testing.T) {
	a := &fakeAgent{done: make(chan struct{}), stopped: make(chan struct{})}
	started := make(chan struct{})
	start := func(context.Context, *config.Config, *slog.Logger) (Agent, error) { close(started); return a, nil }
	ctx, cancel := context.WithCancel(context.Background())
	opt := Options{ConfigPath: writeConfig(t, ""), Start: start, NewLogger: newLogger(nil)}
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, opt) }()
	<-started
	select {
	case err := <-errc:
		t.Fatalf("Run returned before it was stopped: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Run after an orderly stop = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	select {
	case <-a.stopped:
	default:
		t.Error("Run returned without stopping the agent")
	}
}

// TestRunExitCodes: Run's error carries the exit code the process ends
// with: 3 for what a restart cannot fix, 1 for what it may.
func TestRunExitCodes(t *testing.T) {
	failing := func(err error) StartFunc {
		return func(context.Context, *config.Config, *slog.Logger) (Agent, error) { return nil, err }
	}
	relayDown := &fakeAgent{done: make(chan struct{}), stopped: make(chan struct{}), err: errors.New("relay crashed")}
	close(relayDown.done)
	for _, tc := range []struct {
		name  string
		path  string
		start StartFunc
		code  int
		want  string
	}{
		{"missing config", filepath.Join(t.TempDir(), "none.toml"), failing(nil), ExitPermanent, "packline-agent init --config"},
		{"bad config", writeConfig(t, "[agent]\ndata_dri = \"/x\"\n"), failing(nil), ExitPermanent, "packline-agent check"},
		{"relative config", "agent.toml", failing(nil), ExitPermanent, "relative"},
		{"migration", writeConfig(t, ""), failing(fmt.Errorf("%w: opening store: schema v9 is newer", ErrPermanent)), ExitPermanent, "schema v9"},
		{"store locked", writeConfig(t, ""), failing(errors.New("opening store: another packline-agent has the store open")), ExitFailed, "store open"},
		{"failed while running", writeConfig(t, ""), func(context.Context, *config.Config, *slog.Logger) (Agent, error) { return relayDown, nil }, ExitFailed, "relay crashed"},
	} {
		err := Run(context.Background(), Options{ConfigPath: tc.path, Start: tc.start, NewLogger: newLogger(nil)})
		var ee *ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != tc.code || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Run = %v, want exit code %d mentioning %q", tc.name, err, tc.code, tc.want)
		}
	}
}
