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

// systemHandler forwards warnings and errors to the Windows Event Log when
// running under the service control manager.
func systemHandler(s service.Service) slog.Handler {
	if service.Interactive() {
		return nil
	}
	l, err := s.Logger(nil)
	if err != nil || l == nil {
		return nil
	}
	return NewSystemLogHandler(l)
}

// exitOnFailure ends the process when the agent fails on its own: the
// service control manager only returns from Run on its own requests, so the
// process exits with the failure's code and the recovery actions restart it,
// unless the failure is permanent (see holdRecovery).
func exitOnFailure(p *Program) {
	<-p.Failed()
	code := ExitFailed
	if e, ok := p.Err().(*ExitError); ok {
		code = e.Code
	}
	if code == ExitPermanent {
		holdRecovery(p.sysLog)
	}
	p.mu.Lock()
	closer := p.closer
	p.mu.Unlock()
	if closer != nil {
		_ = closer.Close()
	}
	os.Exit(code)
}

// holdRecovery keeps the service control manager from restarting a service
// that failed for good (ExitPermanent: a bad configuration, a store that
// cannot be migrated), which would otherwise go on forever at the last
// recovery delay and take a new pre-migration backup each time.
//
// kardianos reports every failed Start to the service control manager as
// service-specific exit code 1 whatever the cause, and the recovery actions
// also apply to such non-crash failures, so the only lever is the recovery
// configuration itself: it is cleared here, the service stays stopped with
// the error in the Event Log, and prepareRun sets the actions again when an
// operator starts the fixed service. The process itself exits with
// ExitPermanent.
func holdRecovery(log slog.Handler) {
	err := func() error {
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
		if err := s.ResetRecoveryActions(); err != nil {
			return fmt.Errorf("clearing recovery actions: %w", err)
		}
		return nil
	}()
	if log == nil {
		return
	}
	msg, lvl := "the service will not be restarted until the failure is fixed and it is started again", slog.LevelError
	if err != nil {
		msg, lvl = "could not hold back the service's restarts after a permanent failure", slog.LevelWarn
	}
	r := slog.NewRecord(time.Now(), lvl, msg, 0)
	if err != nil {
		r.AddAttrs(slog.String("err", err.Error()))
	}
	_ = log.Handle(context.Background(), r)
}
