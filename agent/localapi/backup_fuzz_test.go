package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// memBackuper takes every backup without touching the disk, except that
// it refuses a path the operating system would refuse: one with a NUL.
type memBackuper struct {
	mu    sync.Mutex
	paths []string
}

func (b *memBackuper) Backup(_ context.Context, path string) (BackupResult, error) {
	if strings.IndexByte(path, 0) >= 0 {
		return BackupResult{}, &os.PathError{Op: "open", Path: path, Err: syscall.EINVAL}
	}
	b.mu.Lock()
	b.paths = append(b.paths, path)
	b.mu.Unlock()
	return BackupResult{Store: "/var/lib/packline/packline.db", Path: path, Bytes: 8, Orders: 3, Events: 1, At: time.Unix(1772400000, 0)}, nil
}

func (b *memBackuper) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.paths
	b.paths = nil
	return p
}

// FuzzBackupRequest posts arbitrary bodies to POST /v1/backup: bad input
// is answered with a 4xx and a reason in text, never a 5xx or a panic; a
// backup taken went to the absolute path asked for.
func FuzzBackupRequest(f *testing.F) {
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "exists.db"), nil, 0o600); err != nil {
		f.Fatal(err)
	}
	for _, body := range []string{
		`{"path": "/var/backups/packline.db"}`,
		`{"path": "/var/backups/packline.db", "force": true}`,
		`{"path": ` + jsonString(filepath.Join(dir, "exists.db")) + `}`,
		`{"path": ` + jsonString(filepath.Join(dir, "exists.db")) + `, "force": true}`,
		`{"path": ` + jsonString(dir) + `, "force": true}`,
		`{"path": "/var/backups/../backups//packline.db"}`,
		`{"path": "/tmp/a\u0000b.db"}`,
		`{"path": "b2.db"}`,
		`{}`,
		`path=/tmp/x.db`,
		`{"path": "/tmp/x.db", "mode": 511}`,
		`{"path": "/tmp/x.db"}{}`,
		`{"path": "/tmp/x.db"} `,
		`{"path": null, "force": "yes"}`,
		`[]`,
		`null`,
		``,
	} {
		f.Add([]byte(body), "application/json")
	}
	f.Add([]byte(`{"path": "/tmp/x.db"}`), "application/json; charset=utf-8")
	f.Add([]byte(`{"path": "/tmp/x.db"}`), "application/x-www-form-urlencoded")
	f.Add([]byte(`{"path": "/tmp/x.db"}`), "")

	fb := &memBackuper{}
	s, err := New(Options{Backend: newFakeBackend(), Token: testToken, Backup: fb, AdminToken: testAdminToken})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		req := httptest.NewRequest(http.MethodPost, BackupPath, bytes.NewReader(body))
		req.Host = "127.0.0.1:0"
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		req.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		taken := fb.take()
		answer := w.Body.String()
		ct := w.Header().Get("Content-Type")

		switch code := w.Code; {
		case code == http.StatusOK:
			if !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("backup answered as %q: %q", ct, answer)
			}
			var res BackupResult
			if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
				t.Fatalf("answer %q: %v", answer, err)
			}
			if len(taken) != 1 || res.Path != taken[0] {
				t.Fatalf("answer %+v for backups %q", res, taken)
			}
			var asked BackupRequest
			if err := json.Unmarshal(body, &asked); err != nil {
				t.Fatalf("body %q taken, but it does not decode: %v", body, err)
			}
			if p := taken[0]; !filepath.IsAbs(p) || p != filepath.Clean(p) || p != filepath.Clean(asked.Path) {
				t.Fatalf("body %q: backup written to %q", body, p)
			}
			if fi, err := os.Stat(taken[0]); err == nil && (fi.IsDir() || !asked.Force) {
				t.Fatalf("body %q: backup over %s (force %v)", body, taken[0], asked.Force)
			}
		case code >= 400 && code < 500:
			if len(taken) != 0 {
				t.Fatalf("HTTP %d, yet a backup was taken to %q", code, taken)
			}
			if !strings.HasPrefix(ct, "text/plain") || len(strings.TrimSpace(answer)) < 10 {
				t.Fatalf("HTTP %d without a reason: %q %q", code, ct, answer)
			}
		default:
			t.Fatalf("body %q (%q): HTTP %d: %s", body, contentType, code, answer)
		}
	})
}
