package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const testAdminToken = "admin-token-0123456789abcdef"

// fakeBackuper writes a small file and records the paths asked for.
type fakeBackuper struct {
	mu    sync.Mutex
	paths []string
	err   error
}

func (b *fakeBackuper) Backup(_ context.Context, path string) (BackupResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.paths = append(b.paths, path)
	if b.err != nil {
		return BackupResult{}, b.err
	}
	if err := os.WriteFile(path, []byte("snapshot"), 0o600); err != nil {
		return BackupResult{}, err
	}
	return BackupResult{Store: "/var/lib/packline/packline.db", Path: path, Bytes: 8, Orders: 3, Events: 1, At: time.Unix(1772400000, 0)}, nil
}

func (b *fakeBackuper) calls() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.paths...)
}

func postBackup(t *testing.T, addr string, hdr map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+BackupPath, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestBackupGate(t *testing.T) {
	fb := &fakeBackuper{}
	_, addr := startServer(t, Options{Backup: fb, AdminToken: testAdminToken})
	port := addr[strings.LastIndex(addr, ":")+1:]
	dir := t.TempDir()
	body := `{"path": ` + jsonString(filepath.Join(dir, "b.db")) + `}`
	tests := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"admin token", nil, http.StatusOK},
		{"station token", map[string]string{"Authorization": "Bearer " + testToken}, http.StatusUnauthorized},
		{"no token", map[string]string{"Authorization": ""}, http.StatusUnauthorized},
		{"wrong token", map[string]string{"Authorization": "Bearer " + testAdminToken + "x"}, http.StatusUnauthorized},
		{"origin", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"origin of the agent itself", map[string]string{"Origin": "http://127.0.0.1:" + port}, http.StatusForbidden},
		{"referer", map[string]string{"Referer": "http://evil.example/"}, http.StatusForbidden},
		{"sec-fetch-site", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusForbidden},
		{"evil host (dns rebinding)", map[string]string{"Host": "evil.example:" + port}, http.StatusForbidden},
		{"form post", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(filepath.Join(dir, "b.db"))
			before := len(fb.calls())
			code, msg := postBackup(t, addr, tt.header, body)
			if code != tt.want {
				t.Fatalf("status %d, want %d: %s", code, tt.want, msg)
			}
			if called := len(fb.calls()) > before; called != (tt.want == http.StatusOK) {
				t.Errorf("backup ran: %v, with status %d", called, code)
			}
			if tt.want != http.StatusOK && len(strings.TrimSpace(msg)) < 10 {
				t.Errorf("refusal without a reason: %q", msg)
			}
		})
	}

	// The admin token does not stand in for the station token.
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("metrics with the admin token: %d, want 401", resp.StatusCode)
	}
}

func TestBackupRequests(t *testing.T) {
	fb := &fakeBackuper{}
	_, addr := startServer(t, Options{Backup: fb, AdminToken: testAdminToken})
	dir := t.TempDir()
	dst := filepath.Join(dir, "b.db")

	code, msg := postBackup(t, addr, nil, `{"path": `+jsonString(dst)+`}`)
	if code != http.StatusOK {
		t.Fatalf("backup: %d %s", code, msg)
	}
	var res BackupResult
	if err := json.Unmarshal([]byte(msg), &res); err != nil || res.Path != dst || res.Bytes != 8 || res.Orders != 3 || res.Events != 1 {
		t.Errorf("answer %q: %+v, %v", msg, res, err)
	}

	for _, tc := range []struct {
		name, body string
		want       int
		says       string
	}{
		{"relative path", `{"path": "b2.db"}`, http.StatusBadRequest, "relative"},
		{"no path", `{}`, http.StatusBadRequest, "no backup path"},
		{"nul byte", `{"path": ` + jsonString(dst+"\x00.db") + `}`, http.StatusBadRequest, "NUL"},
		{"not json", `path=/tmp/x.db`, http.StatusBadRequest, "JSON"},
		{"unknown field", `{"path": ` + jsonString(dst) + `, "mode": 511}`, http.StatusBadRequest, "JSON"},
		{"two objects", `{"path": ` + jsonString(dst) + `}{}`, http.StatusBadRequest, "one JSON object"},
		{"existing file", `{"path": ` + jsonString(dst) + `}`, http.StatusConflict, "already exists"},
		{"directory", `{"path": ` + jsonString(dir) + `, "force": true}`, http.StatusBadRequest, "directory"},
	} {
		before := len(fb.calls())
		code, msg := postBackup(t, addr, nil, tc.body)
		if code != tc.want || !strings.Contains(msg, tc.says) {
			t.Errorf("%s: %d %q, want %d saying %q", tc.name, code, msg, tc.want, tc.says)
		}
		if len(fb.calls()) != before {
			t.Errorf("%s: the backup ran", tc.name)
		}
	}

	if code, msg := postBackup(t, addr, nil, `{"path": `+jsonString(dst)+`, "force": true}`); code != http.StatusOK {
		t.Errorf("force: %d %s", code, msg)
	}
	fb.mu.Lock()
	fb.err = errors.New("cannot write a backup in /x: check that the directory exists and is writable")
	fb.mu.Unlock()
	if code, msg := postBackup(t, addr, nil, `{"path": `+jsonString(filepath.Join(dir, "c.db"))+`}`); code != http.StatusInternalServerError || !strings.Contains(msg, "exists and is writable") {
		t.Errorf("failing backup: %d %q", code, msg)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+BackupPath, nil)
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET %s: %d, want 405", BackupPath, resp.StatusCode)
	}
}

func TestBackupNeedsABackuper(t *testing.T) {
	_, addr := startServer(t, Options{})
	code, msg := postBackup(t, addr, map[string]string{"Authorization": "Bearer " + testToken}, `{"path": "/tmp/x.db"}`)
	if code != http.StatusNotFound {
		t.Errorf("backup without a backuper: %d %q, want 404", code, msg)
	}
}

func TestBackupAdminToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin-token")
	s, err := New(Options{Backend: newFakeBackend(), Token: testToken, Backup: &fakeBackuper{}, AdminTokenFile: path})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("admin token file mode %v is readable by others", fi.Mode())
	}
	tok, err := ReadToken(path)
	if err != nil || string(s.admin) != tok || tok == testToken {
		t.Errorf("admin token %q (%v), server holds %q", tok, err, s.admin)
	}
	if _, err := New(Options{Backend: newFakeBackend(), Token: testToken, Backup: &fakeBackuper{}}); err == nil {
		t.Error("backups without an admin token accepted")
	}
	if _, err := New(Options{Backend: newFakeBackend(), Token: testToken, Backup: &fakeBackuper{}, AdminToken: testToken}); err == nil {
		t.Error("an admin token equal to the station token accepted")
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
