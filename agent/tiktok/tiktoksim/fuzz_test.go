package tiktoksim

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packline/packline/agent/order"
)

func FuzzDecodeSearchOrders(f *testing.F) {
	for _, s := range []string{
		``, `{}`,
		`{"order_status":"AWAITING_SHIPMENT","warehouse_ids":["7294839165023718201"],"update_time_ge":1772600000,"update_time_lt":1772603600}`,
		`{"order_status":"CANCELLED","is_buyer_request_cancel":true,"shipping_type":"TIKTOK"}`,
		`{"create_time_ge":1772600000000}`, `{"update_time_ge":"x"}`, `[1,2]`, `{"warehouse_ids":"a"}`, `{} {}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeSearchOrders(body)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if req.OrderStatus != "" && !orderStatuses[req.OrderStatus] {
			t.Fatalf("accepted order_status %q", req.OrderStatus)
		}
		if len(req.WarehouseIDs) > 100 {
			t.Fatalf("accepted %d warehouse ids", len(req.WarehouseIDs))
		}
		for _, v := range []int64{req.CreateTimeGE, req.CreateTimeLT, req.UpdateTimeGE, req.UpdateTimeLT} {
			if v < 0 || v > 1e11 {
				t.Fatalf("accepted time %d", v)
			}
		}
	})
}

func FuzzDecodeSearchPackages(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"package_status":"PROCESSING","create_time_ge":1772600000}`, `{"package_status":"TO FULFILL"}`, `{"package_status":7}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := decodeSearchPackages(body); err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}

func FuzzDecodeCreatePackage(f *testing.F) {
	for _, s := range []string{
		`{"order_id":"576461413038785752","order_line_item_ids":["576461413038785753","576461413038785754"],"weight":{"value":"1.25","unit":"POUND"},"dimension":{"length":"10","width":"8","height":"4","unit":"INCH"}}`,
		`{"order_id":"5764","order_line_list":[{"order_line_id":"1","sub_item_id":""}],"shipping_service_id":"7208502187360519982","weight":{"value":"567","unit":"GRAM"}}`,
		`{"order_id":"5764","order_line_item_ids":["1"],"weight":{"value":1.25,"unit":"POUND"}}`,
		`{"order_id":"5764","order_line_item_ids":["1"],"weight":{"value":"1.255","unit":"POUND"}}`,
		`{"order_id":"5764","order_line_item_ids":["1","1"],"weight":{"value":"1","unit":"POUND"}}`,
		`{"order_id":"5764","order_line_item_ids":["1"],"weight":{"value":"99999999999999999999","unit":"GRAM"}}`,
		`{"order_id":"5764","order_line_item_ids":["1"],"weight":{"value":"1","unit":"POUND"},"dimension":{"length":"1e3","width":"8","height":"4","unit":"CM"}}`,
		`not json`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeCreatePackage(body)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if req.OrderID == "" || len(req.LineItemIDs) == 0 {
			t.Fatalf("accepted without order or line items: %+v", req)
		}
		seen := map[string]bool{}
		for _, id := range req.LineItemIDs {
			if id == "" || seen[id] {
				t.Fatalf("accepted line item ids %q", req.LineItemIDs)
			}
			seen[id] = true
		}
		if req.Mass <= 0 || req.Mass > maxPackageMass {
			t.Fatalf("accepted mass %v", req.Mass)
		}
		if req.Weight.Unit != "GRAM" && req.Weight.Unit != "POUND" {
			t.Fatalf("accepted unit %q", req.Weight.Unit)
		}
		m, err := order.ParseMass(req.Weight.Value, req.Weight.Unit)
		if err != nil || m != req.Mass {
			t.Fatalf("weight %v does not parse back: %v %v", req.Weight, m, err)
		}
		if d := req.Dimension; d != nil && (d.Unit != "CM" && d.Unit != "INCH" || d.Length == "" || d.Width == "" || d.Height == "") {
			t.Fatalf("accepted dimension %+v", d)
		}
		// Re-encoding the accepted request is accepted the same way.
		re, _ := json.Marshal(map[string]any{"order_id": req.OrderID, "order_line_item_ids": req.LineItemIDs, "weight": req.Weight, "dimension": req.Dimension})
		again, err := decodeCreatePackage(re)
		if err != nil || again.Mass != req.Mass || strings.Join(again.LineItemIDs, ",") != strings.Join(req.LineItemIDs, ",") {
			t.Fatalf("re-encoded request differs: %v", err)
		}
	})
}

func FuzzPageToken(f *testing.F) {
	f.Add(int64(1772600000), "576461413038785752", uint32(12345), "")
	f.Add(int64(0), "", uint32(0), "p+/=")
	f.Add(int64(-1), "x", uint32(7), encodePageToken(5, "abc", 7))
	f.Fuzz(func(t *testing.T, key int64, id string, filter uint32, raw string) {
		tok := encodePageToken(key, id, filter)
		k, gotID, err := decodePageToken(tok, filter)
		if id != "" && (err != nil || k != key || gotID != id) {
			t.Fatalf("round trip (%d, %q): got (%d, %q, %v)", key, id, k, gotID, err)
		}
		if _, _, err := decodePageToken(tok, filter+1); err == nil && id != "" {
			t.Fatal("token accepted for another filter")
		}
		decodePageToken(raw, filter) // must not panic
	})
}

// FuzzHandler sends correctly signed requests with arbitrary bodies and
// queries through the whole handler: every answer must be a JSON envelope,
// never a panic or a 5xx.
func FuzzHandler(f *testing.F) {
	s := New(Options{Seed: 5, Orders: 20, Now: func() time.Time { return time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC) }})
	tok := s.IssueToken().AccessToken
	o := s.Orders()[0]
	create, _ := json.Marshal(map[string]any{"order_id": o.ID, "order_line_item_ids": lineIDs(o), "weight": Weight{"1.25", "POUND"}})
	f.Add(uint8(0), "10", "", []byte(`{"order_status":"AWAITING_SHIPMENT"}`))
	f.Add(uint8(1), "", "", create)
	f.Add(uint8(2), "50", "+/==", []byte(`{"package_status":"PROCESSING"}`))
	f.Add(uint8(3), "", o.ID, []byte(nil))
	f.Add(uint8(4), "", "SHIPPING_LABEL", []byte(nil))
	paths := []string{"/order/202309/orders/search", "/fulfillment/202309/packages", "/fulfillment/202309/packages/search", "/order/202309/orders", "/fulfillment/202309/packages/x/shipping_documents"}
	methods := []string{"POST", "POST", "POST", "GET", "GET"}
	f.Fuzz(func(t *testing.T, which uint8, pageSize, extra string, body []byte) {
		i := int(which) % len(paths)
		q := url.Values{"app_key": {s.opts.AppKey}, "timestamp": {strconv.FormatInt(s.Now().Unix(), 10)}, "shop_cipher": {s.opts.ShopCipher}}
		if pageSize != "" {
			q.Set("page_size", pageSize)
		}
		switch i {
		case 2:
			q.Set("page_token", extra)
		case 3:
			q.Set("ids", extra)
		case 4:
			q.Set("document_type", extra)
		}
		qs := map[string]string{}
		for k := range q {
			qs[k] = q.Get(k)
		}
		q.Set("sign", specSign(s.opts.AppSecret, paths[i], qs, body))
		req := httptest.NewRequest(methods[i], paths[i]+"?"+q.Encode(), bytes.NewReader(body))
		req.Header.Set("x-tts-access-token", tok)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		var env struct {
			Code      *int   `json:"code"`
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Code == nil || env.RequestID == "" {
			t.Fatalf("%s %s: not an envelope (%d): %q", methods[i], paths[i], rec.Code, rec.Body.Bytes())
		}
		if rec.Code >= 500 {
			t.Fatalf("%s %s: HTTP %d: %s", methods[i], paths[i], rec.Code, rec.Body.Bytes())
		}
		if *env.Code == CodeInvalidSign {
			t.Fatalf("%s %s: signed request refused: %s", methods[i], paths[i], rec.Body.Bytes())
		}
	})
}
