package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/daemon"
)

func init() {
	var cfgPath *string
	register(&command{
		name:    "run",
		summary: "run the agent in the foreground until interrupted",
		flags: func(fs *flag.FlagSet) {
			cfgPath = fs.String("config", config.Defaults().Config, "configuration file (absolute path)")
		},
		run: func(ctx context.Context, c *cli, _ *flag.FlagSet) error {
			cfg, err := config.Load(*cfgPath)
			if err != nil {
				return fmt.Errorf("%w\n(run 'packline-agent init' to write a default configuration)", err)
			}
			log, closer, err := daemon.NewLogger(cfg.Log, nil)
			if err != nil {
				return err
			}
			defer closer.Close()
			a, err := daemon.Start(ctx, cfg, log, daemon.Options{Version: version})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "packline-agent %s: local API on %s, store %s\n", version, a.Addr, cfg.Store.Path)
			select {
			case <-ctx.Done():
			case <-a.Done():
			}
			return a.Stop()
		},
	})
}
