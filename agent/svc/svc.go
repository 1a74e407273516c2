// Package svc runs packline-agent under the operating system's service
// manager (systemd, the Windows service control manager) and installs and
// controls it there. It is a small adapter over github.com/kardianos/service:
// Start loads and validates the configuration and returns its errors at once,
// then runs the agent in a goroutine; Stop cancels the agent's context and
// waits for it, within a hard budget, and never exits the process.
package svc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/kardianos/service"

	"github.com/packline/packline/agent/config"
)

// Service identity.
const (
	Name        = "packline-agent"
	DisplayName = "Packline agent"
	Description = "Packline warehouse agent: TikTok Shop orders, scales and label printers for packing stations."
)

// StopBudget is the longest Stop waits for the agent to finish. The Windows
// service control manager gives up after about 20 s.
const StopBudget = 10 * time.Second

// Exit codes of a failed run. ExitPermanent tells systemd not to restart the
// agent (RestartPreventExitStatus=3): a human has to fix the cause first.
const (
	ExitFailed    = 1
	ExitPermanent = 3
)

// ErrPermanent marks a failure that a restart cannot fix (an invalid
// configuration, a store that cannot be migrated). Wrap it with %w.
var ErrPermanent = errors.New("needs an operator")

// ErrStopTimeout reports an agent that did not finish within the stop budget.
var ErrStopTimeout = errors.New("the agent did not stop in time")

// RunFunc is the agent: it blocks until ctx ends and returns after an
// orderly shutdown (daemon.Run).
type RunFunc func(ctx context.Context, cfg *config.Config, log *slog.Logger) error

// Agent is a started agent (daemon.Agent): Done is closed when it ends,
// Stop shuts it down in order and returns why it ended.
type Agent interface {
	Done() <-chan struct{}
	Stop() error
}

// StartFunc starts the agent and returns once it is ready: the store is
// open and the local API listens (daemon.Start). Its errors reach the
// service manager as a failed start; wrap those a restart cannot fix (a
// store that cannot be migrated, a bad device URI) with ErrPermanent.
type StartFunc func(ctx context.Context, cfg *config.Config, log *slog.Logger) (Agent, error)

// LoggerFunc builds the agent's logger from the config; extra receives the
// same records (daemon.NewLogger).
type LoggerFunc func(c config.Log, extra slog.Handler) (*slog.Logger, io.Closer, error)

// Options configure the service.
type Options struct {
	// ConfigPath is the agent's config file; it must be absolute.
	ConfigPath string
	// Executable is the agent binary; empty means this process's binary.
	Executable string
	// SystemdUnit is the kardianos template of the systemd unit.
	SystemdUnit string
	// Start (preferred) or Run, and NewLogger, are the agent; Program and
	// Run need them. With Start, the service manager sees the agent's
	// start-up errors (store locked, port taken) as a failed start.
	Start     StartFunc
	Run       RunFunc
	NewLogger LoggerFunc
	// StopTimeout bounds Stop; zero means StopBudget.
	StopTimeout time.Duration
	// Load reads the configuration; nil means config.Load.
	Load func(path string) (*config.Config, error)
}

// ExitError is a failed run with the process exit code it asks for.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode returns the process exit code.
func (e *ExitError) ExitCode() int { return e.Code }

// Interactive reports whether the agent runs from a terminal rather than
// under the service manager.
func Interactive() bool { return service.Interactive() }

// Arguments returns the arguments the service manager starts the agent with:
// the run verb is always given, so the agent never guesses whether it runs
// under a service manager.
func Arguments(configPath string) []string { return []string{"run", "--config", configPath} }

// serviceConfig is the kardianos configuration for opt.
func serviceConfig(opt Options, runWait func()) *service.Config {
	kv := service.KeyValue{
		// systemd: our own unit (restart policy, sandbox, state directory).
		"SystemdScript": opt.SystemdUnit,
		// Windows: start at boot, delayed, and restart after a failure.
		"StartType":              "automatic",
		"DelayedAutoStart":       true,
		"OnFailure":              "restart",
		"OnFailureDelayDuration": "1s",
		"OnFailureResetPeriod":   60,
	}
	if runWait != nil {
		kv["RunWait"] = runWait
	}
	return &service.Config{
		Name:        Name,
		DisplayName: DisplayName,
		Description: Description,
		Arguments:   Arguments(opt.ConfigPath),
		Executable:  opt.Executable,
		Option:      kv,
	}
}

func checkPath(p string) error {
	if p == "" {
		return errors.New("no config file given: pass --config with an absolute path")
	}
	if !filepath.IsAbs(p) {
		return fmt.Errorf("config path %q is relative: give an absolute path (a service starts in a system directory)", p)
	}
	return nil
}

// Program is the agent as a kardianos service.Interface.
type Program struct {
	opt    Options
	sysLog slog.Handler

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	runErr  error
	stopped bool
	closer  io.Closer
	log     *slog.Logger
	// failed is closed when the agent returns without being asked to stop.
	failed chan struct{}
}

// NewProgram returns the agent as a service program. sysLog, when not nil,
// receives the agent's log records too (the Windows Event Log).
func NewProgram(opt Options, sysLog slog.Handler) (*Program, error) {
	if err := checkPath(opt.ConfigPath); err != nil {
		return nil, err
	}
	if (opt.Run == nil && opt.Start == nil) || opt.NewLogger == nil {
		return nil, errors.New("svc: Start or Run, and NewLogger, are required")
	}
	if opt.StopTimeout <= 0 {
		opt.StopTimeout = StopBudget
	}
	if opt.Load == nil {
		opt.Load = config.Load
	}
	return &Program{opt: opt, sysLog: sysLog, failed: make(chan struct{})}, nil
}

// Start implements service.Interface. It loads and validates the
// configuration and builds the logger, returning their errors at once, and
// then runs the agent in a goroutine.
func (p *Program) Start(service.Service) error { return p.start() }

// Stop implements service.Interface: it cancels the agent and waits for it
// within the stop budget. It never exits the process.
func (p *Program) Stop(service.Service) error { return p.stop() }

func (p *Program) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done != nil {
		return errors.New("svc: the agent is already started")
	}
	cfg, err := p.opt.Load(p.opt.ConfigPath)
	if errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("%w: %w (write one with: packline-agent init --config %s)", ErrPermanent, err, p.opt.ConfigPath)
		p.sysError(err)
		return err
	}
	if err != nil {
		err = fmt.Errorf("%w: %w (fix the file, then check it with: packline-agent check --config %s)", ErrPermanent, err, p.opt.ConfigPath)
		p.sysError(err)
		return err
	}
	log, closer, err := p.opt.NewLogger(cfg.Log, p.sysLog)
	if err != nil {
		err = fmt.Errorf("%w: setting up logging: %w", ErrPermanent, err)
		p.sysError(err)
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := p.opt.Run
	if p.opt.Start != nil {
		a, err := p.opt.Start(ctx, cfg, log)
		if err != nil {
			cancel()
			log.Error("packline-agent could not start", "err", err)
			if closer != nil {
				_ = closer.Close()
			}
			return fmt.Errorf("starting the agent: %w", err)
		}
		run = func(ctx context.Context, _ *config.Config, _ *slog.Logger) error {
			select {
			case <-ctx.Done():
			case <-a.Done():
			}
			return a.Stop()
		}
	}
	p.cancel, p.done, p.closer, p.log = cancel, make(chan struct{}), closer, log
	go p.run(ctx, cfg, log, run)
	return nil
}

// sysError reports a start-up failure that happened before the agent's
// logger existed to the service manager's log, when there is one.
func (p *Program) sysError(err error) {
	if p.sysLog == nil {
		return
	}
	r := slog.NewRecord(time.Now(), slog.LevelError, "packline-agent could not start", 0)
	r.AddAttrs(slog.String("err", err.Error()))
	_ = p.sysLog.Handle(context.Background(), r)
}

func (p *Program) run(ctx context.Context, cfg *config.Config, log *slog.Logger, run RunFunc) {
	defer close(p.done)
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("agent panicked: %v", r)
			}
		}()
		return run(ctx, cfg, log)
	}()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runErr = err
	if !p.stopped {
		if err == nil {
			err = errors.New("the agent stopped by itself")
			p.runErr = err
		}
		log.Error("packline-agent stopped", "err", err)
		close(p.failed)
	}
}

func (p *Program) stop() error {
	p.mu.Lock()
	if p.done == nil {
		p.mu.Unlock()
		return nil
	}
	p.stopped = true
	cancel, done, closer := p.cancel, p.done, p.closer
	p.mu.Unlock()
	cancel()
	t := time.NewTimer(p.opt.StopTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		p.log.Error("packline-agent did not stop in time; leaving it to the service manager", "budget", p.opt.StopTimeout)
		return fmt.Errorf("%w (budget %s)", ErrStopTimeout, p.opt.StopTimeout)
	}
	if closer != nil {
		_ = closer.Close()
	}
	return nil
}

// Failed is closed when the agent returned without being asked to stop.
func (p *Program) Failed() <-chan struct{} { return p.failed }

// Err returns why the agent ended, as an *ExitError, or nil after an orderly
// stop.
func (p *Program) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.failed:
	default:
		return nil
	}
	return exitError(p.runErr)
}

func exitError(err error) error {
	if err == nil {
		return nil
	}
	code := ExitFailed
	if errors.Is(err, ErrPermanent) {
		code = ExitPermanent
	}
	return &ExitError{Code: code, Err: err}
}

// Run runs the agent until it is stopped or fails. From a terminal it runs
// in the foreground until ctx ends, SIGTERM or Ctrl-C arrives, or the agent
// fails; under the service manager (systemd, the Windows service control
// manager) it runs as the service, until the service manager stops it. The
// error is an *ExitError whose ExitCode the process should exit with:
// ExitPermanent when an operator has to act first.
func Run(ctx context.Context, opt Options) error {
	if err := checkPath(opt.ConfigPath); err != nil {
		return exitError(fmt.Errorf("%w: %w", ErrPermanent, err))
	}
	if Interactive() {
		prog, err := NewProgram(opt, nil)
		if err != nil {
			return exitError(fmt.Errorf("%w: %w", ErrPermanent, err))
		}
		return runForeground(ctx, prog)
	}
	var prog *Program
	wait := func() { waitSignalOr(ctx, prog.Failed()) }
	s, err := service.New(programShim{&prog}, serviceConfig(opt, wait))
	if err != nil {
		return exitError(fmt.Errorf("setting up the service: %w", err))
	}
	sysLog := systemHandler(s)
	prog, err = NewProgram(opt, sysLog)
	if err != nil {
		return exitError(fmt.Errorf("%w: %w", ErrPermanent, err))
	}
	prepareRun(sysLog)
	go exitOnFailure(prog)
	if err := s.Run(); err != nil {
		return exitError(err)
	}
	return prog.Err()
}

// runForeground starts prog, waits for ctx, a signal or a failure, and
// stops it in order.
func runForeground(ctx context.Context, prog *Program) error {
	if err := prog.start(); err != nil {
		return exitError(err)
	}
	waitSignalOr(ctx, prog.Failed())
	if err := prog.stop(); err != nil {
		return exitError(err)
	}
	return prog.Err()
}

// waitSignalOr blocks until ctx ends, SIGTERM or Ctrl-C arrives, or failed
// is closed.
func waitSignalOr(ctx context.Context, failed <-chan struct{}) {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sig)
	select {
	case <-ctx.Done():
	case <-sig:
	case <-failed:
	}
}

// programShim lets the service be created before the program, which needs
// the service's logger. A permanent start failure holds back the service
// manager's restarts (see holdRecovery).
type programShim struct{ p **Program }

func (s programShim) Start(v service.Service) error {
	err := (*s.p).Start(v)
	if errors.Is(err, ErrPermanent) {
		holdRecovery((*s.p).sysLog)
	}
	return err
}

func (s programShim) Stop(v service.Service) error { return (*s.p).Stop(v) }

// Manager installs and controls the installed service.
type Manager struct {
	opt Options
	s   service.Service
}

// NewManager returns a Manager for the service that runs the agent with
// opt.ConfigPath.
func NewManager(opt Options) (*Manager, error) {
	if err := checkPath(opt.ConfigPath); err != nil {
		return nil, err
	}
	s, err := service.New(nopProgram{}, serviceConfig(opt, nil))
	if err != nil {
		return nil, fmt.Errorf("setting up the service: %w", err)
	}
	return &Manager{opt: opt, s: s}, nil
}

type nopProgram struct{}

func (nopProgram) Start(service.Service) error { return nil }
func (nopProgram) Stop(service.Service) error  { return nil }

// Platform names the service manager, e.g. "linux-systemd" or "windows-service".
func (m *Manager) Platform() string { return m.s.Platform() }

// Install registers the service (and on Windows its recovery actions).
func (m *Manager) Install() error {
	if err := m.s.Install(); err != nil {
		return fmt.Errorf("installing the %s service: %w", Name, err)
	}
	if err := afterInstall(); err != nil {
		return fmt.Errorf("the service is installed but its restart policy is not set: %w", err)
	}
	return nil
}

// Uninstall stops (when running) and removes the service.
func (m *Manager) Uninstall() error {
	if st, err := m.s.Status(); err == nil && st == service.StatusRunning {
		if err := m.s.Stop(); err != nil {
			return fmt.Errorf("stopping the %s service: %w", Name, err)
		}
	}
	if err := m.s.Uninstall(); err != nil {
		return fmt.Errorf("removing the %s service: %w", Name, err)
	}
	return nil
}

// Start asks the service manager to start the service.
func (m *Manager) Start() error {
	if err := m.s.Start(); err != nil {
		return fmt.Errorf("starting the %s service: %w", Name, err)
	}
	return nil
}

// Stop asks the service manager to stop the service.
func (m *Manager) Stop() error {
	if err := m.s.Stop(); err != nil {
		return fmt.Errorf("stopping the %s service: %w", Name, err)
	}
	return nil
}

// Status says whether the service is running, stopped or not installed.
func (m *Manager) Status() (string, error) {
	st, err := m.s.Status()
	if errors.Is(err, service.ErrNotInstalled) {
		return "not installed", nil
	}
	if err != nil {
		return "unknown", fmt.Errorf("asking the service manager: %w", err)
	}
	switch st {
	case service.StatusRunning:
		return "running", nil
	case service.StatusStopped:
		return "stopped", nil
	}
	return "unknown", nil
}
