package state

import (
	"strings"
	"time"
)

// DefaultScanGap is the longest pause between two keys of one scan: wedge
// scanners type a code in a few milliseconds per key.
const DefaultScanGap = 50 * time.Millisecond

// ScanBuffer assembles codes typed by a keyboard-wedge scanner: keys
// collect until Enter or Tab commits them; a fragment followed by a pause
// longer than Gap (a stray key press, a half-read code) is dropped.
type ScanBuffer struct {
	// Gap is the inter-key gap after which a fragment is discarded; zero
	// keeps fragments however slowly they are typed (manual entry).
	Gap time.Duration
	// MinLen is the shortest code committed (default 1).
	MinLen int

	buf  strings.Builder
	last time.Time
	// Discarded counts fragments dropped for a gap.
	Discarded int
}

// NewScanBuffer returns a buffer with the given gap.
func NewScanBuffer(gap time.Duration) *ScanBuffer { return &ScanBuffer{Gap: gap, MinLen: 1} }

// Rune adds a typed character at time at.
func (b *ScanBuffer) Rune(r rune, at time.Time) {
	if b.Gap > 0 && b.buf.Len() > 0 && at.Sub(b.last) > b.Gap {
		b.buf.Reset()
		b.Discarded++
	}
	if r < 0x20 || r == 0x7f {
		return
	}
	b.buf.WriteRune(r)
	b.last = at
}

// Commit is called for Enter or Tab at time at; it returns the code and
// true when a complete code was typed.
func (b *ScanBuffer) Commit(at time.Time) (string, bool) {
	defer b.buf.Reset()
	if b.Gap > 0 && b.buf.Len() > 0 && at.Sub(b.last) > b.Gap {
		b.Discarded++
		return "", false
	}
	code := strings.TrimSpace(b.buf.String())
	if len(code) < max(b.MinLen, 1) {
		return "", false
	}
	return code, true
}

// Reset drops whatever has been typed.
func (b *ScanBuffer) Reset() { b.buf.Reset() }

// Pending returns what has been typed since the last commit.
func (b *ScanBuffer) Pending() string { return b.buf.String() }

// CleanScan trims what a scanner typed into an Entry: white space and
// control characters some scanners add as prefix or suffix.
func CleanScan(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= 0x20 || r == 0x7f })
}
