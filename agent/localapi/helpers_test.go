package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/packline/packline/agent/localapi/apitype"
)

const testToken = "test-token-0123456789abcdef"

// fakeBackend answers commands like a tiny pack flow: a scan of an item
// code counts a unit and publishes the station view.
type fakeBackend struct {
	mu    sync.Mutex
	pub   interface{ Publish(string, string, any) }
	views map[string]apitype.StationView
	block chan struct{} // when set, Do waits on it (or the context)
	calls int
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{views: map[string]apitype.StationView{}}
}

func (b *fakeBackend) Do(ctx context.Context, station string, cmd apitype.Command) apitype.Result {
	b.mu.Lock()
	b.calls++
	block := b.block
	b.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return apitype.Result{Error: &apitype.Error{Code: apitype.ErrInternal, Message: ctx.Err().Error()}}
		}
	}
	switch cmd.Kind {
	case apitype.CmdScan:
		b.mu.Lock()
		v := b.views[station]
		v.Station = station
		v.Phase = apitype.PhaseScanning
		v.Prompt = "scanned " + cmd.Code
		b.views[station] = v
		b.mu.Unlock()
		b.pub.Publish(station, apitype.EvStation, v)
		return apitype.Result{OK: true, View: &v}
	case apitype.CmdQueue:
		return apitype.Result{OK: true, Queue: []apitype.QueueEntry{{OrderID: "O1"}}}
	}
	return apitype.Result{Error: &apitype.Error{Code: apitype.ErrUnknown, Message: "unknown command " + cmd.Kind}}
}

func (b *fakeBackend) Snapshot(station string) (apitype.StationView, []apitype.QueueEntry, apitype.Link, []apitype.DeviceStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.views[station]
	v.Station = station
	if v.Phase == "" {
		v.Phase = apitype.PhaseIdle
		v.Prompt = "Scan an order"
	}
	return v, []apitype.QueueEntry{{OrderID: "O1", Urgency: apitype.UrgencyDue}}, apitype.Link{Online: true},
		[]apitype.DeviceStatus{{Kind: "scale", URI: "sim://scale", State: apitype.DeviceOK}, {Kind: "printer", URI: "sim://printer", State: apitype.DeviceOK}}
}

// startServer runs a server on 127.0.0.1:0 and returns it and its address.
func startServer(t testing.TB, opts Options) (*Server, string) {
	t.Helper()
	fb, _ := opts.Backend.(*fakeBackend)
	if opts.Backend == nil {
		fb = newFakeBackend()
		opts.Backend = fb
	}
	if opts.Token == "" {
		opts.Token = testToken
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if fb != nil {
		fb.pub = s
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, ln.Addr().String()
}

// testClient is a raw protocol client.
type testClient struct {
	t  testing.TB
	ws *websocket.Conn
}

func dial(t testing.TB, addr string, hdr http.Header) (*testClient, *http.Response, error) {
	t.Helper()
	if hdr == nil {
		hdr = http.Header{}
	}
	if _, ok := hdr["Authorization"]; !ok {
		hdr.Set("Authorization", "Bearer "+testToken)
	}
	d := websocket.Dialer{Subprotocols: []string{apitype.Subprotocol}, HandshakeTimeout: 10 * time.Second}
	ws, resp, err := d.Dial("ws://"+addr+"/v1/ws", hdr)
	if err != nil {
		return nil, resp, err
	}
	tc := &testClient{t: t, ws: ws}
	t.Cleanup(func() { ws.Close() })
	return tc, resp, nil
}

func mustDial(t testing.TB, addr string) *testClient {
	t.Helper()
	c, _, err := dial(t, addr, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return c
}

func (c *testClient) sendRaw(b []byte) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *testClient) send(typ, id string, data any) {
	c.t.Helper()
	raw, _ := json.Marshal(data)
	b, _ := json.Marshal(apitype.Message{Type: typ, ID: id, Data: raw})
	c.sendRaw(b)
}

func (c *testClient) hello(station string, after uint64) {
	c.t.Helper()
	c.send(apitype.TypeHello, "", apitype.Hello{Version: apitype.Version, Station: station, AfterSeq: after})
}

// read returns the next message; a generous deadline only guards against a
// hung test.
func (c *testClient) read() (apitype.Message, error) {
	c.ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, b, err := c.ws.ReadMessage()
	if err != nil {
		return apitype.Message{}, err
	}
	var m apitype.Message
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("decoding %s: %w", b, err)
	}
	return m, nil
}

func (c *testClient) mustRead() apitype.Message {
	c.t.Helper()
	m, err := c.read()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

// welcome reads the welcome and returns it.
func (c *testClient) welcome() apitype.Welcome {
	c.t.Helper()
	m := c.mustRead()
	if m.Type != apitype.TypeWelcome {
		c.t.Fatalf("got %s %s, want welcome", m.Type, m.Data)
	}
	var w apitype.Welcome
	if err := json.Unmarshal(m.Data, &w); err != nil {
		c.t.Fatal(err)
	}
	return w
}

// snapshot reads the snapshot events after a non-resumed welcome (view,
// queue, link and two devices in the fake backend).
func (c *testClient) snapshot() []apitype.Message {
	c.t.Helper()
	var out []apitype.Message
	for range 5 {
		m := c.mustRead()
		if m.Type != apitype.TypeEvent {
			c.t.Fatalf("snapshot: got %s, want event", m.Type)
		}
		out = append(out, m)
	}
	return out
}

func decodeErr(t testing.TB, m apitype.Message) apitype.Error {
	t.Helper()
	if m.Type != apitype.TypeError {
		t.Fatalf("got %s %s, want error", m.Type, m.Data)
	}
	var e apitype.Error
	if err := json.Unmarshal(m.Data, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func isClose(err error, code int) bool {
	var ce *websocket.CloseError
	return errors.As(err, &ce) && ce.Code == code
}
