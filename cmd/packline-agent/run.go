package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/daemon"
	"github.com/packline/packline/agent/svc"
)

func init() {
	var cfgPath *string
	register(&command{
		name:    "run",
		summary: "run the agent in the foreground until interrupted (the service manager starts it the same way)",
		flags: func(fs *flag.FlagSet) {
			cfgPath = fs.String("config", config.Defaults().Config, "configuration file (absolute path)")
		},
		run: func(ctx context.Context, c *cli, _ *flag.FlagSet) error {
			return svc.Run(ctx, svc.Options{
				ConfigPath: *cfgPath,
				Start: func(ctx context.Context, cfg *config.Config, log *slog.Logger) (svc.Agent, error) {
					return startAgent(ctx, c, cfg, log)
				},
				NewLogger: daemon.NewLogger,
			})
		},
	})
}

// runOptions are the daemon options of the run verb beyond its version;
// the zero value is production (tests share a label renderer cache).
var runOptions daemon.Options

// startAgent starts the agent for svc.Run. Failures a restart cannot fix are
// svc.ErrPermanent, so the process exits with svc.ExitPermanent and the
// service manager leaves it stopped. From a terminal it says where the local
// API listens.
func startAgent(ctx context.Context, c *cli, cfg *config.Config, log *slog.Logger) (svc.Agent, error) {
	opt := runOptions
	opt.Version = version
	a, err := daemon.Start(ctx, cfg, log, opt)
	if err != nil {
		if daemon.Permanent(err) {
			return nil, fmt.Errorf("%w: %w", svc.ErrPermanent, err)
		}
		return nil, err
	}
	if svc.Interactive() {
		fmt.Fprintf(c.stderr, "packline-agent %s: local API on %s, store %s\n", version, a.Addr, cfg.Store.Path)
	}
	return a, nil
}
