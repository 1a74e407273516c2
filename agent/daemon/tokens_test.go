package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/tiktok"
	"github.com/packline/packline/store"
)

func TestStoreTokensSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "packline.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := StoreTokens{DB: db}
	if _, err := ts.LoadToken(context.Background()); !errors.Is(err, tiktok.ErrNoToken) {
		t.Fatalf("empty store: got %v, want ErrNoToken", err)
	}
	want := tiktok.Token{AccessToken: "a", RefreshToken: "r", AccessExpiry: time.Unix(1800000000, 0).UTC()}
	if err := ts.SaveToken(context.Background(), want); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := StoreTokens{DB: db}.LoadToken(context.Background())
	if err != nil || got.RefreshToken != "r" || !got.AccessExpiry.Equal(want.AccessExpiry) {
		t.Errorf("after reopen: %+v, %v", got, err)
	}
}

func TestNewLoggerWritesFileAtLevel(t *testing.T) {
	file := filepath.Join(t.TempDir(), "logs", "agent.log")
	log, closer, err := NewLogger(config.Log{Level: "warn", File: file, MaxSizeMB: 1, MaxBackups: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("quiet")
	log.Warn("printer offline", "station", "st1")
	closer.Close()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); strings.Contains(s, "quiet") || !strings.Contains(s, "printer offline") || !strings.Contains(s, "station=st1") {
		t.Errorf("log file = %q", s)
	}
	if _, _, err := NewLogger(config.Log{Level: "loud", File: "-"}, nil); err == nil {
		t.Error("bad level accepted")
	}
}
