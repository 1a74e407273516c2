package tiktoksim

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSignMatchesOfficialVector(t *testing.T) {
	const want = "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
	q := map[string]string{"app_key": "29a39d", "timestamp": "1623812664"}
	if got := specSign("e59af819cc", "/authorization/202309/shops", q, nil); got != want {
		t.Fatalf("test signer: got %s, want %s", got, want)
	}
	v := url.Values{"app_key": {"29a39d"}, "timestamp": {"1623812664"}, "sign": {"x"}, "access_token": {"legacy"}}
	if got := sign("e59af819cc", "/authorization/202309/shops", v, nil, "application/json"); got != want {
		t.Fatalf("simulator verifier: got %s, want %s", got, want)
	}
	// A JSON body and a page_token with '+' and '/' (signed decoded).
	body := []byte(`{"order_status":"AWAITING_SHIPMENT"}`)
	q2 := map[string]string{"app_key": "k", "timestamp": "1", "page_token": "a+b/c=", "shop_cipher": "ROW_x"}
	v2 := url.Values{}
	for k, x := range q2 {
		v2.Set(k, x)
	}
	if a, b := specSign("s", "/order/202309/orders/search", q2, body), sign("s", "/order/202309/orders/search", v2, body, "application/json"); a != b {
		t.Errorf("body + page_token: test signer %s, simulator %s", a, b)
	}
	// Multipart bodies are not signed.
	if a, b := sign("s", "/p", v2, []byte("xx"), "multipart/form-data; boundary=z"), sign("s", "/p", v2, nil, ""); a != b {
		t.Errorf("multipart body was signed")
	}
}

func TestEveryPathAnswersSignedRequests(t *testing.T) {
	s, c, _ := newTestSim(t, Options{Seed: 7, Orders: 30})
	// Authorised shops: no shop_cipher.
	var shops struct {
		Shops []struct{ Cipher, ID, Region string } `json:"shops"`
	}
	c.ok("GET", "/authorization/202309/shops", nil, nil, &shops)
	if len(shops.Shops) != 1 || shops.Shops[0].Cipher != s.Options().ShopCipher {
		t.Fatalf("shops = %+v", shops)
	}
	var wh struct {
		Warehouses []struct {
			ID, Type  string
			IsDefault bool `json:"is_default"`
		} `json:"warehouses"`
	}
	c.ok("GET", "/logistics/202309/warehouses", nil, nil, &wh)
	if len(wh.Warehouses) < 2 || wh.Warehouses[0].ID != s.Options().WarehouseID || wh.Warehouses[0].Type != "SALES_WAREHOUSE" {
		t.Fatalf("warehouses = %+v", wh)
	}
	var dopts struct {
		DeliveryOptions []struct {
			ID          string
			WeightLimit struct {
				MaxWeight int `json:"max_weight"`
			} `json:"weight_limit"`
		} `json:"delivery_options"`
	}
	c.ok("GET", "/logistics/202309/warehouses/"+s.Options().WarehouseID+"/delivery_options", nil, nil, &dopts)
	if len(dopts.DeliveryOptions) == 0 || dopts.DeliveryOptions[0].WeightLimit.MaxWeight == 0 {
		t.Errorf("delivery options = %+v", dopts)
	}

	var page ordersPage
	c.ok("POST", "/order/202309/orders/search", map[string]string{"page_size": "50"},
		map[string]any{"order_status": "AWAITING_SHIPMENT", "warehouse_ids": []string{s.Options().WarehouseID}}, &page)
	var target *Order
	for i := range page.Orders {
		o := &page.Orders[i]
		if o.Status != StatusAwaitingShipment || o.WarehouseID != s.Options().WarehouseID {
			t.Fatalf("filter leaked order %s status %s warehouse %s", o.ID, o.Status, o.WarehouseID)
		}
		if o.FulfillmentType == "FULFILLMENT_BY_SELLER" && target == nil && len(o.LineItems) > 0 {
			target = o
		}
	}
	if target == nil {
		t.Fatal("no packable order seeded")
	}
	var detail struct{ Orders []Order }
	c.ok("GET", "/order/202309/orders", map[string]string{"ids": target.ID}, nil, &detail)
	if len(detail.Orders) != 1 || detail.Orders[0].ID != target.ID || len(detail.Orders[0].LineItems) != len(target.LineItems) {
		t.Fatalf("detail = %+v", detail)
	}
	if target.RecipientAddress == nil || !strings.Contains(target.RecipientAddress.Name, "*") {
		t.Errorf("recipient not desensitised: %+v", target.RecipientAddress)
	}

	var prod struct {
		ID            string
		PackageWeight Weight    `json:"package_weight"`
		PackageDims   Dimension `json:"package_dimensions"`
		SKUs          []struct {
			ID             string
			IdentifierCode struct{ Code, Type string } `json:"identifier_code"`
		}
	}
	c.ok("GET", "/product/202309/products/"+target.LineItems[0].ProductID, nil, nil, &prod)
	if prod.ID != target.LineItems[0].ProductID || prod.PackageWeight.Value == "" || (prod.PackageWeight.Unit != "POUND" && prod.PackageWeight.Unit != "KILOGRAM") || prod.PackageDims.Unit == "" {
		t.Fatalf("product = %+v", prod)
	}

	var svcs struct {
		ShippingServices []struct {
			ID        string
			IsDefault bool `json:"is_default"`
		} `json:"shipping_services"`
	}
	ids := lineIDs(*target)
	c.ok("POST", "/fulfillment/202309/orders/"+target.ID+"/shipping_services/query", nil,
		map[string]any{"order_line_item_ids": ids, "weight": Weight{"1.25", "POUND"}}, &svcs)
	if len(svcs.ShippingServices) == 0 {
		t.Errorf("no eligible shipping services")
	}

	var created struct {
		PackageID   string              `json:"package_id"`
		OrderID     string              `json:"order_id"`
		ServiceInfo ShippingServiceInfo `json:"shipping_service_info"`
	}
	c.ok("POST", "/fulfillment/202309/packages", nil, map[string]any{
		"order_id": target.ID, "order_line_item_ids": ids,
		"weight":    map[string]string{"value": "1.25", "unit": "POUND"},
		"dimension": map[string]string{"length": "10", "width": "8", "height": "4", "unit": "INCH"},
	}, &created)
	if created.PackageID == "" || created.OrderID != target.ID || created.ServiceInfo.ShippingProviderName == "" {
		t.Fatalf("create packages = %+v", created)
	}
	var pkg Package
	c.ok("GET", "/fulfillment/202309/packages/"+created.PackageID, nil, nil, &pkg)
	if pkg.PackageStatus != "PROCESSING" || pkg.TrackingNumber == "" || pkg.Weight.Value != "1.25" || !slices.Equal(pkg.OrderLineItemIDs, ids) {
		t.Fatalf("package detail = %+v", pkg)
	}
	c.ok("GET", "/order/202309/orders", map[string]string{"ids": target.ID}, nil, &detail)
	o := detail.Orders[0]
	if o.Status != StatusAwaitingCollection || len(o.Packages) != 1 || o.Packages[0].ID != created.PackageID || o.TrackingNumber != pkg.TrackingNumber {
		t.Fatalf("order after purchase: status %s packages %v tracking %s", o.Status, o.Packages, o.TrackingNumber)
	}
	var pkgs struct {
		Packages []struct {
			ID, Status, TrackingNumber string
		} `json:"packages"`
		TotalCount int `json:"total_count"`
	}
	c.ok("POST", "/fulfillment/202309/packages/search", map[string]string{"page_size": "50"}, map[string]any{"package_status": "PROCESSING"}, &pkgs)
	found := false
	for _, p := range pkgs.Packages {
		found = found || p.ID == created.PackageID
	}
	if !found || pkgs.TotalCount != len(pkgs.Packages) {
		t.Fatalf("package search = %+v", pkgs)
	}
	var docRes struct {
		DocURL         string `json:"doc_url"`
		TrackingNumber string `json:"tracking_number"`
	}
	c.ok("GET", "/fulfillment/202309/packages/"+created.PackageID+"/shipping_documents",
		map[string]string{"document_type": "SHIPPING_LABEL", "document_size": "A6"}, nil, &docRes)
	if docRes.TrackingNumber != pkg.TrackingNumber || !strings.HasPrefix(docRes.DocURL, c.base+"/_sim/docs/") {
		t.Fatalf("shipping document = %+v", docRes)
	}
	pdf := download(t, c.hc, docRes.DocURL, 200)
	want, err := LabelPDF(s.packages[created.PackageID].label)
	if err != nil {
		t.Fatal(err)
	}
	if string(pdf) != string(want) {
		t.Errorf("served document is not the package's label PDF")
	}
}

func lineIDs(o Order) []string {
	var ids []string
	for _, li := range o.LineItems {
		ids = append(ids, li.ID)
	}
	return ids
}

func download(t *testing.T, hc *http.Client, u string, wantStatus int) []byte {
	t.Helper()
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s: status %d, want %d: %s", u, resp.StatusCode, wantStatus, b)
	}
	if wantStatus == 200 && (resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(b), "%PDF-")) {
		t.Fatalf("GET %s: not a PDF (%s)", u, resp.Header.Get("Content-Type"))
	}
	return b
}

func TestTokenGetAndRefresh(t *testing.T) {
	s, c, clk := newTestSim(t, Options{Seed: 1, TokenTTL: time.Hour})
	code := s.AuthCode()
	get := func(path string, q url.Values) result {
		resp, err := c.hc.Get(c.base + path + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r result
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		r.Status = resp.StatusCode
		return r
	}
	q := url.Values{"app_key": {c.key}, "app_secret": {c.secret}, "auth_code": {code}, "grant_type": {"authorized_code"}}
	r := get("/api/v2/token/get", q)
	var td tokenData
	if r.Code != 0 || json.Unmarshal(r.Data, &td) != nil || td.AccessToken == "" || td.RefreshToken == "" {
		t.Fatalf("token get: %+v", r)
	}
	if td.AccessTokenExpireIn != clk.Now().Add(time.Hour).Unix() {
		t.Errorf("access_token_expire_in = %d, want absolute %d", td.AccessTokenExpireIn, clk.Now().Add(time.Hour).Unix())
	}
	if r := get("/api/v2/token/get", q); r.Code != CodeInvalidAuthCode {
		t.Errorf("second use of an auth code: code %d, want %d", r.Code, CodeInvalidAuthCode)
	}
	stale := s.AuthCode()
	clk.Add(31 * time.Minute)
	q.Set("auth_code", stale)
	if r := get("/api/v2/token/get", q); r.Code != CodeInvalidAuthCode {
		t.Errorf("expired auth code: code %d", r.Code)
	}
	q.Set("app_secret", "wrong")
	if r := get("/api/v2/token/get", q); r.Code != CodeGatewayRejected {
		t.Errorf("wrong app_secret: code %d", r.Code)
	}

	// The token works until it expires, then 105002, then refresh.
	c.token = td.AccessToken
	c.ok("GET", "/authorization/202309/shops", nil, nil, nil)
	clk.Add(time.Hour)
	r, err := c.call("GET", "/authorization/202309/shops", nil, nil, false)
	if err != nil || r.Code != CodeTokenExpired {
		t.Fatalf("expired token: code %d err %v", r.Code, err)
	}
	rq := url.Values{"app_key": {c.key}, "app_secret": {c.secret}, "refresh_token": {td.RefreshToken}, "grant_type": {"refresh_token"}}
	r = get("/api/v2/token/refresh", rq)
	var td2 tokenData
	if r.Code != 0 || json.Unmarshal(r.Data, &td2) != nil || td2.AccessToken == td.AccessToken {
		t.Fatalf("refresh: %+v", r)
	}
	c.token = td2.AccessToken
	c.ok("GET", "/authorization/202309/shops", nil, nil, nil)
	rq.Set("refresh_token", "nope")
	if r := get("/api/v2/token/refresh", rq); r.Code != CodeInvalidAuthCode {
		t.Errorf("unknown refresh token: code %d", r.Code)
	}

	// ExpireTokens forces expiry.
	s.ExpireTokens()
	r, _ = c.call("GET", "/authorization/202309/shops", nil, nil, false)
	if r.Code != CodeTokenExpired {
		t.Errorf("after ExpireTokens: code %d, want %d", r.Code, CodeTokenExpired)
	}
}

func TestRequestVerificationCodes(t *testing.T) {
	s, c, _ := newTestSim(t, Options{Seed: 2, Orders: 5})
	const path = "/order/202309/orders/search"
	pq := map[string]string{"page_size": "10"}
	cases := []struct {
		name     string
		mutate   func(q url.Values, h http.Header)
		shop     bool
		code     int
		inMsg    string
		httpCode int
	}{
		{"bad sign", func(q url.Values, h http.Header) { q.Set("sign", strings.Repeat("0", 64)) }, true, CodeInvalidSign, "sign", 401},
		{"tampered query", func(q url.Values, h http.Header) { q.Set("page_size", "11") }, true, CodeInvalidSign, "sign", 401},
		{"missing sign", func(q url.Values, h http.Header) { q.Del("sign") }, true, CodeGatewayRejected, "sign", 401},
		{"stale timestamp", nil, true, CodeGatewayRejected, "timestamp", 401},
		{"future timestamp", nil, true, CodeGatewayRejected, "timestamp", 401},
		{"unknown app_key", func(q url.Values, h http.Header) { q.Set("app_key", "other") }, true, CodeGatewayRejected, "app_key", 401},
		{"missing token", func(q url.Values, h http.Header) { h.Del("x-tts-access-token") }, true, CodeGatewayRejected, "access_token", 401},
		{"unknown token", func(q url.Values, h http.Header) { h.Set("x-tts-access-token", "ROW_forged") }, true, CodeGatewayRejected, "access_token", 401},
		{"missing shop_cipher", nil, false, CodeShopCipherRequired, "shop_cipher", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc := *c
			switch tc.name {
			case "stale timestamp":
				cc.clock = func() time.Time { return s.Now().Add(-5*time.Minute - time.Second) }
			case "future timestamp":
				cc.clock = func() time.Time { return s.Now().Add(31 * time.Second) }
			}
			var muts []func(url.Values, http.Header)
			if tc.mutate != nil {
				muts = append(muts, tc.mutate)
			}
			r, err := cc.call("POST", path, pq, map[string]any{}, tc.shop, muts...)
			if err != nil {
				t.Fatal(err)
			}
			if r.Code != tc.code || r.Status != tc.httpCode || !strings.Contains(strings.ToLower(r.Message), tc.inMsg) {
				t.Errorf("HTTP %d code %d %q, want HTTP %d code %d mentioning %q", r.Status, r.Code, r.Message, tc.httpCode, tc.code, tc.inMsg)
			}
		})
	}
	// The Date header tells the client the simulator's time, so a client
	// can learn its clock offset from a timestamp rejection.
	r0, err := c.call("GET", "/authorization/202309/shops", nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := http.ParseTime(r0.Header.Get("Date")); err != nil || !d.Equal(s.Now().Truncate(time.Second)) {
		t.Errorf("Date header %q, want sim time %v", r0.Header.Get("Date"), s.Now())
	}
	// Edges of the window are accepted.
	for _, d := range []time.Duration{-5 * time.Minute, 30 * time.Second} {
		cc := *c
		cc.clock = func() time.Time { return s.Now().Add(d) }
		r, err := cc.call("POST", path, pq, nil, true)
		if err != nil || r.Code != 0 {
			t.Errorf("timestamp %v off: code %d %q", d, r.Code, r.Message)
		}
	}
	// A body changed after signing fails.
	r, _ := c.call("POST", path, pq, []byte(`{}`), true, func(q url.Values, h http.Header) {})
	if r.Code != 0 {
		t.Fatalf("baseline: %d %s", r.Code, r.Message)
	}
	// shop_cipher on /authorization is refused; a wrong one too.
	r, _ = c.call("GET", "/authorization/202309/shops", nil, nil, true)
	if r.Code != CodeGatewayRejected || !strings.Contains(r.Message, "not required") {
		t.Errorf("cipher on shops: %d %q", r.Code, r.Message)
	}
	cc := *c
	cc.cipher = "ROW_other"
	r, _ = cc.call("POST", path, pq, nil, true)
	if r.Code != CodeGatewayRejected || !strings.Contains(r.Message, "shop_cipher") {
		t.Errorf("wrong cipher: %d %q", r.Code, r.Message)
	}
	// Unknown path and wrong method.
	r, _ = c.call("GET", "/order/202309/nothing", nil, nil, true)
	if r.Code != CodeInvalidPath || r.Status != 404 {
		t.Errorf("unknown path: HTTP %d code %d", r.Status, r.Code)
	}
	r, _ = c.call("GET", path, pq, nil, true)
	if r.Code != CodeInvalidMethod || r.Status != 405 {
		t.Errorf("wrong method: HTTP %d code %d", r.Status, r.Code)
	}
	// Parameter errors.
	for _, q := range []map[string]string{{}, {"page_size": "0"}, {"page_size": "101"}, {"page_size": "10", "sort_order": "UP"}, {"page_size": "10", "page_token": "%%%"}} {
		r, _ = c.call("POST", path, q, nil, true)
		if r.Code != CodeInvalidParameter || r.Status != 400 {
			t.Errorf("query %v: HTTP %d code %d %q", q, r.Status, r.Code, r.Message)
		}
	}
	r, _ = c.call("POST", path, pq, []byte(`{"update_time_ge":"yesterday"}`), true)
	if r.Code != CodeInvalidParameter || !strings.Contains(r.Message, "update_time_ge") {
		t.Errorf("bad body: %d %q", r.Code, r.Message)
	}
	many := make([]string, 51)
	for i := range many {
		many[i] = strconv.Itoa(i)
	}
	r, _ = c.call("GET", "/order/202309/orders", map[string]string{"ids": strings.Join(many, ",")}, nil, true)
	if r.Code != CodeInvalidParameter || !strings.Contains(r.Message, "50") {
		t.Errorf("51 ids: %d %q", r.Code, r.Message)
	}
}

func TestSearchPaginationTotals(t *testing.T) {
	s, c, _ := newTestSim(t, Options{Seed: 3, Orders: 57})
	all := s.Orders()
	if len(all) != 57 {
		t.Fatalf("seeded %d orders, want 57", len(all))
	}
	for _, sortOrder := range []string{"ASC", "DESC"} {
		for _, size := range []int{1, 7, 100} {
			seen := map[string]bool{}
			tok := ""
			var last int64 = -1
			pages := 0
			for {
				q := map[string]string{"page_size": strconv.Itoa(size), "sort_field": "update_time", "sort_order": sortOrder}
				if tok != "" {
					q["page_token"] = tok
				}
				var p ordersPage
				c.ok("POST", "/order/202309/orders/search", q, map[string]any{}, &p)
				pages++
				if p.TotalCount != 57 {
					t.Fatalf("total_count = %d, want 57", p.TotalCount)
				}
				if len(p.Orders) > size {
					t.Fatalf("page of %d orders for page_size %d", len(p.Orders), size)
				}
				for _, o := range p.Orders {
					if seen[o.ID] {
						t.Fatalf("order %s returned twice", o.ID)
					}
					seen[o.ID] = true
					if last >= 0 && ((sortOrder == "ASC" && o.UpdateTime < last) || (sortOrder == "DESC" && o.UpdateTime > last)) {
						t.Fatalf("%s order broken: %d after %d", sortOrder, o.UpdateTime, last)
					}
					last = o.UpdateTime
				}
				if p.NextPageToken == "" {
					break
				}
				tok = p.NextPageToken
			}
			if len(seen) != 57 || pages != (57+size-1)/size {
				t.Errorf("%s size %d: saw %d orders in %d pages", sortOrder, size, len(seen), pages)
			}
		}
	}
	// A token from one query is refused on another.
	var p ordersPage
	c.ok("POST", "/order/202309/orders/search", map[string]string{"page_size": "5"}, map[string]any{}, &p)
	r, _ := c.call("POST", "/order/202309/orders/search", map[string]string{"page_size": "5", "page_token": p.NextPageToken}, map[string]any{"order_status": "CANCELLED"}, true)
	if r.Code != CodeInvalidParameter {
		t.Errorf("token replayed on another filter: code %d", r.Code)
	}
	// Filters count what they match.
	want := 0
	for _, o := range all {
		if o.Status == StatusCancelled {
			want++
		}
	}
	c.ok("POST", "/order/202309/orders/search", map[string]string{"page_size": "100"}, map[string]any{"order_status": "CANCELLED"}, &p)
	if p.TotalCount != want || len(p.Orders) != want || want == 0 {
		t.Errorf("CANCELLED: total %d, %d orders, want %d", p.TotalCount, len(p.Orders), want)
	}
	mid := all[len(all)/2].UpdateTime
	want = 0
	for _, o := range all {
		if o.UpdateTime >= mid {
			want++
		}
	}
	c.ok("POST", "/order/202309/orders/search", map[string]string{"page_size": "100"}, map[string]any{"update_time_ge": mid}, &p)
	if p.TotalCount != want {
		t.Errorf("update_time_ge: total %d, want %d", p.TotalCount, want)
	}
}

func TestSeededOrdersAreRealistic(t *testing.T) {
	s := New(Options{Seed: 11, Orders: 200, Now: func() time.Time { return time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC) }})
	again := New(Options{Seed: 11, Orders: 200, Now: func() time.Time { return time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC) }})
	a, b := s.Orders(), again.Orders()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("same seed gave different orders")
	}
	if o := New(Options{Seed: 12, Orders: 200}).Orders(); o[0].ID == a[0].ID {
		t.Error("different seeds gave the same first order")
	}
	count := map[string]int{}
	for _, o := range a {
		n := len(o.LineItems)
		if n < 1 || n > 7 {
			t.Errorf("order %s has %d line items", o.ID, n)
		}
		perSKU := map[string]int{}
		for _, li := range o.LineItems {
			perSKU[li.SKUID]++
			if li.IsGift {
				count["gift"]++
			}
			if li.IsDangerousGood {
				count["hazmat"]++
			}
			if len(li.CombinedListingSKUs) > 0 {
				count["bundle"]++
			}
		}
		if len(perSKU) > 1 {
			count["multi-sku"]++
		}
		for _, n := range perSKU {
			if n > 1 {
				count["multi-unit"]++
				break
			}
		}
		count[o.Status]++
		if o.FulfillmentType == "FULFILLMENT_BY_TIKTOK" {
			count["fbt"]++
		}
		if o.WarehouseID != s.Options().WarehouseID {
			count["other-warehouse"]++
		}
		paid := time.Unix(o.PaidTime, 0)
		rts := time.Unix(o.RTSSLATime, 0)
		if !rts.After(paid) || rts.After(paid.Add(4*24*time.Hour)) || rts.Weekday() == time.Saturday || rts.Weekday() == time.Sunday {
			t.Errorf("order %s: rts_sla_time %v is not within 2 business days of paid_time %v", o.ID, rts, paid)
		}
		if o.Status == StatusOnHold && o.RecipientAddress != nil {
			t.Errorf("ON_HOLD order %s shows an address", o.ID)
		}
		if o.Status == StatusCancelled && (o.CancelTime == 0 || o.CancellationInitiator == "") {
			t.Errorf("cancelled order %s lacks cancel_time/initiator", o.ID)
		}
	}
	for _, k := range []string{"gift", "hazmat", "bundle", "multi-sku", "multi-unit", StatusOnHold, StatusCancelled, StatusAwaitingShipment, StatusAwaitingCollection, "fbt", "other-warehouse"} {
		if count[k] == 0 {
			t.Errorf("no %s orders among 200 seeded: %v", k, count)
		}
	}
	if s.TotalPurchases() != 0 {
		t.Errorf("seeding counted %d purchases", s.TotalPurchases())
	}
	cat := s.Catalog()
	if len(cat) < 20 {
		t.Fatalf("catalogue has %d SKUs", len(cat))
	}
	seen := map[string]bool{}
	for _, it := range cat {
		if !ValidGTIN(it.GTIN) || (len(it.GTIN) != 12 && len(it.GTIN) != 13) {
			t.Errorf("SKU %s: GTIN %q invalid", it.SellerSKU, it.GTIN)
		}
		if seen[it.GTIN] {
			t.Errorf("GTIN %s used twice", it.GTIN)
		}
		seen[it.GTIN] = true
		if it.Weight <= 0 {
			t.Errorf("SKU %s has no weight", it.SellerSKU)
		}
	}
	if !ValidGTIN("036000291452") || ValidGTIN("036000291453") || !ValidGTIN("4006381333931") {
		t.Error("ValidGTIN disagrees with known GTINs")
	}
}

func TestOnHoldTurnsAwaitingShipment(t *testing.T) {
	s, c, clk := newTestSim(t, Options{Seed: 4, OnHoldDelay: 90 * time.Minute})
	id, err := s.AddOrder(OrderSpec{Status: StatusOnHold})
	if err != nil {
		t.Fatal(err)
	}
	get := func() Order {
		var d struct{ Orders []Order }
		c.ok("GET", "/order/202309/orders", map[string]string{"ids": id}, nil, &d)
		return d.Orders[0]
	}
	o := get()
	if o.Status != StatusOnHold || !o.IsOnHoldOrder || o.RecipientAddress != nil {
		t.Fatalf("new order: status %s on_hold %v address %v", o.Status, o.IsOnHoldOrder, o.RecipientAddress)
	}
	// Buying a label for it is refused (and counted).
	r, _ := c.call("POST", "/fulfillment/202309/packages", nil, map[string]any{"order_id": id, "order_line_item_ids": lineIDs(o), "weight": Weight{"1", "POUND"}}, true)
	if r.Code != CodeOrderStatus || !strings.Contains(r.Message, "ON_HOLD") {
		t.Errorf("label for ON_HOLD: %d %q", r.Code, r.Message)
	}
	clk.Add(89 * time.Minute)
	if o := get(); o.Status != StatusOnHold {
		t.Fatalf("after 89 min: %s", o.Status)
	}
	clk.Add(time.Minute)
	o = get()
	if o.Status != StatusAwaitingShipment || o.IsOnHoldOrder || o.RecipientAddress == nil || o.UpdateTime != o.PaidTime+90*60 {
		t.Fatalf("after 90 min: status %s on_hold %v address %v update %d paid %d", o.Status, o.IsOnHoldOrder, o.RecipientAddress, o.UpdateTime, o.PaidTime)
	}
	var p ordersPage
	c.ok("POST", "/order/202309/orders/search", map[string]string{"page_size": "10"}, map[string]any{"order_status": "AWAITING_SHIPMENT", "update_time_ge": o.UpdateTime}, &p)
	if len(p.Orders) != 1 || p.Orders[0].ID != id {
		t.Errorf("released order not found by update_time_ge: %+v", p)
	}
	// Advance moves sim time too.
	id2, _ := s.AddOrder(OrderSpec{Status: StatusOnHold})
	s.Advance(2 * time.Hour)
	if o, _ := s.Order(id2); o.Status != StatusAwaitingShipment {
		t.Errorf("after Advance: %s", o.Status)
	}
}

func TestCancelAndRequestCancelVisible(t *testing.T) {
	s, c, clk := newTestSim(t, Options{Seed: 5})
	a, _ := s.AddOrder(OrderSpec{})
	b, _ := s.AddOrder(OrderSpec{})
	clk.Add(time.Minute)
	if err := s.CancelOrder(a); err != nil {
		t.Fatal(err)
	}
	if err := s.RequestCancel(b); err != nil {
		t.Fatal(err)
	}
	if err := s.CancelOrder(a); err == nil {
		t.Error("cancelling twice: no error")
	}
	if err := s.CancelOrder("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown order: %v", err)
	}
	var d struct{ Orders []Order }
	c.ok("GET", "/order/202309/orders", map[string]string{"ids": a + "," + b}, nil, &d)
	if len(d.Orders) != 2 {
		t.Fatal(d)
	}
	oa, ob := d.Orders[0], d.Orders[1]
	if oa.Status != StatusCancelled || oa.CancelTime != clk.Now().Unix() || oa.CancellationInitiator != "BUYER" || oa.UpdateTime != clk.Now().Unix() {
		t.Errorf("cancelled: %+v", oa)
	}
	if !ob.IsBuyerRequestCancel || ob.RequestCancelTime != clk.Now().Unix() || ob.Status != StatusAwaitingShipment {
		t.Errorf("cancel requested: %+v", ob)
	}
	var p ordersPage
	c.ok("POST", "/order/202309/orders/search", map[string]string{"page_size": "10"}, map[string]any{"is_buyer_request_cancel": true}, &p)
	if p.TotalCount != 1 || p.Orders[0].ID != b {
		t.Errorf("search is_buyer_request_cancel: %+v", p)
	}
	c.ok("POST", "/order/202309/orders/search", map[string]string{"page_size": "10"}, map[string]any{"order_status": "CANCELLED"}, &p)
	if p.TotalCount != 1 || p.Orders[0].ID != a {
		t.Errorf("search CANCELLED: %+v", p)
	}
	// Neither can be labelled.
	for _, o := range d.Orders {
		r, _ := c.call("POST", "/fulfillment/202309/packages", nil, map[string]any{"order_id": o.ID, "order_line_item_ids": lineIDs(o), "weight": Weight{"2", "POUND"}}, true)
		if r.Code == 0 {
			t.Errorf("order %s (%s, cancel request %v) was labelled", o.ID, o.Status, o.IsBuyerRequestCancel)
		}
	}
	if s.Purchases(a) != 1 || s.Purchases(b) != 1 {
		t.Errorf("refused attempts not counted: %d %d", s.Purchases(a), s.Purchases(b))
	}
	// Cancelling after the label voids the package and its document.
	c2, _ := s.AddOrder(OrderSpec{})
	o, _ := s.Order(c2)
	var created struct {
		PackageID string `json:"package_id"`
	}
	c.ok("POST", "/fulfillment/202309/packages", nil, map[string]any{"order_id": c2, "order_line_item_ids": lineIDs(o), "weight": Weight{"900", "GRAM"}}, &created)
	if err := s.RequestCancel(c2); err == nil {
		t.Error("cancel request accepted after shipping was arranged")
	}
	if err := s.CancelOrder(c2); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Package(created.PackageID); p.PackageStatus != "CANCELLED" {
		t.Errorf("package after cancel: %s", p.PackageStatus)
	}
	r, _ := c.call("GET", "/fulfillment/202309/packages/"+created.PackageID+"/shipping_documents", map[string]string{"document_type": "SHIPPING_LABEL"}, nil, true)
	if r.Code != CodePackageUnavailable {
		t.Errorf("document of cancelled package: %d %q", r.Code, r.Message)
	}
}

func TestCreatePackagesValidationAndSecondPurchase(t *testing.T) {
	s, c, _ := newTestSim(t, Options{Seed: 6})
	cat := s.Catalog()
	id, err := s.AddOrder(OrderSpec{SKUs: []string{cat[0].SKUID, cat[0].SKUID, cat[3].SKUID}})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := s.Order(id)
	ids := lineIDs(o)
	other, _ := s.AddOrder(OrderSpec{})
	oo, _ := s.Order(other)
	bad := []struct {
		body map[string]any
		msg  string
	}{
		{map[string]any{"order_line_item_ids": ids, "weight": Weight{"1", "POUND"}}, "order_id"},
		{map[string]any{"order_id": id, "weight": Weight{"1", "POUND"}}, "order_line_item_ids"},
		{map[string]any{"order_id": id, "order_line_item_ids": ids}, "weight is required"},
		{map[string]any{"order_id": id, "order_line_item_ids": ids, "weight": Weight{"1", "KILOGRAM"}}, "GRAM or POUND"},
		{map[string]any{"order_id": id, "order_line_item_ids": ids, "weight": Weight{"1.255", "POUND"}}, "decimals"},
		{map[string]any{"order_id": id, "order_line_item_ids": ids, "weight": Weight{"12.5", "GRAM"}}, "decimals"},
		{map[string]any{"order_id": id, "order_line_item_ids": ids, "weight": Weight{"0", "POUND"}}, "greater than zero"},
		{map[string]any{"order_id": id, "order_line_item_ids": ids, "weight": map[string]any{"value": 1.25, "unit": "POUND"}}, "string"},
		{map[string]any{"order_id": id, "order_line_item_ids": ids, "weight": Weight{"151", "POUND"}}, "150 lb"},
		{map[string]any{"order_id": id, "order_line_item_ids": ids, "weight": Weight{"1", "POUND"}, "dimension": Dimension{Length: "10", Width: "8", Unit: "INCH"}}, "together"},
		{map[string]any{"order_id": id, "order_line_item_ids": ids, "weight": Weight{"1", "POUND"}, "dimension": Dimension{"10", "8", "4", "CENTIMETER"}}, "CM or INCH"},
		{map[string]any{"order_id": id, "order_line_item_ids": append([]string{oo.LineItems[0].ID}, ids...), "weight": Weight{"1", "POUND"}}, "does not belong"},
		{map[string]any{"order_id": id, "order_line_item_ids": []string{ids[0], ids[0]}, "weight": Weight{"1", "POUND"}}, "twice"},
	}
	for _, tc := range bad {
		r, err := c.call("POST", "/fulfillment/202309/packages", nil, tc.body, true)
		if err != nil {
			t.Fatal(err)
		}
		if r.Code == 0 || !strings.Contains(r.Message, tc.msg) {
			t.Errorf("body %v: code %d %q, want an error mentioning %q", tc.body, r.Code, r.Message, tc.msg)
		}
	}
	if got := s.Purchases(id); got != len(bad)-1 {
		t.Errorf("Purchases = %d after %d refused attempts naming the order", got, len(bad)-1)
	}
	before := s.TotalPurchases()
	var first struct {
		PackageID string `json:"package_id"`
	}
	c.ok("POST", "/fulfillment/202309/packages", nil, map[string]any{"order_id": id, "order_line_list": []map[string]string{{"order_line_id": ids[0]}, {"order_line_id": ids[1]}, {"order_line_id": ids[2]}}, "weight": Weight{"2.5", "POUND"}}, &first)
	r, _ := c.call("POST", "/fulfillment/202309/packages", nil, map[string]any{"order_id": id, "order_line_item_ids": ids, "weight": Weight{"2.5", "POUND"}}, true)
	if r.Code != CodeOrderStatus && r.Code != CodeLineItemsPackaged {
		t.Errorf("second purchase: code %d %q", r.Code, r.Message)
	}
	if s.TotalPurchases() != before+2 {
		t.Errorf("TotalPurchases = %d, want %d", s.TotalPurchases(), before+2)
	}
	o, _ = s.Order(id)
	if len(o.Packages) != 1 {
		t.Errorf("order has %d packages after a refused second purchase", len(o.Packages))
	}
	// Split shipment: part of an order, then a second purchase for the same
	// items is refused as already packaged.
	sid, _ := s.AddOrder(OrderSpec{SKUs: []string{cat[1].SKUID, cat[2].SKUID}})
	so, _ := s.Order(sid)
	c.ok("POST", "/fulfillment/202309/packages", nil, map[string]any{"order_id": sid, "order_line_item_ids": []string{so.LineItems[0].ID}, "weight": Weight{"300", "GRAM"}}, nil)
	so, _ = s.Order(sid)
	if so.Status != StatusPartiallyShipping {
		t.Errorf("split: status %s", so.Status)
	}
	r, _ = c.call("POST", "/fulfillment/202309/packages", nil, map[string]any{"order_id": sid, "order_line_item_ids": []string{so.LineItems[0].ID}, "weight": Weight{"300", "GRAM"}}, true)
	if r.Code != CodeLineItemsPackaged {
		t.Errorf("same items again: code %d %q", r.Code, r.Message)
	}
	c.ok("POST", "/fulfillment/202309/packages", nil, map[string]any{"order_id": sid, "order_line_item_ids": []string{so.LineItems[1].ID}, "weight": Weight{"300", "GRAM"}}, nil)
	if so, _ = s.Order(sid); so.Status != StatusAwaitingCollection || len(so.Packages) != 2 {
		t.Errorf("after both parts: %s with %d packages", so.Status, len(so.Packages))
	}
	// FBT orders are never packed.
	fbt, _ := s.AddOrder(OrderSpec{FulfillmentType: "FULFILLMENT_BY_TIKTOK"})
	fo, _ := s.Order(fbt)
	r, _ = c.call("POST", "/fulfillment/202309/packages", nil, map[string]any{"order_id": fbt, "order_line_item_ids": lineIDs(fo), "weight": Weight{"1", "POUND"}}, true)
	if r.Code != CodeOrderStatus || !strings.Contains(r.Message, "TikTok") {
		t.Errorf("FBT: code %d %q", r.Code, r.Message)
	}
}

func TestDocURLExpires(t *testing.T) {
	s, c, clk := newTestSim(t, Options{Seed: 8, DocTTL: 2 * time.Hour})
	id, _ := s.AddOrder(OrderSpec{})
	o, _ := s.Order(id)
	var created struct {
		PackageID string `json:"package_id"`
	}
	c.ok("POST", "/fulfillment/202309/packages", nil, map[string]any{"order_id": id, "order_line_item_ids": lineIDs(o), "weight": Weight{"1.25", "POUND"}}, &created)
	var d struct {
		DocURL string `json:"doc_url"`
	}
	c.ok("GET", "/fulfillment/202309/packages/"+created.PackageID+"/shipping_documents", map[string]string{"document_type": "SHIPPING_LABEL"}, nil, &d)
	download(t, c.hc, d.DocURL, 200)
	clk.Add(2*time.Hour - time.Second)
	download(t, c.hc, d.DocURL, 200)
	clk.Add(time.Second)
	download(t, c.hc, d.DocURL, 403)
	download(t, c.hc, c.base+"/_sim/docs/unknown.pdf", 404)
	// A new request gives a fresh link.
	c.ok("GET", "/fulfillment/202309/packages/"+created.PackageID+"/shipping_documents", map[string]string{"document_type": "SHIPPING_LABEL"}, nil, &d)
	download(t, c.hc, d.DocURL, 200)
	for _, q := range []map[string]string{{}, {"document_type": "SHIPPING_LABEL", "document_size": "4x6"}, {"document_type": "SHIPPING_LABEL", "document_format": "ZPL"}} {
		r, _ := c.call("GET", "/fulfillment/202309/packages/"+created.PackageID+"/shipping_documents", q, nil, true)
		if r.Code != CodeInvalidParameter {
			t.Errorf("document query %v: code %d", q, r.Code)
		}
	}
}

// isReset reports whether err is a connection the server dropped.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "reset")
}

func TestFaultsSeenByRealClient(t *testing.T) {
	s, c, _ := newTestSim(t, Options{Seed: 9})
	search := func() (result, error) {
		return c.call("POST", "/order/202309/orders/search", map[string]string{"page_size": "5"}, nil, true)
	}
	t.Run("rate limit", func(t *testing.T) {
		s.Inject(Fault{Path: "/order/", Kind: RateLimit, Count: 2, RetryAfter: 3 * time.Second})
		for i := 0; i < 2; i++ {
			r, err := search()
			if err != nil || r.Status != 429 || r.Code != CodeTooManyRequests || r.Header.Get("Retry-After") != "3" {
				t.Fatalf("attempt %d: %v HTTP %d code %d Retry-After %q", i, err, r.Status, r.Code, r.Header.Get("Retry-After"))
			}
		}
		if r, err := search(); err != nil || r.Code != 0 {
			t.Fatalf("after Count: %v %d", err, r.Code)
		}
	})
	t.Run("server error", func(t *testing.T) {
		s.Inject(Fault{Kind: ServerError, Status: 503})
		if r, err := search(); err != nil || r.Status != 503 || r.Code != CodeInternalError {
			t.Fatalf("%v HTTP %d code %d", err, r.Status, r.Code)
		}
		s.Inject(Fault{Kind: ServerError})
		if r, _ := search(); r.Status != 500 {
			t.Fatalf("default status %d", r.Status)
		}
	})
	t.Run("path prefix", func(t *testing.T) {
		s.Inject(Fault{Path: "/fulfillment/", Kind: ServerError})
		if r, _ := search(); r.Code != 0 {
			t.Fatalf("fault on /fulfillment/ hit /order/: %d", r.Code)
		}
		if len(s.Faults()) != 1 {
			t.Fatalf("faults = %v", s.Faults())
		}
		s.ClearFaults()
		if len(s.Faults()) != 0 {
			t.Fatal("ClearFaults left faults")
		}
	})
	t.Run("slow", func(t *testing.T) {
		s.Inject(Fault{Kind: Slow, Delay: 2 * time.Second})
		cc := *c
		cc.hc = &http.Client{Timeout: 200 * time.Millisecond}
		_, err := cc.call("POST", "/order/202309/orders/search", map[string]string{"page_size": "5"}, nil, true)
		var ne interface{ Timeout() bool }
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("slow answer: err %v, want a client timeout", err)
		}
	})
	t.Run("reset", func(t *testing.T) {
		s.Inject(Fault{Kind: Reset})
		if _, err := search(); err == nil || !isReset(err) {
			t.Fatalf("reset: err %v", err)
		}
		if r, err := search(); err != nil || r.Code != 0 {
			t.Fatalf("after reset: %v", err)
		}
	})
	t.Run("drop after success", func(t *testing.T) {
		id, _ := s.AddOrder(OrderSpec{})
		o, _ := s.Order(id)
		s.Inject(Fault{Path: "/fulfillment/202309/packages", Kind: DropAfterSuccess})
		_, err := c.call("POST", "/fulfillment/202309/packages", nil, map[string]any{"order_id": id, "order_line_item_ids": lineIDs(o), "weight": Weight{"1", "POUND"}}, true)
		if err == nil || !isReset(err) {
			t.Fatalf("drop: err %v", err)
		}
		o, _ = s.Order(id)
		if o.Status != StatusAwaitingCollection || len(o.Packages) != 1 || s.Purchases(id) != 1 {
			t.Fatalf("the label was not bought before the drop: %s %v purchases %d", o.Status, o.Packages, s.Purchases(id))
		}
	})
	t.Run("token expiry", func(t *testing.T) {
		s.Inject(Fault{Kind: TokenExpiry})
		if r, _ := search(); r.Code != CodeTokenExpired {
			t.Fatalf("code %d", r.Code)
		}
		if r, _ := search(); r.Code != CodeTokenExpired {
			t.Fatalf("token should stay expired: code %d", r.Code)
		}
		c.token = s.IssueToken().AccessToken
		if r, _ := search(); r.Code != 0 {
			t.Fatalf("new token: code %d", r.Code)
		}
	})
	t.Run("offline", func(t *testing.T) {
		if err := s.SetOnline(false); err != nil {
			t.Fatal(err)
		}
		_, err := search()
		if !errors.Is(err, syscall.ECONNREFUSED) && (err == nil || !isReset(err)) {
			t.Fatalf("offline: err %v", err)
		}
		if _, err := search(); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("offline, second try: err %v, want connection refused", err)
		}
		if err := s.SetOnline(true); err != nil {
			t.Fatal(err)
		}
		if r, err := search(); err != nil || r.Code != 0 {
			t.Fatalf("back online: %v", err)
		}
	})
}

func TestOfflineThroughHandlerOnly(t *testing.T) {
	s := New(Options{Seed: 1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s.Handler()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	u := "http://" + ln.Addr().String() + "/_sim/info"
	if err := s.SetOnline(false); err != nil {
		t.Fatal(err)
	}
	if _, err := hc.Get(u); err == nil || !isReset(err) {
		t.Fatalf("offline through Handler: err %v, want a dropped connection", err)
	}
	if err := s.SetOnline(true); err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatalf("back online: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("back online: status %d", resp.StatusCode)
	}
}

func TestControlAPI(t *testing.T) {
	s, c, _ := newTestSim(t, Options{Seed: 10, Orders: 12})
	post := func(path string, body any, out any) int {
		b, _ := json.Marshal(body)
		resp, err := c.hc.Post(c.base+path, "application/json", strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	var info Info
	resp, err := c.hc.Get(c.base + "/_sim/info")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if info.BaseURL != c.base || info.AppKey != c.key || info.ShopCipher != c.cipher {
		t.Errorf("info = %+v", info)
	}
	var added struct{ ID string }
	cat := s.Catalog()
	if st := post("/_sim/orders", OrderSpec{SKUs: []string{cat[0].SKUID}}, &added); st != 200 || added.ID == "" {
		t.Fatalf("add order: %d %+v", st, added)
	}
	if st := post("/_sim/orders", map[string]any{"skus": []string{"nope"}}, nil); st != 400 {
		t.Errorf("bad sku: %d", st)
	}
	var o Order
	resp, err = c.hc.Get(c.base + "/_sim/orders/" + added.ID)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&o)
	resp.Body.Close()
	if resp.StatusCode != 200 || o.ID != added.ID || len(o.LineItems) != 1 || o.LineItems[0].SKUID != cat[0].SKUID {
		t.Errorf("GET order: %d %+v", resp.StatusCode, o)
	}
	if st := post("/_sim/orders/"+added.ID+"/request_cancel", nil, &o); st != 200 || !o.IsBuyerRequestCancel {
		t.Errorf("request_cancel: %d %+v", st, o.IsBuyerRequestCancel)
	}
	if st := post("/_sim/orders/"+added.ID+"/cancel", nil, &o); st != 200 || o.Status != StatusCancelled {
		t.Errorf("cancel: %d %s", st, o.Status)
	}
	if st := post("/_sim/orders/"+added.ID+"/cancel", nil, nil); st != 409 {
		t.Errorf("cancel twice: %d", st)
	}
	if st := post("/_sim/orders/0000/cancel", nil, nil); st != 404 {
		t.Errorf("cancel unknown: %d", st)
	}
	if st := post("/_sim/faults", map[string]any{"kind": "rate_limit", "count": 1, "path": "/order/"}, nil); st != 200 {
		t.Errorf("inject: %d", st)
	}
	var listed []Fault
	resp, _ = c.hc.Get(c.base + "/_sim/faults")
	json.NewDecoder(resp.Body).Decode(&listed)
	resp.Body.Close()
	if len(listed) != 1 || listed[0].Kind != RateLimit || listed[0].Path != "/order/" || listed[0].RetryAfter != time.Second {
		t.Errorf("listed faults = %+v", listed)
	}
	if st := post("/_sim/faults", map[string]any{"kind": "meteor"}, nil); st != 400 {
		t.Errorf("bad kind: %d", st)
	}
	r, _ := c.call("POST", "/order/202309/orders/search", map[string]string{"page_size": "5"}, nil, true)
	if r.Code != CodeTooManyRequests {
		t.Errorf("injected over HTTP: code %d", r.Code)
	}
	var code struct {
		AuthCode string `json:"auth_code"`
	}
	post("/_sim/auth_code", nil, &code)
	if !strings.HasPrefix(code.AuthCode, "ROW_") {
		t.Errorf("auth code %q", code.AuthCode)
	}
	var tok Token
	post("/_sim/token", nil, &tok)
	c.token = tok.AccessToken
	c.ok("GET", "/authorization/202309/shops", nil, nil, nil)
	post("/_sim/expire_tokens", nil, nil)
	if r, _ := c.call("GET", "/authorization/202309/shops", nil, nil, false); r.Code != CodeTokenExpired {
		t.Errorf("expire_tokens: code %d", r.Code)
	}
	before := s.Now()
	post("/_sim/advance", map[string]int{"seconds": 3600}, nil)
	if got := s.Now().Sub(before); got != time.Hour {
		t.Errorf("advance moved %v", got)
	}
	var purchases struct {
		Total   int            `json:"total"`
		ByOrder map[string]int `json:"by_order"`
	}
	resp, _ = c.hc.Get(c.base + "/_sim/purchases")
	json.NewDecoder(resp.Body).Decode(&purchases)
	resp.Body.Close()
	if purchases.Total != 0 {
		t.Errorf("purchases = %+v", purchases)
	}
	resp, _ = c.hc.Get(c.base + "/_sim/catalog")
	var items []CatalogItem
	json.NewDecoder(resp.Body).Decode(&items)
	resp.Body.Close()
	if len(items) != len(cat) || items[0].GTIN != cat[0].GTIN || items[0].Weight != cat[0].Weight {
		t.Errorf("catalog over HTTP differs")
	}
	if st := post("/_sim/nothing", nil, nil); st != 404 {
		t.Errorf("unknown control: %d", st)
	}
}

func TestArrivalsPayNewOrders(t *testing.T) {
	s, c, clk := newTestSim(t, Options{Seed: 12, Arrivals: 10 * time.Minute})
	if n := len(s.Orders()); n != 0 {
		t.Fatalf("%d orders before any arrival", n)
	}
	clk.Add(35 * time.Minute)
	all := s.Orders()
	if len(all) != 3 {
		t.Fatalf("after 35 min: %d orders, want 3", len(all))
	}
	for _, o := range all {
		if o.Status != StatusOnHold {
			t.Errorf("new order %s is %s, want ON_HOLD", o.ID, o.Status)
		}
	}
	clk.Add(time.Hour)
	var p ordersPage
	c.ok("POST", "/order/202309/orders/search", map[string]string{"page_size": "100"}, map[string]any{"order_status": "AWAITING_SHIPMENT"}, &p)
	// Paid at 10, 20, 30 min: released at 70, 80, 90 min; now is 95 min.
	if p.TotalCount != 3 {
		t.Errorf("released orders: %d, want 3", p.TotalCount)
	}
	if n := len(s.Orders()); n != 9 {
		t.Errorf("after 95 min: %d orders, want 9", n)
	}
}

func TestQPSLimit(t *testing.T) {
	_, c, _ := newTestSim(t, Options{Seed: 13, QPS: 0.001, Burst: 3})
	for i := range 3 {
		if r, err := c.call("GET", "/authorization/202309/shops", nil, nil, false); err != nil || r.Code != 0 {
			t.Fatalf("request %d inside the burst: %v code %d", i, err, r.Code)
		}
	}
	r, err := c.call("GET", "/authorization/202309/shops", nil, nil, false)
	if err != nil || r.Status != 429 || r.Code != CodeTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("beyond the burst: %v HTTP %d code %d Retry-After %q", err, r.Status, r.Code, r.Header.Get("Retry-After"))
	}
	// Limits are per path.
	if r, _ := c.call("GET", "/logistics/202309/warehouses", nil, nil, true); r.Code != 0 {
		t.Errorf("another path was limited: code %d", r.Code)
	}
}

func TestOfflineOverControlAPIComesBack(t *testing.T) {
	_, c, _ := newTestSim(t, Options{Seed: 14})
	resp, err := c.hc.Post(c.base+"/_sim/offline", "application/json", strings.NewReader(`{"seconds":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("offline: status %d", resp.StatusCode)
	}
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	sawDown := false
	for range 500 {
		r, err := hc.Get(c.base + "/_sim/info")
		if err != nil {
			sawDown = true
			break
		}
		r.Body.Close()
		time.Sleep(10 * time.Millisecond)
	}
	if !sawDown {
		t.Fatal("the simulator never went offline")
	}
	for range 1000 {
		r, err := hc.Get(c.base + "/_sim/info")
		if err == nil {
			r.Body.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the simulator never came back online")
}

func TestCollectPutsOrderInTransit(t *testing.T) {
	s, c, _ := newTestSim(t, Options{Seed: 15})
	id, _ := s.AddOrder(OrderSpec{})
	if err := s.Collect(id); err == nil {
		t.Fatal("collected an order with no label")
	}
	o, _ := s.Order(id)
	var created struct {
		PackageID string `json:"package_id"`
	}
	c.ok("POST", "/fulfillment/202309/packages", nil, map[string]any{"order_id": id, "order_line_item_ids": lineIDs(o), "weight": Weight{"2", "POUND"}}, &created)
	resp, err := c.hc.Post(c.base+"/_sim/orders/"+id+"/collect", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("collect: %d", resp.StatusCode)
	}
	o, _ = s.Order(id)
	p, _ := s.Package(created.PackageID)
	if o.Status != StatusInTransit || p.PackageStatus != "FULFILLING" {
		t.Errorf("after pickup: order %s, package %s", o.Status, p.PackageStatus)
	}
	if err := s.CancelOrder(id); err == nil {
		t.Error("cancelled an order in transit")
	}
}
