package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/daemon"
	"github.com/packline/packline/agent/tiktok"
	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/printer"
	"github.com/packline/packline/drivers/scale"
	"github.com/packline/packline/store"

	_ "github.com/packline/packline/drivers/scale/all"
)

func init() {
	var a checkArgs
	register(&command{
		name:    "check",
		args:    "[--config FILE] [--devices] [--upstream]",
		summary: "check the config, the data directory and the store; with --devices the scales and printers, with --upstream TikTok Shop",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&a.config, "config", config.Defaults().Config, "agent config `file`")
			fs.BoolVar(&a.devices, "devices", false, "read each station's scale once and ask each printer for its status")
			fs.BoolVar(&a.upstream, "upstream", false, "call TikTok Shop (list the authorised shops)")
			fs.DurationVar(&a.timeout, "timeout", 3*time.Second, "how long each device or upstream check may take")
		},
		run: func(ctx context.Context, c *cli, fs *flag.FlagSet) error {
			if fs.NArg() != 0 {
				return errUsage
			}
			return runCheck(ctx, c, a)
		},
	})
}

type checkArgs struct {
	config            string
	devices, upstream bool
	timeout           time.Duration
}

// checker prints one line per check and counts failures.
type checker struct {
	c      *cli
	failed int
}

func (k *checker) ok(format string, a ...any) { fmt.Fprintf(k.c.stdout, "ok    "+format+"\n", a...) }
func (k *checker) note(format string, a ...any) {
	fmt.Fprintf(k.c.stdout, "note  "+format+"\n", a...)
}
func (k *checker) fail(format string, a ...any) {
	k.failed++
	fmt.Fprintf(k.c.stdout, "FAIL  "+format+"\n", a...)
}

func runCheck(ctx context.Context, c *cli, a checkArgs) error {
	k := &checker{c: c}
	if a.timeout <= 0 {
		a.timeout = 3 * time.Second
	}
	cfg, err := config.Load(a.config)
	if err != nil {
		k.fail("config %s:", a.config)
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(c.stdout, "        %s\n", line)
		}
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(c.stdout, "        create it with: packline-agent init --config %s\n", a.config)
		}
		return fmt.Errorf("the config is not usable: fix the lines above")
	}
	k.ok("config %s (%d stations, %d boxes)", cfg.Path, len(cfg.Stations), len(cfg.Boxes))
	checkDataDir(k, cfg)
	storeLocked := checkStore(k, cfg)
	checkStations(ctx, k, cfg, a)
	if a.upstream {
		checkUpstream(ctx, k, cfg, a.timeout, storeLocked)
	}
	if k.failed > 0 {
		return fmt.Errorf("%d check(s) failed: fix the FAIL lines above and run the check again", k.failed)
	}
	fmt.Fprintln(c.stdout, "all checks passed")
	return nil
}

func checkDataDir(k *checker, cfg *config.Config) {
	dd := cfg.Agent.DataDir
	fi, err := os.Stat(dd)
	if errors.Is(err, fs.ErrNotExist) {
		k.fail("data directory %s does not exist: create it with: packline-agent init --config %s", dd, cfg.Path)
		return
	}
	if err != nil {
		k.fail("data directory %s: %v", dd, err)
		return
	}
	if !fi.IsDir() {
		k.fail("data directory %s is not a directory: set agent.data_dir", dd)
		return
	}
	f, err := os.CreateTemp(dd, ".check-*")
	if err != nil {
		k.fail("data directory %s is not writable by this user: %v (run the check as the service account, e.g. sudo -u packline packline-agent check)", dd, err)
		return
	}
	f.Close()
	os.Remove(f.Name())
	k.ok("data directory %s is writable", dd)
	if _, err := os.Stat(cfg.API.TokenFile); err != nil {
		k.fail("station token %s is missing: create it with: packline-agent init --config %s", cfg.API.TokenFile, cfg.Path)
	}
}

// checkStore opens the store read-only with a short wait. It reports
// whether the running agent holds it.
func checkStore(k *checker, cfg *config.Config) (locked bool) {
	p := cfg.Store.Path
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		k.ok("store %s does not exist yet: the agent creates it at its first start", p)
		return false
	}
	db, err := store.Open(p, store.Options{Timeout: 500 * time.Millisecond, ReadOnly: true, BackupDir: cfg.Store.BackupDir, Logger: slog.New(slog.DiscardHandler)})
	if errors.Is(err, store.ErrLocked) {
		k.ok("store %s is in use: service running", p)
		return true
	}
	if err != nil {
		k.fail("store %s: %v", p, err)
		return false
	}
	defer db.Close()
	st, err := db.Stats()
	if err != nil {
		k.fail("store %s: %v", p, err)
		return false
	}
	k.ok("store %s: schema v%d, %d orders, %d events waiting (agent not running)", p, st.SchemaVersion, st.OrdersTotal, st.Outbox.Depth)
	return false
}

func checkStations(ctx context.Context, k *checker, cfg *config.Config, a checkArgs) {
	if len(cfg.Stations) == 0 {
		k.fail("no [[station]] in the config: add one per packing station")
	}
	for _, s := range cfg.Stations {
		for _, dev := range []struct{ what, uri string }{{"scale", s.Scale}, {"printer", s.Printer}} {
			if dev.uri == "" {
				k.fail("station %s has no %s: set %s = \"<uri>\" (packline-agent devices lists attached devices)", s.ID, dev.what, dev.what)
				continue
			}
			u, err := deviceuri.Parse(dev.uri)
			if err != nil {
				k.fail("station %s %s %q: %v", s.ID, dev.what, dev.uri, err)
				continue
			}
			if !a.devices {
				k.ok("station %s %s %s", s.ID, dev.what, u)
				continue
			}
			if dev.what == "scale" {
				checkScale(ctx, k, s, u, a.timeout)
			} else {
				checkPrinter(ctx, k, s, u, a.timeout)
			}
		}
	}
}

func checkScale(ctx context.Context, k *checker, s config.Station, u deviceuri.URI, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sc, err := scale.Open(ctx, u, scale.Options{Timeout: timeout})
	if err != nil {
		k.fail("station %s scale %s: %v", s.ID, u, err)
		return
	}
	defer sc.Close()
	r, err := sc.Read(ctx)
	if err != nil {
		k.fail("station %s scale %s did not answer: %v (check the cable, the power and the URI's baud/parity)", s.ID, u, err)
		return
	}
	k.ok("station %s scale %s answers: %s", s.ID, u, r)
}

func checkPrinter(ctx context.Context, k *checker, s config.Station, u deviceuri.URI, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p, err := printer.Open(u, printer.Options{DPI: s.DPI, Stock: s.Stock})
	if err != nil {
		k.fail("station %s printer %s: %v", s.ID, u, err)
		return
	}
	defer p.Close()
	st, err := p.Status(ctx)
	switch {
	case errors.Is(err, printer.ErrNoStatus):
		k.note("station %s printer %s cannot report its status over this link; print a test label to be sure", s.ID, u)
	case err != nil:
		k.fail("station %s printer %s: %v", s.ID, u, err)
	case !st.Ready:
		k.fail("station %s printer %s is not ready: %s", s.ID, u, strings.Join(st.Errors, ", "))
	default:
		k.ok("station %s printer %s is ready", s.ID, u)
		for _, w := range st.Warnings {
			k.note("station %s printer %s: %s", s.ID, u, w)
		}
	}
}

// checkUpstream lists the authorised shops with the stored token. It never
// refreshes or exchanges a token (that would rotate the agent's): without a
// usable access token it only checks that TikTok answers.
func checkUpstream(ctx context.Context, k *checker, cfg *config.Config, timeout time.Duration, storeLocked bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	secret, err := cfg.AppSecretValue()
	if err != nil {
		k.fail("tiktok app secret: %v", err)
		return
	}
	if cfg.TikTok.AppKey == "" || secret == "" {
		k.fail("tiktok app_key and app_secret are not set: fill them in from TikTok Shop Partner Center")
		return
	}
	var tok tiktok.Token
	why := ""
	switch _, statErr := os.Stat(cfg.Store.Path); {
	case storeLocked:
		why = "the running agent holds the store and its token"
	case errors.Is(statErr, fs.ErrNotExist):
		why = "no token yet: the agent exchanges the auth code at its first start"
	default:
		db, err := store.Open(cfg.Store.Path, store.Options{Timeout: 500 * time.Millisecond, ReadOnly: true, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			why = fmt.Sprintf("the store could not be read (%v)", err)
			break
		}
		tok, err = daemon.StoreTokens{DB: db}.LoadToken(ctx)
		db.Close()
		if err != nil {
			why = "no token stored yet: the agent exchanges the auth code at its first start"
		} else if time.Until(tok.AccessExpiry) < 2*time.Minute {
			why = "the stored access token has expired; the agent refreshes it when it runs"
		}
	}
	if why != "" {
		reachable(ctx, k, cfg.TikTok.APIBase, why)
		return
	}
	cl, err := tiktok.New(tiktok.Config{
		AppKey: cfg.TikTok.AppKey, AppSecret: secret, APIBase: cfg.TikTok.APIBase, AuthBase: cfg.TikTok.AuthBase,
		HTTPClient: &http.Client{Timeout: timeout}, Tokens: readOnlyTokens{tok}, RefreshBefore: time.Minute,
		Retry: tiktok.RetryPolicy{MaxAttempts: 1},
	})
	if err != nil {
		k.fail("tiktok: %v", err)
		return
	}
	shops, err := cl.Shops(ctx)
	if err != nil {
		k.fail("tiktok %s: %v", cfg.TikTok.APIBase, err)
		return
	}
	names := make([]string, len(shops))
	for i, s := range shops {
		names[i] = s.Name
	}
	k.ok("tiktok %s answers: %d authorised shop(s): %s", cfg.TikTok.APIBase, len(shops), strings.Join(names, ", "))
}

// reachable checks that the API origin answers HTTP at all.
func reachable(ctx context.Context, k *checker, base, why string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/", nil)
	if err != nil {
		k.fail("tiktok api_base %q: %v", base, err)
		return
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		k.fail("tiktok %s is not reachable: %v (check the network, the proxy and the firewall)", base, err)
		return
	}
	resp.Body.Close()
	k.ok("tiktok %s is reachable (HTTP %d); credentials not checked: %s", base, resp.StatusCode, why)
}

// readOnlyTokens hands the stored token to the client and refuses to save,
// so a check never replaces the agent's token.
type readOnlyTokens struct{ t tiktok.Token }

func (r readOnlyTokens) LoadToken(context.Context) (tiktok.Token, error) { return r.t, nil }
func (r readOnlyTokens) SaveToken(context.Context, tiktok.Token) error {
	return errors.New("check does not store tokens")
}
