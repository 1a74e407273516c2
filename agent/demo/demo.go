// Package demo runs Packline with no TikTok account and no hardware: the
// agent against the built-in TikTok Shop simulator, with a simulated scale
// and a simulated printer that writes each label as a PNG. Headless, it
// packs a few orders itself and says what it did; otherwise it opens the
// station app on the agent.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/daemon"
	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/tiktok/tiktoksim"
	"github.com/packline/packline/drivers/scale/scalesim"
)

// Station is the demo's one station id.
const Station = "st1"

// Options configure a demo run.
type Options struct {
	// Dir holds the demo's config, store and label PNGs; it is created.
	Dir string
	// Orders is how many orders the simulator seeds.
	Orders int
	Seed   int64
	// Listen is the local API address ("127.0.0.1:0" picks a free port).
	Listen string
	// Headless packs Pack orders and returns instead of opening the app.
	Headless bool
	Pack     int
	// StationBin is the packline-station executable for the windowed demo.
	StationBin string
	// Out receives what the demo does, for a person to read.
	Out    io.Writer
	Logger *slog.Logger
	// LabelCacheDir is passed to the agent (tests share one).
	LabelCacheDir string
}

// Demo is a running demo.
type Demo struct {
	Sim   *tiktoksim.Sim
	Agent *daemon.Agent
	Cfg   *config.Config
	scale *scalesim.Sim
	out   io.Writer
	// catalog maps SKU id to catalogue item, for pick sheets and weights.
	catalog map[string]tiktoksim.CatalogItem
}

// Start starts the simulator and the agent.
func Start(ctx context.Context, opt Options) (*Demo, error) {
	if opt.Orders <= 0 {
		opt.Orders = 24
	}
	if opt.Seed == 0 {
		opt.Seed = 42
	}
	if opt.Listen == "" {
		opt.Listen = "127.0.0.1:0"
	}
	if opt.Out == nil {
		opt.Out = io.Discard
	}
	dir, err := filepath.Abs(opt.Dir)
	if err != nil {
		return nil, fmt.Errorf("demo directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating demo directory: %w", err)
	}
	// A few buyers cancel, or ask to, right after the agent first reads
	// their order: PackHeadless packs one of them to show the refusal.
	sim := tiktoksim.New(tiktoksim.Options{Seed: opt.Seed, Orders: opt.Orders, Logger: opt.Logger, MidPackCancels: 0.1, MidPackDelay: 300 * time.Millisecond})
	if _, err := sim.Start("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("starting the TikTok Shop simulator: %w", err)
	}
	scaleName := fmt.Sprintf("demo-%d", time.Now().UnixNano())
	cfgText := Config(dir, sim, opt.Listen, scaleName)
	cfgPath := filepath.Join(dir, "agent.toml")
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		sim.Close()
		return nil, fmt.Errorf("writing demo config: %w", err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		sim.Close()
		return nil, err
	}
	a, err := daemon.Start(ctx, cfg, opt.Logger, daemon.Options{Version: "demo", LabelCacheDir: opt.LabelCacheDir})
	if err != nil {
		sim.Close()
		return nil, err
	}
	d := &Demo{Sim: sim, Agent: a, Cfg: cfg, scale: scalesim.Shared(scaleName), out: opt.Out, catalog: map[string]tiktoksim.CatalogItem{}}
	for _, c := range sim.Catalog() {
		d.catalog[c.SKUID] = c
	}
	if _, err := a.Intake.Pull(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("first order pull: %w", err)
	}
	return d, nil
}

// Close stops the agent and the simulator.
func (d *Demo) Close() error {
	return errors.Join(d.Agent.Stop(), d.Sim.Close())
}

// Config is the demo's agent configuration: one station with a simulated
// NCI scale and a simulated ZPL printer, three boxes.
func Config(dir string, sim *tiktoksim.Sim, listen, scaleName string) string {
	slash := filepath.ToSlash
	return fmt.Sprintf(`# Packline demo configuration: the agent against the TikTok Shop simulator.
[agent]
data_dir = %q
time_zone = "America/Los_Angeles"

[log]
file = %q
level = "info"

[tiktok]
%s
poll_interval = "15s"
weight_unit = "POUND"

[api]
listen = %q

[weight]
tolerance_grams = 40
tolerance_percent = 5

[[box]]
code = "BOX-S"
name = "Small 8x6x4"
length = "8"
width = "6"
height = "4"
tare_grams = 90

[[box]]
code = "BOX-M"
name = "Medium 12x9x6"
length = "12"
width = "9"
height = "6"
tare_grams = 150

[[box]]
code = "BOX-L"
name = "Large 16x12x10"
length = "16"
width = "12"
height = "10"
tare_grams = 260

[[station]]
id = %q
name = "Pack 1"
scale = "sim://scale?protocol=nci&name=%s&motion=600ms"
printer = "sim://printer?dir=%s"
dpi = 203
`, slash(dir), slash(filepath.Join(dir, "agent.log")), sim.AgentConfig(), listen, Station, scaleName, slash(filepath.Join(dir, "labels")))
}

// Expected is the catalogue weight of an order's units plus the box tare.
func (d *Demo) Expected(o tiktoksim.Order, tare order.Mass) order.Mass {
	m := tare
	for _, li := range o.LineItems {
		if len(li.CombinedListingSKUs) == 0 {
			m += d.catalog[li.SKUID].Weight
		}
		for _, c := range li.CombinedListingSKUs {
			m += d.catalog[c.SKUID].Weight * order.Mass(c.SKUCount)
		}
	}
	return m
}

// Codes are the barcodes a packer scans for an order's units: the GTIN
// printed on each item.
func (d *Demo) Codes(o tiktoksim.Order) []string {
	var codes []string
	add := func(sku, seller string) {
		if c, ok := d.catalog[sku]; ok && c.GTIN != "" {
			codes = append(codes, c.GTIN)
			return
		}
		codes = append(codes, seller)
	}
	for _, li := range o.LineItems {
		if li.DisplayStatus == order.StatusCancelled && o.Status != order.StatusCancelled {
			continue // the rest of the order ships; a cancelled order was picked whole
		}
		if len(li.CombinedListingSKUs) == 0 {
			add(li.SKUID, li.SellerSKU)
		}
		for _, c := range li.CombinedListingSKUs {
			for range c.SKUCount {
				add(c.SKUID, c.SellerSKU)
			}
		}
	}
	return codes
}

// PickSheet writes the queue with each order's item barcodes, so a person
// at the station app can "scan" by typing them.
func (d *Demo) PickSheet(w io.Writer, max int) {
	_, queue, _, _ := d.Agent.Engine.Snapshot(Station)
	fmt.Fprintf(w, "Pick sheet (type these into the scan field; boxes: BOX-S, BOX-M, BOX-L):\n")
	for i, q := range queue {
		if i == max {
			fmt.Fprintf(w, "  … and %d more\n", len(queue)-max)
			break
		}
		so, ok := d.Sim.Order(q.OrderID)
		if !ok {
			continue
		}
		fmt.Fprintf(w, "  order %s  due %s  items: %s\n", q.OrderID, q.Deadline.Local().Format("Mon 15:04"), strings.Join(d.Codes(so), " "))
	}
}

// AutoScale plays the packer's hands at the scale: when a station is
// weighing it puts the box on (the expected weight plus a little, after
// some motion), and takes it off when the order is done.
func (d *Demo) AutoScale(ctx context.Context) {
	t := time.NewTicker(150 * time.Millisecond)
	defer t.Stop()
	var onScale string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v, _, _, _ := d.Agent.Engine.Snapshot(Station)
		switch {
		case v.Phase == apitype.PhaseWeighing && v.Order != nil && onScale != v.Order.ID:
			so, ok := d.Sim.Order(v.Order.ID)
			if !ok {
				continue
			}
			var tare order.Mass
			if v.Box != nil {
				tare = order.Mass(v.Box.TareGrams * float64(order.Gram))
			}
			grams := d.Expected(so, tare).Grams() + 2 + rand.Float64()*15
			d.scale.SetWeight(fmt.Sprintf("%.1f", grams), "g")
			onScale = v.Order.ID
		case (v.Phase == apitype.PhaseIdle || v.Phase == apitype.PhaseScanning) && onScale != "":
			d.scale.SetWeight("0", "g")
			onScale = ""
		}
	}
}

// PackHeadless packs up to n orders from the queue, most urgent first, and
// reports each step. The second order it tries is one whose buyer cancels
// meanwhile, if the simulator has one queued: the agent refuses its label.
func (d *Demo) PackHeadless(ctx context.Context, n int) error {
	go d.AutoScale(ctx)
	eng := d.Agent.Engine
	w := d.out
	_, queue, _, _ := eng.Snapshot(Station)
	sort.SliceStable(queue, func(i, j int) bool { return queue[i].Deadline.Before(queue[j].Deadline) })
	// An ordinary order first, then one whose buyer changed their mind
	// since intake, to show the refusal.
	minds := d.Sim.MindChanges()
	mind := func(q apitype.QueueEntry) bool { return slices.Contains(minds, q.OrderID) }
	move := func(from, to int) {
		q := queue[from]
		queue = slices.Insert(slices.Delete(queue, from, from+1), to, q)
	}
	if i := slices.IndexFunc(queue, func(q apitype.QueueEntry) bool { return !mind(q) }); i > 0 {
		move(i, 0)
	}
	if i := slices.IndexFunc(queue, mind); i > 1 {
		move(i, 1)
	}
	packed := 0
orders:
	for _, q := range queue {
		if packed == n {
			break
		}
		so, ok := d.Sim.Order(q.OrderID)
		if !ok {
			continue
		}
		fmt.Fprintf(w, "\norder %s (%d units, due %s)\n", q.OrderID, q.Units, q.Deadline.Local().Format("Mon Jan 2 15:04"))
		if err := d.step(ctx, apitype.CmdScan, q.OrderID); err != nil {
			fmt.Fprintf(w, "  scan order: %v\n", err)
			continue
		}
		if packed == 0 {
			// Show what a wrong item looks like.
			if err := d.step(ctx, apitype.CmdScan, "0000000000000"); err != nil {
				fmt.Fprintf(w, "  scan 0000000000000 → refused: %v\n", err)
			}
		}
		for _, code := range d.Codes(so) {
			if err := d.step(ctx, apitype.CmdScan, code); err != nil {
				if d.dropped() {
					continue orders
				}
				return fmt.Errorf("order %s: scanning %s: %w", q.OrderID, code, err)
			}
			fmt.Fprintf(w, "  scanned %s\n", code)
		}
		box := "BOX-M"
		if q.Units >= 4 {
			box = "BOX-L"
		}
		if err := d.step(ctx, apitype.CmdScan, box); err != nil {
			if d.dropped() {
				continue
			}
			return fmt.Errorf("order %s: box: %w", q.OrderID, err)
		}
		fmt.Fprintf(w, "  box %s, on the scale…\n", box)
		if err := d.waitPhase(ctx, apitype.PhaseWeighing, 5*time.Second); err != nil {
			return err
		}
		time.Sleep(300 * time.Millisecond) // the simulated scale settles after motion
		if err := d.step(ctx, apitype.CmdAcceptWeight, ""); err != nil {
			fmt.Fprintf(w, "  weight: %v\n", err)
			continue
		}
		v, err := d.waitLabel(ctx, 30*time.Second)
		if errors.Is(err, errDropped) {
			fmt.Fprintf(w, "  no label: %s\n", v.Prompt)
			continue
		}
		if err != nil {
			return fmt.Errorf("order %s: %w", q.OrderID, err)
		}
		fmt.Fprintf(w, "  expected %.0f g, measured %.0f g (±%.0f g): ok\n", v.ExpectedGrams, v.MeasuredGrams, v.ToleranceGrams)
		fmt.Fprintf(w, "  label bought: %s, tracking %s, declared %s; printed\n", v.Label.CarrierService(), v.Label.TrackingNumber, v.Label.DeclaredWeight)
		fmt.Fprintf(w, "  TikTok label purchases for this order: %d\n", d.Sim.Purchases(q.OrderID))
		packed++
	}
	pngs, _ := filepath.Glob(filepath.Join(d.Cfg.Agent.DataDir, "labels", "*.png"))
	fmt.Fprintf(w, "\npacked %d orders; label images: %s\n", packed, filepath.Join(d.Cfg.Agent.DataDir, "labels"))
	if len(pngs) < packed {
		return fmt.Errorf("printer simulator holds %d labels for %d packed orders", len(pngs), packed)
	}
	return nil
}

// dropped reports whether the station let go of its order (it was
// cancelled upstream), saying so.
func (d *Demo) dropped() bool {
	v, _, _, _ := d.Agent.Engine.Snapshot(Station)
	if v.Order != nil {
		return false
	}
	fmt.Fprintf(d.out, "  dropped: %s\n", v.Prompt)
	return true
}

func (d *Demo) step(ctx context.Context, kind, code string) error {
	r := d.Agent.Engine.Do(ctx, Station, apitype.Command{Kind: kind, Code: code})
	if !r.OK {
		if r.Error != nil {
			return r.Error
		}
		return errors.New("refused")
	}
	return nil
}

func (d *Demo) waitPhase(ctx context.Context, phase string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		v, _, _, _ := d.Agent.Engine.Snapshot(Station)
		if v.Phase == phase {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("station stayed in %s (%s), expected %s", v.Phase, v.Prompt, phase)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// errDropped is waitLabel's answer when the station let go of the order
// instead of labelling it (it was cancelled upstream).
var errDropped = errors.New("order dropped")

func (d *Demo) waitLabel(ctx context.Context, limit time.Duration) (apitype.StationView, error) {
	deadline := time.Now().Add(limit)
	for {
		v, _, _, _ := d.Agent.Engine.Snapshot(Station)
		if v.Label != nil && v.Label.Printed {
			return v, nil
		}
		if v.Order == nil {
			return v, errDropped
		}
		if v.Phase == apitype.PhaseException || v.Label != nil && v.Label.Error != "" {
			return v, fmt.Errorf("label not printed: %s %s", v.Exception, v.Prompt)
		}
		if time.Now().After(deadline) {
			return v, fmt.Errorf("no label after %s: %s", limit, v.Prompt)
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// RunStation opens the station app on the demo's agent and waits for it to
// close or ctx to end.
func (d *Demo) RunStation(ctx context.Context, bin string) error {
	go d.AutoScale(ctx)
	cmd := exec.CommandContext(ctx, bin, "--agent", "ws://"+d.Agent.Addr, "--token-file", d.Cfg.API.TokenFile, "--station", Station)
	cmd.Stdout, cmd.Stderr = d.out, d.out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the station app %s: %w (build it with 'make station')", bin, err)
	}
	err := cmd.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}
