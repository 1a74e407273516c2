// Package printersim is a thermal label printer on TCP for tests, demos and
// benchmarks. It speaks ZPL II, TSPL or EPL2 byte for byte like a real
// printer: one connection at a time (a second client waits in the listen
// backlog until the first closes), ~HS, ~HQES and <ESC>!? answered, faults
// that stop printing, and every printed label decoded from its ^GF, BITMAP
// or GW graphics, kept in memory and written as a PNG.
package printersim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/packline/packline/drivers/printer/epl"
	"github.com/packline/packline/drivers/printer/tspl"
	"github.com/packline/packline/drivers/printer/zpl"
	"github.com/packline/packline/drivers/raster"
)

// Fault is a printer condition that stops printing.
type Fault int

// Faults the simulator can be put in.
const (
	// FaultNone is a ready printer.
	FaultNone Fault = iota
	// FaultPaperOut: out of labels. ~HS gets no answer, as on a Zebra.
	FaultPaperOut
	// FaultHeadOpen: print head open. ~HS gets no answer.
	FaultHeadOpen
	// FaultPaused: the pause key was pressed. Status is answered.
	FaultPaused
	// FaultRibbonOut: out of ribbon. ~HS gets no answer.
	FaultRibbonOut
	// FaultMute: the printer reads but answers nothing (a hung firmware or
	// a one-way cable) and prints nothing.
	FaultMute
)

// String names the fault.
func (f Fault) String() string {
	switch f {
	case FaultNone:
		return "none"
	case FaultPaperOut:
		return "paper out"
	case FaultHeadOpen:
		return "head open"
	case FaultPaused:
		return "paused"
	case FaultRibbonOut:
		return "ribbon out"
	case FaultMute:
		return "mute"
	}
	return fmt.Sprintf("fault(%d)", int(f))
}

// Options configure a simulator.
type Options struct {
	// Dir receives label-0001.png, label-0002.png, …; empty keeps labels in
	// memory only.
	Dir string
	// Language is "zpl" (default), "tspl" or "epl" (which answers no
	// status queries, like the real ones over a one-way link).
	Language string
	// DPI is the head resolution, used to size TSPL labels: 203 (default),
	// 300 or 600.
	DPI int
	// NoHQES makes a ZPL printer ignore ~HQES, like firmware older than
	// the extended status query; ~HS is still answered.
	NoHQES bool
	// Roll is the number of labels loaded; zero is an endless roll. When
	// the last one is printed the printer goes paper out, and clearing the
	// fault loads a fresh roll of the same size.
	Roll   int
	Logger *slog.Logger
}

// Sim is a simulated printer.
type Sim struct {
	opt Options
	log *slog.Logger

	mu       sync.Mutex
	fault    Fault
	labels   []*raster.Bitmap
	held     []*raster.Bitmap
	fileSeq  int // number of the last PNG in Dir
	jobs     int
	rejected int
	conns    int
	queries  int
	left     int // labels left on the roll when opt.Roll > 0
	changed  chan struct{}
	ln       net.Listener
	cur      net.Conn
	closed   bool

	wg sync.WaitGroup
}

// New returns a simulator; Start puts it on the network.
func New(opt Options) *Sim {
	if opt.Language == "" {
		opt.Language = "zpl"
	}
	if opt.DPI == 0 {
		opt.DPI = 203
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sim{opt: opt, log: log.With("sim", "printer"), left: opt.Roll, changed: make(chan struct{})}
}

// Start listens on addr ("127.0.0.1:0" for any free port) and serves
// connections one at a time. It returns the address listened on.
func (s *Sim) Start(addr string) (string, error) {
	switch s.opt.Language {
	case "zpl", "tspl", "epl":
	default:
		return "", fmt.Errorf("printersim: language %q: want zpl, tspl or epl", s.opt.Language)
	}
	if s.opt.Dir != "" {
		if err := os.MkdirAll(s.opt.Dir, 0o755); err != nil {
			return "", fmt.Errorf("printersim: label directory: %w", err)
		}
		// Number on from the labels already there, so a second run does
		// not overwrite the first.
		names, _ := filepath.Glob(filepath.Join(s.opt.Dir, "label-*.png"))
		s.mu.Lock()
		for _, n := range names {
			var k int
			if _, err := fmt.Sscanf(filepath.Base(n), "label-%d.png", &k); err == nil {
				s.fileSeq = max(s.fileSeq, k)
			}
		}
		s.mu.Unlock()
	}
	// A backlog of pending connections is the kernel's: they wait, as on
	// a real printer's port 9100, until the current one closes.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("printersim: listen: %w", err)
	}
	s.mu.Lock()
	if s.closed || s.ln != nil {
		s.mu.Unlock()
		ln.Close()
		return "", errors.New("printersim: already started or closed")
	}
	s.ln = ln
	s.mu.Unlock()
	s.wg.Add(1)
	go s.acceptLoop(ln)
	return ln.Addr().String(), nil
}

func (s *Sim) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.cur = c
		s.conns++
		s.mu.Unlock()
		if err := s.Serve(c); err != nil {
			s.log.Warn("connection ended with an error", "remote", c.RemoteAddr().String(), "err", err)
		}
		c.Close()
		s.mu.Lock()
		s.cur = nil
		s.mu.Unlock()
	}
}

// Serve reads one byte stream (a TCP connection, a pseudo-terminal, a pipe)
// until it ends, printing what it receives and answering status queries on
// rw. It returns nil at a clean end of stream.
func (s *Sim) Serve(rw io.ReadWriter) error {
	switch s.opt.Language {
	case "tspl":
		return s.serveTSPL(rw)
	case "epl":
		return s.serveEPL(rw)
	}
	return s.serveZPL(rw)
}

// serveEPL prints EPL2 labels; EPL2 has no status query to answer.
func (s *Sim) serveEPL(r io.Reader) error {
	sc := epl.NewScanner(r)
	for {
		l, err := sc.Next()
		if err == io.EOF || (err != nil && isClosed(err)) {
			return nil
		}
		if err != nil {
			s.reject(err.Error())
			return nil
		}
		s.print(l.Image)
	}
}

func (s *Sim) serveZPL(rw io.ReadWriter) error {
	sc := zpl.NewScanner(rw)
	for {
		it, err := sc.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				s.reject("stream ended inside a format")
				return nil
			}
			if isClosed(err) {
				return nil
			}
			return err
		}
		if it.Command != nil {
			if err := s.zplCommand(rw, it.Command); err != nil {
				return err
			}
			continue
		}
		l, err := zpl.ParseFormat(it.Format)
		var img *raster.Bitmap
		if err == nil {
			img, err = l.Render()
		}
		if err != nil {
			s.reject(err.Error())
			continue
		}
		s.print(img)
	}
}

func (s *Sim) zplCommand(w io.Writer, c *zpl.Command) error {
	s.mu.Lock()
	f := s.fault
	held := len(s.held)
	if c.Prefix == '~' && (c.Code == "HS" || c.Code == "HQ") {
		s.queries++
	}
	s.mu.Unlock()
	if f == FaultMute {
		return nil
	}
	var reply []byte
	switch {
	case c.Prefix == '~' && c.Code == "HQ" && string(c.Params) == "ES":
		if s.opt.NoHQES {
			return nil
		}
		var st zpl.ExtStatus
		switch f {
		case FaultPaperOut:
			st.Errors = zpl.ErrMediaOut
		case FaultHeadOpen:
			st.Errors = zpl.ErrHeadOpen
		case FaultPaused:
			st.Errors = zpl.ErrPaused
		case FaultRibbonOut:
			st.Errors = zpl.ErrRibbonOut
		}
		reply = zpl.FormatHQES(st)
	case c.Prefix == '~' && c.Code == "HS":
		if f == FaultPaperOut || f == FaultHeadOpen || f == FaultRibbonOut {
			return nil // a Zebra stays silent to ~HS in these conditions
		}
		reply = zpl.FormatHS(zpl.HostStatus{
			CommSettings: 30, Paused: f == FaultPaused, LabelLength: 1218, FormatsInBuffer: held,
			FunctionSettings: 1, PrintMode: 2, LabelWaiting: held > 0, LabelsRemaining: held, Password: 1234,
		})
	case c.Prefix == '~' && c.Code == "HI":
		reply = fmt.Appendf(nil, "\x02ZD421-%d,V84.20.01,%d,8176KB\x03\r\n", s.opt.DPI, dotsPerMM(s.opt.DPI))
	case c.Prefix == '~' && c.Code == "JA":
		s.mu.Lock()
		s.held = nil
		s.mu.Unlock()
		return nil
	default:
		return nil
	}
	_, err := w.Write(reply)
	return err
}

func dotsPerMM(dpi int) int {
	switch dpi {
	case 300:
		return 12
	case 600:
		return 24
	}
	return 8
}

func (s *Sim) serveTSPL(rw io.ReadWriter) error {
	sc := tspl.NewScanner(rw)
	dpi := float64(s.opt.DPI)
	if s.opt.DPI == 300 || s.opt.DPI == 600 {
		dpi = float64(s.opt.DPI) * 1.015
	}
	for {
		it, err := sc.Next()
		if err == io.EOF || (err != nil && isClosed(err)) {
			return nil
		}
		if err != nil {
			s.reject(err.Error())
			return nil
		}
		if it.Query != "" {
			s.mu.Lock()
			f := s.fault
			s.queries++
			s.mu.Unlock()
			if it.Query != "!?" || f == FaultMute {
				continue
			}
			var b byte
			switch f {
			case FaultPaperOut:
				b = tspl.PaperOut
			case FaultHeadOpen:
				b = tspl.HeadOpen
			case FaultPaused:
				b = tspl.Paused
			case FaultRibbonOut:
				b = tspl.RibbonOut
			}
			if _, err := rw.Write([]byte{b}); err != nil {
				return err
			}
			continue
		}
		img, err := it.Label.Render(dpi)
		if err != nil {
			s.reject(err.Error())
			continue
		}
		s.print(img)
	}
}

func isClosed(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) || errors.Is(err, io.ErrClosedPipe) ||
		strings.Contains(err.Error(), "connection reset")
}

func (s *Sim) reject(why string) {
	s.log.Warn("job rejected", "reason", why)
	s.mu.Lock()
	s.rejected++
	s.notifyLocked()
	s.mu.Unlock()
}

// print prints img now, or holds it until the fault is cleared.
func (s *Sim) print(img *raster.Bitmap) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs++
	if s.fault != FaultNone {
		if s.fault != FaultMute {
			s.held = append(s.held, img)
		}
		s.notifyLocked()
		return
	}
	s.outputLocked(img)
}

func (s *Sim) outputLocked(img *raster.Bitmap) {
	s.labels = append(s.labels, img)
	if s.opt.Roll > 0 {
		if s.left--; s.left <= 0 {
			s.fault = FaultPaperOut
		}
	}
	s.notifyLocked()
	if s.opt.Dir == "" {
		return
	}
	s.fileSeq++
	n := s.fileSeq
	var buf bytes.Buffer
	if err := png.Encode(&buf, img.Image()); err != nil {
		s.log.Error("encoding label PNG", "err", err)
		return
	}
	name := filepath.Join(s.opt.Dir, fmt.Sprintf("label-%04d.png", n))
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		s.log.Error("writing label PNG", "file", name, "err", err)
		return
	}
	s.log.Info("label printed", "file", name, "width", img.Width, "height", img.Height)
}

func (s *Sim) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// SetFault puts the printer in fault f; FaultNone clears it, loads a fresh
// roll (see Options.Roll) and prints the labels held meanwhile until the
// roll runs out again (a muted printer drops what it received).
func (s *Sim) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
	if f == FaultNone {
		s.left = s.opt.Roll
		held := s.held
		s.held = nil
		for i, img := range held {
			if s.fault != FaultNone {
				s.held = held[i:]
				break
			}
			s.outputLocked(img)
		}
	}
	s.notifyLocked()
}

// Fault returns the current fault.
func (s *Sim) Fault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fault
}

// LastFile returns the path of the last PNG written, or "".
func (s *Sim) LastFile() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opt.Dir == "" || s.fileSeq == 0 {
		return ""
	}
	return filepath.Join(s.opt.Dir, fmt.Sprintf("label-%04d.png", s.fileSeq))
}

// Labels returns the labels printed so far, oldest first.
func (s *Sim) Labels() []*raster.Bitmap {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*raster.Bitmap(nil), s.labels...)
}

// Jobs returns the number of complete labels received (printed or held).
func (s *Sim) Jobs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jobs
}

// Rejected returns the number of jobs refused as malformed.
func (s *Sim) Rejected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected
}

// Connections returns the number of connections accepted.
func (s *Sim) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// StatusQueries returns the number of status queries received.
func (s *Sim) StatusQueries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries
}

// WaitLabels blocks until at least n labels are printed, returning them,
// or until ctx ends.
func (s *Sim) WaitLabels(ctx context.Context, n int) ([]*raster.Bitmap, error) {
	for {
		s.mu.Lock()
		if len(s.labels) >= n {
			out := append([]*raster.Bitmap(nil), s.labels...)
			s.mu.Unlock()
			return out, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return s.Labels(), fmt.Errorf("printersim: %d of %d labels printed: %w", len(s.Labels()), n, ctx.Err())
		}
	}
}

// Close stops listening, drops the current connection and waits for the
// server to stop.
func (s *Sim) Close() error {
	s.mu.Lock()
	s.closed = true
	ln, cur := s.ln, s.cur
	s.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	if cur != nil {
		cur.Close()
	}
	s.wg.Wait()
	return nil
}
