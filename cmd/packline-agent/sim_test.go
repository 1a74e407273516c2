package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestSimCommandServesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, []string{"sim", "--listen", "127.0.0.1:0", "--orders", "5", "--seed", "3"}, &out, &errb)
	}()
	re := regexp.MustCompile(`base URL\s+(http://127\.0\.0\.1:\d+)`)
	var base string
	for i := 0; i < 500 && base == ""; i++ {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("sim exited with %d: %s", code, errb.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("no base URL printed: %q", out.String())
	}
	for _, want := range []string{"app secret", "shop cipher", "warehouse id", "auth code", "access token", "[tiktok]", "api_base = \"" + base + "\""} {
		if !bytes.Contains([]byte(out.String()), []byte(want)) {
			t.Errorf("output lacks %q", want)
		}
	}
	resp, err := http.Get(base + "/_sim/orders")
	if err != nil {
		t.Fatal(err)
	}
	var orders []json.RawMessage
	json.NewDecoder(resp.Body).Decode(&orders)
	resp.Body.Close()
	if len(orders) != 5 {
		t.Errorf("simulator holds %d orders, want 5", len(orders))
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit code %d: %s", code, errb.String())
	}
	if _, err := http.Get(base + "/_sim/info"); err == nil {
		t.Errorf("simulator still serving after stop")
	}
}

func TestSimCommandRejectsBadFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runMain(context.Background(), []string{"sim", "--orders", "-1"}, &out, &errb); code != 1 || !bytes.Contains(errb.Bytes(), []byte("--orders")) {
		t.Errorf("negative orders: code %d, err %q", code, errb.String())
	}
	errb.Reset()
	if code := runMain(context.Background(), []string{"sim", "--listen", "256.0.0.1:bad"}, &out, &errb); code != 1 || !bytes.Contains(errb.Bytes(), []byte("listen")) {
		t.Errorf("bad listen: code %d, err %q", code, errb.String())
	}
}
