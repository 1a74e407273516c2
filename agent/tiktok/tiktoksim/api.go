package tiktoksim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Response codes. The first group is TikTok's documented codes; the second
// group is the simulator's own for business refusals whose real codes are
// not documented.
const (
	CodeOK                 = 0
	CodeTooManyRequests    = 36009002
	CodeInternalError      = 36009003
	CodeGatewayRejected    = 36009004 // missing sign, bad app_key, token or timestamp, unexpected shop_cipher
	CodeInvalidPath        = 36009009
	CodeInvalidMethod      = 36009010
	CodeInvalidAuthCode    = 36004004
	CodeTokenExpired       = 105002
	CodeInvalidSign        = 106001
	CodeShopCipherRequired = 106013
	CodeAfterSaleRequest   = 21011007

	CodeInvalidParameter   = 21001001
	CodeNotFound           = 21001002
	CodeOrderStatus        = 21011001 // order is not AWAITING_SHIPMENT (on hold, cancelled, shipped, FBT)
	CodeLineItemsPackaged  = 21011002 // the line items already have a package (second purchase)
	CodePackageUnavailable = 21011004 // no document for a cancelled package
)

// apiError is a refusal: HTTP status, TikTok code and message.
type apiError struct {
	status int
	code   int
	msg    string
}

func errf(status, code int, format string, a ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, a...)}
}

func badParam(format string, a ...any) *apiError {
	return errf(http.StatusBadRequest, CodeInvalidParameter, "Invalid parameter: "+format, a...)
}

// scope says what a route requires.
type scope int

const (
	scopeAuthServer scope = iota // token endpoints: app_key + app_secret, unsigned
	scopeApp                     // signed + token, shop_cipher must be absent
	scopeShop                    // signed + token + shop_cipher
)

type route struct {
	method  string
	pattern []string
	scope   scope
	handle  func(c *reqCtx) (any, *apiError)
}

type reqCtx struct {
	r      *http.Request
	body   []byte
	query  url.Values
	params map[string]string
	now    time.Time
	token  string
}

func (s *Sim) routes() []route {
	mk := func(method, pattern string, sc scope, h func(c *reqCtx) (any, *apiError)) route {
		return route{method: method, pattern: strings.Split(strings.Trim(pattern, "/"), "/"), scope: sc, handle: h}
	}
	return []route{
		mk("GET", "/api/v2/token/get", scopeAuthServer, s.tokenGet),
		mk("GET", "/api/v2/token/refresh", scopeAuthServer, s.tokenRefresh),
		mk("GET", "/authorization/202309/shops", scopeApp, s.shops),
		mk("POST", "/order/202309/orders/search", scopeShop, s.searchOrders),
		mk("GET", "/order/202309/orders", scopeShop, s.orderDetail),
		mk("GET", "/order/202507/orders", scopeShop, s.orderDetail),
		mk("GET", "/product/202309/products/{id}", scopeShop, s.productDetail),
		mk("POST", "/fulfillment/202309/packages", scopeShop, s.createPackages),
		mk("POST", "/fulfillment/202309/packages/search", scopeShop, s.searchPackages),
		mk("GET", "/fulfillment/202309/packages/{id}/shipping_documents", scopeShop, s.shippingDocument),
		mk("GET", "/fulfillment/202309/packages/{id}", scopeShop, s.packageDetail),
		mk("POST", "/fulfillment/202309/orders/{id}/shipping_services/query", scopeShop, s.shippingServices),
		mk("GET", "/logistics/202309/warehouses", scopeShop, s.warehouses),
		mk("GET", "/logistics/202309/warehouses/{id}/delivery_options", scopeShop, s.deliveryOptions),
	}
}

func match(pattern []string, path string) (map[string]string, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) != len(pattern) {
		return nil, false
	}
	var params map[string]string
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") {
			if parts[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[strings.Trim(p, "{}")] = parts[i]
			continue
		}
		if p != parts[i] {
			return nil, false
		}
	}
	return params, true
}

// maxBody caps request bodies.
const maxBody = 1 << 20

// serveAPI answers one Open API request. It returns true when the request
// reached a route's handler (its action may have happened).
func (s *Sim) serveAPI(w http.ResponseWriter, r *http.Request) {
	now := s.Now()
	var rt *route
	var params map[string]string
	methodMismatch := false
	for i := range s.apiRoutes {
		p, ok := match(s.apiRoutes[i].pattern, r.URL.Path)
		if !ok {
			continue
		}
		if s.apiRoutes[i].method != r.Method {
			methodMismatch = true
			continue
		}
		rt, params = &s.apiRoutes[i], p
		break
	}
	if rt == nil {
		if methodMismatch {
			s.reply(w, r, now, nil, errf(http.StatusMethodNotAllowed, CodeInvalidMethod, "Invalid method %s for path %s", r.Method, r.URL.Path))
			return
		}
		s.reply(w, r, now, nil, errf(http.StatusNotFound, CodeInvalidPath, "Invalid path %s: no such API (check the category and version, e.g. /order/202309/orders/search)", r.URL.Path))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		s.reply(w, r, now, nil, badParam("cannot read the request body: %v", err))
		return
	}
	if len(body) > maxBody {
		s.reply(w, r, now, nil, badParam("request body is larger than %d bytes", maxBody))
		return
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.reply(w, r, now, nil, badParam("query string does not parse: %v", err))
		return
	}
	c := &reqCtx{r: r, body: body, query: query, params: params, now: now}
	if rt.scope != scopeAuthServer {
		if aerr := s.verify(c, rt.scope); aerr != nil {
			s.log.Info("tiktoksim: request refused", "path", r.URL.Path, "code", aerr.code, "message", aerr.msg)
			s.reply(w, r, now, nil, aerr)
			return
		}
	}
	data, aerr := rt.handle(c)
	if aerr != nil {
		s.log.Info("tiktoksim: request failed", "path", r.URL.Path, "code", aerr.code, "message", aerr.msg)
	}
	s.reply(w, r, now, data, aerr)
}

// requestID looks like TikTok's: a timestamp and a sequence.
func (s *Sim) requestID(now time.Time) string {
	return fmt.Sprintf("%s%012X", now.UTC().Format("20060102150405"), s.reqSeq.Add(1))
}

func (s *Sim) reply(w http.ResponseWriter, r *http.Request, now time.Time, data any, aerr *apiError) {
	env := Envelope{Code: CodeOK, Message: "Success", RequestID: s.requestID(now), Data: data}
	status := http.StatusOK
	if aerr != nil {
		env.Code, env.Message, env.Data = aerr.code, aerr.msg, nil
		status = aerr.status
		if status == 0 {
			status = http.StatusOK
		}
	}
	if env.Data == nil {
		env.Data = struct{}{}
	}
	b, err := json.Marshal(env)
	if err != nil {
		s.log.Error("tiktoksim: encode response", "path", r.URL.Path, "err", err)
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Tt-Logid", env.RequestID)
	w.WriteHeader(status)
	w.Write(b)
}

// sign computes a request signature per the Open API algorithm: the path,
// then every query parameter except sign and access_token sorted by key as
// key+value (decoded), then the raw body unless the request is multipart,
// wrapped in the app secret and HMAC-SHA256'd with it, in lowercase hex.
// The simulator verifies requests with it.
func sign(secret, path string, query url.Values, body []byte, contentType string) string {
	keys := make([]string, 0, len(query))
	for k := range query {
		if k == "sign" || k == "access_token" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(secret)
	b.WriteString(path)
	for _, k := range keys {
		b.WriteString(k)
		if v := query[k]; len(v) > 0 {
			b.WriteString(v[0])
		}
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt != "multipart/form-data" {
		b.Write(body)
	}
	b.WriteString(secret)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(b.String()))
	return hex.EncodeToString(m.Sum(nil))
}

// verify checks a request the way TikTok's gateway does.
func (s *Sim) verify(c *reqCtx, sc scope) *apiError {
	q := c.query
	unauth := http.StatusUnauthorized
	appKey := q.Get("app_key")
	if appKey == "" {
		return errf(unauth, CodeGatewayRejected, "Invalid app_key: the app_key query parameter is missing")
	}
	if appKey != s.opts.AppKey {
		return errf(unauth, CodeGatewayRejected, "Invalid app_key %q: it does not match any app", appKey)
	}
	got := q.Get("sign")
	if got == "" {
		return errf(unauth, CodeGatewayRejected, "Missing sign: every request needs the sign query parameter")
	}
	tsText := q.Get("timestamp")
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return errf(unauth, CodeGatewayRejected, "Invalid timestamp %q: send the current Unix time in seconds", tsText)
	}
	nowS := c.now.Unix()
	if ts < nowS-300 || ts > nowS+30 {
		return errf(unauth, CodeGatewayRejected, "Invalid timestamp %d: it must be within 5 minutes before and 30 seconds after the server time %d; check the clock", ts, nowS)
	}
	want := sign(s.opts.AppSecret, c.r.URL.Path, q, c.body, c.r.Header.Get("Content-Type"))
	if !hmac.Equal([]byte(strings.ToLower(got)), []byte(want)) {
		return errf(unauth, CodeInvalidSign, "Invalid credentials: the sign does not match; sign path + sorted query (without sign and access_token) + raw body with HMAC-SHA256")
	}
	tok := c.r.Header.Get("x-tts-access-token")
	if tok == "" {
		return errf(unauth, CodeGatewayRejected, "Invalid access_token: the x-tts-access-token header is missing")
	}
	s.mu.Lock()
	t, ok := s.access[tok]
	s.mu.Unlock()
	if !ok {
		return errf(unauth, CodeGatewayRejected, "Invalid access_token: the token is unknown; get one from /api/v2/token/get")
	}
	if !t.expires.After(c.now) {
		return errf(unauth, CodeTokenExpired, "Access token is expired, please refresh it")
	}
	c.token = tok
	cipher, hasCipher := q["shop_cipher"]
	switch sc {
	case scopeApp:
		if hasCipher {
			return errf(http.StatusBadRequest, CodeGatewayRejected, "shop_cipher is not required for %s: remove it", c.r.URL.Path)
		}
	case scopeShop:
		if !hasCipher || cipher[0] == "" {
			return errf(http.StatusBadRequest, CodeShopCipherRequired, "shop_cipher is required for %s: get it from /authorization/202309/shops", c.r.URL.Path)
		}
		if cipher[0] != s.opts.ShopCipher {
			return errf(http.StatusBadRequest, CodeGatewayRejected, "Invalid shop_cipher %q: this token is not authorised for that shop", cipher[0])
		}
	}
	return nil
}

// tokenData is the data of Get Access Token and Refresh Access Token.
type tokenData struct {
	AccessToken          string   `json:"access_token"`
	AccessTokenExpireIn  int64    `json:"access_token_expire_in"`
	RefreshToken         string   `json:"refresh_token"`
	RefreshTokenExpireIn int64    `json:"refresh_token_expire_in"`
	OpenID               string   `json:"open_id"`
	SellerName           string   `json:"seller_name"`
	SellerBaseRegion     string   `json:"seller_base_region"`
	UserType             int      `json:"user_type"`
	GrantedScopes        []string `json:"granted_scopes"`
}

func (s *Sim) tokenData(t Token) tokenData {
	return tokenData{
		AccessToken: t.AccessToken, AccessTokenExpireIn: t.AccessTokenExpireAt.Unix(),
		RefreshToken: t.RefreshToken, RefreshTokenExpireIn: t.RefreshTokenExpireAt.Unix(),
		OpenID: "sim-" + s.opts.ShopID, SellerName: s.opts.ShopName, SellerBaseRegion: "US", UserType: 0,
		GrantedScopes: []string{"seller.authorization.info", "seller.order.info", "seller.fulfillment.basic", "seller.product.basic", "seller.logistics"},
	}
}

func (s *Sim) checkApp(c *reqCtx, grant string) *apiError {
	q := c.query
	if q.Get("app_key") != s.opts.AppKey || !hmac.Equal([]byte(q.Get("app_secret")), []byte(s.opts.AppSecret)) {
		return errf(http.StatusUnauthorized, CodeGatewayRejected, "Invalid app_key or app_secret")
	}
	if q.Get("grant_type") != grant {
		return badParam("grant_type must be %q", grant)
	}
	return nil
}

func (s *Sim) tokenGet(c *reqCtx) (any, *apiError) {
	if aerr := s.checkApp(c, "authorized_code"); aerr != nil {
		return nil, aerr
	}
	code := c.query.Get("auth_code")
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.codes[code]
	if !ok || !exp.After(c.now) {
		return nil, errf(http.StatusBadRequest, CodeInvalidAuthCode, "Invalid auth_code: it is unknown, already used or expired (codes are single use and live 30 minutes); authorise the shop again")
	}
	delete(s.codes, code)
	return s.tokenData(s.issueTokenLocked(c.now)), nil
}

func (s *Sim) tokenRefresh(c *reqCtx) (any, *apiError) {
	if aerr := s.checkApp(c, "refresh_token"); aerr != nil {
		return nil, aerr
	}
	rt := c.query.Get("refresh_token")
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refresh[rt]
	if !ok || !t.expires.After(c.now) {
		return nil, errf(http.StatusBadRequest, CodeInvalidAuthCode, "Invalid refresh_token: it is unknown or expired; authorise the shop again")
	}
	return s.tokenData(s.issueTokenLocked(c.now)), nil
}

func (s *Sim) shops(c *reqCtx) (any, *apiError) {
	type shop struct {
		Cipher     string `json:"cipher"`
		Code       string `json:"code"`
		ID         string `json:"id"`
		Name       string `json:"name"`
		Region     string `json:"region"`
		SellerType string `json:"seller_type"`
	}
	return map[string]any{"shops": []shop{{Cipher: s.opts.ShopCipher, Code: "USLCPKLN01", ID: s.opts.ShopID, Name: s.opts.ShopName, Region: "US", SellerType: "LOCAL"}}}, nil
}

// pageParams reads page_size, page_token, sort_field and sort_order.
type pageParams struct {
	size      int
	token     string
	sortField string
	desc      bool
}

func readPage(q url.Values, maxSize int, sortFields ...string) (pageParams, *apiError) {
	var p pageParams
	ps := q.Get("page_size")
	if ps == "" {
		return p, badParam("page_size is required (1-%d)", maxSize)
	}
	n, err := strconv.Atoi(ps)
	if err != nil || n < 1 || n > maxSize {
		return p, badParam("page_size %q must be an integer from 1 to %d", ps, maxSize)
	}
	p.size = n
	p.token = q.Get("page_token")
	p.sortField = q.Get("sort_field")
	if p.sortField == "" {
		p.sortField = sortFields[0]
	}
	ok := false
	for _, f := range sortFields {
		ok = ok || f == p.sortField
	}
	if !ok {
		return p, badParam("sort_field %q is not one of %s", p.sortField, strings.Join(sortFields, ", "))
	}
	switch q.Get("sort_order") {
	case "", "DESC":
		p.desc = true
	case "ASC":
	default:
		return p, badParam("sort_order %q must be ASC or DESC", q.Get("sort_order"))
	}
	return p, nil
}

// Page tokens are opaque to clients: base64 of the last row's sort key and
// id, bound to the filter so a token cannot be replayed on another query.
// Standard base64 makes '+' and '/' appear, which clients must URL-encode.
func encodePageToken(key int64, id string, filter uint32) string {
	b := make([]byte, 12, 12+len(id))
	binary.BigEndian.PutUint64(b, uint64(key))
	binary.BigEndian.PutUint32(b[8:], filter)
	b = append(b, id...)
	for i := range b {
		b[i] ^= 0xA7
	}
	return base64.StdEncoding.EncodeToString(b)
}

func decodePageToken(tok string, filter uint32) (int64, string, error) {
	b, err := base64.StdEncoding.DecodeString(tok)
	if err != nil || len(b) < 13 {
		return 0, "", fmt.Errorf("page_token %q is not a token this API issued", tok)
	}
	for i := range b {
		b[i] ^= 0xA7
	}
	if binary.BigEndian.Uint32(b[8:]) != filter {
		return 0, "", fmt.Errorf("page_token was issued for a different query: restart without page_token")
	}
	return int64(binary.BigEndian.Uint64(b)), string(b[12:]), nil
}

func filterHash(parts ...any) uint32 {
	h := fnv.New32a()
	fmt.Fprint(h, parts...)
	return h.Sum32()
}

// row is one search hit: its sort key, id and index in the source list.
type row struct {
	key int64
	id  string
	idx int
}

// pageOf returns the page of rows that follows the page token in the
// (key, id) sort order, and the token of the page after it. Only the page
// is sorted, so a page costs O(n log page_size) however many rows match.
func pageOf(rows []row, p pageParams, filter uint32) ([]row, string, *apiError) {
	less := func(a, b row) bool {
		if a.key != b.key {
			return (a.key < b.key) != p.desc
		}
		if a.id == b.id {
			return false
		}
		return (a.id < b.id) != p.desc
	}
	cands := rows
	if p.token != "" {
		k, id, err := decodePageToken(p.token, filter)
		if err != nil {
			return nil, "", badParam("%v", err)
		}
		cursor := row{key: k, id: id}
		cands = make([]row, 0, len(rows))
		for _, r := range rows {
			if less(cursor, r) {
				cands = append(cands, r)
			}
		}
	}
	page := smallest(cands, p.size, less)
	next := ""
	if len(cands) > len(page) {
		last := page[len(page)-1]
		next = encodePageToken(last.key, last.id, filter)
	}
	return page, next, nil
}

// smallest returns the k smallest rows under less, sorted, keeping a
// bounded max-heap instead of sorting everything.
func smallest(rows []row, k int, less func(a, b row) bool) []row {
	h := make([]row, 0, min(k, len(rows)))
	down := func(i int) {
		for {
			l, r, big := 2*i+1, 2*i+2, i
			if l < len(h) && less(h[big], h[l]) {
				big = l
			}
			if r < len(h) && less(h[big], h[r]) {
				big = r
			}
			if big == i {
				return
			}
			h[i], h[big] = h[big], h[i]
			i = big
		}
	}
	for _, r := range rows {
		if len(h) < k {
			h = append(h, r)
			for i := len(h) - 1; i > 0; {
				parent := (i - 1) / 2
				if !less(h[parent], h[i]) {
					break
				}
				h[i], h[parent] = h[parent], h[i]
				i = parent
			}
			continue
		}
		if less(r, h[0]) {
			h[0] = r
			down(0)
		}
	}
	sort.Slice(h, func(i, j int) bool { return less(h[i], h[j]) })
	return h
}

func (s *Sim) searchOrders(c *reqCtx) (any, *apiError) {
	p, aerr := readPage(c.query, 100, "create_time", "update_time")
	if aerr != nil {
		return nil, aerr
	}
	f, err := decodeSearchOrders(c.body)
	if err != nil {
		return nil, badParam("%v", err)
	}
	whs := map[string]bool{}
	for _, id := range f.WarehouseIDs {
		whs[id] = true
	}
	filter := filterHash(string(c.body), p.sortField, p.desc)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick(c.now)
	rows := make([]row, 0, len(s.orderList))
	for i, o := range s.orderList {
		w := &o.w
		switch {
		case f.OrderStatus != "" && w.Status != f.OrderStatus,
			f.CreateTimeGE != 0 && w.CreateTime < f.CreateTimeGE,
			f.CreateTimeLT != 0 && w.CreateTime >= f.CreateTimeLT,
			f.UpdateTimeGE != 0 && w.UpdateTime < f.UpdateTimeGE,
			f.UpdateTimeLT != 0 && w.UpdateTime >= f.UpdateTimeLT,
			f.ShippingType != "" && w.ShippingType != f.ShippingType,
			f.BuyerUserID != "" && w.UserID != f.BuyerUserID,
			f.IsBuyerRequestCancel != nil && w.IsBuyerRequestCancel != *f.IsBuyerRequestCancel,
			len(whs) > 0 && !whs[w.WarehouseID]:
			continue
		}
		key := w.CreateTime
		if p.sortField == "update_time" {
			key = w.UpdateTime
		}
		rows = append(rows, row{key: key, id: w.ID, idx: i})
	}
	page, next, aerr := pageOf(rows, p, filter)
	if aerr != nil {
		return nil, aerr
	}
	orders := make([]Order, 0, len(page))
	for _, r := range page {
		o := s.orderList[r.idx]
		s.readLocked(o, c.now)
		orders = append(orders, copyOrder(&o.w))
	}
	return map[string]any{"orders": orders, "next_page_token": next, "total_count": len(rows)}, nil
}

func (s *Sim) orderDetail(c *reqCtx) (any, *apiError) {
	raw := c.query.Get("ids")
	if raw == "" {
		return nil, badParam("ids is required: comma-separated order ids, at most 50")
	}
	ids := strings.Split(raw, ",")
	if len(ids) > 50 {
		return nil, badParam("ids has %d order ids, at most 50 are allowed per call", len(ids))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick(c.now)
	orders := []Order{}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if o, ok := s.orders[id]; ok {
			s.readLocked(o, c.now)
			cp := copyOrder(&o.w)
			s.lagged(&cp, c.now)
			orders = append(orders, cp)
		}
	}
	return map[string]any{"orders": orders}, nil
}

func (s *Sim) productDetail(c *reqCtx) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.products[c.params["id"]]
	if !ok {
		return nil, errf(http.StatusOK, CodeNotFound, "Product %s does not exist in this shop", c.params["id"])
	}
	type idCode struct {
		Code string `json:"code"`
		Type string `json:"type"`
	}
	type skuJSON struct {
		ID             string            `json:"id"`
		SellerSKU      string            `json:"seller_sku"`
		Price          map[string]string `json:"price"`
		IdentifierCode *idCode           `json:"identifier_code,omitempty"`
		SalesAttrs     []map[string]any  `json:"sales_attributes"`
		Inventory      []map[string]any  `json:"inventory"`
	}
	var skus []skuJSON
	for _, k := range p.skus {
		j := skuJSON{ID: k.id, SellerSKU: k.sellerSKU, Price: map[string]string{"currency": "USD", "sale_price": money(p.price), "tax_exclusive_price": money(p.price)},
			SalesAttrs: []map[string]any{{"name": "Variant", "value_name": k.name}},
			Inventory:  []map[string]any{{"quantity": 500, "warehouse_id": s.opts.WarehouseID}}}
		if k.gtin != "" {
			t := "UPC"
			if len(k.gtin) == 13 {
				t = "EAN"
			}
			j.IdentifierCode = &idCode{Code: k.gtin, Type: t}
		}
		skus = append(skus, j)
	}
	types := []string{}
	var combined []map[string]any
	if len(p.bundle) > 0 {
		types = append(types, "COMBINED_PRODUCT")
		for _, bp := range p.bundle {
			combined = append(combined, map[string]any{"sku_id": bp.sku.id, "product_id": bp.sku.prod.id, "sku_count": bp.count})
		}
	}
	data := map[string]any{
		"id": p.id, "title": p.title, "status": "ACTIVATE", "create_time": p.created.Unix(), "update_time": p.created.Unix(),
		"skus": skus, "package_weight": p.weight, "package_dimensions": p.dims, "product_types": types,
		"is_cod_allowed": false, "has_dangerous_goods": p.hazmat,
	}
	if combined != nil {
		data["combined_skus"] = combined
	}
	return data, nil
}

// Shipping services the simulator sells.
type service struct {
	id, name, providerID, provider string
	maxMass                        float64 // pounds
	base, perLb                    int     // cents
	minDays, maxDays               int
}

var services = []service{
	{"7208502187360519982", "USPS Ground Advantage", "7117858858072016686", "USPS", 70, 495, 55, 2, 5},
	{"7208502187360519983", "UPS Ground", "7117859084911642370", "UPS", 150, 899, 42, 1, 5},
	{"7208502187360519984", "FedEx Ground Economy", "7212608507307099909", "FedEx", 70, 799, 48, 2, 7},
}

// defaultService is what TikTok picks when the seller names no service:
// USPS up to 20 lb, UPS above.
func defaultService(lb float64) service {
	if lb <= 20 {
		return services[0]
	}
	return services[1]
}

func servicePrice(sv service, lb float64) string {
	cents := sv.base + int(lb*float64(sv.perLb)+0.999)
	return money(cents)
}

func (s *Sim) shippingServices(c *reqCtx) (any, *apiError) {
	var body struct {
		OrderLineItemIDs []string   `json:"order_line_item_ids"`
		Weight           *Weight    `json:"weight"`
		Dimension        *Dimension `json:"dimension"`
	}
	if err := decodeJSON(c.body, &body); err != nil {
		return nil, badParam("%v", err)
	}
	req, err := decodeCreatePackage(mustJSON(map[string]any{"order_id": c.params["id"], "order_line_item_ids": body.OrderLineItemIDs, "weight": body.Weight, "dimension": body.Dimension}))
	if err != nil {
		return nil, badParam("%v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orders[req.OrderID]; !ok {
		return nil, errf(http.StatusOK, CodeNotFound, "Order %s does not exist in this shop", req.OrderID)
	}
	lb := float64(req.Mass) / float64(453_592_370)
	def := defaultService(lb)
	var out []map[string]any
	for _, sv := range services {
		if lb > sv.maxMass {
			continue
		}
		out = append(out, map[string]any{
			"id": sv.id, "name": sv.name, "price": servicePrice(sv, lb), "currency": "USD", "is_default": sv.id == def.id,
			"shipping_provider_id": sv.providerID, "shipping_provider_name": sv.provider,
			"earliest_delivery_days": sv.minDays, "latest_delivery_days": sv.maxDays,
		})
	}
	return map[string]any{"shipping_services": out}, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("tiktoksim: marshal: " + err.Error())
	}
	return b
}

func (s *Sim) createPackages(c *reqCtx) (any, *apiError) {
	// Count the attempt before any validation that needs the order: a
	// client that buys twice must be seen buying twice.
	var probe struct {
		OrderID string `json:"order_id"`
	}
	_ = json.Unmarshal(c.body, &probe)
	req, err := decodeCreatePackage(c.body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orders[probe.OrderID]; ok {
		s.purchases[probe.OrderID]++
		s.totalPurchases++
	}
	if err != nil {
		return nil, badParam("%v", err)
	}
	s.tick(c.now)
	return s.createPackageLocked(req, c.now)
}

// createPackageLocked buys a label for the request's line items.
func (s *Sim) createPackageLocked(req createPackageReq, now time.Time) (any, *apiError) {
	o, ok := s.orders[req.OrderID]
	if !ok {
		return nil, errf(http.StatusOK, CodeNotFound, "Order %s does not exist in this shop", req.OrderID)
	}
	w := &o.w
	if w.FulfillmentType != "FULFILLMENT_BY_SELLER" {
		return nil, errf(http.StatusOK, CodeOrderStatus, "Order %s is fulfilled by TikTok: the seller cannot ship it", w.ID)
	}
	switch w.Status {
	case StatusAwaitingShipment, StatusPartiallyShipping:
	case StatusOnHold:
		return nil, errf(http.StatusOK, CodeOrderStatus, "Order %s is ON_HOLD (buyer cancellation window): it cannot be shipped yet", w.ID)
	case StatusCancelled:
		return nil, errf(http.StatusOK, CodeOrderStatus, "Order %s is CANCELLED: it cannot be shipped", w.ID)
	default:
		return nil, errf(http.StatusOK, CodeOrderStatus, "Order %s is %s, not AWAITING_SHIPMENT: shipping has already been arranged", w.ID, w.Status)
	}
	if w.IsBuyerRequestCancel {
		return nil, errf(http.StatusOK, CodeAfterSaleRequest, "Package item has after-sale request: order %s has a pending buyer cancellation", w.ID)
	}
	idx := map[string]int{}
	for i, li := range w.LineItems {
		idx[li.ID] = i
	}
	for _, id := range req.LineItemIDs {
		i, ok := idx[id]
		if !ok {
			return nil, badParam("order line item %s does not belong to order %s", id, w.ID)
		}
		li := w.LineItems[i]
		if li.CancelUser != "" {
			return nil, errf(http.StatusOK, CodeOrderStatus, "Order line item %s is cancelled", id)
		}
		if li.PackageID != "" {
			return nil, errf(http.StatusOK, CodeLineItemsPackaged, "Order line item %s is already in package %s: shipping has already been arranged", id, li.PackageID)
		}
	}
	lb := float64(req.Mass) / float64(453_592_370)
	sv := defaultService(lb)
	if req.ShippingServiceID != "" {
		found := false
		for _, x := range services {
			if x.id == req.ShippingServiceID {
				sv, found = x, true
			}
		}
		if !found {
			return nil, badParam("shipping_service_id %s is not offered for this order: query the eligible shipping services", req.ShippingServiceID)
		}
	}
	if lb > sv.maxMass {
		return nil, errf(http.StatusOK, CodeInvalidParameter, "Invalid parameter: weight %s %s exceeds %s's limit of %g lb", req.Weight.Value, req.Weight.Unit, sv.name, sv.maxMass)
	}

	pkgID := s.ids.next("11529", 19)
	info := ShippingServiceInfo{ID: sv.id, Name: sv.name, Price: servicePrice(sv, lb), Currency: "USD", ShippingProviderID: sv.providerID, ShippingProviderName: sv.provider}
	tracking := s.trackingNumber(sv)
	p := &simPackage{orderID: w.ID}
	p.w = Package{
		PackageID: pkgID, PackageStatus: "PROCESSING", PackageSubStatus: "CREATED", TrackingNumber: tracking,
		ShippingProviderID: sv.providerID, ShippingProviderName: sv.provider, ShippingServiceInfo: info,
		HandoverMethod: "DROP_OFF", Weight: req.Weight, Dimension: req.Dimension,
		OrderLineItemIDs: append([]string(nil), req.LineItemIDs...), SplitAndCombineTag: "",
		RecipientAddress: w.RecipientAddress, CreateTime: now.Unix(), UpdateTime: now.Unix(),
	}
	skuCount := map[string]int{}
	var skuOrder []string
	for _, id := range req.LineItemIDs {
		li := &w.LineItems[idx[id]]
		li.PackageID, li.PackageStatus = pkgID, "PROCESSING"
		li.TrackingNumber, li.ShippingProviderID, li.ShippingProvider = tracking, sv.providerID, sv.provider
		if skuCount[li.SKUID] == 0 {
			skuOrder = append(skuOrder, li.SKUID)
		}
		skuCount[li.SKUID]++
	}
	po := PackageOrder{ID: w.ID}
	for _, id := range skuOrder {
		name := ""
		if k := s.skus[id]; k != nil {
			name = k.prod.title
		}
		po.SKUs = append(po.SKUs, PackageSKU{ID: id, Name: name, Quantity: skuCount[id]})
	}
	p.w.Orders = []PackageOrder{po}
	s.packages[pkgID] = p
	s.packageList = append(s.packageList, p)

	w.Packages = append(w.Packages, PackageRef{ID: pkgID})
	w.TrackingNumber, w.ShippingProviderID, w.ShippingProvider = tracking, sv.providerID, sv.provider
	w.Status = StatusAwaitingCollection
	for _, li := range w.LineItems {
		if li.PackageID == "" && li.CancelUser == "" {
			w.Status = StatusPartiallyShipping
		}
	}
	w.UpdateTime = now.Unix()
	s.setDisplayStatus(o)

	var addr []string
	if a := w.RecipientAddress; a != nil {
		addr = append(addr, a.Name, a.AddressLine1)
		city, state := "", ""
		for _, d := range a.DistrictInfo {
			switch d.AddressLevel {
			case "L1":
				state = stateCode(d.AddressName)
			case "L3":
				city = d.AddressName
			}
		}
		addr = append(addr, fmt.Sprintf("%s, %s %s", city, state, a.PostalCode), "United States")
	}
	p.label = Label{
		TrackingNumber: tracking, Carrier: sv.provider, Service: sv.name, OrderID: w.ID, PackageID: pkgID,
		ShipTo: addr, From: []string{s.opts.ShopName, warehouseName(w.WarehouseID == s.opts.WarehouseID), "400 Industrial Pkwy", "Reno, NV 89502"},
		WeightText: req.Weight.Value + " " + req.Weight.Unit, Created: now,
	}
	s.log.Info("tiktoksim: label bought", "order", w.ID, "package", pkgID, "tracking", tracking, "weight", req.Weight.Value+" "+req.Weight.Unit)
	return map[string]any{
		"package_id": pkgID, "order_id": w.ID, "order_line_item_ids": req.LineItemIDs, "create_time": now.Unix(),
		"weight": req.Weight, "dimension": req.Dimension, "shipping_service_info": info,
	}, nil
}

func stateCode(name string) string {
	for _, r := range recipients {
		if r.stateName == name {
			return r.state
		}
	}
	return name
}

// trackingNumber makes a carrier-shaped tracking number from the simulator's
// generator, so it is reproducible for a seed.
func (s *Sim) trackingNumber(sv service) string {
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + s.rng.IntN(10))
		}
		return string(b)
	}
	for {
		var t string
		switch sv.provider {
		case "USPS":
			t = "9400111" + digits(15)
		case "UPS":
			const an = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
			b := []byte("1Z")
			for range 6 {
				b = append(b, an[s.rng.IntN(len(an))])
			}
			t = string(b) + "03" + digits(8)
		default:
			t = "7946" + digits(8)
		}
		if !s.ids.used[t] {
			s.ids.used[t] = true
			return t
		}
	}
}

func (s *Sim) packageDetail(c *reqCtx) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.packages[c.params["id"]]
	if !ok {
		return nil, errf(http.StatusOK, CodeNotFound, "Package %s does not exist in this shop", c.params["id"])
	}
	return copyPackage(&p.w), nil
}

func (s *Sim) searchPackages(c *reqCtx) (any, *apiError) {
	p, aerr := readPage(c.query, 50, "create_time", "update_time", "order_pay_time")
	if aerr != nil {
		return nil, aerr
	}
	f, err := decodeSearchPackages(c.body)
	if err != nil {
		return nil, badParam("%v", err)
	}
	filter := filterHash(string(c.body), p.sortField, p.desc)
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := make([]row, 0, len(s.packageList))
	for i, pk := range s.packageList {
		w := &pk.w
		switch {
		case f.PackageStatus != "" && w.PackageStatus != f.PackageStatus,
			f.CreateTimeGE != 0 && w.CreateTime < f.CreateTimeGE,
			f.CreateTimeLT != 0 && w.CreateTime >= f.CreateTimeLT,
			f.UpdateTimeGE != 0 && w.UpdateTime < f.UpdateTimeGE,
			f.UpdateTimeLT != 0 && w.UpdateTime >= f.UpdateTimeLT:
			continue
		}
		key := w.CreateTime
		switch p.sortField {
		case "update_time":
			key = w.UpdateTime
		case "order_pay_time":
			key = s.orders[pk.orderID].w.PaidTime
		}
		rows = append(rows, row{key: key, id: w.PackageID, idx: i})
	}
	page, next, aerr := pageOf(rows, p, filter)
	if aerr != nil {
		return nil, aerr
	}
	type pkgJSON struct {
		ID                   string         `json:"id"`
		Status               string         `json:"status"`
		TrackingNumber       string         `json:"tracking_number"`
		ShippingProviderID   string         `json:"shipping_provider_id"`
		ShippingProviderName string         `json:"shipping_provider_name"`
		OrderLineItemIDs     []string       `json:"order_line_item_ids"`
		Orders               []PackageOrder `json:"orders"`
		CreateTime           int64          `json:"create_time"`
		UpdateTime           int64          `json:"update_time"`
	}
	out := make([]pkgJSON, 0, len(page))
	for _, r := range page {
		w := copyPackage(&s.packageList[r.idx].w)
		out = append(out, pkgJSON{ID: w.PackageID, Status: w.PackageStatus, TrackingNumber: w.TrackingNumber, ShippingProviderID: w.ShippingProviderID,
			ShippingProviderName: w.ShippingProviderName, OrderLineItemIDs: w.OrderLineItemIDs, Orders: w.Orders, CreateTime: w.CreateTime, UpdateTime: w.UpdateTime})
	}
	return map[string]any{"packages": out, "next_page_token": next, "total_count": len(rows)}, nil
}

func (s *Sim) shippingDocument(c *reqCtx) (any, *apiError) {
	q := c.query
	switch dt := q.Get("document_type"); dt {
	case "SHIPPING_LABEL", "SHIPPING_LABEL_AND_PACKING_SLIP", "PACKING_SLIP":
	case "":
		return nil, badParam("document_type is required: SHIPPING_LABEL, PACKING_SLIP or SHIPPING_LABEL_AND_PACKING_SLIP")
	case "SHIPPING_LABEL_PICTURE", "HAZMAT_LABEL", "INVOICE_LABEL":
		return nil, badParam("document_type %s is not available for this package: use SHIPPING_LABEL", dt)
	default:
		return nil, badParam("document_type %q is unknown", dt)
	}
	switch ds := q.Get("document_size"); ds {
	case "", "A6", "A5":
	default:
		return nil, badParam("document_size %q is not supported: use A6 or A5 (there is no 4x6 value)", ds)
	}
	switch df := q.Get("document_format"); df {
	case "", "PDF":
	case "ZPL":
		return nil, badParam("document_format ZPL is only available in BR and MX: use PDF")
	default:
		return nil, badParam("document_format %q is unknown: use PDF", df)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.packages[c.params["id"]]
	if !ok {
		return nil, errf(http.StatusOK, CodeNotFound, "Package %s does not exist in this shop", c.params["id"])
	}
	if p.w.PackageStatus == "CANCELLED" {
		return nil, errf(http.StatusOK, CodePackageUnavailable, "Package %s is cancelled: its shipping label is void", p.w.PackageID)
	}
	tok := s.secretLocked("doc")[:32]
	s.docs[tok] = &doc{packageID: p.w.PackageID, expires: c.now.Add(s.opts.DocTTL)}
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return map[string]any{
		"doc_url":         scheme + "://" + c.r.Host + "/_sim/docs/" + tok + ".pdf",
		"tracking_number": p.w.TrackingNumber,
	}, nil
}

func (s *Sim) warehouseAddress(id string) *Address {
	return &Address{AddressLine1: "400 Industrial Pkwy", FullAddress: "400 Industrial Pkwy, Reno, NV 89502, United States", PostalCode: "89502", RegionCode: "US",
		DistrictInfo: []DistrictInfo{{AddressLevelName: "country", AddressName: "United States", AddressLevel: "L0"}, {AddressLevelName: "State", AddressName: "Nevada", AddressLevel: "L1"}, {AddressLevelName: "City", AddressName: "Reno", AddressLevel: "L3"}}}
}

func (s *Sim) warehouses(c *reqCtx) (any, *apiError) {
	wh := func(id, name, typ string, def bool) map[string]any {
		return map[string]any{"id": id, "name": name, "type": typ, "effect_status": "ENABLED", "is_default": def, "sub_type": "DOMESTIC_WAREHOUSE", "address": s.warehouseAddress(id)}
	}
	return map[string]any{"warehouses": []map[string]any{
		wh(s.opts.WarehouseID, warehouseName(true), "SALES_WAREHOUSE", true),
		wh(s.otherWarehouseID, warehouseName(false), "SALES_WAREHOUSE", false),
		wh(s.returnWarehouse, "Reno Returns", "RETURN_WAREHOUSE", true),
	}}, nil
}

func (s *Sim) deliveryOptions(c *reqCtx) (any, *apiError) {
	id := c.params["id"]
	if id != s.opts.WarehouseID && id != s.otherWarehouseID {
		return nil, errf(http.StatusOK, CodeNotFound, "Warehouse %s does not exist in this shop", id)
	}
	return map[string]any{"delivery_options": []map[string]any{{
		"id": "7091146663229654785", "name": "Standard shipping", "type": "STANDARD",
		"weight_limit":    map[string]any{"min_weight": 1, "max_weight": 68038, "unit": "GRAM"},
		"dimension_limit": map[string]any{"max_length": 108, "max_width": 108, "max_height": 108, "unit": "INCH"},
	}}}, nil
}

// serveDoc serves a doc_url: the label PDF while the link is valid.
func (s *Sim) serveDoc(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/_sim/docs/")
	tok, ok := strings.CutSuffix(name, ".pdf")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	now := s.Now()
	s.mu.Lock()
	d := s.docs[tok]
	var p *simPackage
	if ok && d != nil {
		p = s.packages[d.packageID]
	}
	s.mu.Unlock()
	if p == nil {
		http.Error(w, "NoSuchKey: the document does not exist", http.StatusNotFound)
		return
	}
	if !d.expires.After(now) {
		http.Error(w, "AccessDenied: Request has expired; ask Get Package Shipping Document for a new doc_url", http.StatusForbidden)
		return
	}
	pdf, err := s.labelPDF(p)
	if err != nil {
		s.log.Error("tiktoksim: render label", "package", d.packageID, "err", err)
		http.Error(w, "render label: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Length", strconv.Itoa(len(pdf)))
	w.Header().Set("Content-Disposition", `inline; filename="`+d.packageID+`.pdf"`)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(pdf)
	}
}

// labelPDF renders (once) and returns the package's label.
func (s *Sim) labelPDF(p *simPackage) ([]byte, error) {
	s.mu.Lock()
	pdf, l := p.pdf, p.label
	s.mu.Unlock()
	if pdf != nil {
		return pdf, nil
	}
	pdf, err := LabelPDF(l)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	p.pdf = pdf
	s.mu.Unlock()
	return pdf, nil
}

// warehouseName names the simulator's main or overflow sales warehouse.
func warehouseName(main bool) string {
	if main {
		return "Reno Packing Floor"
	}
	return "Columbus Overflow"
}
