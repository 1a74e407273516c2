package installer

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Kind says what a File is and how Install and Uninstall treat it.
type Kind int

// File kinds.
const (
	// Program is a file of the installed program: replaced on every
	// install or upgrade, removed on uninstall.
	Program Kind = iota
	// Config is the site's configuration: written only when absent, kept
	// on upgrade and uninstall, removed on purge.
	Config
	// DataDir is the agent's data directory: created when absent, kept on
	// upgrade and uninstall, removed on purge.
	DataDir
	// ConfigDir holds Config: kept unless purged.
	ConfigDir
)

// Source names where a Program file's bytes come from.
type Source int

// File sources.
const (
	Generated Source = iota
	AgentBinary
	StationBinary
)

// File is one installed file or directory.
type File struct {
	// Path is the absolute path on the target system.
	Path string
	Kind Kind
	// Mode, Owner and Group are what the installed file must have; the
	// package's maintainer scripts apply owners other than root.
	Mode         fs.FileMode
	Owner, Group string
	Source       Source
	// Content is a Generated file's bytes.
	Content string
	// Conffile marks a file the package manager keeps when the site
	// changed it (dpkg conffiles).
	Conffile bool
}

// Dir reports whether f is a directory.
func (f File) Dir() bool { return f.Kind == DataDir || f.Kind == ConfigDir }

// Windows locations (default folders).
const (
	WindowsProgramDir = `C:\Program Files\Packline`
	WindowsAgentExe   = WindowsProgramDir + `\packline-agent.exe`
	WindowsStationExe = WindowsProgramDir + `\packline-station.exe`
	WindowsDataDir    = `C:\ProgramData\Packline`
	WindowsConfig     = WindowsDataDir + `\agent.toml`
)

// Layout returns every file Packline installs on goos ("linux", "windows"),
// directories before their contents.
func Layout(goos string) ([]File, error) {
	switch goos {
	case "linux":
		return []File{
			{Path: LinuxAgentBin, Kind: Program, Mode: 0o755, Owner: "root", Group: "root", Source: AgentBinary},
			{Path: LinuxStationBin, Kind: Program, Mode: 0o755, Owner: "root", Group: "root", Source: StationBinary},
			{Path: LinuxUnit, Kind: Program, Mode: 0o644, Owner: "root", Group: "root", Content: SystemdUnit(LinuxAgentBin, LinuxConfig)},
			{Path: LinuxUdevRules, Kind: Program, Mode: 0o644, Owner: "root", Group: "root", Content: UdevRules()},
			{Path: LinuxDesktop, Kind: Program, Mode: 0o644, Owner: "root", Group: "root", Content: DesktopEntry()},
			{Path: LinuxIcon, Kind: Program, Mode: 0o644, Owner: "root", Group: "root", Content: Icon()},
			{Path: LinuxAutostart, Kind: Program, Mode: 0o644, Owner: "root", Group: "root", Content: AutostartEntry(), Conffile: true},
			// The directories are 0751 so that the station app opens the
			// station file and the ui-token by name; the config, with the
			// TikTok app secret, is for root and the service account only.
			{Path: LinuxConfigDir, Kind: ConfigDir, Mode: 0o751, Owner: "root", Group: ServiceGroup},
			{Path: LinuxConfig, Kind: Config, Mode: 0o640, Owner: "root", Group: ServiceGroup, Content: DefaultConfig("linux", LinuxDataDir), Conffile: true},
			{Path: LinuxDataDir, Kind: DataDir, Mode: 0o751, Owner: ServiceUser, Group: ServiceGroup},
		}, nil
	case "windows":
		return []File{
			{Path: WindowsAgentExe, Kind: Program, Mode: 0o755, Owner: "Administrators", Source: AgentBinary},
			{Path: WindowsStationExe, Kind: Program, Mode: 0o755, Owner: "Administrators", Source: StationBinary},
			{Path: WindowsDataDir, Kind: DataDir, Mode: 0o750, Owner: "SYSTEM", Group: "Administrators"},
			{Path: WindowsConfig, Kind: Config, Mode: 0o640, Owner: "SYSTEM", Group: "Administrators", Content: DefaultConfig("windows", WindowsDataDir)},
		}, nil
	}
	return nil, fmt.Errorf("no installation layout for %q: Packline installs on linux and windows", goos)
}

// Installer installs the layout of one operating system under a root
// directory: "/" on a real machine, a temporary directory in tests, the
// package tree when building a package.
type Installer struct {
	// GOOS selects the layout.
	GOOS string
	// Agent and Station are the built binaries. An empty Station skips
	// the station app.
	Agent, Station string
	// PackageTree leaves out what the package's maintainer scripts create
	// on the target (the data directory).
	PackageTree bool
}

// HostPath maps a layout path to its place under root: a Windows path
// C:\Program Files\Packline\x becomes root/Program Files/Packline/x.
func HostPath(root, p string) string {
	if len(p) >= 3 && p[1] == ':' && p[2] == '\\' {
		p = strings.ReplaceAll(p[3:], `\`, "/")
	}
	return filepath.Join(root, filepath.FromSlash(p))
}

// Install installs or upgrades: program files are replaced, the config is
// written only when absent, the data directory and everything in it are
// kept.
func (in Installer) Install(root string) error {
	files, err := Layout(in.GOOS)
	if err != nil {
		return err
	}
	for _, f := range files {
		dst := HostPath(root, f.Path)
		switch {
		case f.Kind == DataDir && in.PackageTree:
			continue
		case f.Dir():
			if err := os.MkdirAll(dst, f.Mode); err != nil {
				return fmt.Errorf("creating %s: %w", f.Path, err)
			}
			if err := os.Chmod(dst, f.Mode); err != nil {
				return fmt.Errorf("setting the mode of %s: %w", f.Path, err)
			}
			continue
		case f.Kind == Config:
			if _, err := os.Stat(dst); err == nil {
				continue // the site's config survives upgrades
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("checking %s: %w", f.Path, err)
			}
		}
		var src io.Reader = strings.NewReader(f.Content)
		switch f.Source {
		case AgentBinary, StationBinary:
			bin := in.Agent
			if f.Source == StationBinary {
				bin = in.Station
			}
			if bin == "" {
				if f.Source == StationBinary {
					continue
				}
				return errors.New("no agent binary given")
			}
			b, err := os.Open(bin)
			if err != nil {
				return fmt.Errorf("reading the binary for %s: %w", f.Path, err)
			}
			defer b.Close()
			src = b
		}
		if err := writeFile(dst, src, f.Mode); err != nil {
			return fmt.Errorf("installing %s: %w", f.Path, err)
		}
	}
	return nil
}

// writeFile replaces dst atomically: a crash mid-upgrade leaves the old or
// the new file, never half of one.
func writeFile(dst string, src io.Reader, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".new-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// Uninstall removes the program files. The config and the data directory
// (store, backups, labels, logs) are kept unless purge is set.
func (in Installer) Uninstall(root string, purge bool) error {
	files, err := Layout(in.GOOS)
	if err != nil {
		return err
	}
	var errs []error
	for i := len(files) - 1; i >= 0; i-- {
		f := files[i]
		dst := HostPath(root, f.Path)
		keep := f.Kind != Program && !purge
		if keep {
			continue
		}
		var err error
		if f.Dir() {
			err = os.RemoveAll(dst)
		} else {
			err = os.Remove(dst)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing %s: %w", f.Path, err))
		}
	}
	return errors.Join(errs...)
}
