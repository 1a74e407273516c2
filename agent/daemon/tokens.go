package daemon

import (
	"context"
	"fmt"

	"github.com/packline/packline/agent/tiktok"
	"github.com/packline/packline/store"
)

// tokenKey is the store meta key of the seller token.
const tokenKey = "tiktok.token"

// StoreTokens keeps the TikTok seller token in the store, so a refreshed
// refresh token survives restarts.
type StoreTokens struct{ DB *store.DB }

var _ tiktok.TokenStore = StoreTokens{}

// LoadToken implements tiktok.TokenStore.
func (s StoreTokens) LoadToken(context.Context) (tiktok.Token, error) {
	var t tiktok.Token
	var ok bool
	err := s.DB.View(func(tx *store.Tx) error {
		var err error
		ok, err = tx.Meta(tokenKey, &t)
		return err
	})
	if err != nil {
		return tiktok.Token{}, fmt.Errorf("reading stored token: %w", err)
	}
	if !ok {
		return tiktok.Token{}, tiktok.ErrNoToken
	}
	return t, nil
}

// SaveToken implements tiktok.TokenStore.
func (s StoreTokens) SaveToken(_ context.Context, t tiktok.Token) error {
	if err := s.DB.Update(func(tx *store.Tx) error { return tx.SetMeta(tokenKey, t) }); err != nil {
		return fmt.Errorf("saving token: %w", err)
	}
	return nil
}
