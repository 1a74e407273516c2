//go:build linux

package serialport

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/packline/packline/drivers/deviceuri"
)

var s8n1 = deviceuri.Serial{Baud: 9600, DataBits: 8, Parity: 'N', StopBits: 1}

func openPTY(t *testing.T) (master *os.File, slavePath string) {
	t.Helper()
	m, s, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s.Name()
}

func TestSerialTimeoutIsTypedAndPortStaysUsable(t *testing.T) {
	m, path := openPTY(t)
	p, err := OpenSerial(path, deviceuri.Serial{Baud: 9600, DataBits: 7, Parity: 'E', StopBits: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	buf := make([]byte, 16)
	p.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
	n, err := p.Read(buf)
	if n != 0 || !errors.Is(err, ErrTimeout) || errors.Is(err, io.EOF) || !IsTimeout(err) {
		t.Fatalf("Read with nothing sent = %d, %v; want ErrTimeout", n, err)
	}
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("ErrTimeout does not satisfy Timeout()")
	}
	if _, err := m.Write([]byte("\x02001.25\r")); err != nil {
		t.Fatal(err)
	}
	p.SetReadDeadline(time.Now().Add(2 * time.Second))
	var got []byte
	for len(got) < 8 {
		n, err := p.Read(buf)
		if err != nil {
			t.Fatalf("Read after timeout: %v", err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "\x02001.25\r" {
		t.Errorf("read %q", got)
	}
	if _, err := p.Write([]byte("W")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(m, b); err != nil || b[0] != 'W' {
		t.Errorf("master read %q, %v", b, err)
	}
}

func TestSerialUnplugIsGone(t *testing.T) {
	m, path := openPTY(t)
	p, err := OpenSerial(path, s8n1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m.Close() // the adapter goes away: the tty hangs up
	p.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = p.Read(make([]byte, 8))
	if !errors.Is(err, ErrGone) {
		t.Fatalf("Read after unplug = %v, want ErrGone", err)
	}
	if errors.Is(err, ErrTimeout) {
		t.Error("unplug reported as a timeout")
	}
}

func TestSerialBusyMissingAndNotATTY(t *testing.T) {
	_, path := openPTY(t)
	p, err := OpenSerial(path, s8n1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenSerial(path, s8n1)
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "close") {
		t.Errorf("second open = %v, want ErrBusy saying what to do", err)
	}
	p.Close()
	p2, err := OpenSerial(path, s8n1)
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	p2.Close()

	missing := filepath.Join(t.TempDir(), "ttyUSB7")
	_, err = OpenSerial(missing, s8n1)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "packline-agent devices") {
		t.Errorf("missing port = %v, want ErrNotFound naming the devices command", err)
	}
	file := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(file, nil, 0o600)
	if _, err := OpenSerial(file, s8n1); err == nil || !strings.Contains(err.Error(), "not a serial port") {
		t.Errorf("plain file = %v, want 'not a serial port'", err)
	}
	if _, err := OpenSerial(path, deviceuri.Serial{Baud: 9600, DataBits: 8, Parity: 'X', StopBits: 1}); err == nil {
		t.Error("parity X accepted")
	}
}

func TestTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			conns <- c
		}
	}()
	p, err := Open(context.Background(), deviceuri.MustParse("sics+tcp://"+ln.Addr().String()), s8n1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	srv := <-conns
	p.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := p.Read(make([]byte, 4)); !errors.Is(err, ErrTimeout) {
		t.Fatalf("idle read = %v, want ErrTimeout", err)
	}
	srv.Write([]byte("junk"))
	time.Sleep(20 * time.Millisecond)
	if err := p.(Flusher).Flush(); err != nil {
		t.Fatal(err)
	}
	srv.Write([]byte("S S 1 g\r\n"))
	p.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 64)
	n, err := p.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "S S") {
		t.Fatalf("read after flush %q, %v", buf[:n], err)
	}
	srv.Close()
	p.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := p.Read(buf); !errors.Is(err, ErrGone) {
		t.Fatalf("read after server close = %v, want ErrGone", err)
	}
	ln.Close()
	if _, err := DialTCP(context.Background(), ln.Addr().String()); err == nil || !strings.Contains(err.Error(), "device server") {
		t.Errorf("dial to a closed port = %v", err)
	}
}

func TestHIDRawReadsReportsAndUnplug(t *testing.T) {
	m, path := openPTY(t)
	p, err := Open(context.Background(), deviceuri.MustParse("hidpos://"+path), s8n1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := p.Read(make([]byte, 64)); !errors.Is(err, ErrTimeout) {
		t.Fatalf("idle read = %v, want ErrTimeout", err)
	}
	m.Close()
	p.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := p.Read(make([]byte, 64)); !errors.Is(err, ErrGone) {
		t.Fatalf("read after unplug = %v, want ErrGone", err)
	}
}

func TestOpenRejectsUnknownTransport(t *testing.T) {
	_, err := Open(context.Background(), deviceuri.MustParse("nci+usb:///dev/x"), s8n1)
	if err == nil || !strings.Contains(err.Error(), "serial, tcp, hidraw") {
		t.Errorf("Open(usb) = %v", err)
	}
	_, err = Open(context.Background(), deviceuri.MustParse("nci+serial:///dev/x?baud=9601"), s8n1)
	if err == nil {
		t.Error("baud 9601 accepted")
	}
}
