package svc

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/kardianos/service"
	"golang.org/x/sys/windows/svc/mgr"
)

// recoveryReset is the failure-free time after which the failure count
// starts again.
const recoveryReset = 60 * time.Second

// afterInstall sets the recovery actions: restart after 1, 2, 4, … 64 s,
// also when the service stops with an error rather than crashing.
func afterInstall() error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connecting to the service control manager: %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(Name)
	if err != nil {
		return fmt.Errorf("opening service %s: %w", Name, err)
	}
	defer s.Close()
	// Restart delays after the 1st, 2nd, … failure, in seconds; the last repeats.
	recoveryDelays := []time.Duration{1, 2, 4, 9, 16, 25, 36, 49, 64}
	actions := make([]mgr.RecoveryAction, len(recoveryDelays))
	for i, d := range recoveryDelays {
		actions[i] = mgr.RecoveryAction{Type: mgr.ServiceRestart, Delay: d * time.Second}
	}
	if err := s.SetRecoveryActions(actions, uint32(recoveryReset/time.Second)); err != nil {
		return fmt.Errorf("setting recovery actions: %w", err)
	}
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return fmt.Errorf("setting recovery on non-crash failures: %w", err)
	}
	c, err := s.Config()
	if err != nil {
		return fmt.Errorf("reading the service configuration: %w", err)
	}
	if c.StartType == mgr.StartAutomatic && !c.DelayedAutoStart {
		c.DelayedAutoStart = true
		if err := s.UpdateConfig(c); err != nil {
			return fmt.Errorf("setting delayed automatic start: %w", err)
		}
	}
	return nil
}

// prepareRun runs under the service control manager before the agent
// starts: a service registered by the MSI gets the same recovery actions as
// one registered by "service install".
func prepareRun(log slog.Handler) {
	if service.Interactive() {
		return
	}
	if err := afterInstall(); err != nil && log != nil {
		r := slog.NewRecord(time.Now(), slog.LevelWarn, "could not set the service's restart policy", 0)
		r.AddAttrs(slog.String("err", err.Error()))
		_ = log.Handle(context.Background(), r)
	}
}

// systemHandler forwards warnings and errors to the Windows Event Log.
func systemHandler(s service.Service) slog.Handler {
	l, err := s.Logger(nil)
	if err != nil || l == nil {
		return nil
	}
	return NewSystemLogHandler(l)
}

// exitOnFailure ends the process when the agent fails on its own: the
// service control manager only returns from Run on its own requests, so the
// process exits with the failure's code and the recovery actions restart it.
func exitOnFailure(p *Program) {
	<-p.Failed()
	code := ExitFailed
	if e, ok := p.Err().(*ExitError); ok {
		code = e.Code
	}
	p.mu.Lock()
	closer := p.closer
	p.mu.Unlock()
	if closer != nil {
		_ = closer.Close()
	}
	os.Exit(code)
}

// waitSignalOr is not used on Windows: the service control manager stops
// the service.
func waitSignalOr(<-chan struct{}) {}
