package tiktok

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"net/url"
	"sort"
	"strings"
)

// Sign computes the TikTok Shop Open API request signature: every query
// parameter except sign and access_token, sorted by key, concatenated as
// key+value with decoded values, prefixed with the request path, followed by
// the raw body unless the content type is multipart/form-data, wrapped in
// the app secret on both sides and hashed with HMAC-SHA256 keyed by the app
// secret. The result is 64 lowercase hex characters.
//
// A key with several values contributes its values comma-joined, which is how
// the client sends lists (ids=a,b). Sign the exact body bytes that are sent.
func Sign(secret, path string, query url.Values, body []byte, contentType string) string {
	keys := make([]string, 0, len(query))
	for k := range query {
		if k == "sign" || k == "access_token" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)

	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(secret))
	mac.Write([]byte(path))
	for _, k := range keys {
		mac.Write([]byte(k))
		mac.Write([]byte(strings.Join(query[k], ",")))
	}
	if !isMultipart(contentType) {
		mac.Write(body)
	}
	mac.Write([]byte(secret))
	return hex.EncodeToString(mac.Sum(nil))
}

// isMultipart reports whether contentType is multipart/form-data, whose
// bodies are not signed.
func isMultipart(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "multipart/form-data")
	}
	return mt == "multipart/form-data"
}
