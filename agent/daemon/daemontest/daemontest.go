// Package daemontest builds agent configurations for tests and benchmarks
// that run the whole agent against the TikTok Shop simulator.
package daemontest

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/tiktok/tiktoksim"
)

// Station names the devices of the configuration's one station, st1. An
// empty Scale is a simulated NCI scale shared under ScaleName (see
// scalesim.Shared); an empty Printer is a simulated printer writing each
// label as a PNG into the data directory's labels folder.
type Station struct {
	ScaleName string
	Scale     string
	Printer   string
}

// Config returns a whole agent configuration in a new temporary data
// directory: the simulator as TikTok Shop (polled hourly, so tests pull when
// they choose), logs to standard error, the local API on a free loopback
// port, a 40 g or 5 % tolerance, the box BOX-M (12x9x6 in, tare 150 g) and
// station st1 with st's devices.
func Config(tb testing.TB, sim *tiktoksim.Sim, st Station) *config.Config {
	tb.Helper()
	dir := tb.TempDir()
	if st.Scale == "" {
		st.Scale = "sim://scale?protocol=nci&name=" + st.ScaleName
	}
	if st.Printer == "" {
		st.Printer = "sim://printer?dir=" + filepath.ToSlash(filepath.Join(dir, "labels"))
	}
	toml := fmt.Sprintf(`
[agent]
data_dir = %q
[log]
file = "-"
[tiktok]
%s
poll_interval = "1h"
[api]
listen = "127.0.0.1:0"
[weight]
tolerance_grams = 40
tolerance_percent = 5
[[box]]
code = "BOX-M"
name = "Medium"
length = "12"
width = "9"
height = "6"
tare_grams = 150
[[station]]
id = "st1"
scale = %q
printer = %q
`, filepath.ToSlash(dir), sim.AgentConfig(), st.Scale, st.Printer)
	cfg, err := config.Parse([]byte(toml))
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}
