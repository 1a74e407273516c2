package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/tiktok"
	"github.com/packline/packline/store"
)

// newClient builds the TikTok Shop client. When the store holds no token
// yet it is seeded from the configured refresh-token file or exchanged from
// the one-time auth code; without either the agent still packs offline and
// says what is missing.
func newClient(ctx context.Context, cfg *config.Config, db *store.DB, log *slog.Logger) (*tiktok.Client, error) {
	secret, err := cfg.AppSecretValue()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	tokens := StoreTokens{DB: db}
	c, err := tiktok.New(tiktok.Config{
		AppKey: cfg.TikTok.AppKey, AppSecret: secret, APIBase: cfg.TikTok.APIBase, AuthBase: cfg.TikTok.AuthBase,
		ShopCipher: cfg.TikTok.ShopCipher, HTTPClient: &http.Client{Timeout: cfg.TikTok.Timeout.Duration},
		Tokens: tokens, Logger: log.With("part", "tiktok"),
	})
	if err != nil {
		return nil, fmt.Errorf("tiktok client: %w: %w", ErrConfig, err)
	}
	if _, err := tokens.LoadToken(ctx); !errors.Is(err, tiktok.ErrNoToken) {
		return c, err
	}
	switch {
	case cfg.TikTok.RefreshTokenFile != "":
		b, err := os.ReadFile(cfg.TikTok.RefreshTokenFile)
		if err != nil {
			return nil, fmt.Errorf("%w: reading tiktok.refresh_token_file: %w", ErrConfig, err)
		}
		if err := tokens.SaveToken(ctx, tiktok.Token{RefreshToken: strings.TrimSpace(string(b))}); err != nil {
			return nil, err
		}
	case cfg.TikTok.AuthCode != "":
		if _, err := c.ExchangeCode(ctx, cfg.TikTok.AuthCode); err != nil {
			// The code is single-use and short-lived: keep packing offline
			// and say what to do.
			log.Error("exchanging tiktok.auth_code failed: authorise the app again and put the new code in the config", "err", err)
		}
	default:
		log.Warn("no TikTok Shop token: set tiktok.auth_code or tiktok.refresh_token_file; packing works, labels wait as staged")
	}
	return c, nil
}
