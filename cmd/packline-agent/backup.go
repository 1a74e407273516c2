package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/localapi"
	"github.com/packline/packline/store"
)

func init() {
	var configPath, dbPath string
	var timeout time.Duration
	var force bool
	register(&command{
		name:    "backup",
		args:    "[--config FILE | --db PATH] FILE",
		summary: "write a consistent copy of the store to FILE (through the agent when it is running)",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&configPath, "config", config.Defaults().Config, "agent config `file` whose store.path is backed up")
			fs.StringVar(&dbPath, "db", "", "back up the store file at `path` instead of the config's")
			fs.DurationVar(&timeout, "timeout", 0, "how long to wait for the store's lock (default: the config's store.open_timeout, or 2s)")
			fs.BoolVar(&force, "force", false, "replace FILE if it exists")
		},
		run: func(ctx context.Context, c *cli, fs *flag.FlagSet) error {
			if fs.NArg() != 1 {
				return errUsage
			}
			return runBackup(ctx, c, backupArgs{config: configPath, db: dbPath, dest: fs.Arg(0), timeout: timeout, force: force})
		},
	})
}

type backupArgs struct {
	config, db, dest string
	timeout          time.Duration
	force            bool
}

// runBackup copies the store to a.dest. When the store is free it opens the
// file itself; when a running agent holds it, it asks that agent, through
// its local API and with the admin token, to write the backup.
func runBackup(ctx context.Context, c *cli, a backupArgs) error {
	var cfg *config.Config
	src, wait := a.db, store.DefaultTimeout
	if src == "" {
		var err error
		cfg, err = config.Load(a.config)
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
		if cfg == nil {
			cfg = agentConfigFor(a.config, src)
		}
		if cfg == nil {
			return fmt.Errorf("%w\nThe agent service is running and holds the store. Stop it first (packline-agent service stop), run the backup, then start it again (packline-agent service start); or name the agent's config with --config, so that the running agent writes the backup through its local API", err)
		}
		return backupThroughAgent(ctx, c, cfg, src, dest, a.force)
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

// agentConfigFor loads the config at path when it names the store src, or
// returns nil.
func agentConfigFor(path, src string) *config.Config {
	cfg, err := config.Load(path)
	if err != nil {
		return nil
	}
	if p, err := filepath.Abs(cfg.Store.Path); err != nil || p != src {
		return nil
	}
	return cfg
}

// backupRequestTimeout bounds a backup written by the running agent.
const backupRequestTimeout = 30 * time.Minute

// backupThroughAgent asks the agent that holds the store to write the backup
// to dest: POST /v1/backup on its local API, with the admin token.
func backupThroughAgent(ctx context.Context, c *cli, cfg *config.Config, src, dest string, force bool) error {
	tok, err := localapi.ReadToken(cfg.API.AdminTokenFile)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("the running agent holds the store, and asking it for a backup needs its admin token: %w: run the backup as root / an administrator", err)
		}
		return fmt.Errorf("the running agent holds the store, and asking it for a backup needs its admin token: %w (the agent creates it when it starts; restart it if the file was removed)", err)
	}
	addr := apiAddr(cfg.API.Listen)
	body, err := json.Marshal(localapi.BackupRequest{Path: dest, Force: force})
	if err != nil {
		return fmt.Errorf("backup request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, backupRequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+localapi.BackupPath, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("backup request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("the store %s is held by a running agent, but its local api at %s (api.listen) did not answer: %w", src, addr, err)
	}
	defer resp.Body.Close()
	msg, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading the agent's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the running agent did not write the backup (HTTP %d): %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	var res localapi.BackupResult
	if err := json.Unmarshal(msg, &res); err != nil {
		return fmt.Errorf("reading the agent's answer: %w", err)
	}
	fmt.Fprintf(c.stdout, "backed up %s to %s through the running agent: %s (%d bytes), %s, %s waiting\n",
		res.Store, res.Path, backupSize(res.Bytes), res.Bytes, backupCount(res.Orders, "order"), backupCount(res.Events, "event"))
	return nil
}

// apiAddr is the address to reach a local API that listens on listen: a
// wildcard host is reached on the loopback address.
func apiAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
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
