// Package daemon assembles the agent: the store, the TikTok Shop client,
// each station's scale and printer, the pack-flow engine, the outbox relay,
// order intake and the local API, and runs them until asked to stop.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/engine"
	"github.com/packline/packline/agent/intake"
	"github.com/packline/packline/agent/localapi"
	"github.com/packline/packline/agent/packing"
	"github.com/packline/packline/agent/relay"
	"github.com/packline/packline/agent/sla"
	"github.com/packline/packline/agent/tiktok"
	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/label"
	"github.com/packline/packline/drivers/printer"
	"github.com/packline/packline/drivers/scale"
	"github.com/packline/packline/installer"
	// Every scale protocol and the simulator, so device URIs resolve.
	_ "github.com/packline/packline/drivers/scale/all"
	"github.com/packline/packline/store"
)

// ErrConfig marks a Start failure caused by the configuration (the TikTok
// Shop app key and secret, a device URI, a box, the business-day calendar,
// the sync endpoint): starting again fails the same way until the file is
// fixed.
var ErrConfig = errors.New("invalid configuration")

// Permanent reports whether a Start error needs an operator before another
// start can succeed: the configuration is wrong (ErrConfig) or the store
// cannot be migrated (store.ErrMigration). A locked store or a taken port
// are not permanent: they clear when the other process goes.
func Permanent(err error) bool {
	return errors.Is(err, ErrConfig) || errors.Is(err, store.ErrMigration)
}

// ShutdownBudget is how long an orderly stop may take.
const ShutdownBudget = 10 * time.Second

// Agent is a started agent.
type Agent struct {
	Engine *engine.Engine
	DB     *store.DB
	Client *tiktok.Client
	Intake *intake.Intake
	Relay  *relay.Relay
	// Addr is the local API's bound address.
	Addr  string
	Token string

	log      *slog.Logger
	renderer *labeler
	cancel   context.CancelFunc
	done     chan struct{}
	err      error
}

// Options tune Start for tests and the demo; the zero value is production.
type Options struct {
	// Version is reported by the local API.
	Version string
	// Listener, when set, replaces listening on cfg.API.Listen.
	Listener net.Listener
	// LabelCacheDir, when set, replaces DataDir/cache/pdfium as the label
	// renderer's compilation cache.
	LabelCacheDir string
}

// Run starts the agent and runs it until ctx ends or a part fails, then
// stops it in order within ShutdownBudget.
func Run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	a, err := Start(ctx, cfg, log, Options{})
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-a.done:
	}
	return a.Stop()
}

// Start opens the store and binds the local API synchronously, so that their
// errors reach the caller (a service manager reports them), then runs every
// part in the background.
func Start(ctx context.Context, cfg *config.Config, log *slog.Logger, opt Options) (_ *Agent, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Agent{log: log, done: make(chan struct{})}
	var cleanup []func()
	defer func() {
		if err != nil {
			for i := len(cleanup) - 1; i >= 0; i-- {
				cleanup[i]()
			}
		}
	}()
	if err := os.MkdirAll(cfg.Agent.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}

	db, err := store.Open(cfg.Store.Path, store.Options{
		Timeout: cfg.Store.OpenTimeout.Duration, MaxSize: int64(cfg.Store.MaxSizeMB) << 20,
		BackupDir: cfg.Store.BackupDir, Logger: log.With("part", "store"),
	})
	if err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	a.DB = db
	cleanup = append(cleanup, func() { db.Close() })
	if rec := db.Recovery(); rec != nil {
		log.Error("the store was damaged and has been recovered; open orders will be pulled again",
			"message", rec.Message, "damaged_file", rec.MovedTo, "restored_from", rec.RestoredFrom, "skipped", rec.Skipped)
	}

	client, err := newClient(ctx, cfg, db, log)
	if err != nil {
		return nil, err
	}
	a.Client = client

	cacheDir := opt.LabelCacheDir
	if cacheDir == "" {
		cacheDir = filepath.Join(cfg.Agent.DataDir, "cache", "pdfium")
	}
	renderer := startLabeler(context.WithoutCancel(ctx), label.Options{CacheDir: cacheDir, Logger: log.With("part", "label")})
	a.renderer = renderer
	cleanup = append(cleanup, func() { renderer.Close() })

	cal, err := sla.New(cfg.Agent.TimeZone, cfg.Agent.Holidays, cfg.Agent.DispatchDays)
	if err != nil {
		return nil, fmt.Errorf("business-day calendar: %w: %w", ErrConfig, err)
	}

	var runners []func(context.Context) error
	var stations []engine.StationDevices
	var monitors = map[string]*scale.Monitor{}
	var queues = map[string]*printer.Queue{}
	for _, s := range cfg.Stations {
		dev := engine.StationDevices{ID: s.ID, Name: s.Name, ScaleURI: s.Scale, PrinterURI: s.Printer, Label: engine.LabelSpec{DPI: s.DPI, Stock: s.Stock}}
		if s.Scale != "" {
			u, err := deviceuri.Parse(s.Scale)
			if err != nil {
				return nil, fmt.Errorf("station %s scale: %w: %w", s.ID, ErrConfig, err)
			}
			m := scale.NewMonitor(u, scale.MonitorOptions{Options: scale.Options{Logger: log.With("part", "scale", "station", s.ID)}})
			monitors[s.ID] = m
			dev.Scale = scaleDevice{m: m, n: cfg.Weight.StableReadings}
			runners = append(runners, m.Run)
		}
		if s.Printer != "" {
			u, err := deviceuri.Parse(s.Printer)
			if err != nil {
				return nil, fmt.Errorf("station %s printer: %w: %w", s.ID, ErrConfig, err)
			}
			p, err := printer.Open(u, printer.Options{DPI: s.DPI, Stock: s.Stock, Logger: log.With("part", "printer", "station", s.ID)})
			if err != nil {
				return nil, fmt.Errorf("station %s printer: %w", s.ID, err)
			}
			cleanup = append(cleanup, func() { p.Close() })
			q, err := printer.NewQueue(p, printer.QueueOptions{SpoolDir: filepath.Join(cfg.Agent.DataDir, "spool", s.ID),
				// An idle printer is asked for its status, so paper out
				// shows before the next label, not with it.
				PollEvery: 15 * time.Second, Logger: log.With("part", "print-queue", "station", s.ID)})
			if err != nil {
				return nil, fmt.Errorf("station %s print queue: %w", s.ID, err)
			}
			queues[s.ID] = q
			dev.Printer = printerDevice{q: q}
			runners = append(runners, q.Run)
		}
		stations = append(stations, dev)
	}

	var boxes []orderBox
	for _, b := range cfg.Boxes {
		ob, err := b.Order()
		if err != nil {
			return nil, fmt.Errorf("box %s: %w: %w", b.Code, ErrConfig, err)
		}
		boxes = append(boxes, ob)
	}
	barcodes := map[string]engine.BarcodeEntry{}
	for _, bc := range cfg.Barcodes {
		barcodes[bc.Code] = engine.BarcodeEntry{SKUID: bc.SKUID, Units: bc.Units}
	}

	rl := relay.New(relay.FromStore(db), relay.Options{Logger: log.With("part", "relay")})
	a.Relay = rl
	pub := &publisher{}
	eng, err := engine.New(engine.Deps{
		Store: engine.FromStore(db), Shop: shop{c: client, docSize: cfg.TikTok.DocumentSize}, Labeler: renderer, Stations: stations,
		Publisher: pub, Relay: rl, Calendar: cal, Logger: log.With("part", "engine"),
	}, engine.Options{
		Weight:     packing.Policy{ToleranceGrams: cfg.Weight.ToleranceGrams, TolerancePercent: cfg.Weight.TolerancePercent, SkipUnknown: cfg.Weight.UnknownProduct == "skip"},
		WeightUnit: cfg.TikTok.WeightUnit, Boxes: boxes, Barcodes: barcodes,
	})
	if err != nil {
		return nil, fmt.Errorf("pack flow: %w", err)
	}
	a.Engine = eng
	rl.Register(engine.KindLabelPurchase, eng.LabelPurchaseHandler())
	syncToken := ""
	if cfg.Sync.TokenFile != "" {
		b, err := os.ReadFile(cfg.Sync.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("reading sync token: %w", err)
		}
		syncToken = string(trimSpace(b))
	}
	syncHandler, err := relay.SyncHandler(relay.SyncOptions{URL: cfg.Sync.URL, Token: syncToken, Client: &http.Client{Timeout: 30 * time.Second}})
	if err != nil {
		return nil, fmt.Errorf("sync endpoint: %w: %w", ErrConfig, err)
	}
	rl.Register(engine.KindPackRecord, syncHandler)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, c := range eng.Collectors() {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering metrics: %w", err)
		}
	}
	bk := newBackups(db, cfg.Store.BackupKeep, log.With("part", "backup"))
	if err := reg.Register(bk); err != nil {
		return nil, fmt.Errorf("registering metrics: %w", err)
	}
	api, err := localapi.New(localapi.Options{Backend: eng, TokenFile: cfg.API.TokenFile, Listen: cfg.API.Listen, AllowLAN: cfg.API.AllowLAN, LANHosts: cfg.API.LANHosts,
		Backup: bk, AdminTokenFile: cfg.API.AdminTokenFile,
		Gatherer: reg, AgentVersion: opt.Version, Logger: log.With("part", "localapi")})
	if err != nil {
		return nil, fmt.Errorf("local api: %w", err)
	}
	pub.to.Store(ptr[engine.Publisher](api))
	if err := installer.SecureDataDir(cfg.Agent.DataDir, cfg.API.TokenFile); err != nil {
		log.Warn("the data directory may be readable by every user", "err", err)
	}
	ln := opt.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.API.Listen); err != nil {
			return nil, fmt.Errorf("local api: listening on %s: %w (is another agent running?)", cfg.API.Listen, err)
		}
	}
	a.Addr = ln.Addr().String()
	if a.Token, err = localapi.ReadToken(cfg.API.TokenFile); err != nil {
		a.Token, err = localapi.LoadOrCreateToken(cfg.API.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("local api token: %w", err)
		}
	}

	in := intake.New(db, client, intake.Options{
		WarehouseIDs: cfg.TikTok.WarehouseIDs, Interval: cfg.TikTok.PollInterval.Duration, Logger: log.With("part", "intake"),
		OnChange: func(cs []intake.Change) {
			ids := make([]string, len(cs))
			for i, c := range cs {
				ids[i] = c.OrderID
			}
			eng.Notify(ids...)
		},
		OnLink: func(err error) {
			if err != nil {
				eng.SetLink(false, "TikTok Shop unreachable: "+err.Error())
				return
			}
			eng.SetLink(true, "")
		},
	})
	a.Intake = in

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel = cancel
	g, gctx := errgroup.WithContext(runCtx)
	for _, r := range runners {
		g.Go(func() error { return r(gctx) })
	}
	g.Go(func() error { return eng.Run(gctx) })
	g.Go(func() error { return rl.Run(gctx) })
	g.Go(func() error { return in.Run(gctx) })
	g.Go(func() error { return api.Serve(gctx, ln) })
	g.Go(func() error { return bk.Run(gctx) })
	g.Go(func() error { watchDevices(gctx, eng, cfg, monitors, queues); return nil })
	go func() {
		a.err = g.Wait()
		close(a.done)
	}()
	log.Info("agent started", "api", a.Addr, "stations", len(stations), "store", cfg.Store.Path)
	return a, nil
}

// Stop stops every part and closes the store, within ShutdownBudget.
func (a *Agent) Stop() error {
	a.cancel()
	select {
	case <-a.done:
	case <-time.After(ShutdownBudget):
		return fmt.Errorf("agent did not stop within %s", ShutdownBudget)
	}
	a.renderer.Close()
	cerr := a.DB.Close()
	err := a.err
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	a.log.Info("agent stopped")
	return errors.Join(err, cerr)
}

// Done is closed when the agent's parts have all stopped.
func (a *Agent) Done() <-chan struct{} { return a.done }

func ptr[T any](v T) *T { return &v }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
