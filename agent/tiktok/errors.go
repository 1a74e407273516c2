package tiktok

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// TikTok Shop error codes the client acts on.
const (
	CodeOK              = 0
	CodeRateLimited     = 36009002
	CodeInternal        = 36009003
	CodeOverloaded      = 36009004
	CodeRequestTimeout  = 36009007
	CodeInvalidPath     = 36009009
	CodeInvalidMethod   = 36009010
	CodeInvalidVersion  = 36009014
	CodeIPNotAllowed    = 36009033
	CodeInvalidAuthCode = 36004004
	CodeTokenExpired    = 105002
	CodeScopeMissing    = 105005
	CodeInvalidSign     = 106001
	CodeShopCipher      = 106013
)

// Sentinel errors. Use errors.Is: an *APIError matches the sentinel its code,
// HTTP status or message maps to.
var (
	// ErrTokenExpired: the access token expired (105002); the client has
	// already refreshed once and retried when this reaches the caller.
	ErrTokenExpired = errors.New("access token expired")
	// ErrRateLimited: too many requests (36009002 or HTTP 429).
	ErrRateLimited = errors.New("rate limited")
	// ErrSignature: TikTok rejected the request signature (106001).
	ErrSignature = errors.New("invalid request signature")
	// ErrTimestamp: the timestamp is outside TikTok's window (36009004);
	// check the machine's clock.
	ErrTimestamp = errors.New("timestamp outside the accepted window")
	// ErrInvalidToken: the access token is invalid or revoked (36009004).
	ErrInvalidToken = errors.New("invalid access token")
	// ErrInvalidAppKey: the app key is unknown (36009004).
	ErrInvalidAppKey = errors.New("invalid app key")
	// ErrShopCipher: shop_cipher missing (106013) or not expected (36009004).
	ErrShopCipher = errors.New("shop_cipher problem")
	// ErrScope: the app lacks the scope for this endpoint (105005).
	ErrScope = errors.New("scope missing")
	// ErrAuthCode: the authorisation code is invalid, used or expired (36004004).
	ErrAuthCode = errors.New("invalid, used or expired auth code")
	// ErrNotFound: the object does not exist upstream.
	ErrNotFound = errors.New("not found")
	// ErrServer: TikTok failed (HTTP 5xx, 36009003 or 36009007).
	ErrServer = errors.New("tiktok server error")
	// ErrMalformed: the response was not the JSON envelope TikTok sends.
	ErrMalformed = errors.New("malformed response")
	// ErrUnclear: a non-idempotent call (Create Packages) may or may not
	// have taken effect. Do not retry blindly: read the order's packages
	// upstream (Client.OrderPackages) to reconcile first.
	ErrUnclear = errors.New("outcome unclear: reconcile before retrying")
	// ErrNoToken: no seller token is stored; exchange an auth code first.
	ErrNoToken = errors.New("no seller token stored: authorise the shop and exchange the auth code")
	// ErrReauthorize: the refresh token has expired; the seller must
	// authorise the app again.
	ErrReauthorize = errors.New("refresh token expired: the seller must authorise the app again")
	// ErrInvalidRequest: the client refused to send an invalid request.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrDocumentExpired: a label document URL is no longer valid; fetch a
	// fresh one with ShippingDocument.
	ErrDocumentExpired = errors.New("document URL expired or invalid: fetch a fresh one with ShippingDocument")
	// ErrNoWeight: the catalogue has no package weight for a product, so
	// the expected weight of an order cannot be computed.
	ErrNoWeight = errors.New("product has no package_weight in the catalogue: set it in Seller Center")
	// ErrNotPDF: a downloaded document is not a PDF.
	ErrNotPDF = errors.New("document is not a PDF")
)

// APIError is a failure answered by TikTok: a non-zero code in the response
// envelope, or an HTTP error status.
type APIError struct {
	HTTPStatus int
	Code       int
	Message    string
	RequestID  string
	// Path is the request path, without host or query.
	Path string
	// RetryAfter is the server's Retry-After, if it sent one.
	RetryAfter time.Duration
}

// Error describes the failure with its path, code and request id.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tiktok %s: code %d", e.Path, e.Code)
	if e.Message != "" {
		fmt.Fprintf(&b, " %q", e.Message)
	}
	if e.HTTPStatus != 0 && e.HTTPStatus != http.StatusOK {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " request_id=%s", e.RequestID)
	}
	return b.String()
}

// Is reports whether the error matches one of the package's sentinels.
func (e *APIError) Is(target error) bool {
	msg := strings.ToLower(e.Message)
	switch target {
	case ErrTokenExpired:
		return e.Code == CodeTokenExpired
	case ErrRateLimited:
		return e.Code == CodeRateLimited || e.HTTPStatus == http.StatusTooManyRequests
	case ErrSignature:
		return e.Code == CodeInvalidSign || (e.Code == CodeOverloaded && overloadKind(msg) == ErrSignature)
	case ErrTimestamp, ErrInvalidToken, ErrInvalidAppKey:
		return e.Code == CodeOverloaded && overloadKind(msg) == target
	case ErrShopCipher:
		return e.Code == CodeShopCipher || (e.Code == CodeOverloaded && overloadKind(msg) == ErrShopCipher)
	case ErrScope:
		return e.Code == CodeScopeMissing
	case ErrAuthCode:
		return e.Code == CodeInvalidAuthCode
	case ErrServer:
		return e.HTTPStatus >= 500 || e.Code == CodeInternal || e.Code == CodeRequestTimeout
	case ErrNotFound:
		switch e.Code {
		case CodeInvalidPath, CodeInvalidMethod, CodeInvalidVersion, CodeOverloaded, CodeRateLimited,
			CodeInternal, CodeRequestTimeout, CodeTokenExpired, CodeScopeMissing, CodeInvalidSign,
			CodeShopCipher, CodeInvalidAuthCode, CodeIPNotAllowed:
			return false
		}
		return e.HTTPStatus == http.StatusNotFound || strings.Contains(msg, "not found") ||
			strings.Contains(msg, "not exist") || strings.Contains(msg, "does not exist")
	}
	return false
}

// overloadKind maps the message of a 36009004 answer, which TikTok uses for
// many unrelated problems, to a sentinel. The order of the checks matters:
// "timestamp" messages may also mention the token.
func overloadKind(msg string) error {
	switch {
	case strings.Contains(msg, "timestamp"):
		return ErrTimestamp
	case strings.Contains(msg, "shop_cipher") || strings.Contains(msg, "shop cipher"):
		return ErrShopCipher
	case strings.Contains(msg, "sign"):
		return ErrSignature
	case strings.Contains(msg, "app_key") || strings.Contains(msg, "app key") || strings.Contains(msg, "appkey"):
		return ErrInvalidAppKey
	case strings.Contains(msg, "token") || strings.Contains(msg, "credential"):
		return ErrInvalidToken
	}
	return nil
}

// retryable reports whether err is worth retrying for an idempotent call.
func retryable(err error) bool {
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrServer)
}
