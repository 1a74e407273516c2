package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/packline/packline/agent/demo"
)

func init() {
	var dir, station, listen *string
	var headless *bool
	var orders, pack *int
	register(&command{
		name:    "demo",
		summary: "run the agent against the TikTok Shop simulator with a simulated scale and printer",
		flags: func(fs *flag.FlagSet) {
			dir = fs.String("dir", filepath.Join(os.TempDir(), "packline-demo"), "directory for the demo's config, store, log and label PNGs")
			station = fs.String("station", "", "packline-station executable to open on the agent")
			listen = fs.String("listen", "127.0.0.1:7420", "local API address")
			headless = fs.Bool("headless", false, "pack a few orders without a window and exit")
			orders = fs.Int("orders", 24, "orders the simulator seeds")
			pack = fs.Int("pack", 3, "orders to pack in headless mode")
		},
		run: func(ctx context.Context, c *cli, _ *flag.FlagSet) error {
			if !*headless && *station == "" {
				return fmt.Errorf("give --station PATH to open the station app, or --headless: %w", errUsage)
			}
			// A fresh store each run, so the demo starts from the seed.
			for _, f := range []string{"packline.db", "labels", "spool"} {
				os.RemoveAll(filepath.Join(*dir, f))
			}
			log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			d, err := demo.Start(ctx, demo.Options{Dir: *dir, Orders: *orders, Listen: *listen, Out: c.stdout, Logger: log})
			if err != nil {
				return err
			}
			defer d.Close()
			fmt.Fprintf(c.stdout, "TikTok Shop simulator: %s\nagent local API: %s (token in %s)\nconfig: %s\n\n",
				d.Sim.BaseURL(), d.Agent.Addr, d.Cfg.API.TokenFile, d.Cfg.Path)
			if *headless {
				return d.PackHeadless(ctx, *pack)
			}
			d.PickSheet(c.stdout, 8)
			return d.RunStation(ctx, *station)
		},
	})
}
