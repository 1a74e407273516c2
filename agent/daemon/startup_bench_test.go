package daemon

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/tiktok/tiktoksim"
	"github.com/packline/packline/store"
)

// BenchmarkStartWith100kOrders measures a real agent process with 100,000
// orders in its store: the time from exec until /healthz answers, and its
// resident memory once ready. Budgets: ready in 1 s, RSS under 150 MB.
func BenchmarkStartWith100kOrders(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	sim := tiktoksim.New(tiktoksim.Options{Seed: 3, Orders: 1})
	if _, err := sim.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	// A fixed free port, so the parent knows where to ask.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	info := sim.Info()
	cfgPath := filepath.Join(dir, "agent.toml")
	os.WriteFile(cfgPath, fmt.Appendf(nil, `
[agent]
data_dir = %q
[log]
file = %q
[tiktok]
app_key = %q
app_secret = %q
api_base = %q
auth_base = %q
shop_cipher = %q
warehouse_ids = [%q]
poll_interval = "1h"
[api]
listen = %q
[[station]]
id = "st1"
printer = "sim://printer?dir=%s"
`, filepath.ToSlash(dir), filepath.ToSlash(filepath.Join(dir, "agent.log")), info.AppKey, info.AppSecret, info.BaseURL, info.BaseURL,
		info.ShopCipher, info.WarehouseID, addr, filepath.ToSlash(filepath.Join(dir, "labels"))), 0o600)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(cfg.Store.Path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	orders := make([]order.Order, 0, 5000)
	for i := range n {
		id := fmt.Sprintf("5764%014d", i)
		orders = append(orders, order.Order{ID: id, Status: order.StatusAwaitingShipment, FulfillmentType: "FULFILLMENT_BY_SELLER",
			UpdateTime: now, RTSDeadline: now.Add(time.Duration(i) * time.Second),
			LineItems: []order.LineItem{{ID: id + "1", SKUID: "s1", ProductID: "p1"}, {ID: id + "2", SKUID: "s2", ProductID: "p2"}}})
		if len(orders) == cap(orders) {
			if _, err := db.PutOrders(orders, nil); err != nil {
				b.Fatal(err)
			}
			orders = orders[:0]
		}
	}
	db.Close()

	var ready, rss []float64
	for range max(b.N, 3) {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
		cmd.Env = append(os.Environ(), envCrashChild+"="+cfgPath, "PACKLINE_CRASH_CACHE="+filepath.Join(os.TempDir(), "packline-test-pdfium-cache"), envIdleChild+"=1")
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for {
			resp, err := http.Get("http://" + addr + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Since(start) > 30*time.Second {
				cmd.Process.Kill()
				b.Fatal("agent not ready after 30 s")
			}
			time.Sleep(2 * time.Millisecond)
		}
		ready = append(ready, float64(time.Since(start).Milliseconds()))
		time.Sleep(500 * time.Millisecond) // let start-up work settle
		rss = append(rss, vmRSS(b, cmd.Process.Pid))
		cmd.Process.Kill()
		cmd.Wait()
	}
	b.ReportMetric(median(ready), "ready-ms")
	b.ReportMetric(median(rss), "rss-MB")
}

// envIdleChild makes a crash-test child start the agent and only wait.
const envIdleChild = "PACKLINE_IDLE_CHILD"

func vmRSS(b *testing.B, pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skip("no /proc: RSS is measured on Linux")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}
