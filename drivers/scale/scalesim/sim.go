// Package scalesim simulates shipping scales byte for byte, for tests,
// benchmarks and the demo. A Sim speaks one protocol (nci, scp02, sma,
// sics, toledo8217, toledocont, hidpos) over a real pseudo-terminal (the
// driver opens the slave path through tarm/serial exactly like a real
// port), over TCP like a serial device server, or over an in-memory pipe.
//
// The weight is settable in any unit; after SetWeight the scale reports
// motion (with noise) for the configured settle time, then the exact
// weight. Faults on demand: split frames, glued frames, garbage between
// frames, truncated frames, error frames, over and under capacity, and
// unplugging (the device file or listener disappears and comes back).
//
// The registry knows the URI sim://scale?protocol=nci&weight=1.25lb: it
// opens a scale on an in-process Sim. With name=st1 the Sim is shared:
// Shared("st1") returns the same Sim, so the demo sets the weight the agent
// reads.
package scalesim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/packline/packline/drivers/scale"
)

// Fault kinds for SetFault.
const (
	// FaultNone clears faults.
	FaultNone = ""
	// FaultUnknown answers every command as unknown (?, ES).
	FaultUnknown = "unknown"
	// FaultZeroError reports a zero error (NCI ---, SMA E, Toledo 8217
	// outside zero-capture range, HID needs re-zero).
	FaultZeroError = "zero"
	// FaultChecksum sends continuous frames with a wrong checksum.
	FaultChecksum = "checksum"
	// FaultTruncate sends a cut-off frame before every frame.
	FaultTruncate = "truncate"
	// FaultSilent stops answering and streaming.
	FaultSilent = "silent"
)

// Options configures a Sim.
type Options struct {
	// Weight and Unit are the initial weight ("1.25", "lb"); default 0 lb.
	Weight, Unit string
	// Motion is how long the scale reports motion after SetWeight.
	Motion time.Duration
	// Noise is the largest jitter during motion, in counts of the last
	// digit (default 5).
	Noise int
	// Capacity is the largest weight, in Unit, before the scale reports
	// over capacity; empty means no limit (SetOver forces it).
	Capacity string
	// Interval is the streaming period of continuous and HID scales
	// (default 50 ms).
	Interval time.Duration
	// Split writes each frame in pieces; Glue writes two frames per
	// write (streaming) or the reply twice (request/response); Garbage
	// writes noise bytes before each frame.
	Split, Glue, Garbage bool
	// NoChecksum leaves the checksum byte off continuous frames.
	NoChecksum bool
	// Dir holds the stable symlink to the pty slave (like
	// /dev/serial/by-id); default a new temporary directory.
	Dir string
	// OnFrame, when set, is called just before a frame is written.
	OnFrame func(frame []byte)
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
}

// Sim is one simulated scale.
type Sim struct {
	protocol string
	opt      Options
	log      *slog.Logger

	mu        sync.Mutex
	value     string
	unit      string
	motion    time.Duration
	settleAt  time.Time
	fault     string
	over      bool
	requests  int
	plugged   bool
	closed    bool
	conns     map[io.Closer]bool
	ptyMaster *os.File
	ptySlave  *os.File
	link      string
	dir       string
	ownDir    bool
	ln        net.Listener
	tcpAddr   string
	wg        sync.WaitGroup
	rng       *rand.Rand
}

// Protocols lists the protocols a Sim speaks.
func Protocols() []string {
	return []string{"nci", "scp02", "sma", "sics", "toledo8217", "toledocont", "hidpos"}
}

// New returns a Sim speaking protocol. It starts nothing: call ServePTY,
// ServeTCP or Conn.
func New(protocol string, opt Options) *Sim {
	if opt.Unit == "" {
		opt.Unit = "lb"
	}
	if opt.Weight == "" {
		opt.Weight = "0.00"
	}
	if opt.Interval <= 0 {
		opt.Interval = 50 * time.Millisecond
	}
	if opt.Noise <= 0 {
		opt.Noise = 5
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sim{
		protocol: protocol, opt: opt, log: log,
		value: opt.Weight, unit: strings.ToLower(opt.Unit), motion: opt.Motion,
		plugged: true, conns: map[io.Closer]bool{},
		rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1)),
	}
}

// Protocol returns the protocol the Sim speaks.
func (s *Sim) Protocol() string { return s.protocol }

// SetWeight puts value (a decimal, "1.25") in unit (lb, kg, g, oz) on the
// platter. The scale reports motion for the settle time first.
func (s *Sim) SetWeight(value, unit string) error {
	if _, err := scale.ParseValue(value, unit); err != nil {
		return fmt.Errorf("sim weight: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.value, s.unit = value, strings.ToLower(unit)
	s.settleAt = time.Now().Add(s.motion)
	return nil
}

// SetMotion sets how long the scale reports motion after SetWeight.
func (s *Sim) SetMotion(d time.Duration) {
	s.mu.Lock()
	s.motion = d
	s.mu.Unlock()
}

// SetOver forces an over-capacity report.
func (s *Sim) SetOver(over bool) {
	s.mu.Lock()
	s.over = over
	s.mu.Unlock()
}

// SetFault sets a fault kind (FaultNone clears it).
func (s *Sim) SetFault(kind string) {
	s.mu.Lock()
	s.fault = kind
	s.mu.Unlock()
}

// Requests returns how many weight requests the Sim answered.
func (s *Sim) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// state is a snapshot of what the scale shows now.
type state struct {
	value, unit string
	motion      bool
	over, under bool
	fault       string
}

func (s *Sim) snapshot() state {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := state{value: s.value, unit: s.unit, fault: s.fault, over: s.over}
	if time.Now().Before(s.settleAt) {
		st.motion = true
		st.value = jitter(s.value, s.opt.Noise, s.rng)
	}
	if strings.HasPrefix(st.value, "-") {
		st.under = true
	}
	if s.opt.Capacity != "" {
		c, err1 := scale.ParseValue(s.opt.Capacity, s.opt.Unit)
		w, err2 := scale.ParseValue(st.value, st.unit)
		if err1 == nil && err2 == nil && w.Micrograms > c.Micrograms {
			st.over = true
		}
	}
	return st
}

// jitter moves value by a non-zero random number of last-digit counts.
func jitter(value string, noise int, rng *rand.Rand) string {
	neg := strings.HasPrefix(value, "-")
	v := strings.TrimPrefix(value, "-")
	i, f, _ := strings.Cut(v, ".")
	digits := i + f
	var n int64
	for _, c := range digits {
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	d := int64(rng.IntN(noise) + 1)
	if rng.IntN(2) == 0 {
		d = -d
	}
	n += d
	if n < 0 {
		n = -n
	}
	return fromCounts(n, len(f))
}

func fromCounts(n int64, decimals int) string {
	s := fmt.Sprint(n)
	if decimals == 0 {
		return s
	}
	for len(s) <= decimals {
		s = "0" + s
	}
	return s[:len(s)-decimals] + "." + s[len(s)-decimals:]
}

// streaming reports whether the protocol streams without requests.
func (s *Sim) streaming() bool { return s.protocol == "toledocont" || s.protocol == "hidpos" }

// ServePTY serves the Sim on a new pseudo-terminal and returns a stable
// path (a symlink in Options.Dir to the pty slave) to open like a serial
// port. Unplug removes the path; Replug brings it back.
func (s *Sim) ServePTY() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		if s.opt.Dir != "" {
			s.dir = s.opt.Dir
		} else {
			d, err := os.MkdirTemp("", "scalesim")
			if err != nil {
				return "", fmt.Errorf("sim pty dir: %w", err)
			}
			s.dir, s.ownDir = d, true
		}
		s.link = filepath.Join(s.dir, fmt.Sprintf("scale-%s-%d", s.protocol, time.Now().UnixNano()))
	}
	if err := s.startPTYLocked(); err != nil {
		return "", err
	}
	return s.link, nil
}

// ServeTCP listens on addr ("127.0.0.1:0") and serves every connection,
// like a serial device server. It returns the address.
func (s *Sim) ServeTCP(addr string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.listenLocked(addr); err != nil {
		return "", err
	}
	return s.tcpAddr, nil
}

func (s *Sim) listenLocked(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sim: listening: %w", err)
	}
	s.ln, s.tcpAddr = ln, ln.Addr().String()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			if !s.plugged || s.closed {
				s.mu.Unlock()
				c.Close()
				continue
			}
			s.conns[c] = true
			s.wg.Add(1)
			s.mu.Unlock()
			go func() {
				defer s.wg.Done()
				s.serve(c)
			}()
		}
	}()
	return nil
}

// Conn returns the host end of an in-memory connection to the Sim.
func (s *Sim) Conn() (net.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.plugged || s.closed {
		return nil, fmt.Errorf("simulated %s scale is unplugged", s.protocol)
	}
	host, dev := net.Pipe()
	s.conns[dev] = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.serve(dev)
	}()
	return host, nil
}

// Unplug disconnects the scale: the pty and its path disappear, TCP
// connections and the listener close.
func (s *Sim) Unplug() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unplugLocked()
}

func (s *Sim) unplugLocked() {
	s.plugged = false
	for c := range s.conns {
		c.Close()
		delete(s.conns, c)
	}
	if s.ptySlave != nil {
		s.ptySlave.Close()
		s.ptySlave, s.ptyMaster = nil, nil
		os.Remove(s.link)
	}
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
}

// Replug reconnects the scale at the same path or address.
func (s *Sim) Replug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("sim closed")
	}
	wasPTY, wasTCP := s.link != "", s.tcpAddr != ""
	s.plugged = true
	if wasPTY && s.ptyMaster == nil {
		if err := s.startPTYLocked(); err != nil {
			return err
		}
	}
	if wasTCP && s.ln == nil {
		if err := s.listenLocked(s.tcpAddr); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the Sim and removes its files.
func (s *Sim) Close() error {
	s.mu.Lock()
	s.closed = true
	s.unplugLocked()
	dir, own := s.dir, s.ownDir
	s.mu.Unlock()
	s.wg.Wait()
	if own {
		os.RemoveAll(dir)
	}
	return nil
}

// serve speaks the protocol on one connection until it closes.
func (s *Sim) serve(c io.ReadWriteCloser) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	if s.streaming() {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			// Commands from the host (HID zero) and end of stream.
			buf := make([]byte, 64)
			for {
				n, err := c.Read(buf)
				if n >= 2 && buf[0] == 0x02 && buf[1] == 0x02 {
					s.zero()
				}
				if err != nil {
					cancel()
					return
				}
			}
		}()
		s.stream(ctx, c)
		return
	}
	s.answer(c)
}

func (s *Sim) zero() {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, f, _ := strings.Cut(strings.TrimPrefix(s.value, "-"), ".")
	s.value = fromCounts(0, len(f))
	s.settleAt = time.Time{}
}

func (s *Sim) stream(ctx context.Context, w io.Writer) {
	t := time.NewTicker(s.opt.Interval)
	defer t.Stop()
	var pending []byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st := s.snapshot()
		if st.fault == FaultSilent {
			continue
		}
		var frame []byte
		if s.protocol == "hidpos" {
			frame = hidReport(st)
		} else {
			frame = contFrame(st, !s.opt.NoChecksum)
		}
		if s.opt.Glue && pending == nil {
			pending = frame
			continue
		}
		out := append(pending, frame...)
		pending = nil
		if err := s.emit(w, out, frame, st); err != nil {
			return
		}
	}
}

// emit writes one frame (out may hold a glued earlier frame too) with the
// configured faults.
func (s *Sim) emit(w io.Writer, out, frame []byte, st state) error {
	if s.protocol == "hidpos" {
		// HID reports are datagrams: never garbled, split or truncated.
		if s.opt.OnFrame != nil {
			s.opt.OnFrame(frame)
		}
		_, err := w.Write(out)
		return err
	}
	if s.opt.Garbage {
		if _, err := w.Write([]byte("#~ ")); err != nil {
			return err
		}
	}
	if st.fault == FaultTruncate && len(frame) > 3 {
		if _, err := w.Write(frame[:len(frame)/2]); err != nil {
			return err
		}
	}
	if s.opt.OnFrame != nil {
		s.opt.OnFrame(frame)
	}
	if !s.opt.Split || len(out) < 2 {
		_, err := w.Write(out)
		return err
	}
	cuts := []int{1, len(out) / 2, len(out) - 1}
	prev := 0
	for _, c := range cuts {
		if c <= prev {
			continue
		}
		if _, err := w.Write(out[prev:c]); err != nil {
			return err
		}
		prev = c
		time.Sleep(2 * time.Millisecond)
	}
	_, err := w.Write(out[prev:])
	return err
}

// answer runs a request/response protocol.
func (s *Sim) answer(c io.ReadWriter) {
	buf := make([]byte, 256)
	var in []byte
	echo := false
	for {
		n, err := c.Read(buf)
		if n == 0 && err != nil {
			return
		}
		in = append(in, buf[:n]...)
		for {
			cmd, rest, ok := s.nextCommand(in, &echo, c)
			if !ok {
				break
			}
			in = rest
			if cmd == "" {
				continue
			}
			reply := s.reply(cmd)
			if reply == nil {
				continue
			}
			st := s.snapshot()
			out := reply
			if s.opt.Glue {
				out = append(bytes.Clone(reply), reply...)
			}
			if err := s.emit(c, out, reply, st); err != nil {
				return
			}
		}
		if len(in) > 1024 {
			in = nil
		}
	}
}

// nextCommand cuts one command from in. The Toledo echo test (E) echoes
// lower-case bytes back.
func (s *Sim) nextCommand(in []byte, echo *bool, w io.Writer) (string, []byte, bool) {
	switch s.protocol {
	case "toledo8217":
		if len(in) == 0 {
			return "", in, false
		}
		b := in[0]
		if *echo && (b < 'A' || b > 'Z') {
			_, _ = w.Write([]byte{b})
			return "", in[1:], true
		}
		*echo = b == 'E'
		return string(b), in[1:], true
	case "sics":
		i := bytes.Index(in, []byte("\r\n"))
		if i < 0 {
			return "", in, false
		}
		return string(in[:i]), in[i+2:], true
	case "sma":
		i := bytes.IndexByte(in, '\r')
		if i < 0 {
			return "", in, false
		}
		cmd := string(in[:i])
		if j := strings.LastIndexByte(cmd, '\n'); j >= 0 {
			return cmd[j+1:], in[i+1:], true
		}
		return "\x00" + cmd, in[i+1:], true // no <LF>: not a command
	default: // nci, scp02: one letter before <CR>; bytes before it are line noise
		i := bytes.IndexByte(in, '\r')
		if i < 0 {
			return "", in, false
		}
		if i == 0 {
			return "", in[1:], true
		}
		return string(in[i-1 : i]), in[i+1:], true
	}
}

func (s *Sim) reply(cmd string) []byte {
	st := s.snapshot()
	if st.fault == FaultSilent {
		return nil
	}
	isWeight := false
	defer func() {
		if isWeight {
			s.mu.Lock()
			s.requests++
			s.mu.Unlock()
		}
	}()
	switch s.protocol {
	case "nci", "scp02":
		if st.fault == FaultUnknown {
			return []byte("\n?\r\x03")
		}
		switch cmd {
		case "W", "H":
			isWeight = true
			return nciWeight(st, s.protocol == "scp02")
		case "S":
			return []byte("\n" + nciStatus(st, s.protocol == "scp02") + "\r\x03")
		case "Z":
			s.zero()
			return []byte("\n" + nciStatus(s.snapshot(), s.protocol == "scp02") + "\r\x03")
		}
		return []byte("\n?\r\x03")
	case "sma":
		if st.fault == FaultUnknown {
			return []byte("\n?\r")
		}
		switch cmd {
		case "W", "H", "Q":
			isWeight = true
			return smaWeight(st)
		case "Z":
			s.zero()
			return smaWeight(s.snapshot())
		case "A":
			return []byte("\nSMA:2/1.0\r")
		case "B":
			return []byte("\nMFG:PACKLINE SIM\r")
		}
		return []byte("\n?\r")
	case "sics":
		if st.fault == FaultUnknown {
			return []byte("ES\r\n")
		}
		switch cmd {
		case "S", "SI":
			isWeight = true
			return sicsWeight(cmd, st)
		case "Z", "ZI":
			s.zero()
			return []byte("Z A\r\n")
		case "I4":
			return []byte("I4 A \"0123456789\"\r\n")
		}
		return []byte("ES\r\n")
	case "toledo8217":
		switch cmd {
		case "W", "H":
			isWeight = true
			if st.fault == FaultZeroError {
				return []byte{0x02, '?', 0x60 | 0x08, '\r'} // outside zero-capture range
			}
			return toledoWeight(st)
		case "Z":
			s.zero()
			return []byte{0x02, '?', 0x60 | 0x10, '\r'}
		case "E":
			return []byte("\x02E\r")
		}
		return nil
	}
	return nil
}
