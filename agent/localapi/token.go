package localapi

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tokenBytes is the number of random bytes in a generated token.
const tokenBytes = 32

// NewToken returns 32 random bytes encoded as unpadded base64url.
func NewToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes for the api token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ReadToken reads a token file written by LoadOrCreateToken (or by the
// installer) and returns the token without surrounding white space.
func ReadToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading api token %s: %w", path, err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("api token file %s is empty: delete it and restart the agent to create a new one", path)
	}
	return tok, nil
}

// LoadOrCreateToken returns the token stored at path, creating the file with
// a new random token (mode 0640: the service account and the station users'
// group may read it) when it does not exist yet.
func LoadOrCreateToken(path string) (string, error) {
	return loadOrCreate(path, 0o640)
}

// LoadOrCreateAdminToken is LoadOrCreateToken for the admin token, which
// guards backups: a new file gets mode 0600, so only the service account
// (and root or Administrators) may read it.
func LoadOrCreateAdminToken(path string) (string, error) {
	return loadOrCreate(path, 0o600)
}

func loadOrCreate(path string, mode os.FileMode) (string, error) {
	if path == "" {
		return "", errors.New("api token path is empty: set the data directory in the config")
	}
	tok, err := ReadToken(path)
	if err == nil {
		return tok, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	tok, err = NewToken()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", fmt.Errorf("creating the api token directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first; use theirs.
		return ReadToken(path)
	}
	if err != nil {
		return "", fmt.Errorf("creating api token %s: %w", path, err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return "", fmt.Errorf("writing api token %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("writing api token %s: %w", path, err)
	}
	return tok, nil
}
