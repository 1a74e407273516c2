package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/store"
)

func init() {
	var configPath, dbPath string
	var timeout time.Duration
	var force bool
	register(&command{
		name:    "backup",
		args:    "[--config FILE | --db PATH] FILE",
		summary: "write a consistent copy of the store to FILE",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&configPath, "config", config.Defaults().Config, "agent config `file` whose store.path is backed up")
			fs.StringVar(&dbPath, "db", "", "back up the store file at `path` instead of the config's")
			fs.DurationVar(&timeout, "timeout", 0, "how long to wait for the store's lock (default: the config's store.open_timeout, or 2s)")
			fs.BoolVar(&force, "force", false, "replace FILE if it exists")
		},
		run: func(_ context.Context, c *cli, fs *flag.FlagSet) error {
			if fs.NArg() != 1 {
				return errUsage
			}
			return runBackup(c, backupArgs{config: configPath, db: dbPath, dest: fs.Arg(0), timeout: timeout, force: force})
		},
	})
}

type backupArgs struct {
	config, db, dest string
	timeout          time.Duration
	force            bool
}

func runBackup(c *cli, a backupArgs) error {
	src, wait := a.db, store.DefaultTimeout
	if src == "" {
		cfg, err := config.Load(a.config)
		if err != nil {
			return fmt.Errorf("%w (or name the store file with --db)", err)
		}
		src = cfg.Store.Path
		if d := cfg.Store.OpenTimeout.Duration; d > 0 {
			wait = d
		}
	}
	if a.timeout > 0 {
		wait = a.timeout
	}
	src, err := filepath.Abs(src)
	if err != nil {
		return fmt.Errorf("store path: %w", err)
	}
	dest, err := filepath.Abs(a.dest)
	if err != nil {
		return fmt.Errorf("backup path: %w", err)
	}
	if dest == src {
		return errors.New("the backup file is the store itself: choose another path")
	}
	if fi, err := os.Stat(dest); err == nil {
		if fi.IsDir() {
			return fmt.Errorf("%s is a directory: give a file name, e.g. %s", dest, filepath.Join(dest, "packline-"+time.Now().Format("20060102")+".db"))
		}
		if !a.force {
			return fmt.Errorf("%s already exists: choose another name or pass --force to replace it", dest)
		}
	}
	db, err := store.Open(src, store.Options{Timeout: wait, ReadOnly: true, Logger: slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w\nThe agent service is running and holds the store. Stop it first (packline-agent service stop), run the backup, then start it again (packline-agent service start); or take the backup through the agent's local API", err)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.Stats()
	if err != nil {
		return err
	}
	if err := db.BackupFile(dest); err != nil {
		return err
	}
	fi, err := os.Stat(dest)
	if err != nil {
		return fmt.Errorf("checking the backup: %w", err)
	}
	fmt.Fprintf(c.stdout, "backed up %s to %s: %s (%d bytes), %s, %s waiting\n",
		src, dest, backupSize(fi.Size()), fi.Size(), backupCount(st.OrdersTotal, "order"), backupCount(st.Outbox.Depth, "event"))
	return nil
}

func backupCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func backupSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
