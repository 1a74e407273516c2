package tiktok

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// envelope is TikTok's response wrapper.
type envelope struct {
	Code      *int            `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
}

// malformedError is a response that is not TikTok's JSON envelope, e.g. an
// HTML error page from a proxy.
type malformedError struct {
	path      string
	status    int
	requestID string
	detail    string
}

func (e *malformedError) Error() string {
	s := fmt.Sprintf("tiktok %s: malformed response (HTTP %d): %s", e.path, e.status, e.detail)
	if e.requestID != "" {
		s += " request_id=" + e.requestID
	}
	return s
}

// Is matches ErrMalformed, and ErrServer for 5xx statuses.
func (e *malformedError) Is(target error) bool {
	return target == ErrMalformed || (target == ErrServer && e.status >= 500)
}

// decodeEnvelope parses a response body into the envelope and turns a
// non-zero code, or an HTTP error status, into an *APIError.
func decodeEnvelope(path string, status int, h http.Header, body []byte) (envelope, error) {
	var env envelope
	logID := h.Get("X-Tt-Logid")
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return env, &malformedError{path: path, status: status, requestID: logID,
			detail: fmt.Sprintf("expected a JSON object, got %s", snippet(trimmed, h.Get("Content-Type")))}
	}
	if err := json.Unmarshal(trimmed, &env); err != nil {
		return env, &malformedError{path: path, status: status, requestID: logID,
			detail: fmt.Sprintf("invalid JSON envelope: %v", err)}
	}
	if env.RequestID == "" {
		env.RequestID = logID
	}
	if env.Code == nil {
		if status >= 300 {
			return env, &APIError{HTTPStatus: status, Code: -1, Message: strings.TrimSpace(env.Message + " " + http.StatusText(status)),
				RequestID: env.RequestID, Path: path, RetryAfter: parseRetryAfter(h, time.Now())}
		}
		return env, &malformedError{path: path, status: status, requestID: env.RequestID, detail: "envelope has no code"}
	}
	if *env.Code != CodeOK || status >= 300 {
		return env, &APIError{HTTPStatus: status, Code: *env.Code, Message: env.Message,
			RequestID: env.RequestID, Path: path, RetryAfter: parseRetryAfter(h, time.Now())}
	}
	return env, nil
}

// decodeResponse decodes a full response: the envelope, then its data into
// out (nil skips the data).
func decodeResponse(path string, status int, h http.Header, body []byte, out any) error {
	env, err := decodeEnvelope(path, status, h, body)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	data := bytes.TrimSpace(env.Data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return &malformedError{path: path, status: status, requestID: env.RequestID, detail: "success without data"}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &malformedError{path: path, status: status, requestID: env.RequestID,
			detail: fmt.Sprintf("decoding data: %v", err)}
	}
	return nil
}

// snippet describes the start of an unexpected body for an error message.
func snippet(b []byte, contentType string) string {
	if len(b) == 0 {
		return "an empty body"
	}
	const n = 80
	s := b
	if len(s) > n {
		s = s[:n]
	}
	for len(s) > 0 && !utf8.Valid(s) {
		s = s[:len(s)-1]
	}
	ct := contentType
	if ct == "" {
		ct = "no content type"
	}
	return fmt.Sprintf("%s starting %q", ct, s)
}

// Unix is a TikTok timestamp in Unix seconds. It decodes from a JSON number
// or a numeric string; null and "" decode to 0 (unset).
type Unix int64

// UnmarshalJSON accepts 1700000000, "1700000000", null and "".
func (u *Unix) UnmarshalJSON(b []byte) error {
	n, err := flexInt(b)
	if err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	*u = Unix(n)
	return nil
}

// Time returns u as a UTC time, or the zero time when u is 0.
func (u Unix) Time() time.Time {
	if u == 0 {
		return time.Time{}
	}
	return time.Unix(int64(u), 0).UTC()
}

// Int is an integer TikTok may send as a number or a numeric string.
type Int int64

// UnmarshalJSON accepts 3, "3", null and "".
func (i *Int) UnmarshalJSON(b []byte) error {
	n, err := flexInt(b)
	if err != nil {
		return err
	}
	*i = Int(n)
	return nil
}

// flexInt parses a JSON integer, a string holding one, null or "".
func flexInt(b []byte) (int64, error) {
	s := string(bytes.TrimSpace(b))
	if s == "null" || s == `""` {
		return 0, nil
	}
	if len(s) >= 2 && s[0] == '"' {
		var str string
		if err := json.Unmarshal([]byte(s), &str); err != nil {
			return 0, err
		}
		s = strings.TrimSpace(str)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != f || f > 9.2e18 || f < -9.2e18 {
			return 0, fmt.Errorf("%q is not an integer", s)
		}
		n = int64(f)
	}
	return n, nil
}

// Decimal is a decimal value TikTok sends as a string ("1.25") but that
// some endpoints send as a number; it keeps the text.
type Decimal string

// UnmarshalJSON accepts "1.25", 1.25 and null.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := bytes.TrimSpace(b)
	switch {
	case bytes.Equal(s, []byte("null")):
		*d = ""
	case len(s) > 0 && s[0] == '"':
		var str string
		if err := json.Unmarshal(s, &str); err != nil {
			return err
		}
		*d = Decimal(strings.TrimSpace(str))
	default:
		var num json.Number
		if err := json.Unmarshal(s, &num); err != nil {
			return fmt.Errorf("decimal: %w", err)
		}
		*d = Decimal(num.String())
	}
	return nil
}
