package tiktok

import (
	"net/http"
	"testing"
	"time"
)

// seedEnvelopes adds the reference-shaped fixtures and odd answers.
func seedEnvelopes(f *testing.F, names ...string) {
	for _, n := range names {
		f.Add(fixture(f, n))
	}
	f.Add([]byte(`<html><body>502 Bad Gateway</body></html>`))
	f.Add([]byte(`{"code":105002,"message":"Expired credentials","request_id":"R"}`))
	f.Add([]byte(`{"code":0,"message":"ok","data":null}`))
	f.Add([]byte(`{"code":"0","data":{}}`))
	f.Add([]byte(``))
}

// decodeAll runs the decoder the client uses for path and checks the
// contract: a value or an error, never both missing, never a panic.
func decodeAll[T any](t *testing.T, body []byte, check func(T)) {
	for _, status := range []int{200, 429, 503} {
		var v T
		h := http.Header{"Retry-After": {"3"}, "Content-Type": {"application/json"}}
		err := decodeResponse("/fuzz", status, h, body, &v)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			continue
		}
		if status != 200 {
			t.Fatalf("HTTP %d decoded as success", status)
		}
		check(v)
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	seedEnvelopes(f, "shops.json", "token.json", "document.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range []int{200, 404, 429, 500, 502} {
			env, err := decodeEnvelope("/fuzz", status, http.Header{"X-Tt-Logid": {"LOG"}}, body)
			if err == nil && (env.Code == nil || *env.Code != 0 || status != 200) {
				t.Fatalf("accepted code %v with HTTP %d", env.Code, status)
			}
			if err != nil {
				_ = err.Error()
				_ = requestIDOf(err)
				_ = retryable(err)
			}
		}
	})
}

func FuzzDecodeOrders(f *testing.F) {
	seedEnvelopes(f, "order_page.json")
	f.Add([]byte(`{"code":0,"data":{"orders":[{"id":"1","line_items":[{"id":"2","combined_listing_skus":[{"sku_id":"3","sku_count":"-9223372036854775808"}]}],"rts_sla_time":"9223372036854775807"}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeAll(t, body, func(p OrderPage) {
			for _, o := range p.Orders {
				d := o.Domain()
				_ = d.Items()
				_ = d.Expected()
				_, _ = d.Packable()
				if d.ID != o.ID || len(d.LineItems) != len(o.LineItems) {
					t.Fatalf("Domain lost data: %q/%q %d/%d", d.ID, o.ID, len(d.LineItems), len(o.LineItems))
				}
			}
		})
	})
}

func FuzzDecodePackage(f *testing.F) {
	seedEnvelopes(f, "create_package.json", "package_detail.json")
	f.Add([]byte(`{"code":0,"data":{"packages":[{"id":"P","orders":[{"id":"O"}],"update_time":"1"}],"next_page_token":"x"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeAll(t, body, func(p Package) { _ = p.CreateTime.Time() })
		decodeAll(t, body, func(p PackageDetail) { _ = p.Cancelled() })
		decodeAll(t, body, func(PackagePage) {})
	})
}

func FuzzDecodeDocument(f *testing.F) {
	seedEnvelopes(f, "document.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeAll(t, body, func(Document) {})
	})
}

func FuzzDecodeProduct(f *testing.F) {
	seedEnvelopes(f, "product.json")
	f.Add([]byte(`{"code":0,"data":{"id":"1","package_weight":{"value":1e300,"unit":"POUND"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeAll(t, body, func(p productData) {
			got, err := p.domain("1", time.Unix(0, 0))
			if err == nil && got.Weight <= 0 {
				t.Fatalf("accepted weight %v", got.Weight)
			}
		})
	})
}

func FuzzDecodeToken(f *testing.F) {
	seedEnvelopes(f, "token.json")
	f.Add([]byte(`{"code":0,"data":{"access_token":"A","access_token_expire_in":"604800","refresh_token":""}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeAll(t, body, func(d tokenData) {
			tok, err := d.token(Token{RefreshToken: "OLD"}, time.Unix(1_700_000_000, 0))
			if err == nil && (tok.AccessToken == "" || tok.RefreshToken == "") {
				t.Fatalf("token without access or refresh token: %+v", tok)
			}
		})
	})
}
