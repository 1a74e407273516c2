package tiktok

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func goodCreate() CreatePackageRequest {
	return CreatePackageRequest{
		OrderID: "576461413038785752", LineItemIDs: []string{"577086512123755123", "577086512123755124"},
		ShippingServiceID: "7208502187360519982",
		Weight:            Weight{Value: "1.25", Unit: "POUND"},
		Dimension:         &Dimension{Length: "10", Width: "8", Height: "4", Unit: "INCH"},
	}
}

func TestCreatePackage(t *testing.T) {
	e := newEnv(t)
	e.fake.handle("POST "+pathPackages, serveBytes(fixture(t, "create_package.json")))
	p, err := e.client.CreatePackage(context.Background(), goodCreate())
	if err != nil {
		t.Fatal(err)
	}
	if p.PackageID != "1152921504606846976" || p.ShippingServiceInfo.Name != "USPS Ground Advantage" || p.ShippingServiceInfo.Price != "5.32" ||
		p.Weight != (Weight{"1.25", "POUND"}) || p.CreateTime.Time().Unix() != 1700000100 {
		t.Errorf("Package = %+v", p)
	}
	_, body := e.fake.lastRequest()
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"order_id":            "576461413038785752",
		"order_line_item_ids": []any{"577086512123755123", "577086512123755124"},
		"shipping_service_id": "7208502187360519982",
		"weight":              map[string]any{"value": "1.25", "unit": "POUND"},
		"dimension":           map[string]any{"length": "10", "width": "8", "height": "4", "unit": "INCH"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("body (-want +got):\n%s", d)
	}
}

func TestCreatePackageValidates(t *testing.T) {
	e := newEnv(t)
	bad := []func(*CreatePackageRequest){
		func(r *CreatePackageRequest) { r.OrderID = "" },
		func(r *CreatePackageRequest) { r.LineItemIDs = nil },
		func(r *CreatePackageRequest) { r.LineItemIDs = []string{"1", "1"} },
		func(r *CreatePackageRequest) { r.Weight.Unit = "KILOGRAM" },
		func(r *CreatePackageRequest) { r.Weight.Value = "1,25" },
		func(r *CreatePackageRequest) { r.Weight.Value = "0" },
		func(r *CreatePackageRequest) { r.Weight.Value = "-1" },
		func(r *CreatePackageRequest) { r.Weight.Value = "1e3" },
		func(r *CreatePackageRequest) { r.Dimension.Unit = "CENTIMETER" },
		func(r *CreatePackageRequest) { r.Dimension.Height = "" },
	}
	for i, m := range bad {
		r := goodCreate()
		d := *r.Dimension
		r.Dimension = &d
		m(&r)
		if _, err := e.client.CreatePackage(context.Background(), r); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("case %d: err = %v, want ErrInvalidRequest", i, err)
		}
	}
	if n := e.fake.count("POST " + pathPackages); n != 0 {
		t.Errorf("%d invalid requests sent", n)
	}
	r := goodCreate()
	r.Dimension = nil
	r.Weight = Weight{Value: "567", Unit: "GRAM"}
	if err := r.Validate(); err != nil {
		t.Errorf("grams without dimensions: %v", err)
	}
}

func TestCreatePackageNotRetriedOnTimeout(t *testing.T) {
	release := make(chan struct{})
	e := newEnv(t, func(c *Config) { c.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond} })
	t.Cleanup(func() { close(release) })
	e.fake.handle("POST "+pathPackages, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		select { // the label is being bought; the answer comes too late
		case <-release:
		case <-r.Context().Done():
		}
	})
	_, err := e.client.CreatePackage(context.Background(), goodCreate())
	if !errors.Is(err, ErrUnclear) {
		t.Fatalf("err = %v, want ErrUnclear", err)
	}
	if n := e.fake.count("POST " + pathPackages); n != 1 {
		t.Errorf("Create Packages sent %d times, want 1", n)
	}
	if len(e.sleeps.all()) != 0 {
		t.Error("a retry was scheduled")
	}
}

func TestCreatePackageNotRetriedOnUnclearAnswers(t *testing.T) {
	tests := []struct {
		name   string
		answer func(t *testing.T, w http.ResponseWriter)
	}{
		{"500", func(_ *testing.T, w http.ResponseWriter) { writeEnvelope(w, 500, CodeInternal, "internal", nil) }},
		{"502 html", func(_ *testing.T, w http.ResponseWriter) {
			w.WriteHeader(502)
			_, _ = w.Write([]byte("<html>bad gateway</html>"))
		}},
		{"36009003 in 200", func(_ *testing.T, w http.ResponseWriter) { writeEnvelope(w, 200, CodeInternal, "internal", nil) }},
		{"36009007 timeout", func(_ *testing.T, w http.ResponseWriter) { writeEnvelope(w, 200, CodeRequestTimeout, "timeout", nil) }},
		{"connection reset", func(t *testing.T, w http.ResponseWriter) { hijackClose(t, w) }},
		{"success without package id", func(_ *testing.T, w http.ResponseWriter) { writeOK(w, map[string]any{"order_id": "1"}) }},
		{"truncated success", func(_ *testing.T, w http.ResponseWriter) {
			_, _ = w.Write([]byte(`{"code":0,"data":{"package_id":"11`))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.handle("POST "+pathPackages, func(w http.ResponseWriter, _ *http.Request, _ []byte) { tt.answer(t, w) })
			_, err := e.client.CreatePackage(context.Background(), goodCreate())
			if !errors.Is(err, ErrUnclear) {
				t.Fatalf("err = %v, want ErrUnclear", err)
			}
			if n := e.fake.count("POST " + pathPackages); n != 1 {
				t.Errorf("Create Packages sent %d times, want 1", n)
			}
		})
	}
}

func TestCreatePackageClearRejectionIsNotUnclear(t *testing.T) {
	e := newEnv(t)
	e.fake.handle("POST "+pathPackages, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		writeEnvelope(w, 200, 21011007, "Package item has after-sale request", nil)
	})
	_, err := e.client.CreatePackage(context.Background(), goodCreate())
	if err == nil || errors.Is(err, ErrUnclear) {
		t.Fatalf("err = %v, want a clear rejection", err)
	}
	if ae, ok := errors.AsType[*APIError](err); !ok || ae.Code != 21011007 {
		t.Errorf("err = %v, want APIError 21011007", err)
	}
}

func TestCreatePackageRetriedWhenSafe(t *testing.T) {
	t.Run("429", func(t *testing.T) {
		e := newEnv(t)
		n := 0
		e.fake.handle("POST "+pathPackages, func(w http.ResponseWriter, r *http.Request, b []byte) {
			n++
			if n == 1 {
				writeEnvelope(w, 429, CodeRateLimited, "Too many requests", nil)
				return
			}
			serveBytes(fixture(t, "create_package.json"))(w, r, b)
		})
		if _, err := e.client.CreatePackage(context.Background(), goodCreate()); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("sent %d times, want 2", n)
		}
	})
	t.Run("expired token", func(t *testing.T) {
		e := newEnv(t)
		e.refreshHandler(t)
		e.fake.setToken("ACCESS-2")
		e.fake.handle("POST "+pathPackages, serveBytes(fixture(t, "create_package.json")))
		if _, err := e.client.CreatePackage(context.Background(), goodCreate()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		var dials atomic.Int32
		var srvAddr string
		e := newEnv(t, func(c *Config) {
			srvAddr = strings.TrimPrefix(c.APIBase, "http://")
			tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if dials.Add(1) == 1 {
					// A closed port: nothing was sent.
					l, err := net.Listen("tcp", "127.0.0.1:0")
					if err != nil {
						return nil, err
					}
					dead := l.Addr().String()
					_ = l.Close()
					return (&net.Dialer{}).DialContext(ctx, network, dead)
				}
				return (&net.Dialer{}).DialContext(ctx, network, srvAddr)
			}}
			c.HTTPClient = &http.Client{Transport: tr}
		})
		e.fake.handle("POST "+pathPackages, serveBytes(fixture(t, "create_package.json")))
		if _, err := e.client.CreatePackage(context.Background(), goodCreate()); err != nil {
			t.Fatalf("CreatePackage = %v", err)
		}
		if dials.Load() != 2 || e.fake.count("POST "+pathPackages) != 1 {
			t.Errorf("dials %d, requests %d; want 2 and 1", dials.Load(), e.fake.count("POST "+pathPackages))
		}
	})
}

func TestShippingDocument(t *testing.T) {
	e := newEnv(t)
	path := "GET " + pathPackages + "/1152921504606846976/shipping_documents"
	e.fake.handle(path, serveBytes(fixture(t, "document.json")))
	d, err := e.client.ShippingDocument(context.Background(), "1152921504606846976", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if d.TrackingNumber != "9400111899223456789012" || !strings.HasPrefix(d.DocURL, "https://open-fs-va.tiktokshop.com/") {
		t.Errorf("Document = %+v", d)
	}
	r, _ := e.fake.lastRequest()
	if q := r.URL.Query(); q.Get("document_type") != "SHIPPING_LABEL" || q.Get("document_size") != "A6" {
		t.Errorf("query %v", q)
	}
	for _, args := range [][3]string{{"", "", ""}, {"1", "LABEL", "A6"}, {"1", "", "4x6"}} {
		if _, err := e.client.ShippingDocument(context.Background(), args[0], args[1], args[2]); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("ShippingDocument%v err = %v", args, err)
		}
	}
	e.fake.handle(path, func(w http.ResponseWriter, _ *http.Request, _ []byte) { writeOK(w, map[string]any{"doc_url": ""}) })
	if _, err := e.client.ShippingDocument(context.Background(), "1152921504606846976", "", ""); !errors.Is(err, ErrMalformed) {
		t.Errorf("empty doc_url err = %v", err)
	}
}

func TestDownload(t *testing.T) {
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("x-tts-access-token") != "" {
			t.Error("token sent to the document host")
		}
		switch r.URL.Path {
		case "/ok.pdf":
			w.Header().Set("Content-Type", "application/pdf")
			_, _ = w.Write(pdf)
		case "/expired":
			w.WriteHeader(403)
			_, _ = w.Write([]byte(`<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>`))
		case "/expired-200":
			_, _ = w.Write([]byte(`{"message":"url expired"}`))
		case "/html":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>login</html>"))
		case "/big":
			_, _ = w.Write(append(append([]byte{}, pdf...), bytes.Repeat([]byte("x"), 2048)...))
		case "/flaky":
			if hits.Load()%2 == 1 {
				w.WriteHeader(503)
				return
			}
			_, _ = w.Write(pdf)
		case "/teapot":
			w.WriteHeader(418)
		}
	}))
	defer srv.Close()
	e := newEnv(t, func(c *Config) { c.MaxDocumentBytes = 1024 })
	got, err := e.client.Download(context.Background(), srv.URL+"/ok.pdf?sign=secret")
	if err != nil || !bytes.Equal(got, pdf) {
		t.Fatalf("Download ok = %v, %q", err, got)
	}
	tests := []struct {
		path string
		want error
		text string
	}{
		{"/expired?x-signature=SECRETSIG", ErrDocumentExpired, "403"},
		{"/expired-200", ErrDocumentExpired, ""},
		{"/html", ErrNotPDF, "text/html"},
		{"/big", nil, "larger than 1024"},
		{"/teapot", nil, "418"},
	}
	for _, tt := range tests {
		_, err := e.client.Download(context.Background(), srv.URL+tt.path)
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("Download(%s) err = %v, want %v mentioning %q", tt.path, err, tt.want, tt.text)
		}
		if err != nil && strings.Contains(err.Error(), "SECRETSIG") {
			t.Errorf("error leaks the presigned query: %v", err)
		}
	}
	hits.Store(0)
	if _, err := e.client.Download(context.Background(), srv.URL+"/flaky"); err != nil {
		t.Errorf("flaky download = %v, want success after a retry", err)
	}
	if _, err := e.client.Download(context.Background(), "file:///etc/passwd"); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("file URL err = %v", err)
	}
}

func TestPackageDetailAndOrderPackages(t *testing.T) {
	e := newEnv(t)
	e.fake.handle("GET "+pathPackages+"/1152921504606846976", serveBytes(fixture(t, "package_detail.json")))
	e.fake.handle("GET "+pathPackages+"/1152921504606846999", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		writeOK(w, map[string]any{"package_id": "1152921504606846999", "package_status": "CANCELLED"})
	})
	e.fake.handle("GET "+pathOrderDetail, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if ids := r.URL.Query().Get("ids"); ids == "576461413038785752" {
			fmt.Fprint(w, `{"code":0,"message":"Success","request_id":"R","data":{"orders":[{"id":"576461413038785752","status":"AWAITING_COLLECTION","packages":[{"id":"1152921504606846976"}],"line_items":[{"id":"1","package_id":"1152921504606846976"},{"id":"2","package_id":"1152921504606846999"}]}]}}`)
			return
		}
		writeOK(w, map[string]any{"orders": []any{}})
	})
	// Search Package has no order filter: it sees a package Order Detail
	// does not show yet, one of another order, and one both show.
	var searchBodies []string
	e.fake.handle("POST "+pathPackageSearch, func(w http.ResponseWriter, r *http.Request, body []byte) {
		searchBodies = append(searchBodies, r.URL.Query().Get("sort_order")+" "+r.URL.Query().Get("page_token")+" "+string(body))
		if r.URL.Query().Get("page_token") == "" {
			fmt.Fprint(w, `{"code":0,"message":"Success","request_id":"R","data":{"next_page_token":"p2","total_count":3,"packages":[`+
				`{"id":"1152921504606846977","status":"PROCESSING","tracking_number":"9400111899223456789099","order_line_item_ids":["3"],"orders":[{"id":"576461413038785752"}]},`+
				`{"id":"1152921504606840000","status":"PROCESSING","orders":[{"id":"576461413038780000"}]}]}}`)
			return
		}
		fmt.Fprint(w, `{"code":0,"message":"Success","request_id":"R","data":{"next_page_token":"","total_count":3,"packages":[`+
			`{"id":"1152921504606846976","status":"PROCESSING","orders":[{"id":"576461413038785752"}]}]}}`)
	})
	p, err := e.client.PackageDetail(context.Background(), "1152921504606846976")
	if err != nil {
		t.Fatal(err)
	}
	if p.TrackingNumber != "9400111899223456789012" || p.PackageStatus != "PROCESSING" || p.Weight != (Weight{"567", "GRAM"}) ||
		p.Dimension == nil || p.Dimension.Unit != "CM" || len(p.Orders) != 1 || p.Orders[0].SKUs[0].Quantity != 2 {
		t.Errorf("PackageDetail = %+v", p)
	}
	pkgs, err := e.client.OrderPackages(context.Background(), "576461413038785752")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 3 || pkgs[0].PackageID != "1152921504606846976" || !pkgs[1].Cancelled() ||
		pkgs[2].PackageID != "1152921504606846977" || pkgs[2].TrackingNumber != "9400111899223456789099" || len(pkgs[2].OrderLineItemIDs) != 1 {
		t.Errorf("OrderPackages = %+v", pkgs)
	}
	if len(searchBodies) != 2 || !strings.HasPrefix(searchBodies[0], "DESC  ") || !strings.HasPrefix(searchBodies[1], "DESC p2 ") {
		t.Errorf("package searches %q, want two pages newest first", searchBodies)
	}
	if _, err := e.client.OrderPackages(context.Background(), "999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown order err = %v, want ErrNotFound", err)
	}
}

func TestSearchPackages(t *testing.T) {
	e := newEnv(t)
	e.fake.handle("POST "+pathPackageSearch, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.URL.Query().Get("page_size") != "50" {
			t.Errorf("page_size = %q", r.URL.Query().Get("page_size"))
		}
		if string(body) != `{"update_time_ge":1700000000,"package_status":"PROCESSING"}` {
			t.Errorf("body = %s", body)
		}
		fmt.Fprint(w, `{"code":0,"message":"Success","request_id":"R","data":{"total_count":1,"next_page_token":"","packages":[{"id":"P1","status":"PROCESSING","tracking_number":"T1","order_line_item_ids":["1"],"orders":[{"id":"O1"}],"create_time":1700000100,"update_time":"1700000200"}]}}`)
	})
	page, err := e.client.SearchPackages(context.Background(), PackageQuery{UpdateTimeGE: time.Unix(1700000000, 0), PackageStatus: "PROCESSING"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Packages) != 1 || page.Packages[0].ID != "P1" || page.Packages[0].UpdateTime != 1700000200 || page.TotalCount != 1 {
		t.Errorf("page = %+v", page)
	}
	if _, err := e.client.SearchPackages(context.Background(), PackageQuery{PageSize: 51}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("page size 51 err = %v", err)
	}
}
