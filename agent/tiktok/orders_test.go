package tiktok

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/packline/packline/agent/order"
)

func TestSearchOrdersRequest(t *testing.T) {
	e := newEnv(t)
	e.fake.handle("POST "+pathOrderSearch, serveBytes(fixture(t, "order_page.json")))
	cancelReq := false
	page, err := e.client.SearchOrders(context.Background(), OrderQuery{
		PageSize: 50, PageToken: "aDU2dHVv+c2Nb/QT09=", Status: order.StatusAwaitingShipment,
		WarehouseIDs: []string{"7068517275539719942"}, ShippingType: "TIKTOK", BuyerRequestCancel: &cancelReq,
		UpdateTimeGE: time.Unix(1699950000, 0), UpdateTimeLT: time.Unix(1700000000, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Orders) != 2 || page.NextPageToken != "aDU2dHVvc2Nb+QT09/abc=" || page.TotalCount != 2 {
		t.Errorf("page = %d orders, token %q, total %d", len(page.Orders), page.NextPageToken, page.TotalCount)
	}
	r, body := e.fake.lastRequest()
	q := r.URL.Query()
	for k, want := range map[string]string{"page_size": "50", "page_token": "aDU2dHVv+c2Nb/QT09=", "sort_field": "update_time", "sort_order": "ASC", "shop_cipher": testCipher} {
		if q.Get(k) != want {
			t.Errorf("query %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if !strings.Contains(r.URL.RawQuery, "page_token=aDU2dHVv%2Bc2Nb%2FQT09%3D") {
		t.Errorf("page_token not URL-encoded in %q", r.URL.RawQuery)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"order_status": "AWAITING_SHIPMENT", "warehouse_ids": []any{"7068517275539719942"}, "shipping_type": "TIKTOK",
		"is_buyer_request_cancel": false, "update_time_ge": 1699950000.0, "update_time_lt": 1700000000.0,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("body (-want +got):\n%s", d)
	}
}

func TestSearchOrdersValidates(t *testing.T) {
	e := newEnv(t)
	for _, q := range []OrderQuery{{PageSize: 101}, {PageSize: -1}, {WarehouseIDs: make([]string, 101)}} {
		if _, err := e.client.SearchOrders(context.Background(), q); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("SearchOrders(%+v) err = %v", q.PageSize, err)
		}
	}
	if n := e.fake.count("POST " + pathOrderSearch); n != 0 {
		t.Errorf("%d invalid searches sent", n)
	}
}

func TestWalkOrdersThreePages(t *testing.T) {
	for _, lastToken := range []string{`"next_page_token":""`, ``} {
		t.Run(fmt.Sprintf("last page %q", lastToken), func(t *testing.T) {
			e := newEnv(t)
			tokens := map[string]string{"": "p+2/==", "p+2/==": "p3"}
			var seen []string
			e.fake.handle("POST "+pathOrderSearch, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				tok := r.URL.Query().Get("page_token")
				seen = append(seen, tok)
				next, more := tokens[tok]
				if !more && tok != "p3" {
					t.Errorf("unexpected page_token %q", tok)
				}
				ids := []string{tok + "-a", tok + "-b"}
				var nextField string
				if more {
					nextField = fmt.Sprintf(`"next_page_token":%q,`, next)
				} else if lastToken != "" {
					nextField = lastToken + ","
				}
				fmt.Fprintf(w, `{"code":0,"message":"Success","request_id":"R","data":{%s"total_count":6,"orders":[{"id":%q},{"id":%q}]}}`, nextField, ids[0], ids[1])
			})
			var got []string
			err := e.client.WalkOrders(context.Background(), OrderQuery{Status: order.StatusAwaitingShipment}, func(os []Order) error {
				for _, o := range os {
					got = append(got, o.ID)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff([]string{"", "p+2/==", "p3"}, seen); d != "" {
				t.Errorf("page tokens sent (-want +got):\n%s", d)
			}
			if len(got) != 6 {
				t.Errorf("walked %v, want 6 orders", got)
			}
		})
	}
}

func TestWalkOrdersStops(t *testing.T) {
	e := newEnv(t)
	e.fake.handle("POST "+pathOrderSearch, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		fmt.Fprint(w, `{"code":0,"message":"Success","request_id":"R","data":{"next_page_token":"same","orders":[{"id":"1"}]}}`)
	})
	stop := errors.New("stop")
	if err := e.client.WalkOrders(context.Background(), OrderQuery{}, func([]Order) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("err = %v, want the callback's", err)
	}
	err := e.client.WalkOrders(context.Background(), OrderQuery{}, func([]Order) error { return nil })
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("repeated token err = %v, want ErrMalformed", err)
	}
	if n := e.fake.count("POST " + pathOrderSearch); n != 3 {
		t.Errorf("searches = %d, want 3", n)
	}
}

func TestOrderDetailBatches(t *testing.T) {
	e := newEnv(t)
	var batches []int
	e.fake.handle("GET "+pathOrderDetail, func(w http.ResponseWriter, r *http.Request, body []byte) {
		ids := strings.Split(r.URL.Query().Get("ids"), ",")
		batches = append(batches, len(ids))
		var orders []map[string]any
		for _, id := range ids {
			orders = append(orders, map[string]any{"id": id, "status": "AWAITING_SHIPMENT"})
		}
		writeOK(w, map[string]any{"orders": orders})
	})
	var ids []string
	for i := range 120 {
		ids = append(ids, fmt.Sprint(576461413038785000+i))
	}
	got, err := e.client.OrderDetail(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int{50, 50, 20}, batches); d != "" {
		t.Errorf("batches (-want +got):\n%s", d)
	}
	if len(got) != 120 || got[0].ID != ids[0] || got[119].ID != ids[119] {
		t.Errorf("got %d orders", len(got))
	}
	if _, err := e.client.OrderDetail(context.Background(), []string{"1", "a/b"}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("bad id err = %v", err)
	}
}

func TestOrderDomain(t *testing.T) {
	var env struct {
		Data OrderPage `json:"data"`
	}
	if err := json.Unmarshal(fixture(t, "order_page.json"), &env); err != nil {
		t.Fatal(err)
	}
	d := env.Data.Orders[0].Domain()
	if d.ID != "576461413038785752" || d.Status != order.StatusAwaitingShipment || d.WarehouseID != "7068517275539719942" ||
		d.FulfillmentType != "FULFILLMENT_BY_SELLER" || d.ShippingType != "TIKTOK" || d.DeliveryOption != "7091146663229654785" {
		t.Errorf("identity fields: %+v", d)
	}
	if want := time.Unix(1700122800, 0).UTC(); !d.RTSDeadline.Equal(want) || d.RTSDeadline.Location() != time.UTC {
		t.Errorf("RTSDeadline = %v, want %v UTC", d.RTSDeadline, want)
	}
	if !d.PaidTime.Equal(time.Unix(1699950060, 0)) || !d.ShippingDue.Equal(time.Unix(1700295600, 0)) || !d.UpdateTime.Equal(time.Unix(1699953700, 0)) {
		t.Errorf("times: paid %v due %v update %v", d.PaidTime, d.ShippingDue, d.UpdateTime)
	}
	wantRecipient := order.Recipient{Name: "J**n D*e", City: "Los Angeles", Region: "California", PostalCode: "90001", Country: "US"}
	if d.Recipient != wantRecipient {
		t.Errorf("Recipient = %+v, want %+v", d.Recipient, wantRecipient)
	}
	if d.BuyerMessage != "please gift wrap" {
		t.Errorf("BuyerMessage = %q", d.BuyerMessage)
	}
	if len(d.LineItems) != 5 {
		t.Fatalf("%d line items", len(d.LineItems))
	}
	if !d.LineItems[3].Cancelled || d.LineItems[0].Cancelled {
		t.Error("cancelled flags wrong")
	}
	if !d.LineItems[4].Gift {
		t.Error("gift not carried")
	}
	wantComp := []order.Component{
		{SKUID: "1729592969712207222", SellerSKU: "SOCK-BLK", ProductID: "1729592969712203222", Count: 3},
		{SKUID: "1729592969712207333", SellerSKU: "SOCK-WHT", ProductID: "1729592969712203333", Count: 1},
	}
	if diff := cmp.Diff(wantComp, d.LineItems[2].Components); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
	// Units to pack: 2 shirts, 3+1 socks, 1 sticker; the mug is cancelled.
	wantExpected := map[string]int{"1729592969712207000": 2, "1729592969712207222": 3, "1729592969712207333": 1, "1729592969712207555": 1}
	if diff := cmp.Diff(wantExpected, d.Expected()); diff != "" {
		t.Errorf("Expected (-want +got):\n%s", diff)
	}
	if ok, _ := d.Packable(); !ok {
		t.Error("first order not packable")
	}
	hold := env.Data.Orders[1].Domain()
	if !hold.OnHold || !hold.LineItems[0].Hazmat {
		t.Errorf("on-hold order: %+v", hold)
	}
	if ok, why := hold.Packable(); ok || !strings.Contains(why, "hold") {
		t.Errorf("on-hold Packable = %v %q", ok, why)
	}
}

func TestOrderPackageIDs(t *testing.T) {
	o := Order{Packages: []Ref{{ID: "P1"}}, LineItems: []LineItem{{ID: "1", PackageID: "P1"}, {ID: "2", PackageID: "P2"}, {ID: "3"}}}
	if d := cmp.Diff([]string{"P1", "P2"}, o.PackageIDs()); d != "" {
		t.Errorf("PackageIDs (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"P1", "P2"}, o.Domain().Packages); d != "" {
		t.Errorf("Domain().Packages (-want +got):\n%s", d)
	}
}

func TestProductAndCache(t *testing.T) {
	e := newEnv(t)
	path := "GET /product/202309/products/1729592969712203000"
	e.fake.handle(path, serveBytes(fixture(t, "product.json")))
	p, err := e.client.Product(context.Background(), "1729592969712203000")
	if err != nil {
		t.Fatal(err)
	}
	want := order.Product{ID: "1729592969712203000", Weight: 566_990_463, Length: "10", Width: "8", Height: "4", DimUnit: "INCH", FetchedAt: e.clock.Now().UTC()}
	if !cmp.Equal(p, want, cmpopts.EquateEmpty()) {
		t.Errorf("Product = %+v, want %+v", p, want)
	}
	if _, err := e.client.Product(context.Background(), "1729592969712203000"); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.count(path); n != 1 {
		t.Errorf("fetches = %d, want 1 (cached)", n)
	}
	e.clock.Add(DefaultProductTTL + time.Second)
	if _, err := e.client.Product(context.Background(), "1729592969712203000"); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.count(path); n != 2 {
		t.Errorf("fetches = %d, want 2 after the TTL", n)
	}
}

func TestProductUnits(t *testing.T) {
	tests := []struct {
		data    string
		weight  order.Mass
		dimUnit string
		wantErr error
	}{
		{`{"id":"1","package_weight":{"value":"0.5","unit":"KILOGRAM"},"package_dimensions":{"length":"20","width":"10","height":"5","unit":"CENTIMETER"}}`, 500 * order.Gram, "CM", nil},
		{`{"id":"1","package_weight":{"value":"250","unit":"GRAM"}}`, 250 * order.Gram, "", nil},
		{`{"id":"1","package_weight":{"value":1.5,"unit":"POUND"}}`, 680_388_555, "", nil},
		{`{"id":"1"}`, 0, "", ErrNoWeight},
		{`{"id":"1","package_weight":{"value":"0","unit":"GRAM"}}`, 0, "", ErrNoWeight},
		{`{"id":"1","package_weight":{"value":"1","unit":"STONE"}}`, 0, "", errAny},
		{`{"id":"1","package_weight":{"value":"abc","unit":"GRAM"}}`, 0, "", errAny},
	}
	for _, tt := range tests {
		p, err := decodeProduct([]byte(tt.data), "1", time.Unix(0, 0))
		switch {
		case tt.wantErr == nil && err != nil:
			t.Errorf("%s: %v", tt.data, err)
		case tt.wantErr == errAny && err == nil, tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
			t.Errorf("%s: err = %v, want %v", tt.data, err, tt.wantErr)
		case err == nil && (p.Weight != tt.weight || p.DimUnit != tt.dimUnit):
			t.Errorf("%s: got %v %q, want %v %q", tt.data, p.Weight, p.DimUnit, tt.weight, tt.dimUnit)
		}
	}
}

var errAny = errors.New("any error")

func TestProductBarcodes(t *testing.T) {
	data := `{"id":"p1","package_weight":{"value":"250","unit":"GRAM"},"skus":[
		{"id":"s1","seller_sku":"RED-L","identifier_code":{"code":"0012345678905","type":"EAN"}},
		{"id":"s2","seller_sku":"RED-M","identifier_code":{"code":" 012345678912 ","type":"UPC"}},
		{"id":"s3","seller_sku":"RED-S"},
		{"id":"","identifier_code":{"code":"999","type":"UPC"}}]}`
	p, err := decodeProduct([]byte(data), "p1", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"0012345678905": "s1", "012345678912": "s2"}
	if len(p.Barcodes) != len(want) {
		t.Fatalf("Barcodes = %v, want %v", p.Barcodes, want)
	}
	for code, sku := range want {
		if p.Barcodes[code] != sku {
			t.Errorf("Barcodes[%s] = %q, want %q", code, p.Barcodes[code], sku)
		}
	}
}

func TestProductWithoutWeightKeepsItsBarcodes(t *testing.T) {
	data := `{"id":"p1","package_dimensions":{"length":"20","width":"10","height":"5","unit":"CENTIMETER"},
		"skus":[{"id":"s1","identifier_code":{"code":"0012345678905","type":"EAN"}}]}`
	p, err := decodeProduct([]byte(data), "p1", time.Unix(0, 0))
	if !errors.Is(err, ErrNoWeight) {
		t.Fatalf("err = %v, want ErrNoWeight", err)
	}
	if p.ID != "p1" || p.Weight != 0 || p.Barcodes["0012345678905"] != "s1" || p.DimUnit != "CM" {
		t.Errorf("product without weight = %+v, want its id, dimensions and barcodes with no weight", p)
	}
}
