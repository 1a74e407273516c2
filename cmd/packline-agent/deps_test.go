package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/packline/packline"

// goList runs go list -deps for pkgs under the given environment additions.
func goList(t *testing.T, env []string, pkgs ...string) []string {
	t.Helper()
	var present []string
	for _, p := range pkgs {
		if _, err := os.Stat("../../" + strings.TrimSuffix(strings.TrimPrefix(p, "./"), "/...")); err == nil {
			present = append(present, p)
		}
	}
	cmd := exec.Command("go", append([]string{"list", "-deps"}, present...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list %v (%v): %v\n%s", pkgs, env, err, out)
	}
	return strings.Fields(string(out))
}

// TestImportRules enforces DESIGN.md: the agent is cgo-free and UI-free on
// linux and windows; the UI never reaches the store or the drivers and only
// the station's main package opens a Fyne app; the wire types are stdlib-only.
func TestImportRules(t *testing.T) {
	if testing.Short() {
		t.Skip("go list over the module is slow")
	}
	for _, goos := range []string{"linux", "windows"} {
		env := []string{"CGO_ENABLED=0", "GOOS=" + goos, "GOARCH=amd64"}
		for _, dep := range goList(t, env, "./cmd/packline-agent", "./agent/...", "./store/...", "./drivers/...") {
			if strings.HasPrefix(dep, "fyne.io/") {
				t.Errorf("%s: the agent imports %s; it must never import Fyne", goos, dep)
			}
		}
		build := exec.Command("go", "build", "-o", os.DevNull, "./cmd/packline-agent")
		build.Dir = "../.."
		build.Env = append(os.Environ(), env...)
		if out, err := build.CombinedOutput(); err != nil {
			t.Errorf("CGO_ENABLED=0 GOOS=%s build of packline-agent: %v\n%s", goos, err, out)
		}
	}
	if _, err := os.Stat("../../ui"); err == nil {
		for _, dep := range goList(t, []string{"CGO_ENABLED=0"}, "./ui/...") {
			if dep == module+"/store" || strings.HasPrefix(dep, module+"/store/") || strings.HasPrefix(dep, module+"/drivers") || strings.HasPrefix(dep, "go.etcd.io/bbolt") {
				t.Errorf("ui imports %s; the station app talks to the agent only through the local API", dep)
			}
			if dep == "fyne.io/fyne/v2/app" {
				t.Errorf("a ui package imports fyne.io/fyne/v2/app; only cmd/packline-station may")
			}
		}
	}
	if _, err := os.Stat("../../agent/localapi/apitype"); err == nil {
		for _, dep := range goList(t, nil, "./agent/localapi/apitype") {
			if strings.Contains(dep, ".") && !strings.HasPrefix(dep, module+"/agent/localapi/apitype") {
				t.Errorf("apitype imports %s; it may import only the standard library", dep)
			}
		}
	}
}
