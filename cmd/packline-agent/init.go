package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/localapi"
	"github.com/packline/packline/installer"
)

func init() {
	var a initArgs
	register(&command{
		name:    "init",
		args:    "[--config FILE] [--data-dir DIR] [--force]",
		summary: "write a commented default config, create the data directory, the station token and the admin token",
		flags: func(fs *flag.FlagSet) {
			d := config.Defaults()
			fs.StringVar(&a.config, "config", d.Config, "absolute path of the config `file` to write")
			fs.StringVar(&a.dataDir, "data-dir", d.DataDir, "absolute path of the data `directory` the new config names")
			fs.BoolVar(&a.force, "force", false, "replace an existing config (the old one is kept as FILE.<time>.bak)")
		},
		run: func(_ context.Context, c *cli, fs *flag.FlagSet) error {
			if fs.NArg() != 0 {
				return errUsage
			}
			a.goos = runtime.GOOS
			return runInit(c, a)
		},
	})
}

type initArgs struct {
	config, dataDir string
	force           bool
	goos            string
	now             func() time.Time
}

func runInit(c *cli, a initArgs) error {
	if !filepath.IsAbs(a.config) {
		return fmt.Errorf("--config %q is relative: give an absolute path", a.config)
	}
	if !filepath.IsAbs(a.dataDir) {
		return fmt.Errorf("--data-dir %q is relative: give an absolute path", a.dataDir)
	}
	if strings.ContainsAny(a.dataDir, "'\n") {
		return fmt.Errorf("--data-dir %q: a path with a quote or a line break cannot be written to the config", a.dataDir)
	}
	if a.now == nil {
		a.now = time.Now
	}
	_, statErr := os.Stat(a.config)
	exists := statErr == nil
	if statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
		return fmt.Errorf("checking %s: %w", a.config, statErr)
	}
	switch {
	case exists && !a.force:
		fmt.Fprintf(c.stdout, "kept the existing config %s (pass --force to replace it with the defaults)\n", a.config)
	default:
		if err := os.MkdirAll(filepath.Dir(a.config), 0o750); err != nil {
			return fmt.Errorf("creating the config directory: %w", err)
		}
		if exists {
			bak := fmt.Sprintf("%s.%s.bak", a.config, a.now().UTC().Format("20060102T150405Z"))
			if err := os.Rename(a.config, bak); err != nil {
				return fmt.Errorf("keeping the old config: %w", err)
			}
			fmt.Fprintf(c.stdout, "moved the old config to %s\n", bak)
		}
		if err := writeNew(a.config, []byte(installer.DefaultConfig(a.goos, a.dataDir)), 0o640); err != nil {
			return fmt.Errorf("writing the config: %w", err)
		}
		fmt.Fprintf(c.stdout, "wrote the default config %s\n", a.config)
	}
	cfg, err := config.Load(a.config)
	if err != nil {
		return fmt.Errorf("%w\nfix the file, or replace it with the defaults: packline-agent init --force --config %s", err, a.config)
	}
	dd := cfg.Agent.DataDir
	if err := os.MkdirAll(dd, 0o750); err != nil {
		return fmt.Errorf("creating the data directory: %w (run as root / an administrator, or as the service account)", err)
	}
	if fi, err := os.Stat(dd); err == nil && fi.Mode().Perm()&0o006 != 0 && a.goos != "windows" {
		fmt.Fprintf(c.stdout, "warning: the data directory %s can be read or written by every user (mode %o): chmod 0751 %s\n", dd, fi.Mode().Perm(), dd)
	}
	fmt.Fprintf(c.stdout, "data directory %s is ready\n", dd)
	if _, err := os.Stat(cfg.API.TokenFile); errors.Is(err, fs.ErrNotExist) {
		if _, err := localapi.LoadOrCreateToken(cfg.API.TokenFile); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "created the station token %s\n", cfg.API.TokenFile)
	} else if err != nil {
		return fmt.Errorf("checking the station token: %w", err)
	}
	if _, err := os.Stat(cfg.API.AdminTokenFile); errors.Is(err, fs.ErrNotExist) {
		if _, err := localapi.LoadOrCreateAdminToken(cfg.API.AdminTokenFile); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "created the admin token %s (backups through the running agent; only root / administrators may read it)\n", cfg.API.AdminTokenFile)
	} else if err != nil {
		return fmt.Errorf("checking the admin token: %w", err)
	}
	// On Windows the data directory holds the configuration too; keep it
	// (and the tokens, the store and the logs) from the station users, who
	// may read only their token and the station file.
	if err := installer.SecureDataDir(dd, cfg.API.TokenFile, filepath.Join(filepath.Dir(a.config), "station")); err != nil {
		fmt.Fprintf(c.stdout, "warning: %v\n", err)
	}
	if todo := toFill(cfg); len(todo) > 0 {
		fmt.Fprintf(c.stdout, "\nfill in %s:\n", a.config)
		for _, t := range todo {
			fmt.Fprintf(c.stdout, "  - %s\n", t)
		}
		fmt.Fprintf(c.stdout, "then check it: packline-agent check --config %s --devices --upstream\n", a.config)
	} else {
		fmt.Fprintf(c.stdout, "\nthe config names TikTok credentials, a warehouse, stations and boxes; check it: packline-agent check --config %s --devices --upstream\n", a.config)
	}
	return nil
}

// toFill lists what a config still lacks before the agent can work.
func toFill(cfg *config.Config) []string {
	var t []string
	if cfg.TikTok.AppKey == "" {
		t = append(t, "[tiktok] app_key: your TikTok Shop app key (Partner Center)")
	}
	if s, _ := cfg.AppSecretValue(); s == "" {
		t = append(t, "[tiktok] app_secret (or app_secret_file, or PACKLINE_TIKTOK_APP_SECRET): the app secret")
	}
	if cfg.TikTok.AuthCode == "" && cfg.TikTok.RefreshTokenFile == "" {
		t = append(t, "[tiktok] auth_code: the code from the seller's authorisation link (used once at first start)")
	}
	if len(cfg.TikTok.WarehouseIDs) == 0 {
		t = append(t, "[tiktok] warehouse_ids: the TikTok warehouse id(s) this site ships from")
	}
	if len(cfg.Stations) == 0 {
		t = append(t, "[[station]]: one per packing station")
	}
	for _, s := range cfg.Stations {
		if s.Scale == "" {
			t = append(t, fmt.Sprintf("[[station]] %s scale: its scale's URI, e.g. nci+serial:///dev/ttyUSB0 (packline-agent devices lists them)", s.ID))
		}
		if s.Printer == "" {
			t = append(t, fmt.Sprintf("[[station]] %s printer: its label printer's URI, e.g. zpl+tcp://10.1.2.9:9100", s.ID))
		}
	}
	if len(cfg.Boxes) == 0 {
		t = append(t, "[[box]]: the boxes packers use, with their sizes and tare weights")
	}
	return t
}

// writeNew creates path with mode, failing if it exists.
func writeNew(path string, b []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}
