package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/packline/packline"

// listedPkg is what go list reports about one package.
type listedPkg struct {
	ImportPath   string
	Standard     bool
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// goList runs go list (with -deps if deps) for the patterns that exist in
// the tree, under the given environment additions. go list reads imports
// without building, so cgo packages are listed even without a C compiler.
func goList(t *testing.T, env []string, deps bool, patterns ...string) []listedPkg {
	t.Helper()
	var present []string
	for _, p := range patterns {
		if _, err := os.Stat("../../" + strings.TrimSuffix(p, "...")); err == nil {
			present = append(present, p)
		}
	}
	if len(present) == 0 {
		return nil
	}
	// -e: a forbidden import may not even list under this configuration
	// (Fyne's GL driver without cgo); report it rather than stop.
	args := []string{"list", "-e", "-json=ImportPath,Standard,Imports,TestImports,XTestImports"}
	if deps {
		args = append(args, "-deps")
	}
	cmd := exec.Command("go", append(args, present...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v (%v): %v\n%s", present, env, err, stderr.Bytes())
	}
	var pkgs []listedPkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs
		} else if err != nil {
			t.Fatalf("go list %v: %v", present, err)
		}
		pkgs = append(pkgs, p)
	}
}

// within reports whether path is pkg or a package under it.
func within(path, pkg string) bool {
	return path == pkg || strings.HasPrefix(path, pkg+"/")
}

// forbidImports reports every package reached from patterns that imports
// a package forbidden says it must not, naming the package that crosses
// the line rather than what the forbidden package imports in turn.
func forbidImports(t *testing.T, env []string, why string, forbidden func(string) bool, patterns ...string) {
	t.Helper()
	for _, p := range goList(t, env, true, patterns...) {
		if forbidden(p.ImportPath) {
			continue
		}
		for _, imp := range p.Imports {
			if forbidden(imp) {
				t.Errorf("%s: %s imports %s; %s", strings.Join(env, " "), p.ImportPath, imp, why)
			}
		}
	}
}

// Agent-side and station-side roots of the import graph.
var (
	agentSide   = []string{"./cmd/packline-agent", "./agent/...", "./store/...", "./drivers/...", "./installer/..."}
	stationSide = []string{"./cmd/packline-station", "./ui/..."}
)

// TestImportRules enforces DESIGN.md: the agent, the store, the drivers and
// the installer are cgo-free on linux and windows and never import Fyne;
// the station app and the UI never reach the store or the drivers; only
// the station's main package opens a Fyne app; the wire types are
// stdlib-only.
func TestImportRules(t *testing.T) {
	if testing.Short() {
		t.Skip("go list over the module is slow")
	}
	noFyne := func(dep string) bool { return strings.HasPrefix(dep, "fyne.io/") }
	for _, goos := range []string{"linux", "windows"} {
		env := []string{"CGO_ENABLED=0", "GOOS=" + goos, "GOARCH=amd64"}
		forbidImports(t, env, "the agent side must never import Fyne", noFyne, agentSide...)
		build := exec.Command("go", "build", "-o", os.DevNull, "./cmd/packline-agent")
		build.Dir = "../.."
		build.Env = append(os.Environ(), env...)
		if out, err := build.CombinedOutput(); err != nil {
			t.Errorf("CGO_ENABLED=0 GOOS=%s build of packline-agent: %v\n%s", goos, err, out)
		}
	}
	noStore := func(dep string) bool {
		return within(dep, module+"/store") || within(dep, module+"/drivers") || within(dep, "go.etcd.io/bbolt")
	}
	for _, goos := range []string{"linux", "windows", "darwin"} {
		// With cgo, so files that need it are read too.
		env := []string{"CGO_ENABLED=1", "GOOS=" + goos, "GOARCH=amd64"}
		forbidImports(t, env, "the agent side must never import Fyne", noFyne, agentSide...)
		forbidImports(t, env, "the station app talks to the agent only through the local API", noStore, stationSide...)
	}

	station := module + "/cmd/packline-station"
	for _, p := range goList(t, []string{"CGO_ENABLED=1"}, false, "./...") {
		if p.ImportPath == station {
			continue
		}
		for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
			if imp == "fyne.io/fyne/v2/app" {
				t.Errorf("%s imports fyne.io/fyne/v2/app; only cmd/packline-station may open a Fyne app", p.ImportPath)
			}
		}
	}

	apitype := module + "/agent/localapi/apitype"
	for _, env := range [][]string{{"CGO_ENABLED=0", "GOOS=linux"}, {"CGO_ENABLED=0", "GOOS=windows"}, {"CGO_ENABLED=1", "GOOS=darwin"}} {
		for _, p := range goList(t, env, true, "./agent/localapi/apitype") {
			if !p.Standard && !within(p.ImportPath, apitype) {
				t.Errorf("%s: apitype depends on %s; it may import only the standard library", strings.Join(env, " "), p.ImportPath)
			}
		}
	}
}
