package tiktok

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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

	n := 2*len(secret) + len(path) + len(body)
	for _, k := range keys {
		n += len(k) + len(query[k])
		for _, v := range query[k] {
			n += len(v)
		}
	}
	msg := make([]byte, 0, n)
	msg = append(msg, secret...)
	msg = append(msg, path...)
	for _, k := range keys {
		msg = append(msg, k...)
		for i, v := range query[k] {
			if i > 0 {
				msg = append(msg, ',')
			}
			msg = append(msg, v...)
		}
	}
	if !isMultipart(contentType) {
		msg = append(msg, body...)
	}
	msg = append(msg, secret...)

	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(msg)
	return hex.EncodeToString(mac.Sum(nil))
}

// isMultipart reports whether contentType is multipart/form-data, whose
// bodies are not signed.
func isMultipart(contentType string) bool {
	const mt = "multipart/form-data"
	ct := strings.TrimSpace(contentType)
	if len(ct) < len(mt) || !strings.EqualFold(ct[:len(mt)], mt) {
		return false
	}
	rest := strings.TrimSpace(ct[len(mt):])
	return rest == "" || rest[0] == ';'
}
