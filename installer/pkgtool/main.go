// Command pkgtool writes the trees and sources the package builds need:
//
//	pkgtool deb-tree -root DIR -agent BIN [-station BIN] -version V
//	pkgtool wxs -out FILE -agent EXE [-station EXE] -version V [-build N]
//	pkgtool config -goos windows -out FILE
//	pkgtool layout -goos linux
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

	"github.com/packline/packline/installer"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "pkgtool: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: pkgtool deb-tree|wxs|config|layout [flags]")
	}
	fs := flag.NewFlagSet("pkgtool "+args[0], flag.ContinueOnError)
	root := fs.String("root", "", "package tree `directory`")
	agent := fs.String("agent", "", "agent binary")
	station := fs.String("station", "", "station binary (optional)")
	version := fs.String("version", "", "version (git describe)")
	build := fs.Int("build", 0, "build number for the MSI version when the version has none")
	out := fs.String("out", "", "output file")
	goos := fs.String("goos", "linux", "operating system of the config or layout")
	withStation := fs.Bool("with-station", true, "the layout includes the station app")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "deb-tree":
		if *root == "" || *agent == "" {
			return errors.New("deb-tree needs -root and -agent")
		}
		return installer.BuildDebTree(*root, *agent, *station, *version)
	case "wxs":
		src, err := installer.MSI{Version: installer.MSIVersion(*version, *build), AgentExe: *agent, StationExe: *station}.Wxs()
		if err != nil {
			return err
		}
		return os.WriteFile(*out, []byte(src), 0o644)
	case "layout":
		// One line per file the package ships: mode, owner/group in the
		// package, path. Owners other than root are set by postinst.
		files, err := installer.Layout(*goos)
		if err != nil {
			return err
		}
		for _, f := range files {
			if f.Kind == installer.DataDir || (f.Source == installer.StationBinary && !*withStation) {
				continue
			}
			fmt.Printf("%s %s:%s %s\n", modeString(f), f.Owner, f.Group, f.Path)
		}
		return nil
	case "config":
		return os.WriteFile(*out, []byte(installer.DefaultConfig(*goos, "")), 0o644)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// modeString is the file's mode as ls and dpkg-deb -c print it.
func modeString(f installer.File) string {
	m := f.Mode
	if f.Dir() {
		m |= fs.ModeDir
	}
	s := m.String()
	if f.Dir() {
		s = "d" + s[1:]
	}
	return s
}
