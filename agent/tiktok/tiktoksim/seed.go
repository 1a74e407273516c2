package tiktoksim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/packline/packline/agent/order"
)

// CatalogItem is one physical SKU the simulator sells, with the barcode
// printed on it, so tests and the demo can "scan" items.
type CatalogItem struct {
	SKUID     string `json:"sku_id"`
	SellerSKU string `json:"seller_sku"`
	ProductID string `json:"product_id"`
	Name      string `json:"name"`
	// GTIN is a GTIN-13 (EAN) or a 12-digit UPC-A, with a valid check digit.
	GTIN string `json:"gtin"`
	// Weight is the product's package weight (the catalogue weight), in
	// micrograms on the wire.
	Weight order.Mass `json:"weight"`
	Hazmat bool       `json:"hazmat,omitempty"`
}

type product struct {
	id      string
	title   string
	weight  Weight // product units: KILOGRAM or POUND
	mass    order.Mass
	dims    Dimension // CENTIMETER or INCH
	hazmat  bool
	gift    bool
	bundle  []bundlePart
	skus    []*sku
	price   int // cents
	created time.Time
}

type sku struct {
	id        string
	sellerSKU string
	name      string // variant name, e.g. "Red, L"
	gtin      string
	prod      *product
}

type bundlePart struct {
	sku   *sku
	count int
}

// productTemplate is a kind of product the seeded shop sells.
type productTemplate struct {
	title    string
	grams    int
	cm       [3]float64
	hazmat   bool
	gift     bool
	price    int
	variants []string
	code     string
}

var productTemplates = []productTemplate{
	{"Insulated Water Bottle 32oz", 520, [3]float64{28, 10, 10}, false, false, 2499, []string{"Black", "Sage", "Coral"}, "BTL"},
	{"Cotton Crew T-Shirt", 180, [3]float64{25, 20, 3}, false, false, 1599, []string{"Red, M", "Red, L", "Navy, M", "Navy, L"}, "TEE"},
	{"Wireless Earbuds", 120, [3]float64{12, 9, 5}, false, false, 3999, []string{"White"}, "EAR"},
	{"Lithium Power Bank 10000mAh", 240, [3]float64{15, 8, 3}, true, false, 2999, []string{"Black"}, "PWR"},
	{"Ceramic Coffee Mug 12oz", 380, [3]float64{12, 12, 11}, false, false, 1499, []string{"White", "Navy"}, "MUG"},
	{"Yoga Mat 6mm", 1100, [3]float64{62, 15, 15}, false, false, 3499, []string{"Purple", "Grey"}, "YOG"},
	{"Gel Nail Polish Set", 210, [3]float64{14, 10, 6}, true, false, 1899, []string{"Nudes", "Brights"}, "NPL"},
	{"Eau de Parfum 50ml", 300, [3]float64{12, 8, 6}, true, false, 5900, []string{"Amber"}, "PRF"},
	{"Slim Phone Case", 60, [3]float64{18, 10, 2}, false, false, 1299, []string{"iPhone 16", "iPhone 16 Pro", "Galaxy S25"}, "CSE"},
	{"Running Socks 3-Pack", 150, [3]float64{20, 12, 4}, false, false, 1199, []string{"M", "L"}, "SCK"},
	{"LED Desk Lamp", 900, [3]float64{40, 15, 12}, false, false, 4299, []string{"Black"}, "LMP"},
	{"Soy Scented Candle", 450, [3]float64{10, 10, 11}, false, false, 1999, []string{"Vanilla", "Cedar"}, "CND"},
	{"Stainless Steel Tumbler 20oz", 410, [3]float64{22, 9, 9}, false, false, 2199, []string{"Silver"}, "TMB"},
	{"Classic Canvas Sneakers", 950, [3]float64{33, 21, 12}, false, false, 5499, []string{"8", "9", "10", "11"}, "SNK"},
	{"Silicone Spatula Set", 260, [3]float64{30, 9, 4}, false, false, 1399, []string{"Teal"}, "SPT"},
	{"Lip Balm Sample", 15, [3]float64{8, 3, 2}, false, true, 0, []string{"Mint"}, "GFT"},
}

// idGen hands out unique numeric ids of TikTok's lengths.
type idGen struct {
	rng  *rand.Rand
	used map[string]bool
}

func (g *idGen) next(prefix string, digits int) string {
	for {
		var b strings.Builder
		b.WriteString(prefix)
		for b.Len() < digits {
			b.WriteByte(byte('0' + g.rng.IntN(10)))
		}
		id := b.String()
		if !g.used[id] {
			g.used[id] = true
			return id
		}
	}
}

// gtinCheckDigit computes the GS1 check digit for the digits of a GTIN
// without its check digit.
func gtinCheckDigit(body string) byte {
	sum := 0
	for i := 0; i < len(body); i++ {
		d := int(body[len(body)-1-i] - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// ValidGTIN reports whether code is an 8, 12, 13 or 14 digit GTIN with a
// correct check digit.
func ValidGTIN(code string) bool {
	switch len(code) {
	case 8, 12, 13, 14:
	default:
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return gtinCheckDigit(code[:len(code)-1]) == code[len(code)-1]
}

// seedCatalog builds the shop's products from the seed: every template as a
// product with its variants as SKUs, plus two virtual bundles.
func (s *Sim) seedCatalog(now time.Time) {
	for i, t := range productTemplates {
		p := &product{
			id:      s.ids.next("17293", 19),
			title:   t.title,
			hazmat:  t.hazmat,
			gift:    t.gift,
			price:   t.price,
			created: now.Add(-time.Duration(200+i*7) * 24 * time.Hour),
		}
		// Package weight: the item plus its retail packaging, a little
		// different per seed; US shops declare it in POUND or KILOGRAM.
		grams := t.grams + s.rng.IntN(t.grams/10+3)
		if s.rng.IntN(3) > 0 {
			p.weight = Weight{Value: decimalCeil(float64(grams)/453.59237, 2), Unit: "POUND"}
			p.dims = Dimension{Length: decimalCeil(t.cm[0]/2.54, 1), Width: decimalCeil(t.cm[1]/2.54, 1), Height: decimalCeil(t.cm[2]/2.54, 1), Unit: "INCH"}
		} else {
			p.weight = Weight{Value: decimalCeil(float64(grams)/1000, 3), Unit: "KILOGRAM"}
			p.dims = Dimension{Length: decimalCeil(t.cm[0], 0), Width: decimalCeil(t.cm[1], 0), Height: decimalCeil(t.cm[2], 0), Unit: "CENTIMETER"}
		}
		m, err := order.ParseMass(p.weight.Value, p.weight.Unit)
		if err != nil {
			panic("tiktoksim: seeded weight does not parse: " + err.Error())
		}
		p.mass = m
		for j, v := range t.variants {
			k := &sku{
				id:        s.ids.next("17294", 19),
				sellerSKU: fmt.Sprintf("%s-%02d-%s", t.code, j+1, variantCode(v)),
				name:      v,
				prod:      p,
			}
			if (i+j)%2 == 0 {
				k.gtin = s.gtin("0", 12) // UPC-A
			} else {
				k.gtin = s.gtin("50", 13) // EAN-13
			}
			p.skus = append(p.skus, k)
			s.skus[k.id] = k
		}
		s.products[p.id] = p
		s.productList = append(s.productList, p)
	}
	s.addBundle("Coffee Lovers Bundle", "BND-COFFEE", []bundlePart{{s.productList[4].skus[0], 2}, {s.productList[12].skus[0], 1}})
	s.addBundle("Self-Care Night In Bundle", "BND-SELFCARE", []bundlePart{{s.productList[11].skus[0], 1}, {s.productList[6].skus[0], 1}, {s.productList[15].skus[0], 1}})
}

func (s *Sim) addBundle(title, sellerSKU string, parts []bundlePart) {
	p := &product{id: s.ids.next("17293", 19), title: title, bundle: parts, created: s.productList[0].created}
	var total order.Mass
	for _, bp := range parts {
		total += bp.sku.prod.mass * order.Mass(bp.count)
		p.price += bp.sku.prod.price * bp.count
		p.hazmat = p.hazmat || bp.sku.prod.hazmat
	}
	p.price = p.price * 85 / 100
	p.mass = total
	p.weight = Weight{Value: decimalCeil(float64(total)/float64(order.Pound), 2), Unit: "POUND"}
	p.dims = Dimension{Length: "12", Width: "10", Height: "6", Unit: "INCH"}
	k := &sku{id: s.ids.next("17294", 19), sellerSKU: sellerSKU, name: "Bundle", prod: p}
	p.skus = []*sku{k}
	s.skus[k.id] = k
	s.products[p.id] = p
	s.productList = append(s.productList, p)
}

func (s *Sim) gtin(prefix string, n int) string {
	for {
		var b strings.Builder
		b.WriteString(prefix)
		for b.Len() < n-1 {
			b.WriteByte(byte('0' + s.rng.IntN(10)))
		}
		body := b.String()
		code := body + string(gtinCheckDigit(body))
		if !s.gtins[code] {
			s.gtins[code] = true
			return code
		}
	}
}

func variantCode(v string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(v) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	if b.Len() > 6 {
		return b.String()[:6]
	}
	return b.String()
}

// decimalCeil formats v rounded up to dec decimals.
func decimalCeil(v float64, dec int) string {
	p := 1.0
	for range dec {
		p *= 10
	}
	n := int64(v*p + 0.999999)
	if n < 1 {
		n = 1
	}
	s := strconv.FormatInt(n, 10)
	if dec == 0 {
		return s
	}
	for len(s) <= dec {
		s = "0" + s
	}
	return s[:len(s)-dec] + "." + s[len(s)-dec:]
}

func money(cents int) string {
	return fmt.Sprintf("%d.%02d", cents/100, cents%100)
}

// Recipients of seeded orders: commercial US addresses, names desensitised.
var recipients = []struct {
	first, last, line1, city, county, state, stateName, zip string
}{
	{"Jordan", "Avery", "1200 Commerce St Ste 210", "Dallas", "Dallas County", "TX", "Texas", "75202"},
	{"Maria", "Lopez", "455 Market St Fl 3", "San Francisco", "San Francisco County", "CA", "California", "94105"},
	{"Devon", "Price", "88 Pine St Unit 5", "New York", "New York County", "NY", "New York", "10005"},
	{"Aisha", "Khan", "2300 N Clark St", "Chicago", "Cook County", "IL", "Illinois", "60614"},
	{"Chris", "Nguyen", "701 5th Ave Ste 4200", "Seattle", "King County", "WA", "Washington", "98104"},
	{"Taylor", "Brooks", "150 Peachtree St NW", "Atlanta", "Fulton County", "GA", "Georgia", "30303"},
	{"Sam", "Ortiz", "1 Biscayne Blvd", "Miami", "Miami-Dade County", "FL", "Florida", "33132"},
	{"Riley", "Chen", "600 Congress Ave", "Austin", "Travis County", "TX", "Texas", "78701"},
	{"Morgan", "Patel", "100 Federal St", "Boston", "Suffolk County", "MA", "Massachusetts", "02110"},
	{"Jamie", "Walker", "1801 California St", "Denver", "Denver County", "CO", "Colorado", "80202"},
}

var buyerMessages = []string{"", "", "", "Please pack carefully, it's a gift!", "Leave at the front desk.", ""}

// mask desensitises a name the way TikTok does: first and last letter kept.
func mask(name string) string {
	if len(name) <= 2 {
		return name[:1] + "*"
	}
	return name[:1] + "***" + name[len(name)-1:]
}

func (s *Sim) randomAddress() *Address {
	r := recipients[s.rng.IntN(len(recipients))]
	full := fmt.Sprintf("%s, %s, %s, %s %s, United States", r.line1, r.city, r.county, r.state, r.zip)
	return &Address{
		Name:         mask(r.first) + " " + mask(r.last),
		FirstName:    mask(r.first),
		LastName:     mask(r.last),
		PhoneNumber:  fmt.Sprintf("(+1)%03d*****%02d", 200+s.rng.IntN(700), s.rng.IntN(100)),
		AddressLine1: r.line1,
		FullAddress:  full,
		PostalCode:   r.zip,
		RegionCode:   "US",
		DistrictInfo: []DistrictInfo{
			{AddressLevelName: "country", AddressName: "United States", AddressLevel: "L0"},
			{AddressLevelName: "State", AddressName: r.stateName, AddressLevel: "L1"},
			{AddressLevelName: "County", AddressName: r.county, AddressLevel: "L2"},
			{AddressLevelName: "City", AddressName: r.city, AddressLevel: "L3"},
		},
	}
}

// addBusinessDays returns t plus n business days (Monday to Friday).
func addBusinessDays(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.Add(24 * time.Hour)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return t
}

// orderKind is how a seeded order starts.
type orderKind int

const (
	kindReady orderKind = iota
	kindOnHold
	kindFBT
	kindCancelled
	kindCollected
	kindOtherWarehouse
)

// seedOrders creates n orders with a realistic mix of states.
func (s *Sim) seedOrders(now time.Time, n int) {
	kinds := make([]orderKind, n)
	if n >= 8 {
		quota := func(pct int) int { return (n*pct + 99) / 100 }
		i := 0
		for _, q := range []struct {
			k orderKind
			n int
		}{{kindOnHold, quota(10)}, {kindFBT, quota(5)}, {kindCancelled, quota(5)}, {kindCollected, quota(4)}, {kindOtherWarehouse, quota(5)}} {
			for range q.n {
				kinds[i] = q.k
				i++
			}
		}
		s.rng.Shuffle(n, func(a, b int) { kinds[a], kinds[b] = kinds[b], kinds[a] })
	}
	for _, k := range kinds {
		spec := OrderSpec{}
		switch k {
		case kindOnHold:
			spec.Status = StatusOnHold
			spec.PaidTime = now.Add(-time.Duration(s.rng.Int64N(int64(s.opts.OnHoldDelay) * 8 / 10)))
		case kindFBT:
			spec.FulfillmentType = "FULFILLMENT_BY_TIKTOK"
		case kindCancelled:
			spec.Status = StatusCancelled
		case kindCollected:
			spec.Status = StatusAwaitingCollection
		case kindOtherWarehouse:
			spec.WarehouseID = s.otherWarehouseID
		}
		if spec.PaidTime.IsZero() {
			spec.PaidTime = now.Add(-s.opts.OnHoldDelay - time.Duration(s.rng.Int64N(int64(40*time.Hour))))
		}
		if _, err := s.addOrderLocked(spec, now); err != nil {
			panic("tiktoksim: seeding an order: " + err.Error())
		}
	}
	s.seedMinds(n)
}

// cancelReasons are the reasons buyers give when they cancel.
var cancelReasons = []string{"No longer needed", "Ordered by mistake", "Found a better price elsewhere", "Shipping takes too long"}

// seedMinds gives Options.MidPackCancels of the n seeded orders (at least
// one when the share is positive) a change of mind while they are packed:
// seller-fulfilled orders that are ready or on hold, picked by the seed,
// alternately a cancel request and a cancellation.
func (s *Sim) seedMinds(n int) {
	share := s.opts.MidPackCancels
	if share <= 0 {
		return
	}
	var pool []*simOrder
	for _, o := range s.orderList[len(s.orderList)-n:] {
		if o.w.FulfillmentType == "FULFILLMENT_BY_SELLER" && !o.w.IsBuyerRequestCancel && (o.w.Status == StatusAwaitingShipment || o.w.Status == StatusOnHold) {
			pool = append(pool, o)
		}
	}
	k := min(int(math.Ceil(float64(n)*share)), len(pool))
	s.rng.Shuffle(len(pool), func(a, b int) { pool[a], pool[b] = pool[b], pool[a] })
	for _, o := range pool[:k] {
		s.scheduleMind(o, len(s.mindIDs)%2 == 1)
	}
}

// randomLines picks 1 to 6 units: one to three SKUs, some of them several
// times, sometimes a bundle, sometimes a free gift.
func (s *Sim) randomLines() []*sku {
	var lines []*sku
	want := 1 + s.rng.IntN(6)
	if s.rng.IntN(7) == 0 {
		b := s.productList[len(productTemplates)+s.rng.IntN(len(s.productList)-len(productTemplates))]
		lines = append(lines, b.skus[0])
	}
	distinct := 1 + s.rng.IntN(3)
	for d := 0; d < distinct && len(lines) < want; d++ {
		p := s.productList[s.rng.IntN(len(productTemplates)-1)] // the last template is the gift
		k := p.skus[s.rng.IntN(len(p.skus))]
		units := 1
		if d == distinct-1 {
			units = want - len(lines)
		} else if s.rng.IntN(3) == 0 {
			units = 2
		}
		for range units {
			if len(lines) < 6 {
				lines = append(lines, k)
			}
		}
	}
	if len(lines) < 6 && s.rng.IntN(8) == 0 {
		lines = append(lines, s.productList[len(productTemplates)-1].skus[0])
	}
	return lines
}
