package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/svc"
	"github.com/packline/packline/installer"

	// The time zone database is linked in: a Windows machine has no
	// zoneinfo files, and the warehouse's zone (agent.time_zone) must load
	// there too.
	_ "time/tzdata"
)

func init() {
	for _, v := range []struct {
		verb, summary string
	}{
		{"install", "register the agent with the service manager (systemd, Windows services) and enable it at boot"},
		{"uninstall", "stop the agent service and remove it (the config and the data stay)"},
		{"start", "start the agent service"},
		{"stop", "stop the agent service"},
		{"status", "say whether the agent service is running"},
	} {
		verb := v.verb
		var configPath string
		register(&command{
			name:    "service " + verb,
			args:    "[--config FILE]",
			summary: v.summary,
			flags: func(fs *flag.FlagSet) {
				fs.StringVar(&configPath, "config", config.Defaults().Config, "absolute path of the agent config `file` the service runs with")
			},
			run: func(_ context.Context, c *cli, fs *flag.FlagSet) error {
				if fs.NArg() != 0 {
					return errUsage
				}
				return runService(c, verb, configPath)
			},
		})
	}
}

func runService(c *cli, verb, configPath string) error {
	if !filepath.IsAbs(configPath) {
		abs, _ := filepath.Abs(configPath)
		return fmt.Errorf("--config %q is relative: the service starts in a system directory, so give the absolute path (e.g. %s)", configPath, abs)
	}
	opt := svc.Options{ConfigPath: configPath, SystemdUnit: installer.SystemdTemplate()}
	if verb == "install" {
		cfg, err := config.Load(configPath)
		if err != nil {
			return fmt.Errorf("%w\nthe service needs a valid config: create one with: packline-agent init --config %s (then edit it and run packline-agent check)", err, configPath)
		}
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("locating packline-agent: %w", err)
		}
		if r, err := filepath.EvalSymlinks(exe); err == nil {
			exe = r
		}
		if runtime.GOOS == "linux" {
			if problems := linuxInstallProblems(exe, cfg, lookupUser, fileExists); len(problems) > 0 {
				return errors.New(strings.Join(problems, "\n"))
			}
		}
		opt.Executable = exe
	}
	m, err := svc.NewManager(opt)
	if err != nil {
		return err
	}
	switch verb {
	case "install":
		if err := m.Install(); err != nil {
			return fmt.Errorf("%w (run as root / an administrator)", err)
		}
		fmt.Fprintf(c.stdout, "installed the %s service (%s), starting at boot with %s\nstart it now: packline-agent service start\n", svc.Name, m.Platform(), configPath)
	case "uninstall":
		if err := m.Uninstall(); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "removed the %s service; the config and the data directory were kept\n", svc.Name)
	case "start":
		if err := m.Start(); err != nil {
			return fmt.Errorf("%w\nif it fails again, check the config: packline-agent check --config %s", err, configPath)
		}
		fmt.Fprintf(c.stdout, "started %s\n", svc.Name)
	case "stop":
		if err := m.Stop(); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "stopped %s\n", svc.Name)
	case "status":
		st, err := m.Status()
		if err != nil {
			return err
		}
		switch st {
		case "running":
			fmt.Fprintf(c.stdout, "%s: running (%s)\n", svc.Name, m.Platform())
		case "not installed":
			return fmt.Errorf("%s is not installed (%s): install it with: packline-agent service install --config %s", svc.Name, m.Platform(), configPath)
		default:
			return fmt.Errorf("%s is %s (%s): start it with: packline-agent service start", svc.Name, st, m.Platform())
		}
	}
	return nil
}

func lookupUser(name string) error { _, err := user.Lookup(name); return err }

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// linuxInstallProblems lists what would keep the systemd unit from running
// the agent: the unit runs as user packline with ProtectHome and PrivateTmp,
// and may write only to /var/lib/packline.
func linuxInstallProblems(exe string, cfg *config.Config, lookup func(string) error, exists func(string) bool) []string {
	var p []string
	if exists(installer.LinuxUnit) {
		p = append(p, fmt.Sprintf("the packline package already installed the service (%s): use systemctl enable --now packline-agent", installer.LinuxUnit))
		return p
	}
	for _, dir := range []string{"/home/", "/root/", "/tmp/", "/var/tmp/", "/run/user/"} {
		if strings.HasPrefix(exe, dir) {
			p = append(p, fmt.Sprintf("%s is under %s, which the service cannot see (ProtectHome, PrivateTmp): copy it to /usr/local/bin and run the install from there", exe, dir))
		}
		if strings.HasPrefix(cfg.Path, dir) {
			p = append(p, fmt.Sprintf("the config %s is under %s, which the service cannot see: move it to /etc/packline", cfg.Path, dir))
		}
	}
	if err := lookup(installer.ServiceUser); err != nil {
		p = append(p, fmt.Sprintf("the service runs as user %q, which does not exist: create it with: adduser --system --group --home %s --no-create-home %s && adduser %s dialout && adduser %s plugdev && adduser %s lp",
			installer.ServiceUser, installer.LinuxDataDir, installer.ServiceUser, installer.ServiceUser, installer.ServiceUser, installer.ServiceUser))
	}
	for _, kv := range [][2]string{{"agent.data_dir", cfg.Agent.DataDir}, {"store.path", cfg.Store.Path}, {"store.backup_dir", cfg.Store.BackupDir}, {"log.file", cfg.Log.File}} {
		name, path := kv[0], kv[1]
		if path == "-" {
			continue
		}
		if path != installer.LinuxDataDir && !strings.HasPrefix(path, installer.LinuxDataDir+"/") {
			p = append(p, fmt.Sprintf("%s %s is outside %s, the only directory the service may write: move it there", name, path, installer.LinuxDataDir))
		}
	}
	return p
}
