package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/packline/packline/agent/tiktok/tiktoksim"
	"github.com/packline/packline/store"
)

// TestRunBadConfigIsPermanent: run with a missing or invalid config exits
// with 3, the code the systemd unit does not restart, and says what to do.
func TestRunBadConfigIsPermanent(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "agent.toml")
	code, _, errs := agentCLI("run", "--config", missing)
	if code != 3 || !strings.Contains(errs, missing) || !strings.Contains(errs, "packline-agent init --config "+missing) {
		t.Errorf("missing config: code %d, stderr %q; want 3 and the init hint", code, errs)
	}

	bad := filepath.Join(t.TempDir(), "agent.toml")
	if err := os.WriteFile(bad, []byte("[agent]\ndata_dri = \"/x\"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	code, _, errs = agentCLI("run", "--config", bad)
	if code != 3 || !strings.Contains(errs, "data_dri") || !strings.Contains(errs, "packline-agent check --config "+bad) {
		t.Errorf("invalid config: code %d, stderr %q; want 3 naming the key and the check hint", code, errs)
	}
}

// simConfig writes a config that runs the agent against the TikTok Shop
// simulator with a simulated scale and printer, the local API on a free
// port.
func simConfig(t *testing.T) (cfgPath, data string) {
	t.Helper()
	sim := tiktoksim.New(tiktoksim.Options{Seed: 5, Orders: 3})
	if _, err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	cfgPath = filepath.Join(dir, "agent.toml")
	body := fmt.Sprintf(`[agent]
data_dir = %q
[log]
file = "-"
level = "warn"
[tiktok]
%s
poll_interval = "1h"
[api]
listen = "127.0.0.1:0"
[[station]]
id = "S1"
scale = "sim://scale?name=%s"
printer = "sim://printer?dir=%s"
[[box]]
code = "M"
length = "12"
width = "9"
height = "4"
tare_grams = 120
`, filepath.ToSlash(data), sim.AgentConfig(),
		"run-"+t.Name(), filepath.ToSlash(filepath.Join(dir, "labels")))
	if err := os.WriteFile(cfgPath, []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
	return cfgPath, data
}

// TestRunServesUntilCancelled runs the real agent through the run verb:
// it says where the local API listens, serves it, and on interrupt stops in
// order (the store is released) and exits with 0.
func TestRunServesUntilCancelled(t *testing.T) {
	cfgPath, data := simConfig(t)
	runOptions.LabelCacheDir = filepath.Join(os.TempDir(), "packline-test-pdfium-cache")
	t.Cleanup(func() { runOptions.LabelCacheDir = "" })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() { done <- runMain(ctx, []string{"run", "--config", cfgPath}, &out, &errb) }()

	re := regexp.MustCompile(`local API on (127\.0\.0\.1:\d+), store (\S+)`)
	var m []string
	deadline := time.After(60 * time.Second)
	for m == nil {
		m = re.FindStringSubmatch(errb.String())
		if m != nil {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("run exited with %d before it was stopped: %s", code, errb.String())
		case <-deadline:
			t.Fatalf("run never reported its local API: %q", errb.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if want := filepath.Join(data, "packline.db"); m[2] != want {
		t.Errorf("store %s, want %s", m[2], want)
	}
	resp, err := http.Get("http://" + m[1] + "/healthz")
	if err != nil {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %s", resp.Status)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("run after an interrupt: exit code %d: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop after an interrupt")
	}
	if _, err := http.Get("http://" + m[1] + "/healthz"); err == nil {
		t.Error("the local API still serves after run returned")
	}
	db, err := store.Open(m[2], store.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("the store is not released after run returned: %v", err)
	}
	db.Close()
}

// TestRunStoreFailures: a store that cannot be migrated is permanent (exit
// 3, no restart, no new pre-migration backup each time); a store held by
// another process is not (exit 1, the service manager tries again).
func TestRunStoreFailures(t *testing.T) {
	cfgPath, data := simConfig(t)
	path := filepath.Join(data, "packline.db")
	held, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, append(body, "[store]\nopen_timeout = \"100ms\"\n"...), 0o640)
	code, _, errs := agentCLI("run", "--config", cfgPath)
	held.Close()
	if code != 1 || !strings.Contains(errs, "another packline-agent has the store open") {
		t.Errorf("locked store: code %d, stderr %q; want 1", code, errs)
	}

	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte("99")) }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	code, _, errs = agentCLI("run", "--config", cfgPath)
	if code != 3 || !strings.Contains(errs, "newer than this packline-agent") {
		t.Errorf("store from a newer agent: code %d, stderr %q; want 3", code, errs)
	}
}
