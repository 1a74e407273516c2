package localapi

import (
	"net"
	"testing"

	"github.com/packline/packline/agent/localapi/apitype"
)

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// FuzzHandleFrame feeds arbitrary frames to the server's frame handler: it
// must answer each with messages a client can decode, and never panic.
func FuzzHandleFrame(f *testing.F) {
	for _, seed := range []string{
		`{"type":"hello","data":{"version":1,"station":"S1","after_seq":0}}`,
		`{"type":"hello","data":{"version":1,"station":"S1","after_seq":1764000000000123}}`,
		`{"type":"command","id":"S1-1","data":{"kind":"scan","code":"576123456789"}}`,
		`{"type":"command","id":"S1-2","data":{"kind":"override","lead":"ana","reason":"scale broken"}}`,
		`{"type":"command","id":"S1-3","data":{"kind":"accept_weight","weight_grams":1250.5}}`,
		`{"type":"event","seq":3}`,
		`{"type":"hello"`,
		`[]`,
		`null`,
		`{"type":"hello","data":{"version":1,"station":"\u0000"}}`,
	} {
		f.Add([]byte(seed))
	}
	fb := newFakeBackend()
	s, err := New(Options{Backend: fb, Token: testToken, History: 16})
	if err != nil {
		f.Fatal(err)
	}
	fb.pub = s
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &conn{s: s, send: make(chan outItem, 64), done: make(chan struct{})}
		s.mu.Lock()
		s.clients[c] = struct{}{}
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			delete(s.clients, c)
			s.mu.Unlock()
		}()
		// A hello first, as a real client would, half of the time.
		if len(data) > 0 && data[0]&1 == 1 {
			c.handleFrame([]byte(`{"type":"hello","data":{"version":1,"station":"F"}}`))
		}
		c.handleFrame(data)
		for {
			select {
			case it := <-c.send:
				frames := it.batch
				if it.frame != nil {
					frames = [][]byte{it.frame}
				}
				for _, fr := range frames {
					if _, perr := decodeMessage(fr); perr != nil {
						t.Fatalf("server sent an undecodable frame %q: %v", fr, perr)
					}
				}
			default:
				return
			}
		}
	})
}

var _ = apitype.Version
