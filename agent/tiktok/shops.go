package tiktok

import "context"

// Shop is one shop the seller authorised; Cipher is its shop_cipher.
type Shop struct {
	Cipher     string `json:"cipher"`
	Code       string `json:"code"`
	ID         string `json:"id"`
	Name       string `json:"name"`
	Region     string `json:"region"`
	SellerType string `json:"seller_type"`
}

// Shops lists the authorised shops (GET /authorization/202309/shops, sent
// without shop_cipher). It is the cheapest signed call, so it also checks
// the app key, secret and token.
func (c *Client) Shops(ctx context.Context) ([]Shop, error) {
	var d shopList
	if err := c.do(ctx, request{method: "GET", path: "/authorization/202309/shops"}, &d); err != nil {
		return nil, err
	}
	return d.Shops, nil
}

// shopList is the data of Get Authorized Shops.
type shopList struct {
	Shops []Shop `json:"shops"`
}
