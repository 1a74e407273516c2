package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/packline/packline/agent/tiktok/tiktoksim"
)

func init() {
	var (
		listen, appKey, appSecret, cipher, warehouse string
		orders                                       int
		seed                                         int64
		onHold, tokenTTL, arrivals                   time.Duration
		qps, midPack                                 float64
		verbose                                      bool
	)
	register(&command{
		name:    "sim",
		summary: "run the TikTok Shop simulator in the foreground (for the demo and tests)",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&listen, "listen", "127.0.0.1:7480", "address to serve the simulated API, auth and documents on")
			fs.IntVar(&orders, "orders", 40, "how many orders to seed")
			fs.Int64Var(&seed, "seed", 1, "seed for the catalogue, orders, ids and tracking numbers")
			fs.StringVar(&appKey, "app-key", "", "app key to accept (default: the simulator's)")
			fs.StringVar(&appSecret, "app-secret", "", "app secret to sign with (default: the simulator's)")
			fs.StringVar(&cipher, "shop-cipher", "", "shop cipher to accept (default: the simulator's)")
			fs.StringVar(&warehouse, "warehouse", "", "warehouse id the orders ship from (default: the simulator's)")
			fs.DurationVar(&onHold, "on-hold", time.Hour, "how long after payment ON_HOLD orders become AWAITING_SHIPMENT")
			fs.DurationVar(&tokenTTL, "token-ttl", 7*24*time.Hour, "access token lifetime")
			fs.DurationVar(&arrivals, "arrivals", 0, "pay a new order every this much time (0: none); it starts ON_HOLD")
			fs.Float64Var(&midPack, "mid-pack-cancels", 0, "share of orders (0 to 1) whose buyer cancels, or asks to, while the order is being packed")
			fs.Float64Var(&qps, "qps", 0, "rate-limit each API path to this many requests per second (0: no limit)")
			fs.BoolVar(&verbose, "v", false, "log every refused request, fault and label to stderr")
		},
		run: func(ctx context.Context, c *cli, fs *flag.FlagSet) error {
			if fs.NArg() != 0 {
				return errUsage
			}
			if orders < 0 || orders > 100000 {
				return fmt.Errorf("--orders %d: use 0 to 100000", orders)
			}
			if !(midPack >= 0 && midPack <= 1) {
				return fmt.Errorf("--mid-pack-cancels %g: use a share from 0 to 1", midPack)
			}
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelInfo
			}
			sim := tiktoksim.New(tiktoksim.Options{
				AppKey: appKey, AppSecret: appSecret, ShopCipher: cipher, WarehouseID: warehouse,
				Seed: seed, Orders: orders, OnHoldDelay: onHold, TokenTTL: tokenTTL, Arrivals: arrivals, QPS: qps, MidPackCancels: midPack,
				Logger: slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level})),
			})
			base, err := sim.Start(listen)
			if err != nil {
				return err
			}
			info := sim.Info()
			tok := sim.IssueToken()
			fmt.Fprintf(c.stdout, `TikTok Shop simulator on %s (seed %d, %d orders)

  base URL       %s   (Open API and /api/v2/token/...)
  app key        %s
  app secret     %s
  shop cipher    %s
  shop id        %s
  warehouse id   %s
  auth code      in the configuration below (single use, 30 min)
  access token   %s   (expires %s)
  refresh token  %s
  control        %s/_sim/info, /_sim/catalog, /_sim/orders, /_sim/faults, ...

Agent configuration:

[tiktok]
%s

Press Ctrl-C to stop.
`, base, seed, orders, base, info.AppKey, info.AppSecret, info.ShopCipher, info.ShopID, info.WarehouseID,
				tok.AccessToken, tok.AccessTokenExpireAt.Format(time.RFC3339), tok.RefreshToken, base, sim.AgentConfig())
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := sim.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("stop simulator: %w", err)
			}
			return nil
		},
	})
}
