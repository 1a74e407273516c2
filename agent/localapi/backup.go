package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// BackupPath is the administrative endpoint that writes a backup of the
// store while the agent runs. It needs the admin token, not the station
// token.
const BackupPath = "/v1/backup"

// maxBackupBody caps the JSON body of a backup request.
const maxBackupBody = 64 << 10

// Backuper writes a consistent copy of the agent's store to an absolute
// path, atomically, while the agent keeps working. The daemon implements it
// with the store's hot snapshot.
type Backuper interface {
	Backup(ctx context.Context, path string) (BackupResult, error)
}

// BackupRequest is the JSON body of POST /v1/backup.
type BackupRequest struct {
	// Path is the absolute path of the file to write, on the agent's
	// machine.
	Path string `json:"path"`
	// Force replaces an existing file.
	Force bool `json:"force,omitempty"`
}

// BackupResult is the JSON answer of POST /v1/backup.
type BackupResult struct {
	// Store is the store file that was copied; Path the backup written.
	Store string `json:"store"`
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
	// Orders and Events count the orders and the outbox events waiting in
	// the backup.
	Orders int       `json:"orders"`
	Events int       `json:"events"`
	At     time.Time `json:"at"`
}

// isAdminPath reports whether path is an administrative endpoint, guarded
// by the admin token.
func isAdminPath(path string) bool { return path == BackupPath }

func (s *Server) handleBackup(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		http.Error(w, "send the backup request as Content-Type: application/json", http.StatusUnsupportedMediaType)
		return
	}
	var req BackupRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBackupBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		http.Error(w, fmt.Sprintf(`the body must be JSON like {"path": "/var/backups/packline.db"}: %v`, err), http.StatusBadRequest)
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		http.Error(w, "the body must hold one JSON object", http.StatusBadRequest)
		return
	}
	if req.Path == "" {
		http.Error(w, "no backup path: give the absolute path of the file to write", http.StatusBadRequest)
		return
	}
	if strings.IndexByte(req.Path, 0) >= 0 {
		http.Error(w, fmt.Sprintf("backup path %q holds a NUL byte, which no file name can", req.Path), http.StatusBadRequest)
		return
	}
	if !filepath.IsAbs(req.Path) {
		http.Error(w, fmt.Sprintf("backup path %q is relative: give an absolute path (the agent does not share the caller's working directory)", req.Path), http.StatusBadRequest)
		return
	}
	path := filepath.Clean(req.Path)
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			http.Error(w, fmt.Sprintf("%s is a directory: give a file name", path), http.StatusBadRequest)
			return
		}
		if !req.Force {
			http.Error(w, fmt.Sprintf("%s already exists: choose another name or ask to replace it (force)", path), http.StatusConflict)
			return
		}
	}
	res, err := s.opts.Backup.Backup(r.Context(), path)
	if err != nil {
		status := http.StatusInternalServerError
		if r.Context().Err() != nil {
			status = http.StatusServiceUnavailable
		}
		s.log.Warn("backup on request failed", "path", path, "remote", r.RemoteAddr, "err", err)
		http.Error(w, "backup failed: "+err.Error(), status)
		return
	}
	s.log.Info("backup written on request", "path", res.Path, "bytes", res.Bytes, "orders", res.Orders, "remote", r.RemoteAddr)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(res)
}
