package daemon

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packline/packline/agent/tiktok"
)

func TestShopAsksForTheConfiguredDocumentSize(t *testing.T) {
	var mu sync.Mutex
	var sizes []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/shipping_documents") {
			mu.Lock()
			sizes = append(sizes, r.URL.Query().Get("document_size"))
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"code":0,"message":"Success","request_id":"r1","data":{"doc_url":"https://docs.example/label.pdf","tracking_number":"9400"}}`)
	}))
	defer srv.Close()
	now := time.Now()
	c, err := tiktok.New(tiktok.Config{AppKey: "key", AppSecret: "secret", APIBase: srv.URL, AuthBase: srv.URL, ShopCipher: "cipher",
		Tokens: tiktok.NewMemoryTokenStore(tiktok.Token{AccessToken: "A", RefreshToken: "R", AccessExpiry: now.Add(time.Hour), RefreshExpiry: now.Add(24 * time.Hour)})})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []string{"A5", "A6"} {
		d, err := shop{c: c, docSize: size}.ShippingDocument(context.Background(), "1152921504606846976")
		if err != nil {
			t.Fatalf("size %s: %v", size, err)
		}
		if d.TrackingNumber != "9400" {
			t.Errorf("document %+v", d)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) != 2 || sizes[0] != "A5" || sizes[1] != "A6" {
		t.Errorf("document_size sent %q, want [A5 A6] as configured", sizes)
	}
}
