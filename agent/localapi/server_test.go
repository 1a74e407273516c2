package localapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/packline/packline/agent/localapi/apitype"
)

func TestGate(t *testing.T) {
	_, addr := startServer(t, Options{})
	port := addr[strings.LastIndex(addr, ":")+1:]
	tests := []struct {
		name   string
		header map[string]string
		noSub  bool
		want   int
	}{
		{"good token", nil, false, http.StatusSwitchingProtocols},
		{"localhost host", map[string]string{"Host": "localhost:" + port}, false, http.StatusSwitchingProtocols},
		{"ipv6 loopback host", map[string]string{"Host": "[::1]:" + port}, false, http.StatusSwitchingProtocols},
		{"origin", map[string]string{"Origin": "http://evil.example"}, false, http.StatusForbidden},
		{"origin null", map[string]string{"Origin": "null"}, false, http.StatusForbidden},
		{"origin of the agent itself", map[string]string{"Origin": "http://127.0.0.1:" + port}, false, http.StatusForbidden},
		{"referer", map[string]string{"Referer": "http://evil.example/page"}, false, http.StatusForbidden},
		{"sec-fetch-site", map[string]string{"Sec-Fetch-Site": "cross-site"}, false, http.StatusForbidden},
		{"sec-fetch-mode", map[string]string{"Sec-Fetch-Mode": "websocket"}, false, http.StatusForbidden},
		{"evil host (dns rebinding)", map[string]string{"Host": "evil.example:" + port}, false, http.StatusForbidden},
		{"loopback host, other port", map[string]string{"Host": "127.0.0.1:1"}, false, http.StatusForbidden},
		{"host without port", map[string]string{"Host": "localhost"}, false, http.StatusForbidden},
		{"lan address without AllowLAN", map[string]string{"Host": "10.1.2.3:" + port}, false, http.StatusForbidden},
		{"missing token", map[string]string{"Authorization": ""}, false, http.StatusUnauthorized},
		{"wrong token", map[string]string{"Authorization": "Bearer wrong-token-0123456789abc"}, false, http.StatusUnauthorized},
		{"token prefix only", map[string]string{"Authorization": "Bearer " + testToken[:10]}, false, http.StatusUnauthorized},
		{"basic auth", map[string]string{"Authorization": "Basic " + testToken}, false, http.StatusUnauthorized},
		{"missing subprotocol", nil, true, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := http.Header{"Authorization": {"Bearer " + testToken}}
			for k, v := range tt.header {
				if v == "" {
					hdr.Del(k)
					hdr[k] = nil
					continue
				}
				hdr.Set(k, v)
			}
			if hdr.Get("Authorization") == "" {
				delete(hdr, "Authorization")
				hdr["Authorization"] = []string{}
			}
			d := websocket.Dialer{Subprotocols: []string{apitype.Subprotocol}}
			if tt.noSub {
				d.Subprotocols = nil
			}
			ws, resp, err := d.Dial("ws://"+addr+"/v1/ws", hdr)
			if ws != nil {
				defer ws.Close()
			}
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d (err %v)", resp.StatusCode, tt.want, err)
			}
			if tt.want == http.StatusSwitchingProtocols {
				if got := ws.Subprotocol(); got != apitype.Subprotocol {
					t.Errorf("subprotocol %q, want %q", got, apitype.Subprotocol)
				}
				return
			}
			body, _ := io.ReadAll(resp.Body)
			if len(strings.TrimSpace(string(body))) < 10 {
				t.Errorf("refusal without a reason: %q", body)
			}
			if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
				!strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("security headers missing: %v", resp.Header)
			}
		})
	}
}

func TestAllowLAN(t *testing.T) {
	_, addr := startServer(t, Options{AllowLAN: true, LANHosts: []string{"pack-07.lan"}})
	port := addr[strings.LastIndex(addr, ":")+1:]
	for host, want := range map[string]int{
		"pack-07.lan:" + port:  http.StatusSwitchingProtocols,
		"10.1.2.3:" + port:     http.StatusSwitchingProtocols,
		"evil.example:" + port: http.StatusForbidden,
		"pack-07.lan:1":        http.StatusForbidden,
		"10.1.2.3:1":           http.StatusForbidden,
	} {
		_, resp, _ := dial(t, addr, http.Header{"Host": {host}})
		if resp == nil || resp.StatusCode != want {
			t.Errorf("host %s: got %v, want %d", host, resp, want)
		}
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "packline_test_orders_total", Help: "test"})
	c.Add(3)
	reg.MustRegister(c)
	s, addr := startServer(t, Options{Gatherer: reg, AgentVersion: "1.2.3"})
	s.Publish("", apitype.EvLink, apitype.Link{Online: true})

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || h.Status != "ok" || h.Version != "1.2.3" || h.Seq != s.Seq() {
		t.Errorf("healthz: %d %+v", resp.StatusCode, h)
	}

	resp, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("metrics without token: %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"packline_test_orders_total 3", "packline_localapi_events_total 1", "packline_localapi_clients 0"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

func TestLabelPreview(t *testing.T) {
	fb := newFakeBackend()
	png := []byte("\x89PNG\r\n\x1a\nfake")
	fb.views["S1"] = apitype.StationView{Station: "S1", Phase: apitype.PhaseDone, Label: &apitype.LabelView{PreviewPNG: png}}
	_, addr := startServer(t, Options{Backend: fb})
	get := func(q string) (int, []byte) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/v1/label.png"+q, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, b := get("?station=S1"); code != 200 || string(b) != string(png) {
		t.Errorf("S1: %d %q", code, b)
	}
	if code, _ := get("?station=S2"); code != http.StatusNotFound {
		t.Errorf("S2: %d, want 404", code)
	}
	if code, _ := get(""); code != http.StatusBadRequest {
		t.Errorf("no station: %d, want 400", code)
	}
}

func TestSnapshotThenLive(t *testing.T) {
	s, addr := startServer(t, Options{AgentVersion: "v9"})
	c := mustDial(t, addr)
	c.hello("S1", 0)
	w := c.welcome()
	if w.Resumed || w.Station != "S1" || w.AgentVersion != "v9" || w.Version != apitype.Version {
		t.Fatalf("welcome %+v", w)
	}
	snap := c.snapshot()
	kinds := []string{}
	for _, m := range snap {
		kinds = append(kinds, m.Event)
		if m.Seq != w.Seq {
			t.Errorf("snapshot event %s seq %d, want welcome seq %d", m.Event, m.Seq, w.Seq)
		}
	}
	if got, want := strings.Join(kinds, ","), "station,queue,link,device,device"; got != want {
		t.Errorf("snapshot events %s, want %s", got, want)
	}
	var v apitype.StationView
	json.Unmarshal(snap[0].Data, &v)
	if v.Prompt != "Scan an order" {
		t.Errorf("snapshot view %+v", v)
	}

	c.send(apitype.TypeCommand, "c1", apitype.Command{Kind: apitype.CmdScan, Code: "SKU-1"})
	ev := c.mustRead()
	res := c.mustRead()
	if ev.Type != apitype.TypeEvent || ev.Event != apitype.EvStation || ev.Seq != w.Seq+1 {
		t.Errorf("event %+v, want station event seq %d", ev, w.Seq+1)
	}
	if res.Type != apitype.TypeResult || res.ID != "c1" {
		t.Fatalf("result %+v", res)
	}
	var r apitype.Result
	json.Unmarshal(res.Data, &r)
	if !r.OK || r.View == nil || r.View.Prompt != "scanned SKU-1" {
		t.Errorf("result %+v", r)
	}
	if s.Seq() != w.Seq+1 {
		t.Errorf("server seq %d", s.Seq())
	}
}

// TestResumeWithoutGap disconnects a station, publishes while it is away
// and checks that it gets exactly the missed events for it, in order.
func TestResumeWithoutGap(t *testing.T) {
	s, addr := startServer(t, Options{})
	c := mustDial(t, addr)
	c.hello("S1", 0)
	w := c.welcome()
	c.snapshot()
	for i := range 3 {
		s.Publish("S1", apitype.EvReading, apitype.Reading{Grams: float64(i)})
	}
	var last uint64
	for range 3 {
		last = c.mustRead().Seq
	}
	if last != w.Seq+3 {
		t.Fatalf("last seq %d, want %d", last, w.Seq+3)
	}
	c.ws.Close()

	var want []uint64
	for i := range 12 {
		switch i % 3 {
		case 0:
			s.Publish("S1", apitype.EvReading, apitype.Reading{Grams: float64(i)})
			want = append(want, s.Seq())
		case 1:
			s.Publish("S2", apitype.EvReading, apitype.Reading{Grams: float64(i)})
		case 2:
			s.Publish("", apitype.EvLink, apitype.Link{OutboxDepth: i})
			want = append(want, s.Seq())
		}
	}

	c2 := mustDial(t, addr)
	c2.hello("S1", last)
	w2 := c2.welcome()
	if !w2.Resumed || w2.Seq != s.Seq() {
		t.Fatalf("welcome %+v, want resumed at %d", w2, s.Seq())
	}
	var got []uint64
	for range want {
		m := c2.mustRead()
		if m.Type != apitype.TypeEvent {
			t.Fatalf("got %s during replay", m.Type)
		}
		got = append(got, m.Seq)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("replayed %v, want %v", got, want)
	}
	s.Publish("S1", apitype.EvReading, apitype.Reading{Grams: 99})
	if m := c2.mustRead(); m.Seq != s.Seq() {
		t.Errorf("live event seq %d, want %d", m.Seq, s.Seq())
	}
	// Resuming at the latest seq replays nothing and stays resumed.
	c3 := mustDial(t, addr)
	c3.hello("S1", s.Seq())
	if w3 := c3.welcome(); !w3.Resumed {
		t.Errorf("resume at latest: %+v", w3)
	}
	s.Publish("S1", apitype.EvReading, apitype.Reading{Grams: 100})
	if m := c3.mustRead(); m.Seq != s.Seq() || m.Event != apitype.EvReading {
		t.Errorf("after resume at latest got %+v", m)
	}
}

func TestSnapshotWhenTooFarBehind(t *testing.T) {
	s, addr := startServer(t, Options{History: 8})
	c := mustDial(t, addr)
	c.hello("S1", 0)
	w := c.welcome()
	c.snapshot()
	c.ws.Close()
	for i := range 20 {
		s.Publish("S1", apitype.EvReading, apitype.Reading{Grams: float64(i)})
	}
	for _, after := range []uint64{w.Seq, w.Seq + 11, s.Seq() + 5} {
		c2 := mustDial(t, addr)
		c2.hello("S1", after)
		w2 := c2.welcome()
		if w2.Resumed || w2.Seq != s.Seq() {
			t.Errorf("after_seq %d: welcome %+v, want a snapshot at %d", after, w2, s.Seq())
		}
		for _, m := range c2.snapshot() {
			if m.Seq != s.Seq() {
				t.Errorf("snapshot seq %d, want %d", m.Seq, s.Seq())
			}
		}
		c2.ws.Close()
	}
	// Still reachable: the oldest held event follows after_seq directly.
	c3 := mustDial(t, addr)
	c3.hello("S1", s.Seq()-8)
	if w3 := c3.welcome(); !w3.Resumed {
		t.Errorf("after_seq at the edge of the history: %+v", w3)
	}
	for i := range 8 {
		if m := c3.mustRead(); m.Seq != s.Seq()-7+uint64(i) {
			t.Fatalf("replay %d: seq %d", i, m.Seq)
		}
	}
}

func TestHistoryByteCap(t *testing.T) {
	s, addr := startServer(t, Options{History: 1000, HistoryBytes: 20000})
	c := mustDial(t, addr)
	c.hello("S1", 0)
	w := c.welcome()
	c.snapshot()
	c.ws.Close()
	big := strings.Repeat("x", 1000)
	for range 50 {
		s.Publish("S1", apitype.EvAlert, apitype.Alert{Detail: big})
	}
	s.mu.Lock()
	held, bytes := s.held, s.bytes
	s.mu.Unlock()
	if bytes > 20000 || held >= 50 || held < 10 {
		t.Errorf("held %d events in %d bytes, want fewer than 50 within 20000", held, bytes)
	}
	c2 := mustDial(t, addr)
	c2.hello("S1", w.Seq)
	if w2 := c2.welcome(); w2.Resumed {
		t.Error("resumed across events dropped for size")
	}
	c3 := mustDial(t, addr)
	c3.hello("S1", s.Seq()-uint64(held))
	if w3 := c3.welcome(); !w3.Resumed {
		t.Error("could not resume within the held events")
	}
}

func TestBadMessages(t *testing.T) {
	s, addr := startServer(t, Options{})
	bystander := mustDial(t, addr)
	bystander.hello("S2", 0)
	bystander.welcome()
	bystander.snapshot()

	c := mustDial(t, addr)
	cases := []struct {
		frame string
		code  string
		id    string
	}{
		{`{"type":"hello",`, apitype.ErrBadRequest, ""},
		{`not json at all`, apitype.ErrBadRequest, ""},
		{`[1,2,3]`, apitype.ErrBadRequest, ""},
		{`{"type":"hello"}{"type":"hello"}`, apitype.ErrBadRequest, ""},
		{`{"id":"x1"}`, apitype.ErrBadRequest, "x1"},
		{`{"type":"command","id":"c0","data":{"kind":"scan","code":"A"}}`, apitype.ErrOutOfOrder, "c0"},
		{`{"type":"dance","id":"d1"}`, apitype.ErrUnknown, "d1"},
		{`{"type":"event","seq":5}`, apitype.ErrUnknown, ""},
		{`{"type":"hello","data":{"version":2,"station":"S1"}}`, apitype.ErrBadRequest, ""},
		{`{"type":"hello","data":{"version":1,"station":""}}`, apitype.ErrBadRequest, ""},
		{`{"type":"hello","data":{"version":1,"station":"bad station"}}`, apitype.ErrBadRequest, ""},
		{`{"type":"hello","data":"S1"}`, apitype.ErrBadRequest, ""},
	}
	for _, tc := range cases {
		c.sendRaw([]byte(tc.frame))
		m := c.mustRead()
		e := decodeErr(t, m)
		if e.Code != tc.code || m.ID != tc.id || len(e.Message) < 15 {
			t.Errorf("%s: got %s %q id %q, want %s id %q", tc.frame, e.Code, e.Message, m.ID, tc.code, tc.id)
		}
	}
	if err := c.ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	if e := decodeErr(t, c.mustRead()); e.Code != apitype.ErrBadRequest {
		t.Errorf("binary frame: %+v", e)
	}
	// The connection still works.
	c.hello("S1", 0)
	c.welcome()
	c.snapshot()
	c.hello("S1", 0)
	if e := decodeErr(t, c.mustRead()); e.Code != apitype.ErrOutOfOrder {
		t.Errorf("second hello: %+v", e)
	}
	for _, tc := range []struct{ frame, code string }{
		{`{"type":"command","data":{"kind":"scan"}}`, apitype.ErrBadRequest},
		{`{"type":"command","id":"c1"}`, apitype.ErrBadRequest},
		{`{"type":"command","id":"c2","data":{"code":"A"}}`, apitype.ErrBadRequest},
		{`{"type":"command","id":"c3","data":{"kind":7}}`, apitype.ErrBadRequest},
	} {
		c.sendRaw([]byte(tc.frame))
		if e := decodeErr(t, c.mustRead()); e.Code != tc.code {
			t.Errorf("%s: %+v", tc.frame, e)
		}
	}
	c.send(apitype.TypeCommand, "c4", apitype.Command{Kind: "fly"})
	if m := c.mustRead(); m.Type != apitype.TypeResult || m.ID != "c4" {
		t.Errorf("unknown command kind: %+v", m)
	}

	// Oversized: an error in words, then the close.
	big := `{"type":"command","id":"big","data":{"kind":"scan","code":"` + strings.Repeat("x", apitype.MaxMessageBytes) + `"}}`
	c.sendRaw([]byte(big))
	e := decodeErr(t, c.mustRead())
	if e.Code != apitype.ErrTooLarge || !strings.Contains(e.Message, "65536") {
		t.Errorf("oversized: %+v", e)
	}
	if _, err := c.read(); !isClose(err, websocket.CloseMessageTooBig) {
		t.Errorf("after oversized frame: %v, want close 1009", err)
	}
	// Twice the limit, before hello: the same.
	c2 := mustDial(t, addr)
	c2.sendRaw(make([]byte, 2*apitype.MaxMessageBytes))
	if e := decodeErr(t, c2.mustRead()); e.Code != apitype.ErrTooLarge {
		t.Errorf("huge frame: %+v", e)
	}
	if _, err := c2.read(); !isClose(err, websocket.CloseMessageTooBig) {
		t.Errorf("after huge frame: %v, want close 1009", err)
	}

	// The bystander never noticed.
	s.Publish("S2", apitype.EvReading, apitype.Reading{Grams: 5})
	if m := bystander.mustRead(); m.Event != apitype.EvReading || m.Seq != s.Seq() {
		t.Errorf("bystander got %+v", m)
	}
}

func TestCommandTimeout(t *testing.T) {
	fb := newFakeBackend()
	fb.block = make(chan struct{})
	defer close(fb.block)
	_, addr := startServer(t, Options{Backend: fb, CommandTimeout: 20e6})
	c := mustDial(t, addr)
	c.hello("S1", 0)
	c.welcome()
	c.snapshot()
	c.send(apitype.TypeCommand, "slow", apitype.Command{Kind: apitype.CmdScan, Code: "A"})
	m := c.mustRead()
	var r apitype.Result
	json.Unmarshal(m.Data, &r)
	if m.ID != "slow" || r.OK || r.Error == nil || r.Error.Code != apitype.ErrInternal {
		t.Errorf("got %+v %+v", m, r)
	}
}

func TestSixteenStations(t *testing.T) {
	s, addr := startServer(t, Options{})
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	ready := make(chan *testClient, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			station := fmt.Sprintf("S%02d", i)
			c, _, err := dial(t, addr, nil)
			if err != nil {
				errs <- err
				return
			}
			c.hello(station, 0)
			for range 6 {
				if _, err := c.read(); err != nil {
					errs <- err
					return
				}
			}
			for k := range 5 {
				c.send(apitype.TypeCommand, fmt.Sprint(k), apitype.Command{Kind: apitype.CmdScan, Code: fmt.Sprintf("%s-%d", station, k)})
				gotEvent, gotResult := false, false
				for !gotEvent || !gotResult {
					m, err := c.read()
					if err != nil {
						errs <- err
						return
					}
					switch m.Type {
					case apitype.TypeResult:
						gotResult = m.ID == fmt.Sprint(k)
					case apitype.TypeEvent:
						var v apitype.StationView
						json.Unmarshal(m.Data, &v)
						if v.Station != station {
							errs <- fmt.Errorf("%s received %s's event", station, v.Station)
							return
						}
						gotEvent = v.Prompt == fmt.Sprintf("scanned %s-%d", station, k)
					}
				}
			}
			ready <- c
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	close(ready)
	s.Publish("", apitype.EvLink, apitype.Link{Online: false, Detail: "down"})
	count := 0
	for c := range ready {
		m := c.mustRead()
		if m.Event != apitype.EvLink || m.Seq != s.Seq() {
			t.Errorf("global event: %+v", m)
		}
		count++
	}
	if count != n {
		t.Errorf("%d stations finished, want %d", count, n)
	}
}

func TestSlowClientIsDropped(t *testing.T) {
	if testing.Short() {
		t.Skip("fills socket buffers")
	}
	s, addr := startServer(t, Options{SendQueue: 4})
	slow := mustDial(t, addr)
	slow.hello("S1", 0)
	fast := mustDial(t, addr)
	fast.hello("S2", 0)
	fast.welcome()
	fast.snapshot()
	payload := strings.Repeat("x", 4096)
	const n = 4000
	for range n {
		s.Publish("", apitype.EvAlert, apitype.Alert{Detail: payload})
		// The fast client keeps up: it reads each event before the next.
		if m, err := fast.read(); err != nil || m.Seq != s.Seq() {
			t.Fatalf("fast client: %v %+v", err, m)
		}
	}
	// The slow client finds its connection closed once it reads.
	var err error
	for err == nil {
		_, err = slow.read()
	}
	if !isClose(err, websocket.CloseTryAgainLater) {
		t.Errorf("slow client: %v, want close 1013", err)
	}
}

func TestShutdownClosesClients(t *testing.T) {
	s, err := New(Options{Backend: newFakeBackend(), Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	c := mustDial(t, ln.Addr().String())
	c.hello("S1", 0)
	c.welcome()
	c.snapshot()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel: %v", err)
	}
	var rerr error
	for rerr == nil {
		_, rerr = c.read()
	}
	if !isClose(rerr, websocket.CloseGoingAway) {
		t.Errorf("client saw %v, want close 1001", rerr)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Options{Token: testToken}); err == nil {
		t.Error("no backend accepted")
	}
	if _, err := New(Options{Backend: newFakeBackend()}); err == nil {
		t.Error("no token accepted")
	}
	if _, err := New(Options{Backend: newFakeBackend(), Token: "short"}); err == nil {
		t.Error("short token accepted")
	}
	if _, err := New(Options{Backend: newFakeBackend(), Token: testToken, PingInterval: 60e9, PongWait: 30e9}); err == nil {
		t.Error("pong wait below ping interval accepted")
	}
}

func TestLoadOrCreateToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "ui-token")
	tok, err := LoadOrCreateToken(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 43 {
		t.Errorf("token %q has %d characters, want 43", tok, len(tok))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o007 != 0 {
		t.Errorf("token file mode %v is world-accessible", fi.Mode())
	}
	again, err := LoadOrCreateToken(path)
	if err != nil || again != tok {
		t.Errorf("second load: %q %v, want %q", again, err, tok)
	}
	s, err := New(Options{Backend: newFakeBackend(), TokenFile: path})
	if err != nil || s.Token() != tok {
		t.Errorf("New with TokenFile: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, nil, 0o600)
	if _, err := LoadOrCreateToken(empty); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty token file: %v", err)
	}
}
