package tiktok

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/packline/packline/agent/order"
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
			var ae *APIError
			if !errors.Is(err, ErrMalformed) && !errors.As(err, &ae) {
				t.Fatalf("HTTP %d: error %T is neither ErrMalformed nor an *APIError: %v", status, err, err)
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

// roundTrip checks that a decoded value survives encoding and decoding
// unchanged: nothing was half-read into a state the type cannot express.
func roundTrip[T any](t *testing.T, v T) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("re-encoding %+v: %v", v, err)
	}
	var back T
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("decoding the re-encoded %s: %v", b, err)
	}
	if !reflect.DeepEqual(v, back) {
		t.Fatalf("round trip changed the value:\n%+v\n%+v", v, back)
	}
}

func FuzzDecodeShops(f *testing.F) {
	seedEnvelopes(f, "shops.json")
	f.Add([]byte(`{"code":0,"data":{"shops":[{"cipher":"GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3","id":7000714532876273420}]}}`))
	f.Add([]byte(`{"code":0,"data":{"shops":null}}`))
	f.Add([]byte(`{"code":0,"data":{"shops":[{"CIPHER":"a","cipher":"b","name":"\ud800"}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeAll(t, body, func(d shopList) { roundTrip(t, d) })
	})
}

func FuzzDecodeWarehouses(f *testing.F) {
	seedEnvelopes(f, "warehouses.json")
	f.Add([]byte(`{"code":0,"data":{"warehouses":[{"id":"1","is_default":"true"}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeAll(t, body, func(d warehouseList) { roundTrip(t, d) })
	})
}

// checkWeightLimit holds Range and Check to each other: a limit Range
// rejects accepts no weight, one it reads has sane bounds that Check
// enforces.
func checkWeightLimit(t *testing.T, l WeightLimit) {
	t.Helper()
	lo, hi, err := l.Range()
	if err != nil {
		if err.Error() == "" {
			t.Fatal("empty error message")
		}
		if l.Check(order.Gram) == nil {
			t.Fatalf("Check accepts 1 g under %+v, which Range rejects: %v", l, err)
		}
		return
	}
	if lo < 0 || hi < 0 || hi > 0 && lo > hi {
		t.Fatalf("Range(%+v) = %v to %v", l, lo, hi)
	}
	if l.MinWeight == "" && lo != 0 || l.MaxWeight == "" && hi != 0 {
		t.Fatalf("absent bound of %+v read as %v to %v", l, lo, hi)
	}
	for _, b := range []Decimal{l.MinWeight, l.MaxWeight} {
		if b != "" && strings.Trim(string(b), "+.0123456789eE-") != "" {
			t.Fatalf("%+v: bound %q is not a decimal, yet Range read it", l, b)
		}
	}
	for _, m := range []order.Mass{lo, hi, (lo + hi) / 2} {
		if m > 0 && m >= lo && (hi == 0 || m <= hi) {
			if err := l.Check(m); err != nil {
				t.Fatalf("%+v: Check(%v) inside %v to %v: %v", l, m, lo, hi, err)
			}
		}
	}
	if hi > 0 && l.Check(hi+1) == nil {
		t.Fatalf("%+v: Check accepts %v above the maximum %v", l, hi+1, hi)
	}
	if lo > 1 && l.Check(lo-1) == nil {
		t.Fatalf("%+v: Check accepts %v below the minimum %v", l, lo-1, lo)
	}
}

func FuzzDecodeDeliveryOptions(f *testing.F) {
	seedEnvelopes(f, "delivery_options.json")
	f.Add([]byte(`{"code":0,"data":{"delivery_options":[{"id":"1","weight_limit":{"min_weight":"70","max_weight":"1","unit":"POUND"}}]}}`))
	f.Add([]byte(`{"code":0,"data":{"delivery_options":[{"id":"1","weight_limit":{"min_weight":-1,"max_weight":"-5","unit":"gram"}}]}}`))
	f.Add([]byte(`{"code":0,"data":{"delivery_options":[{"id":"1","weight_limit":{"min_weight":"1e99999","max_weight":"0x10","unit":"KILOGRAM"}}]}}`))
	f.Add([]byte(`{"code":0,"data":{"delivery_options":[{"id":"1","weight_limit":{"max_weight":"1/3","unit":"STONE"},"dimension_limit":null}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeAll(t, body, func(d deliveryOptionList) {
			roundTrip(t, d)
			for _, o := range d.DeliveryOptions {
				if o.WeightLimit != nil {
					checkWeightLimit(t, *o.WeightLimit)
				}
			}
		})
	})
}

// FuzzWeightLimitRange feeds Range the bounds directly, past the JSON
// decoder's own checks.
func FuzzWeightLimitRange(f *testing.F) {
	for _, s := range [][3]string{{"1", "68038", "GRAM"}, {"0.1", "70", "POUND"}, {"", "30", "KILOGRAM"}, {"5", "", "pound"}, {"70", "1", "POUND"}, {"-1", "-5", "GRAM"}, {"1e9", "1e99999", "GRAM"}, {"0x10", "1/3", "POUND"}, {"1_000", " 2 ", "GRAM"}, {"1", "2", "STONE"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, lo, hi, unit string) {
		checkWeightLimit(t, WeightLimit{MinWeight: Decimal(lo), MaxWeight: Decimal(hi), Unit: unit})
	})
}

func FuzzDecodeShippingServices(f *testing.F) {
	seedEnvelopes(f, "shipping_services.json")
	f.Add([]byte(`{"code":0,"data":{"shipping_services":[{"id":"S","price":1e400,"earliest_delivery_days":"9.9e18","latest_delivery_days":-1}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeAll(t, body, func(d shippingServiceList) { roundTrip(t, d) })
	})
}
