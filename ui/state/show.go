package state

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/ui/client"
)

// Level is how loudly something is shown.
type Level int

// Levels, from calm to urgent.
const (
	LevelOK Level = iota
	LevelInfo
	LevelWarn
	LevelError
)

// Colours for levels and urgencies: saturated, readable from a metre away,
// with white text on top.
var (
	ColorOK    = color.NRGBA{R: 0x1b, G: 0x7f, B: 0x3a, A: 0xff} // green
	ColorInfo  = color.NRGBA{R: 0x1f, G: 0x5f, B: 0xaa, A: 0xff} // blue
	ColorWarn  = color.NRGBA{R: 0xb8, G: 0x6e, B: 0x00, A: 0xff} // amber
	ColorError = color.NRGBA{R: 0xc0, G: 0x1c, B: 0x1c, A: 0xff} // red
	ColorIdle  = color.NRGBA{R: 0x4a, G: 0x50, B: 0x58, A: 0xff} // grey
)

// LevelColor returns the colour of l.
func LevelColor(l Level) color.NRGBA {
	switch l {
	case LevelOK:
		return ColorOK
	case LevelInfo:
		return ColorInfo
	case LevelWarn:
		return ColorWarn
	}
	return ColorError
}

// dueWindow is how close a deadline must be to count as due.
const dueWindow = 4 * time.Hour

// LiveUrgency returns the urgency of an order now: the agent's urgency
// (which knows the warehouse calendar) raised as the clock runs.
func LiveUrgency(agent string, deadline, now time.Time) string {
	if deadline.IsZero() {
		return cmp.Or(agent, apitype.UrgencyNormal)
	}
	left := deadline.Sub(now)
	switch {
	case left < 0:
		return apitype.UrgencyLate
	case left < dueWindow && agent != apitype.UrgencyLate:
		return apitype.UrgencyDue
	}
	return cmp.Or(agent, apitype.UrgencyNormal)
}

// UrgencyLevel maps an urgency to a level.
func UrgencyLevel(u string) Level {
	switch u {
	case apitype.UrgencyLate:
		return LevelError
	case apitype.UrgencyDue:
		return LevelWarn
	case apitype.UrgencySoon:
		return LevelInfo
	}
	return LevelOK
}

// UrgencyColor is the colour of an urgency.
func UrgencyColor(u string) color.NRGBA {
	if u == apitype.UrgencyNormal || u == "" {
		return ColorIdle
	}
	return LevelColor(UrgencyLevel(u))
}

// Countdown says how long is left to deadline: "2h 14m left", "35m left",
// "1d 3h left", or "LATE 35m" once it has passed.
func Countdown(deadline, now time.Time) string {
	if deadline.IsZero() {
		return "no deadline"
	}
	d := deadline.Sub(now)
	if d < 0 {
		return "LATE " + span(-d)
	}
	return span(d) + " left"
}

// span formats a duration in whole minutes, hours and days.
func span(d time.Duration) string {
	m := int(d / time.Minute)
	switch {
	case m < 1:
		return "<1m"
	case m < 60:
		return fmt.Sprintf("%dm", m)
	case m < 24*60:
		return fmt.Sprintf("%dh %02dm", m/60, m%60)
	}
	return fmt.Sprintf("%dd %dh", m/(24*60), (m/60)%24)
}

// SortQueue returns the entries ordered by deadline (soonest first; no
// deadline last), then by order id.
func SortQueue(q []apitype.QueueEntry) []apitype.QueueEntry {
	out := slices.Clone(q)
	slices.SortStableFunc(out, func(a, b apitype.QueueEntry) int {
		switch {
		case a.Deadline.IsZero() && !b.Deadline.IsZero():
			return 1
		case !a.Deadline.IsZero() && b.Deadline.IsZero():
			return -1
		}
		if c := a.Deadline.Compare(b.Deadline); c != 0 {
			return c
		}
		return strings.Compare(a.OrderID, b.OrderID)
	})
	return out
}

// QueueRow is one queue line as shown.
type QueueRow struct {
	OrderID   string
	Countdown string
	Urgency   string
	Color     color.NRGBA
	// Flags are short words: STAGED, EXCEPTION: reason, AT S2.
	Flags string
	Units int
}

// QueueRows returns the queue as shown at now, sorted by deadline.
func QueueRows(q []apitype.QueueEntry, station string, now time.Time) []QueueRow {
	rows := make([]QueueRow, 0, len(q))
	for _, e := range SortQueue(q) {
		u := LiveUrgency(e.Urgency, e.Deadline, now)
		var flags []string
		if e.Staged {
			flags = append(flags, "STAGED")
		}
		if e.Exception != "" {
			flags = append(flags, "EXCEPTION: "+e.Exception)
		}
		if e.ClaimedBy != "" && e.ClaimedBy != station {
			flags = append(flags, "AT "+e.ClaimedBy)
		}
		rows = append(rows, QueueRow{OrderID: e.OrderID, Countdown: Countdown(e.Deadline, now), Urgency: u, Color: UrgencyColor(u), Flags: strings.Join(flags, " · "), Units: e.Units})
	}
	return rows
}

// Banner is the always-visible status line: Text in large type, and
// Detail, when there is more to say, on a second line.
type Banner struct {
	Text   string
	Detail string
	Level  Level
}

// Banner texts for a missing agent or internet link. The client keeps no
// commands while the agent is away: a scan is refused at once, and the
// packer must scan it again once the agent is back.
const (
	bannerConnecting    = "Connecting to the agent…"
	bannerAgentAway     = "Agent unreachable: the app reconnects by itself"
	bannerAgentAwayMore = "Scans made now are not recorded: scan them again when this bar turns green"
	bannerStopped       = "Disconnected from the agent"
	bannerStoppedMore   = "Scans made now are not recorded"
	bannerOffline       = "Offline: scanning, checking and weighing go on"
	bannerOfflineMore   = "Labels wait as staged and print when the link returns"
)

// BannerFor says what works right now, most important first: the agent
// connection, the internet link, then the devices.
func (m *Model) BannerFor() Banner {
	if m.Blocked && m.Alert != nil {
		return Banner{Text: m.Alert.Title, Detail: bannerStoppedMore, Level: LevelError}
	}
	switch m.Conn {
	case client.Connecting:
		if !m.Welcomed {
			return Banner{Text: bannerConnecting, Level: LevelInfo}
		}
		return Banner{Text: bannerAgentAway, Detail: bannerAgentAwayMore, Level: LevelError}
	case client.Disconnected:
		return Banner{Text: bannerAgentAway, Detail: bannerAgentAwayMore, Level: LevelError}
	case client.Stopped:
		return Banner{Text: bannerStopped, Detail: bannerStoppedMore, Level: LevelError}
	}
	var parts []string
	var detail string
	level := LevelOK
	if !m.Link.Online {
		level = LevelWarn
		parts = append(parts, bannerOffline)
		detail = bannerOfflineMore
		if m.Link.Staged > 0 {
			detail += fmt.Sprintf(" (%d staged)", m.Link.Staged)
		}
	}
	for _, d := range m.Devices {
		if d.State == apitype.DeviceOK || d.State == apitype.DeviceNone {
			continue
		}
		level = max(level, LevelWarn)
		if d.State == apitype.DeviceError {
			level = LevelError
		}
		t := titleCase(d.Kind) + " " + d.State
		if d.Detail != "" {
			t += ": " + d.Detail
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		t := "Online · station " + m.Station
		if m.Link.OutboxDepth > 0 {
			t += fmt.Sprintf(" · %d to sync", m.Link.OutboxDepth)
		}
		if m.Link.Staged > 0 {
			t += fmt.Sprintf(" · %d staged", m.Link.Staged)
		}
		return Banner{Text: t, Level: LevelOK}
	}
	return Banner{Text: strings.Join(parts, " · "), Detail: detail, Level: level}
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// FormatGrams shows a weight: "850 g" below a kilogram, "1.250 kg" above.
func FormatGrams(g float64) string {
	if math.Abs(g) < 1000 {
		return fmt.Sprintf("%.0f g", g)
	}
	return fmt.Sprintf("%.3f kg", g/1000)
}

// Weight is the weight panel as shown.
type Weight struct {
	// Live is the scale reading ("1.262 kg") and Stable whether it has
	// settled; LiveState says so in words.
	Live      string
	Stable    bool
	LiveState string
	// Expected, Tolerance and Band show the target: "1.250 kg", "± 50 g",
	// "1.200–1.300 kg".
	Expected  string
	Tolerance string
	Band      string
	// Measured is the captured weight; Verdict says in or out of band.
	Measured string
	Verdict  string
	Level    Level
	// InBand reports whether the live reading sits in the band.
	InBand bool
	// LiveVerdict says, for a stable reading not yet accepted, whether it
	// sits in the band.
	LiveVerdict string
}

// WeightFor returns the weight panel for the model.
func (m *Model) WeightFor() Weight {
	var w Weight
	v := m.View
	if r := m.Reading; r != nil {
		w.Live = cmp.Or(r.Display, FormatGrams(r.Grams))
		w.Stable = r.Stable
		switch {
		case r.Over:
			w.LiveState = "OVER CAPACITY"
		case r.Under:
			w.LiveState = "UNDER ZERO: zero the scale"
		case r.Stable:
			w.LiveState = "STABLE"
		default:
			w.LiveState = "settling…"
		}
		if v.ExpectedGrams > 0 {
			w.InBand = math.Abs(r.Grams-v.ExpectedGrams) <= v.ToleranceGrams
			// Before the weight is accepted, say in words what the colour
			// says: whether the agent will take this box.
			if r.Stable && !r.Over && !r.Under && v.MeasuredGrams == 0 {
				if w.InBand {
					w.LiveVerdict = "In band: F2 accepts the weight"
				} else {
					w.LiveVerdict = fmt.Sprintf("Out of band (%+.0f g): check the box", r.Grams-v.ExpectedGrams)
				}
			}
		}
	} else {
		w.Live = "—"
		w.LiveState = "no reading"
		if d, ok := m.Device("scale"); ok && d.State != apitype.DeviceOK {
			w.LiveState = "scale " + d.State
		}
	}
	if v.ExpectedGrams > 0 {
		w.Expected = FormatGrams(v.ExpectedGrams)
		w.Tolerance = "± " + FormatGrams(v.ToleranceGrams)
		w.Band = formatBand(v.ExpectedGrams-v.ToleranceGrams, v.ExpectedGrams+v.ToleranceGrams)
	}
	if v.MeasuredGrams > 0 {
		w.Measured = FormatGrams(v.MeasuredGrams)
	}
	switch {
	case v.WeightOK == nil:
		w.Level = LevelInfo
	case *v.WeightOK:
		w.Verdict = "IN TOLERANCE"
		w.Level = LevelOK
	default:
		w.Verdict = "OUT OF TOLERANCE"
		if v.MeasuredGrams > 0 && v.ExpectedGrams > 0 {
			w.Verdict += fmt.Sprintf(" (%+.0f g)", v.MeasuredGrams-v.ExpectedGrams)
		}
		w.Level = LevelError
	}
	return w
}

// formatBand shows a weight range compactly.
func formatBand(lo, hi float64) string {
	if math.Abs(lo) >= 1000 && math.Abs(hi) >= 1000 {
		return fmt.Sprintf("%.3f–%.3f kg", lo/1000, hi/1000)
	}
	return FormatGrams(lo) + " – " + FormatGrams(hi)
}

// Progress returns the units scanned and wanted for the open order.
func (m *Model) Progress() (got, want int) {
	if m.View.Order == nil {
		return 0, 0
	}
	for _, l := range m.View.Order.Lines {
		got += min(l.Got, l.Want)
		want += l.Want
	}
	return got, want
}

// LineText shows one order line: "2 / 3  Blue mug", with "GIFT" for a
// gift; the SKU goes underneath (LineSKU).
func LineText(l apitype.LineView) string {
	t := fmt.Sprintf("%d / %d  %s", l.Got, l.Want, cmp.Or(l.Name, l.SKUID))
	if l.Gift {
		t += "  GIFT"
	}
	return t
}

// LineSKU is the small print under a line: the seller SKU, else the SKU id.
func LineSKU(l apitype.LineView) string { return cmp.Or(l.SellerSKU, l.SKUID) }

// LineDone reports whether every unit of l is in.
func LineDone(l apitype.LineView) bool { return l.Got >= l.Want }

// PhaseTitle names a phase in a few large words.
func PhaseTitle(phase string) string {
	switch phase {
	case apitype.PhaseIdle, "":
		return "Scan an order"
	case apitype.PhaseScanning:
		return "Scan the items"
	case apitype.PhaseBoxing:
		return "Scan the box"
	case apitype.PhaseWeighing:
		return "Box on the scale"
	case apitype.PhaseBuying:
		return "Buying the label…"
	case apitype.PhasePrinting:
		return "Printing the label…"
	case apitype.PhaseDone:
		return "Label printed"
	case apitype.PhaseException:
		return "Needs a lead"
	case apitype.PhaseStaged:
		return "Staged: label follows"
	}
	return phase
}

// PhaseLevel is the colour level of a phase.
func PhaseLevel(phase string) Level {
	switch phase {
	case apitype.PhaseDone:
		return LevelOK
	case apitype.PhaseException:
		return LevelError
	case apitype.PhaseStaged:
		return LevelWarn
	}
	return LevelInfo
}

// SoundKind names the sound an alert plays.
type SoundKind string

// Sounds: each alert kind has its own, so a packer knows what happened
// without looking.
const (
	SoundNone      SoundKind = ""
	SoundWrongItem SoundKind = "wrong_item" // low double buzz
	SoundExtraUnit SoundKind = "extra_unit" // low triple buzz
	SoundCancelled SoundKind = "cancelled"  // long falling siren
	SoundWeight    SoundKind = "weight"     // two-tone warble
	SoundWarning   SoundKind = "warning"    // single mid beep
	SoundError     SoundKind = "error"      // long low buzz
	SoundOK        SoundKind = "ok"         // short high chirp
)

// SoundFor returns the sound for an alert: by its kind first, then by the
// agent's sound hint.
func SoundFor(a apitype.Alert) SoundKind {
	switch a.Kind {
	case apitype.AlertWrongItem:
		return SoundWrongItem
	case apitype.AlertExtraUnit:
		return SoundExtraUnit
	case apitype.AlertCancelled:
		return SoundCancelled
	case apitype.AlertWeight:
		return SoundWeight
	case apitype.AlertDevice:
		return SoundWarning
	}
	switch a.Sound {
	case "ok":
		return SoundOK
	case "warning":
		return SoundWarning
	}
	return SoundError
}

// AlertWords returns the alert's large headline: the agent's title, or a
// default for its kind.
func AlertWords(a apitype.Alert) string {
	if a.Title != "" {
		return strings.ToUpper(a.Title)
	}
	switch a.Kind {
	case apitype.AlertWrongItem:
		return "WRONG ITEM"
	case apitype.AlertExtraUnit:
		return "EXTRA UNIT"
	case apitype.AlertCancelled:
		return "ORDER CANCELLED"
	case apitype.AlertWeight:
		return "WEIGHT CHECK FAILED"
	case apitype.AlertDevice:
		return "DEVICE PROBLEM"
	}
	return "STOP"
}
