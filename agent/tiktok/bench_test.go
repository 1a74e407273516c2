package tiktok

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// orderPageBody builds a Get Order List answer of n orders shaped like the
// reference fixture.
func orderPageBody(tb testing.TB, n int) []byte {
	tb.Helper()
	var env struct {
		Data struct {
			Orders []map[string]any `json:"orders"`
		} `json:"data"`
	}
	if err := json.Unmarshal(fixture(tb, "order_page.json"), &env); err != nil {
		tb.Fatal(err)
	}
	proto := env.Data.Orders[0]
	orders := make([]map[string]any, n)
	for i := range orders {
		o := make(map[string]any, len(proto))
		for k, v := range proto {
			o[k] = v
		}
		o["id"] = fmt.Sprint(576461413038785752 + i)
		orders[i] = o
	}
	b, err := json.Marshal(map[string]any{"code": 0, "message": "Success", "request_id": "R",
		"data": map[string]any{"orders": orders, "next_page_token": "", "total_count": n}})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// percentiles reports p50 and p99 of samples in the given unit.
func percentiles(b *testing.B, samples []time.Duration, unit time.Duration, name string) {
	slices.Sort(samples)
	p := func(q float64) float64 { return float64(samples[int(q*float64(len(samples)-1))]) / float64(unit) }
	b.ReportMetric(p(0.50), "p50-"+name)
	b.ReportMetric(p(0.99), "p99-"+name)
}

func BenchmarkSign(b *testing.B) {
	q := url.Values{"app_key": {testAppKey}, "timestamp": {"1700000000"}, "shop_cipher": {testCipher},
		"page_size": {"100"}, "page_token": {"aDU2dHVv+c2Nb/QT09="}, "sort_field": {"update_time"}, "sort_order": {"ASC"}}
	body := []byte(`{"order_status":"AWAITING_SHIPMENT","warehouse_ids":["7068517275539719942"],"update_time_ge":1699950000}`)
	const batch = 1000
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		for range batch {
			_ = Sign(testAppSecret, pathOrderSearch, q, body, "application/json")
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*batch), "ns/sign")
}

func BenchmarkDecodeOrderPage(b *testing.B) {
	body := orderPageBody(b, 100)
	const batch = 20
	var samples []time.Duration
	b.SetBytes(int64(len(body) * batch))
	b.ReportAllocs()
	for b.Loop() {
		for range batch {
			t0 := time.Now()
			var page OrderPage
			if err := decodeResponse(pathOrderSearch, 200, http.Header{}, body, &page); err != nil {
				b.Fatal(err)
			}
			for _, o := range page.Orders {
				_ = o.Domain()
			}
			samples = append(samples, time.Since(t0))
			if len(page.Orders) != 100 {
				b.Fatalf("decoded %d orders", len(page.Orders))
			}
		}
	}
	percentiles(b, samples, time.Millisecond, "ms/page")
	var total time.Duration
	for _, s := range samples {
		total += s
	}
	b.ReportMetric(float64(len(samples)*100)/total.Seconds(), "orders/s")
}

// BenchmarkSearchOrdersRoundTrip measures a signed 100-order page over
// loopback HTTP against a server that verifies the signature.
func BenchmarkSearchOrdersRoundTrip(b *testing.B) {
	e := newEnv(b)
	body := orderPageBody(b, 100)
	e.fake.handle("POST "+pathOrderSearch, serveBytes(body))
	const batch = 20
	var samples []time.Duration
	for b.Loop() {
		for range batch {
			t0 := time.Now()
			page, err := e.client.SearchOrders(context.Background(), OrderQuery{Status: "AWAITING_SHIPMENT"})
			if err != nil || len(page.Orders) != 100 {
				b.Fatalf("SearchOrders: %v, %d orders", err, len(page.Orders))
			}
			samples = append(samples, time.Since(t0))
		}
	}
	percentiles(b, samples, time.Millisecond, "ms/call")
}
