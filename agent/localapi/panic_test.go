package localapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/packline/packline/agent/localapi/apitype"
)

// panicBackend is the fake backend, except that building the snapshot of
// one station panics.
type panicBackend struct {
	*fakeBackend
	station string
}

func (b panicBackend) Snapshot(station string) (apitype.StationView, []apitype.QueueEntry, apitype.Link, []apitype.DeviceStatus) {
	if station == b.station {
		var lines map[string]int
		lines["boom"]++ // assignment to entry in nil map
	}
	return b.fakeBackend.Snapshot(station)
}

// recordHandler keeps the log records it is given.
type recordHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordHandler) WithGroup(string) slog.Handler            { return h }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

// errors returns the Error records as "message station=..." lines.
func (h *recordHandler) errors() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.records {
		if r.Level < slog.LevelError {
			continue
		}
		line := r.Message
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "station" {
				line += " station=" + a.Value.String()
			}
			return true
		})
		out = append(out, line)
	}
	return out
}

func (s *Server) clientCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// TestSnapshotPanicClosesOnlyThatStation makes the backend panic while it
// builds one station's snapshot: that station gets an internal error and a
// close, leaves the hub, and the other station carries on.
func TestSnapshotPanicClosesOnlyThatStation(t *testing.T) {
	fb := newFakeBackend()
	logs := &recordHandler{}
	s, addr := startServer(t, Options{Backend: panicBackend{fakeBackend: fb, station: "BAD"}, Logger: slog.New(logs)})
	fb.pub = s

	good := mustDial(t, addr)
	good.hello("S1", 0)
	w := good.welcome()
	good.snapshot()

	bad := mustDial(t, addr)
	bad.hello("BAD", 0)
	if e := decodeErr(t, bad.mustRead()); e.Code != apitype.ErrInternal {
		t.Errorf("error code %q, want %q", e.Code, apitype.ErrInternal)
	}
	if _, err := bad.read(); !isClose(err, websocket.CloseInternalServerErr) {
		t.Errorf("after the error: %v, want close %d", err, websocket.CloseInternalServerErr)
	}

	// The broken connection leaves the hub; the good one stays.
	for deadline := time.Now().Add(10 * time.Second); s.clientCount() != 1; {
		if time.Now().After(deadline) {
			t.Fatalf("%d clients registered, want 1", s.clientCount())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got, want := strings.Join(logs.errors(), "; "), "station snapshot failed station=BAD"; got != want {
		t.Errorf("error logs %q, want %q", got, want)
	}

	good.send(apitype.TypeCommand, "c1", apitype.Command{Kind: apitype.CmdScan, Code: "SKU-1"})
	if ev := good.mustRead(); ev.Type != apitype.TypeEvent || ev.Event != apitype.EvStation || ev.Seq != w.Seq+1 {
		t.Errorf("event %+v, want station event seq %d", ev, w.Seq+1)
	}
	res := good.mustRead()
	var r apitype.Result
	json.Unmarshal(res.Data, &r)
	if res.ID != "c1" || !r.OK {
		t.Errorf("result %+v %+v, want ok", res, r)
	}
	s.Publish("", apitype.EvLink, apitype.Link{Online: false})
	if ev := good.mustRead(); ev.Event != apitype.EvLink {
		t.Errorf("broadcast %+v, want link event", ev)
	}

	// The station may come back: it panics again, and is closed again,
	// without touching the good one.
	again := mustDial(t, addr)
	again.hello("BAD", 0)
	decodeErr(t, again.mustRead())
}

// TestLabelPreviewPanic answers a label request whose snapshot panics with
// a server error.
func TestLabelPreviewPanic(t *testing.T) {
	fb := newFakeBackend()
	_, addr := startServer(t, Options{Backend: panicBackend{fakeBackend: fb, station: "BAD"}})
	req, _ := http.NewRequest("GET", "http://"+addr+"/v1/label.png?station=BAD", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", resp.StatusCode)
	}
}
