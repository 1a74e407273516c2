package client

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packline/packline/agent/localapi"
	"github.com/packline/packline/agent/localapi/apitype"
)

const token = "client-test-token-0123456789"

type backend struct {
	mu    sync.Mutex
	pub   *localapi.Server
	block chan struct{}
}

func (b *backend) Do(ctx context.Context, station string, cmd apitype.Command) apitype.Result {
	b.mu.Lock()
	block := b.block
	b.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
		}
	}
	if cmd.Kind != apitype.CmdScan {
		return apitype.Result{Error: &apitype.Error{Code: apitype.ErrUnknown, Message: "no " + cmd.Kind}}
	}
	v := apitype.StationView{Station: station, Phase: apitype.PhaseScanning, Prompt: "got " + cmd.Code}
	b.pub.Publish(station, apitype.EvStation, v)
	return apitype.Result{OK: true, View: &v}
}

func (b *backend) Snapshot(station string) (apitype.StationView, []apitype.QueueEntry, apitype.Link, []apitype.DeviceStatus) {
	return apitype.StationView{Station: station, Phase: apitype.PhaseIdle, Prompt: "Scan an order"}, nil, apitype.Link{Online: true}, nil
}

// cuttableListener lets a test drop every connection and refuse new ones.
type cuttableListener struct {
	net.Listener
	mu    sync.Mutex
	down  bool
	conns []net.Conn
}

func (l *cuttableListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		if l.down {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.conns = append(l.conns, c)
		l.mu.Unlock()
		return c, nil
	}
}

func (l *cuttableListener) setDown(down bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down = down
	if down {
		for _, c := range l.conns {
			c.Close()
		}
		l.conns = nil
	}
}

func startAgent(t *testing.T) (*localapi.Server, *backend, *cuttableListener) {
	t.Helper()
	b := &backend{}
	s, err := localapi.New(localapi.Options{Backend: b, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	b.pub = s
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &cuttableListener{Listener: ln}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, cl) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, b, cl
}

// recorder collects what the client reports.
type recorder struct {
	mu       sync.Mutex
	welcomes []apitype.Welcome
	events   []apitype.Message
	states   []State
	errs     []error
	changed  chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

func (r *recorder) poke() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) options(o Options) Options {
	o.OnWelcome = func(w apitype.Welcome) { r.mu.Lock(); r.welcomes = append(r.welcomes, w); r.mu.Unlock(); r.poke() }
	o.OnEvent = func(m apitype.Message) { r.mu.Lock(); r.events = append(r.events, m); r.mu.Unlock(); r.poke() }
	o.OnState = func(s State, err error) {
		r.mu.Lock()
		r.states = append(r.states, s)
		r.errs = append(r.errs, err)
		r.mu.Unlock()
		r.poke()
	}
	return o
}

// wait blocks until cond holds; the deadline only guards a hung test.
func (r *recorder) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

func runClient(t *testing.T, o Options) *Client {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	})
	return c
}

func TestCommandRoundTrip(t *testing.T) {
	s, _, ln := startAgent(t)
	rec := newRecorder()
	c := runClient(t, rec.options(Options{URL: "ws://" + ln.Addr().String(), Token: token, Station: "S1", MinBackoff: time.Millisecond}))
	rec.wait(t, "snapshot", func() bool { return len(rec.events) >= 3 })
	if c.State() != Connected {
		t.Fatalf("state %v", c.State())
	}
	if rec.welcomes[0].Resumed || c.LastSeq() != rec.welcomes[0].Seq {
		t.Errorf("first welcome %+v, last seq %d", rec.welcomes[0], c.LastSeq())
	}
	res, err := c.Do(context.Background(), apitype.Command{Kind: apitype.CmdScan, Code: "SKU-9"})
	if err != nil || !res.OK || res.View.Prompt != "got SKU-9" {
		t.Fatalf("Do: %+v %v", res, err)
	}
	res, err = c.Do(context.Background(), apitype.Command{Kind: "fly"})
	if err != nil || res.OK || res.Error.Code != apitype.ErrUnknown {
		t.Errorf("unknown kind: %+v %v", res, err)
	}
	rec.wait(t, "station event", func() bool { return len(rec.events) >= 4 })
	if c.LastSeq() != s.Seq() {
		t.Errorf("last seq %d, want %d", c.LastSeq(), s.Seq())
	}
}

func TestReconnectResumesWithoutGap(t *testing.T) {
	s, _, ln := startAgent(t)
	rec := newRecorder()
	c := runClient(t, rec.options(Options{URL: "ws://" + ln.Addr().String(), Token: token, Station: "S1", MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond}))
	rec.wait(t, "snapshot", func() bool { return len(rec.events) >= 3 })
	s.Publish("S1", apitype.EvReading, apitype.Reading{Grams: 1})
	rec.wait(t, "first reading", func() bool { return len(rec.events) >= 4 })

	ln.setDown(true)
	rec.wait(t, "disconnect", func() bool { return rec.states[len(rec.states)-1] != Connected })
	if _, err := c.Do(context.Background(), apitype.Command{Kind: apitype.CmdScan, Code: "X"}); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Do while down: %v, want ErrNotConnected", err)
	}
	var want []uint64
	for i := range 5 {
		s.Publish("S1", apitype.EvReading, apitype.Reading{Grams: float64(10 + i)})
		want = append(want, s.Seq())
		s.Publish("S2", apitype.EvReading, apitype.Reading{Grams: 0})
	}
	ln.setDown(false)
	rec.wait(t, "resumed welcome", func() bool { return len(rec.welcomes) == 2 })
	rec.wait(t, "missed events", func() bool { return len(rec.events) >= 9 })
	if !rec.welcomes[1].Resumed {
		t.Errorf("second welcome %+v, want resumed", rec.welcomes[1])
	}
	rec.mu.Lock()
	var got []uint64
	for _, m := range rec.events[4:] {
		got = append(got, m.Seq)
	}
	rec.mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("after reconnect got seqs %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("after reconnect got seqs %v, want %v", got, want)
		}
	}
	if c.State() != Connected {
		t.Errorf("state %v", c.State())
	}
}

func TestConnectionLostDuringCommand(t *testing.T) {
	_, b, ln := startAgent(t)
	b.block = make(chan struct{})
	defer close(b.block)
	rec := newRecorder()
	c := runClient(t, rec.options(Options{URL: "ws://" + ln.Addr().String(), Token: token, Station: "S1", MinBackoff: time.Millisecond}))
	rec.wait(t, "snapshot", func() bool { return len(rec.events) >= 3 })
	errc := make(chan error, 1)
	go func() {
		_, err := c.Do(context.Background(), apitype.Command{Kind: apitype.CmdScan, Code: "X"})
		errc <- err
	}()
	// Let the command reach the agent, then cut.
	rec.wait(t, "pending command", func() bool { c.mu.Lock(); defer c.mu.Unlock(); return len(c.pending) == 1 })
	ln.setDown(true)
	if err := <-errc; !errors.Is(err, ErrConnectionLost) {
		t.Errorf("Do across a drop: %v, want ErrConnectionLost", err)
	}
	if !strings.Contains(Describe(ErrConnectionLost), "scan again") {
		t.Errorf("Describe: %q", Describe(ErrConnectionLost))
	}
}

func TestWrongTokenKeepsRetrying(t *testing.T) {
	_, _, ln := startAgent(t)
	rec := newRecorder()
	runClient(t, rec.options(Options{URL: "ws://" + ln.Addr().String(), Token: "wrong-token-000000000000", Station: "S1", MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}))
	rec.wait(t, "three attempts", func() bool {
		n := 0
		for _, s := range rec.states {
			if s == Disconnected {
				n++
			}
		}
		return n >= 3
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if err := rec.errs[1]; err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("error %v, want one naming the token", err)
	}
	if len(rec.welcomes) != 0 {
		t.Errorf("welcomed with a wrong token")
	}
}

func TestNewValidates(t *testing.T) {
	for _, o := range []Options{
		{URL: "ws://127.0.0.1:1", Token: token},
		{URL: "ws://127.0.0.1:1", Station: "S1"},
		{URL: "ftp://127.0.0.1:1", Token: token, Station: "S1"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	c, err := New(Options{URL: "http://127.0.0.1:7420", Token: token, Station: "S1"})
	if err != nil || c.url != "ws://127.0.0.1:7420/v1/ws" {
		t.Errorf("url %q %v", c.url, err)
	}
	_ = json.Valid
}

func TestCommandTimeout(t *testing.T) {
	_, b, ln := startAgent(t)
	b.block = make(chan struct{})
	defer close(b.block)
	rec := newRecorder()
	c := runClient(t, rec.options(Options{URL: "ws://" + ln.Addr().String(), Token: token, Station: "S1", CommandTimeout: 30 * time.Millisecond}))
	rec.wait(t, "snapshot", func() bool { return len(rec.events) >= 3 })
	if _, err := c.Do(context.Background(), apitype.Command{Kind: apitype.CmdScan, Code: "X"}); !errors.Is(err, ErrTimeout) {
		t.Errorf("Do against a stuck agent: %v, want ErrTimeout", err)
	}
	c.mu.Lock()
	pending := len(c.pending)
	c.mu.Unlock()
	if pending != 0 {
		t.Errorf("%d commands left pending after the timeout", pending)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Do(ctx, apitype.Command{Kind: apitype.CmdScan, Code: "Y"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Do with a cancelled context: %v", err)
	}
}
