//go:build !windows

package svc

import (
	"log/slog"
	"os"

	"github.com/kardianos/service"
)

// afterInstall has nothing to add: the systemd unit carries the restart
// policy.
func afterInstall() error { return nil }

// systemHandler sends warnings and errors to standard error, which systemd
// keeps in the journal, when running under the service manager.
func systemHandler(service.Service) slog.Handler {
	if service.Interactive() {
		return nil
	}
	return slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})
}

// exitOnFailure has nothing to do: waitSignalOr returns when the agent
// fails, and Run returns its error.
func exitOnFailure(*Program) {}

// prepareRun has nothing to do outside Windows.
func prepareRun(slog.Handler) {}

// holdRecovery has nothing to do: the systemd unit does not restart a run
// that exits with ExitPermanent (RestartPreventExitStatus=3).
func holdRecovery(slog.Handler) {}
