package tiktoksim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"testing"
	"time"
)

func percentile(ds []time.Duration, p float64) float64 {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p * float64(len(s)-1))
	return float64(s[i]) / float64(time.Millisecond)
}

// BenchmarkSearchOrders pages through 2,000 orders (100 per page) over real
// HTTP with signing and verification, 200 pages per batch.
func BenchmarkSearchOrders(b *testing.B) {
	s, c, _ := newTestSim(b, Options{Seed: 1, Orders: 2000})
	_ = s
	const pages = 200
	var lat []time.Duration
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		tok := ""
		for range pages {
			q := map[string]string{"page_size": "100", "sort_field": "update_time", "sort_order": "ASC"}
			if tok != "" {
				q["page_token"] = tok
			}
			t0 := time.Now()
			var p struct {
				NextPageToken string `json:"next_page_token"`
			}
			c.ok("POST", "/order/202309/orders/search", q, map[string]any{"warehouse_ids": []string{s.Options().WarehouseID}}, &p)
			lat = append(lat, time.Since(t0))
			tok = p.NextPageToken
		}
	}
	el := time.Since(start)
	b.ReportMetric(float64(len(lat))/el.Seconds(), "pages/s")
	b.ReportMetric(percentile(lat, 0.5), "p50-ms")
	b.ReportMetric(percentile(lat, 0.99), "p99-ms")
}

// BenchmarkCreatePackageAndDocument buys 100 labels and fetches each label
// document (doc_url request plus the PDF download, rendering included).
func BenchmarkCreatePackageAndDocument(b *testing.B) {
	const batch = 100
	s, c, _ := newTestSim(b, Options{Seed: 2})
	var buy, docLat []time.Duration
	for range b.N {
		ids := make([]string, batch)
		for i := range ids {
			id, err := s.AddOrder(OrderSpec{})
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = id
		}
		b.StartTimer()
		for _, id := range ids {
			o, _ := s.Order(id)
			t0 := time.Now()
			var created struct {
				PackageID string `json:"package_id"`
			}
			c.ok("POST", "/fulfillment/202309/packages", nil, map[string]any{"order_id": id, "order_line_item_ids": lineIDs(o), "weight": Weight{strconv.Itoa(1 + len(o.LineItems)), "POUND"}}, &created)
			t1 := time.Now()
			var d struct {
				DocURL string `json:"doc_url"`
			}
			c.ok("GET", "/fulfillment/202309/packages/"+created.PackageID+"/shipping_documents", map[string]string{"document_type": "SHIPPING_LABEL", "document_size": "A6"}, nil, &d)
			resp, err := c.hc.Get(d.DocURL)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || n == 0 {
				b.Fatalf("document: %d, %d bytes", resp.StatusCode, n)
			}
			buy = append(buy, t1.Sub(t0))
			docLat = append(docLat, time.Since(t1))
		}
		b.StopTimer()
	}
	b.ReportMetric(percentile(buy, 0.5), "create-p50-ms")
	b.ReportMetric(percentile(buy, 0.99), "create-p99-ms")
	b.ReportMetric(percentile(docLat, 0.5), "doc-p50-ms")
	b.ReportMetric(percentile(docLat, 0.99), "doc-p99-ms")
}

// BenchmarkLabelPDF renders 100 labels.
func BenchmarkLabelPDF(b *testing.B) {
	l := testLabel()
	var lat []time.Duration
	for range b.N {
		for i := range 100 {
			l.TrackingNumber = "94001118992231974" + strconv.Itoa(10000+i)
			t0 := time.Now()
			if _, err := LabelPDF(l); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
	}
	b.ReportMetric(percentile(lat, 0.5), "p50-ms")
	b.ReportMetric(percentile(lat, 0.99), "p99-ms")
}

// BenchmarkSearchOrdersHandler measures the simulator alone (no socket, no
// client decoding): 200 signed pages of 100 orders out of 2,000; pages/s
// counts handler time only.
func BenchmarkSearchOrdersHandler(b *testing.B) {
	now := time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)
	s := New(Options{Seed: 1, Orders: 2000, Now: func() time.Time { return now }})
	tok := s.IssueToken().AccessToken
	h := s.Handler()
	body := []byte(`{}`)
	const pages = 200
	var lat []time.Duration
	for range b.N {
		pageToken := ""
		for range pages {
			q := map[string]string{"app_key": s.opts.AppKey, "timestamp": strconv.FormatInt(now.Unix(), 10), "shop_cipher": s.opts.ShopCipher, "page_size": "100", "sort_field": "update_time", "sort_order": "ASC"}
			if pageToken != "" {
				q["page_token"] = pageToken
			}
			q["sign"] = specSign(s.opts.AppSecret, "/order/202309/orders/search", q, body)
			v := url.Values{}
			for k, x := range q {
				v.Set(k, x)
			}
			req := httptest.NewRequest("POST", "/order/202309/orders/search?"+v.Encode(), bytes.NewReader(body))
			req.Header.Set("x-tts-access-token", tok)
			rec := httptest.NewRecorder()
			t0 := time.Now()
			h.ServeHTTP(rec, req)
			lat = append(lat, time.Since(t0))
			var p struct {
				Code int `json:"code"`
				Data struct {
					NextPageToken string `json:"next_page_token"`
				} `json:"data"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Code != 0 {
				b.Fatalf("search: %v %s", err, rec.Body.Bytes()[:min(200, rec.Body.Len())])
			}
			pageToken = p.Data.NextPageToken
		}
	}
	var busy time.Duration
	for _, d := range lat {
		busy += d
	}
	b.ReportMetric(float64(len(lat))/busy.Seconds(), "pages/s")
	b.ReportMetric(percentile(lat, 0.5), "p50-ms")
	b.ReportMetric(percentile(lat, 0.99), "p99-ms")
}
