// Package screens holds the station app's Fyne screens: the pack screen
// with its one always-focused scan field, the queue, the connection banner
// and the full-screen alerts. Screens emit the packer's intents through a
// callback and never touch the network; every change that comes from
// another goroutine goes through fyne.Do.
package screens

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/ui/client"
	"github.com/packline/packline/ui/state"
	"github.com/packline/packline/ui/theme"
)

// Options configures a Station screen.
type Options struct {
	// Send carries the packer's commands to the agent. It must not block:
	// the app runs the round trip elsewhere and reports back with Result.
	Send func(apitype.Command)
	// Player plays alert sounds; nil is silent.
	Player Player
	// Now is the clock for countdowns (default time.Now).
	Now func() time.Time
	// Do runs UI changes on the UI goroutine (default fyne.Do).
	Do func(func())
	// QueueRows caps the queue rows shown (default 12).
	QueueRows int
	// ScanGap is the scan buffer's inter-key gap for keys that arrive
	// while no field has the keyboard (default state.DefaultScanGap).
	ScanGap time.Duration
}

// Station is the pack screen with the queue beside it. Build it with
// NewStation, show it with Attach, and feed it with Welcome, Event, Conn
// and Result from any goroutine.
type Station struct {
	m    *state.Model
	opts Options
	win  fyne.Window
	buf  *state.ScanBuffer

	root fyne.CanvasObject

	bannerBG     *canvas.Rectangle
	bannerText   *canvas.Text
	bannerDetail *canvas.Text
	bannerLines  *fyne.Container

	phaseText  *canvas.Text
	prompt     *widget.Label
	orderText  *canvas.Text
	orderInfo  *widget.Label
	scan       *scanEntry
	notice     *widget.Label
	progress   *canvas.Text
	lines      *fyne.Container
	lineTexts  []string
	liveWeight *canvas.Text
	liveState  *canvas.Text
	expected   *canvas.Text
	measured   *canvas.Text
	verdict    *canvas.Text
	boxText    *canvas.Text
	labelText  *widget.Label
	labelImage *canvas.Image
	hints      *canvas.Text

	queueTitle *canvas.Text
	queueList  *fyne.Container
	queueLines []string

	alertLayer  *fyne.Container
	alertBG     *canvas.Rectangle
	alertTitle  *canvas.Text
	alertDetail *fyne.Container
	alertLines  []string
	alertHint   *canvas.Text

	closing      dialog.Dialog
	override     *dialog.FormDialog
	overrideLead *widget.Entry
	overrideWhy  *widget.Entry
}

// NewStation builds the screen for the model. Call it on the UI goroutine.
func NewStation(m *state.Model, opts Options) *Station {
	if opts.Send == nil {
		opts.Send = func(apitype.Command) {}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Do == nil {
		opts.Do = fyne.Do
	}
	if opts.QueueRows <= 0 {
		opts.QueueRows = 12
	}
	if opts.ScanGap == 0 {
		opts.ScanGap = state.DefaultScanGap
	}
	s := &Station{m: m, opts: opts, buf: state.NewScanBuffer(opts.ScanGap)}
	s.build()
	s.Update(state.ChangeAll)
	return s
}

func text(size float32, c color.Color, bold bool) *canvas.Text {
	t := canvas.NewText("", c)
	t.TextSize = size
	t.TextStyle.Bold = bold
	return t
}

func (s *Station) build() {
	s.bannerBG = canvas.NewRectangle(state.ColorInfo)
	s.bannerText = text(theme.SizeBanner, color.White, true)
	// The second line is a little smaller and sits tight under the first,
	// so a two-line banner leaves the order lines their room.
	s.bannerDetail = text(theme.SizeBanner*0.85, color.White, false)
	s.bannerLines = container.New(layout.NewCustomPaddedVBoxLayout(0), fitWidth(s.bannerText), fitWidth(s.bannerDetail))
	banner := container.NewStack(s.bannerBG, container.NewPadded(s.bannerLines))

	s.phaseText = text(theme.SizeHeadline, theme.Foreground, true)
	s.prompt = widget.NewLabel("")
	s.prompt.Wrapping = fyne.TextWrapWord
	s.orderText = text(theme.SizeOrder, theme.Foreground, true)
	s.orderInfo = widget.NewLabel("")
	s.orderInfo.Wrapping = fyne.TextWrapWord
	s.orderInfo.Truncation = fyne.TextTruncateEllipsis

	s.scan = newScanEntry(s)
	s.notice = widget.NewLabel("")
	s.notice.Importance = widget.DangerImportance
	s.notice.Wrapping = fyne.TextWrapWord
	s.notice.TextStyle.Bold = true

	s.progress = text(theme.SizeLine, theme.Dim, true)
	s.lines = container.New(layout.NewCustomPaddedVBoxLayout(2))
	linesPanel := container.NewBorder(s.progress, nil, nil, nil, container.NewVScroll(s.lines))

	s.liveWeight = text(theme.SizeWeight, theme.Foreground, true)
	s.liveState = text(theme.SizeLine, theme.Dim, true)
	s.expected = text(theme.SizeLine, theme.Dim, false)
	s.measured = text(theme.SizeLine, theme.Foreground, true)
	s.verdict = text(theme.SizeLine, theme.Foreground, true)
	s.boxText = text(theme.SizeLine, theme.Foreground, false)
	s.labelText = widget.NewLabel("")
	s.labelText.Wrapping = fyne.TextWrapWord
	s.labelImage = canvas.NewImageFromResource(nil)
	s.labelImage.FillMode = canvas.ImageFillContain
	s.labelImage.SetMinSize(fyne.NewSize(160, 200))
	s.labelImage.Hide()
	weightPanel := container.NewVBox(
		container.NewHBox(s.liveWeight, layout.NewSpacer(), container.NewCenter(s.liveState)),
		fitWidth(s.expected), fitWidth(s.measured), fitWidth(s.verdict), fitWidth(s.boxText),
	)
	labelPanel := container.NewBorder(nil, nil, nil, s.labelImage, s.labelText)
	info := container.NewBorder(weightPanel, nil, nil, nil, labelPanel)

	header := container.NewVBox(s.phaseText, s.prompt, s.orderText, s.orderInfo, s.scan, s.notice)
	pack := container.NewBorder(header, nil, nil, nil, container.NewGridWithColumns(2, linesPanel, info))

	s.queueTitle = text(theme.SizeLine, theme.Foreground, true)
	s.queueList = container.NewVBox()
	queueWidth := canvas.NewRectangle(theme.Panel)
	queueWidth.SetMinSize(fyne.NewSize(400, 0))
	queue := container.NewStack(queueWidth, container.NewPadded(container.NewBorder(s.queueTitle, nil, nil, nil, container.NewVScroll(s.queueList))))

	s.hints = text(theme.SizeHint, theme.Dim, false)
	s.hints.Text = "Enter/Tab scan  ·  F2 accept weight  ·  F5 reprint  ·  F6 retry label  ·  F8 lead override  ·  F9 zero scale  ·  Esc release order"
	body := container.NewBorder(nil, nil, nil, queue, container.NewPadded(pack))

	s.alertBG = canvas.NewRectangle(state.ColorError)
	s.alertTitle = text(theme.SizeAlert, color.White, true)
	s.alertTitle.Alignment = fyne.TextAlignCenter
	s.alertDetail = container.NewVBox()
	s.alertHint = text(theme.SizeAlertSub, color.White, false)
	s.alertHint.Alignment = fyne.TextAlignCenter
	s.alertHint.Text = "Scan the next item or press Enter to continue"
	gap := canvas.NewRectangle(color.Transparent)
	gap.SetMinSize(fyne.NewSize(0, 40))
	s.alertLayer = container.NewStack(s.alertBG, container.NewVBox(layout.NewSpacer(), s.alertTitle, s.alertDetail, gap, s.alertHint, layout.NewSpacer()))
	s.alertLayer.Hide()

	// The alert covers everything but the connection banner and the key
	// hints, which stay in view.
	s.root = container.NewBorder(banner, container.NewPadded(s.hints), nil, nil, container.NewStack(body, s.alertLayer))
}

// Content returns the screen's root object.
func (s *Station) Content() fyne.CanvasObject { return s.root }

// ScanEntry returns the scan field (for focus and tests).
func (s *Station) ScanEntry() fyne.Focusable { return s.scan }

// Attach shows the screen in w and focuses the scan field. Keys that
// reach the window while nothing has the keyboard go through a scan
// buffer, so a scan is not lost when focus is.
func (s *Station) Attach(w fyne.Window) {
	s.win = w
	w.SetContent(s.root)
	c := w.Canvas()
	c.SetOnTypedRune(func(r rune) { s.buf.Rune(r, s.opts.Now()) })
	c.SetOnTypedKey(func(k *fyne.KeyEvent) {
		switch k.Name {
		case fyne.KeyReturn, fyne.KeyEnter, fyne.KeyTab:
			code, ok := s.buf.Commit(s.opts.Now())
			s.focusScan()
			if ok {
				s.submitScan(code)
			}
		default:
			s.key(k.Name)
			s.focusScan()
		}
	})
	s.focusScan()
}

// focusScan gives the scan field the keyboard unless a dialog has it.
func (s *Station) focusScan() {
	if s.win == nil {
		return
	}
	if s.override != nil || s.closing != nil {
		return
	}
	if s.win.Canvas().Focused() != s.scan {
		s.win.Canvas().Focus(s.scan)
	}
}

// Welcome reports the agent's welcome; safe from any goroutine.
func (s *Station) Welcome(w apitype.Welcome) {
	s.opts.Do(func() { s.Update(s.m.Welcome(w)) })
}

// Event reports an event from the agent; safe from any goroutine.
func (s *Station) Event(msg apitype.Message) {
	s.opts.Do(func() {
		c, err := s.m.Apply(msg)
		if err != nil {
			s.m.Notice = "The agent sent something this app cannot read: update the station app. (" + err.Error() + ")"
			c = state.ChangeNotice
		}
		s.Update(c)
		if c&state.ChangeAlert != 0 && s.m.Alert != nil && s.opts.Player != nil {
			s.opts.Player.Play(state.SoundFor(*s.m.Alert))
		}
	})
}

// Conn reports a connection state change; safe from any goroutine.
func (s *Station) Conn(st client.State, err error) {
	s.opts.Do(func() { s.Update(s.m.SetConn(st, err)) })
}

// Result reports a command's outcome; safe from any goroutine.
func (s *Station) Result(cmd apitype.Command, res apitype.Result, err error) {
	s.opts.Do(func() { s.Update(s.m.ApplyResult(res, err)) })
}

// Tick refreshes the countdowns; safe from any goroutine.
func (s *Station) Tick() {
	s.opts.Do(func() { s.Update(state.ChangeQueue | state.ChangeView) })
}

// send emits a command.
func (s *Station) send(cmd apitype.Command) { s.opts.Send(cmd) }

// submitScan handles Enter (or Tab) in the scan field.
func (s *Station) submitScan(raw string) {
	code := state.CleanScan(raw)
	s.scan.SetText("")
	if s.m.DismissAlert() {
		s.Update(state.ChangeAlert)
	}
	if code == "" {
		return
	}
	s.send(apitype.Command{Kind: apitype.CmdScan, Code: code})
}

// key handles the function keys; it reports whether it used the key.
func (s *Station) key(name fyne.KeyName) bool {
	switch name {
	case fyne.KeyF2:
		s.send(apitype.Command{Kind: apitype.CmdAcceptWeight})
	case fyne.KeyF5:
		s.send(apitype.Command{Kind: apitype.CmdReprint})
	case fyne.KeyF6:
		s.send(apitype.Command{Kind: apitype.CmdRetryLabel})
	case fyne.KeyF8:
		s.showOverride()
	case fyne.KeyF9:
		s.send(apitype.Command{Kind: apitype.CmdZeroScale})
	case fyne.KeyEscape:
		if s.m.DismissAlert() {
			s.Update(state.ChangeAlert)
			return true
		}
		if s.m.View.Order != nil {
			s.send(apitype.Command{Kind: apitype.CmdRelease})
		}
	default:
		return false
	}
	return true
}

// ConfirmClose asks the packer before the app closes (wire it to the
// window's close intercept in kiosk mode); quit runs when they confirm.
func (s *Station) ConfirmClose(quit func()) {
	if s.win == nil || s.closing != nil {
		return
	}
	d := dialog.NewConfirm("Close the station app?", "No scans are taken while it is closed.", func(ok bool) {
		s.closing = nil
		if ok {
			quit()
			return
		}
		s.focusScan()
	}, s.win)
	s.closing = d
	d.Show()
}

// showOverride asks for the lead's name and a reason, then sends the
// override. The scan field gets the keyboard back when it closes.
func (s *Station) showOverride() {
	if s.win == nil || s.override != nil {
		return
	}
	s.overrideLead = widget.NewEntry()
	s.overrideLead.SetPlaceHolder("lead's name or badge")
	s.overrideLead.Validator = func(v string) error {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("who decides?")
		}
		return nil
	}
	s.overrideWhy = widget.NewEntry()
	s.overrideWhy.SetPlaceHolder("why the check may be passed")
	s.overrideWhy.Validator = func(v string) error {
		if len(strings.TrimSpace(v)) < 4 {
			return fmt.Errorf("give a reason: it goes to the audit log")
		}
		return nil
	}
	items := []*widget.FormItem{widget.NewFormItem("Lead", s.overrideLead), widget.NewFormItem("Reason", s.overrideWhy)}
	d := dialog.NewForm("Lead override", "Override", "Cancel", items, func(ok bool) {
		lead, why := strings.TrimSpace(s.overrideLead.Text), strings.TrimSpace(s.overrideWhy.Text)
		s.override = nil
		valid := s.overrideLead.Validate() == nil && s.overrideWhy.Validate() == nil
		switch {
		case ok && valid:
			s.send(apitype.Command{Kind: apitype.CmdOverride, Lead: lead, Reason: why})
		case ok:
			s.m.Notice = "Override not sent: give the lead's name and a reason."
			s.Update(state.ChangeNotice)
		}
		s.focusScan()
	}, s.win)
	s.overrideLead.OnSubmitted = func(string) { s.win.Canvas().Focus(s.overrideWhy) }
	s.overrideWhy.OnSubmitted = func(string) {
		if s.overrideLead.Validate() == nil && s.overrideWhy.Validate() == nil {
			d.Submit()
		}
	}
	s.override = d
	d.Resize(fyne.NewSize(640, 300))
	d.Show()
	s.win.Canvas().Focus(s.overrideLead)
}

// Update redraws the parts of the screen that changed. Call it on the UI
// goroutine.
func (s *Station) Update(c state.Change) {
	if c&(state.ChangeConn|state.ChangeLink|state.ChangeDevices) != 0 {
		s.updateBanner()
	}
	if c&(state.ChangeView|state.ChangeNotice) != 0 {
		s.updatePack()
	}
	if c&(state.ChangeView|state.ChangeReading|state.ChangeDevices) != 0 {
		s.updateWeight()
	}
	if c&state.ChangeQueue != 0 {
		s.updateQueue()
	}
	if c&state.ChangeAlert != 0 {
		s.updateAlert()
	}
	s.focusScan()
}

func (s *Station) updateBanner() {
	b := s.m.BannerFor()
	s.bannerBG.FillColor = state.LevelColor(b.Level)
	s.bannerBG.Refresh()
	s.bannerText.Text = b.Text
	s.bannerDetail.Text = b.Detail
	detail := s.bannerLines.Objects[1]
	if b.Detail == "" {
		detail.Hide()
	} else {
		detail.Show()
	}
	s.bannerLines.Refresh()
}

func (s *Station) updatePack() {
	v := s.m.View
	now := s.opts.Now()
	s.phaseText.Text = state.PhaseTitle(v.Phase)
	s.phaseText.Color = state.LevelColor(state.PhaseLevel(v.Phase))
	if v.Phase == apitype.PhaseIdle || v.Phase == apitype.PhaseScanning || v.Phase == apitype.PhaseBoxing || v.Phase == apitype.PhaseWeighing {
		s.phaseText.Color = theme.Foreground
	}
	s.phaseText.Refresh()
	prompt := v.Prompt
	if v.Exception != "" {
		prompt = strings.TrimSpace(prompt + "  Exception: " + v.Exception)
	}
	s.prompt.SetText(prompt)

	if o := v.Order; o != nil {
		u := state.LiveUrgency("", o.Deadline, now)
		s.orderText.Text = "Order " + o.ID + "  ·  " + state.Countdown(o.Deadline, now)
		s.orderText.Color = theme.Foreground
		if u == apitype.UrgencyLate || u == apitype.UrgencyDue {
			s.orderText.Color = state.UrgencyColor(u)
		}
		info := o.Recipient
		if o.BuyerMessage != "" {
			info = strings.TrimSpace(info + "  ·  Note: " + o.BuyerMessage)
		}
		s.orderInfo.SetText(info)
	} else {
		s.orderText.Text = ""
		s.orderInfo.SetText("")
	}
	s.orderText.Refresh()
	s.notice.SetText(s.m.Notice)
	if s.m.Notice == "" {
		s.notice.Hide()
	} else {
		s.notice.Show()
	}

	got, want := s.m.Progress()
	s.progress.Text = ""
	if want > 0 {
		s.progress.Text = fmt.Sprintf("%d of %d units", got, want)
		if got == want {
			s.progress.Text += "  ✓ all in"
		}
	}
	s.progress.Refresh()
	s.lines.RemoveAll()
	s.lineTexts = s.lineTexts[:0]
	if o := v.Order; o != nil {
		for _, l := range o.Lines {
			mark := text(theme.SizeLine, theme.Dim, true)
			mark.Text = "○"
			name := widget.NewLabel(state.LineText(l))
			name.Truncation = fyne.TextTruncateEllipsis
			name.TextStyle.Bold = true
			sku := text(theme.SizeHint, theme.Dim, false)
			sku.Text = "     " + state.LineSKU(l)
			switch {
			case state.LineDone(l):
				mark.Text, mark.Color = "✓", theme.Done
				name.Importance = widget.SuccessImportance
			case l.Got > 0:
				mark.Text, mark.Color = "◐", state.ColorWarn
			}
			s.lineTexts = append(s.lineTexts, mark.Text+" "+name.Text)
			s.lines.Add(container.NewBorder(nil, sku, container.NewPadded(mark), nil, name))
		}
	}
	s.lines.Refresh()

	if b := v.Box; b != nil {
		s.boxText.Text = fmt.Sprintf("Box %s  %s  (tare %s)", b.Name, b.Dimensions, state.FormatGrams(b.TareGrams))
	} else {
		s.boxText.Text = ""
	}
	s.boxText.Refresh()

	if l := v.Label; l != nil {
		var parts []string
		if l.TrackingNumber != "" {
			parts = append(parts, "Tracking "+l.TrackingNumber)
		}
		if svc := l.CarrierService(); svc != "" {
			parts = append(parts, svc)
		}
		if l.DeclaredWeight != "" {
			parts = append(parts, "declared "+l.DeclaredWeight)
		}
		switch {
		case l.Error != "":
			parts = append(parts, "LABEL ERROR: "+l.Error+" (F6 retry)")
		case l.Printed:
			parts = append(parts, "PRINTED ✓")
		}
		s.labelText.SetText(strings.Join(parts, "\n"))
		if len(l.PreviewPNG) > 0 {
			s.labelImage.Resource = fyne.NewStaticResource("label-"+l.PackageID+".png", l.PreviewPNG)
			s.labelImage.Show()
			s.labelImage.Refresh()
		} else {
			s.labelImage.Hide()
		}
	} else {
		s.labelText.SetText("")
		s.labelImage.Hide()
	}
}

func (s *Station) updateWeight() {
	w := s.m.WeightFor()
	s.liveWeight.Text = w.Live
	s.liveState.Text = w.LiveState
	switch {
	case w.Stable && (s.m.View.ExpectedGrams == 0 || w.InBand):
		s.liveState.Color = theme.Done
	case w.Stable:
		s.liveState.Color = state.ColorError
	default:
		s.liveState.Color = state.ColorWarn
	}
	s.liveWeight.Refresh()
	s.liveState.Refresh()
	s.expected.Text = ""
	if w.Expected != "" {
		s.expected.Text = "Expected " + w.Expected + " " + w.Tolerance + "  (" + w.Band + ")"
	}
	s.expected.Refresh()
	// The verdict gets a line of its own: at full size it fits beside
	// the queue even on the smallest screen.
	s.measured.Text, s.verdict.Text = "", ""
	if w.Measured != "" {
		s.measured.Text = "Measured " + w.Measured
		s.verdict.Text = w.Verdict
	}
	s.measured.Color = state.LevelColor(w.Level)
	if w.Level == state.LevelInfo {
		s.measured.Color = theme.Foreground
	}
	s.verdict.Color = s.measured.Color
	if w.Measured == "" && w.LiveVerdict != "" {
		s.verdict.Text, s.verdict.Color = w.LiveVerdict, s.liveState.Color
	}
	s.measured.Refresh()
	s.verdict.Refresh()
}

func (s *Station) updateQueue() {
	rows := state.QueueRows(s.m.Queue, s.m.Station, s.opts.Now())
	s.queueTitle.Text = fmt.Sprintf("Queue  (%d)", len(rows))
	s.queueTitle.Refresh()
	s.queueList.RemoveAll()
	s.queueLines = s.queueLines[:0]
	for i, r := range rows {
		if i == s.opts.QueueRows {
			more := text(theme.SizeHint, theme.Dim, false)
			more.Text = fmt.Sprintf("+ %d more", len(rows)-i)
			s.queueList.Add(more)
			break
		}
		bar := canvas.NewRectangle(r.Color)
		bar.SetMinSize(fyne.NewSize(10, 0))
		id := text(theme.SizeQueue, theme.Foreground, true)
		id.Text = r.OrderID
		cd := text(theme.SizeQueue, r.Color, true)
		if r.Urgency == apitype.UrgencyNormal {
			cd.Color = theme.Dim
		}
		cd.Text = r.Countdown
		row := container.NewVBox(container.NewHBox(id, layout.NewSpacer(), cd))
		line := r.OrderID + " " + r.Countdown
		if r.Flags != "" {
			f := text(theme.SizeHint, state.ColorWarn, true)
			f.Text = r.Flags
			row.Add(f)
			line += " " + r.Flags
		}
		s.queueLines = append(s.queueLines, line)
		s.queueList.Add(container.NewBorder(nil, nil, bar, nil, row))
	}
	s.queueList.Refresh()
}

func (s *Station) updateAlert() {
	a := s.m.Alert
	if a == nil {
		s.alertLayer.Hide()
		return
	}
	s.alertTitle.Text = state.AlertWords(*a)
	s.alertTitle.TextSize = theme.SizeAlert
	if len(s.alertTitle.Text) > 18 {
		s.alertTitle.TextSize = theme.SizeAlert * 0.65
	}
	s.alertTitle.Refresh()
	s.alertDetail.RemoveAll()
	s.alertLines = wrapWords(a.Detail, 56)
	for _, l := range s.alertLines {
		t := text(theme.SizeAlertSub, color.White, true)
		t.Alignment = fyne.TextAlignCenter
		t.Text = l
		s.alertDetail.Add(t)
	}
	s.alertDetail.Refresh()
	s.alertBG.FillColor = state.ColorError
	if a.Kind == apitype.AlertDevice || a.Sound == "warning" {
		s.alertBG.FillColor = state.ColorWarn
	}
	s.alertBG.Refresh()
	s.alertLayer.Show()
	s.alertLayer.Refresh()
}

// fitWidth holds t on one line and shrinks its type, down to two thirds
// of its size, when the line is wider than the space it gets: a long
// status line stays whole instead of running off the screen.
func fitWidth(t *canvas.Text) *fyne.Container {
	return container.New(&fitLayout{size: t.TextSize}, t)
}

// fitLayout lays out fitWidth's text; size is the text's full size.
type fitLayout struct{ size float32 }

// Layout implements fyne.Layout.
func (l *fitLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		t, ok := o.(*canvas.Text)
		if !ok {
			o.Resize(size)
			continue
		}
		ts, least := l.size, l.size*2/3
		if w := fyne.MeasureText(t.Text, ts, t.TextStyle).Width; w > size.Width && size.Width > 0 {
			ts = max(l.size*size.Width/w, least)
			// Glyph widths do not scale exactly with the size.
			for ts > least && fyne.MeasureText(t.Text, ts, t.TextStyle).Width > size.Width {
				ts = max(ts-0.5, least)
			}
		}
		if ts != t.TextSize {
			t.TextSize = ts
			t.Refresh()
		}
		t.Move(fyne.NewPos(0, (size.Height-t.MinSize().Height)/2))
		t.Resize(fyne.NewSize(size.Width, t.MinSize().Height))
	}
}

// MinSize implements fyne.Layout: the height of the text at full size,
// and no width, so that a long line never widens the window.
func (l *fitLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		if t, ok := o.(*canvas.Text); ok {
			h = max(h, fyne.MeasureText("Mg", l.size, t.TextStyle).Height)
		}
	}
	return fyne.NewSize(0, h)
}

// wrapWords breaks s into lines of at most width characters (longer words
// stay whole).
func wrapWords(s string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, w := range strings.Fields(s) {
		if cur.Len() > 0 && cur.Len()+1+len([]rune(w)) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(w)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// scanEntry is the scan field: a single-line entry that keeps the function
// keys for the station's actions and treats Tab like Enter, as wedge
// scanners may end a code with either.
type scanEntry struct {
	widget.Entry
	s *Station
}

func newScanEntry(s *Station) *scanEntry {
	e := &scanEntry{s: s}
	e.ExtendBaseWidget(e)
	e.SetPlaceHolder("Scan here")
	e.OnSubmitted = s.submitScan
	return e
}

// AcceptsTab keeps Tab in the field: it ends a scan.
func (e *scanEntry) AcceptsTab() bool { return true }

// TypedKey implements fyne.Focusable.
func (e *scanEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyTab {
		e.s.submitScan(e.Text)
		return
	}
	if e.s.key(k.Name) {
		return
	}
	e.Entry.TypedKey(k)
}
