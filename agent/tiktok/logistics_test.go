package tiktok

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/packline/packline/agent/order"
)

func TestDeliveryOptionsAndLimits(t *testing.T) {
	e := newEnv(t)
	e.fake.handle("GET /logistics/202309/warehouses/7068517275539719942/delivery_options", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		fmt.Fprint(w, `{"code":0,"message":"Success","request_id":"R","data":{"delivery_options":[{"id":"7091146663229654785","name":"Standard shipping","type":"STANDARD","weight_limit":{"min_weight":1,"max_weight":"68038","unit":"GRAM"},"dimension_limit":{"max_length":108,"max_width":108,"max_height":108,"unit":"INCH"}}]}}`)
	})
	opts, err := e.client.DeliveryOptions(context.Background(), "7068517275539719942")
	if err != nil {
		t.Fatal(err)
	}
	if len(opts) != 1 || opts[0].WeightLimit == nil || opts[0].DimensionLimit.MaxLength != "108" {
		t.Fatalf("options = %+v", opts)
	}
	l := *opts[0].WeightLimit
	if err := l.Check(500 * order.Gram); err != nil {
		t.Errorf("500 g: %v", err)
	}
	if err := l.Check(70 * order.Kilogram); err == nil {
		t.Error("70 kg accepted")
	}
	if err := (WeightLimit{MaxWeight: "1", Unit: "STONE"}).Check(order.Gram); err == nil {
		t.Error("unknown unit accepted")
	}
}

func TestShippingServices(t *testing.T) {
	e := newEnv(t)
	e.fake.handle("POST /fulfillment/202309/orders/576461413038785752/shipping_services/query", func(w http.ResponseWriter, _ *http.Request, body []byte) {
		want := `{"order_line_item_ids":["577086512123755123","577086512123755124"],"weight":{"value":"1.25","unit":"POUND"},"dimension":{"length":"10","width":"8","height":"4","unit":"INCH"}}`
		if string(body) != want {
			t.Errorf("body = %s", body)
		}
		fmt.Fprint(w, `{"code":0,"message":"Success","request_id":"R","data":{"shipping_services":[{"id":"S1","name":"USPS Ground Advantage","price":"5.32","currency":"USD","is_default":true,"earliest_delivery_days":2,"latest_delivery_days":"5"}]}}`)
	})
	svcs, err := e.client.ShippingServices(context.Background(), goodCreate())
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 1 || !svcs[0].IsDefault || svcs[0].Price != "5.32" || svcs[0].LatestDeliveryDays != 5 {
		t.Errorf("services = %+v", svcs)
	}
	if e.fake.count("POST "+pathPackages) != 0 {
		t.Error("a label was bought")
	}
}

func TestWarehouses(t *testing.T) {
	e := newEnv(t)
	e.fake.handle("GET /logistics/202309/warehouses", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		fmt.Fprint(w, `{"code":0,"message":"Success","request_id":"R","data":{"warehouses":[{"id":"W1","name":"Main","type":"SALES_WAREHOUSE","effect_status":"ENABLED","is_default":true}]}}`)
	})
	ws, err := e.client.Warehouses(context.Background())
	if err != nil || len(ws) != 1 || ws[0].ID != "W1" || !ws[0].IsDefault {
		t.Fatalf("Warehouses = %+v, %v", ws, err)
	}
}

func TestWeightLimitRangeRejectsNonsense(t *testing.T) {
	lo, hi, err := WeightLimit{MinWeight: "0.1", MaxWeight: "7E1", Unit: "POUND"}.Range()
	if err != nil || lo != 45_359_237 || hi != 70*order.Pound {
		t.Errorf("0.1 to 7E1 POUND = %v to %v, %v", lo, hi, err)
	}
	for _, l := range []WeightLimit{
		{MinWeight: "70", MaxWeight: "1", Unit: "POUND"},
		{MinWeight: "-1", Unit: "GRAM"},
		{MaxWeight: "-5", Unit: "GRAM"},
		{MaxWeight: "0x10", Unit: "GRAM"},
		{MaxWeight: "1/3", Unit: "POUND"},
		{MaxWeight: "1_000", Unit: "GRAM"},
		{MaxWeight: "1e9999999", Unit: "GRAM"},
	} {
		if lo, hi, err := l.Range(); err == nil {
			t.Errorf("%+v read as %v to %v", l, lo, hi)
		}
		if err := l.Check(order.Gram); err == nil {
			t.Errorf("%+v accepts 1 g", l)
		}
	}
}
