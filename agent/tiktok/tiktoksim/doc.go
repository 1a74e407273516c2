// Package tiktoksim is Packline's TikTok Shop simulator. It speaks the
// Open API's real paths and JSON shapes (version 202309), verifies request
// signatures, timestamps, shop ciphers and access tokens the way TikTok
// does, seeds realistic orders for one warehouse, sells shipping labels
// (Create Packages) and serves them as real A6 PDF documents, counts label
// purchases and injects faults on demand. The demo, the integration tests
// and the benchmarks run the agent against it.
//
// # Serving
//
// New builds a simulator without opening anything; Start serves it on a
// real listener and returns the base URL, which serves both the Open API
// and the token endpoints (/api/v2/token/get and /api/v2/token/refresh), so
// the agent's api_base and auth_base are the same URL. Handler exposes the
// same thing as an http.Handler.
//
// Open API paths:
//
//	GET  /authorization/202309/shops                         (no shop_cipher)
//	POST /order/202309/orders/search                         page_size 1-100
//	GET  /order/202309/orders?ids=a,b                        (also /order/202507/orders), max 50 ids
//	GET  /product/202309/products/{id}
//	POST /fulfillment/202309/orders/{id}/shipping_services/query
//	POST /fulfillment/202309/packages                        Create Packages: buys a label
//	POST /fulfillment/202309/packages/search                 page_size 1-50
//	GET  /fulfillment/202309/packages/{id}
//	GET  /fulfillment/202309/packages/{id}/shipping_documents
//	GET  /logistics/202309/warehouses
//	GET  /logistics/202309/warehouses/{id}/delivery_options
//
// Every answer is the envelope {code, message, request_id, data}. Gateway
// refusals (app_key, sign, timestamp, token) answer HTTP 401, parameter
// errors HTTP 400, unknown paths 404 (36009009), wrong methods 405
// (36009010); business refusals (order not AWAITING_SHIPMENT, line items
// already packaged, unknown ids) answer HTTP 200 with a non-zero code, so a
// client must branch on code, as with TikTok. The Date header carries the
// simulator's clock.
//
// Label documents are served from /_sim/docs/{token}.pdf for DocTTL of sim
// time (403 afterwards, 404 for an unknown token).
//
// # Time
//
// Options.Now is the clock and Advance moves it forward. Time drives token
// expiry, the timestamp window, ON_HOLD release (OnHoldDelay after payment),
// new orders (Arrivals), buyers changing their mind while an order is being
// packed (MidPackCancels: a cancel request or a cancellation some time after
// the order is first read) and document expiry.
//
// # Control
//
// Tests drive the simulator through its methods (AddOrder, CancelOrder,
// RequestCancel, Purchases, Inject, SetOnline, ...); tools and the demo use
// the same controls as JSON under /_sim/ (see serveControl), e.g.
//
//	curl -X POST localhost:7480/_sim/faults -d '{"kind":"rate_limit","count":3,"path":"/order/"}'
//	curl -X POST localhost:7480/_sim/orders/576.../cancel
package tiktoksim
