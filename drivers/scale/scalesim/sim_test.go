package scalesim

import (
	"bytes"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

func TestUnplugRemovesThePathAndReplugRestoresIt(t *testing.T) {
	s := New("nci", Options{Weight: "1.25", Unit: "lb", Dir: t.TempDir()})
	defer s.Close()
	path, err := s.ServePTY()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("pty path missing: %v", err)
	}
	s.Unplug()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("after Unplug, stat %s = %v; want not exist", path, err)
	}
	if _, err := s.Conn(); err == nil {
		t.Error("Conn on an unplugged sim succeeded")
	}
	if err := s.Replug(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("after Replug: %v", err)
	}
}

func TestTCPAnswersByteForByte(t *testing.T) {
	s := New("nci", Options{Weight: "1.25", Unit: "lb"})
	defer s.Close()
	addr, err := s.ServeTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	for cmd, want := range map[string]string{
		"W\r": "\n  1.25lb\r\n00\r\x03",
		"S\r": "\n00\r\x03",
		"X\r": "\n?\r\x03",
	} {
		if _, err := c.Write([]byte(cmd)); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(want))
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, []byte(want)) {
			t.Errorf("%q -> %q, want %q", cmd, got, want)
		}
	}
	if s.Requests() != 1 {
		t.Errorf("Requests() = %d, want 1", s.Requests())
	}
}

func TestMotionThenSettle(t *testing.T) {
	s := New("sics", Options{Weight: "0.00", Unit: "g"})
	s.SetMotion(time.Hour)
	if err := s.SetWeight("250.00", "g"); err != nil {
		t.Fatal(err)
	}
	st := s.snapshot()
	if !st.motion || st.value == "250.00" {
		t.Errorf("in motion: %+v, want motion with a jittered value", st)
	}
	if got := string(sicsWeight("SI", st)); got[:4] != "S D " {
		t.Errorf("SI in motion = %q, want S D", got)
	}
	if got := string(sicsWeight("S", st)); got != "S I\r\n" {
		t.Errorf("S in motion = %q, want S I", got)
	}
	s.SetMotion(0)
	s.SetWeight("250.00", "g")
	if st := s.snapshot(); st.motion || st.value != "250.00" {
		t.Errorf("settled: %+v", st)
	}
	if err := s.SetWeight("heavy", "g"); err == nil {
		t.Error("SetWeight(heavy) accepted")
	}
}

func TestToledoEcho(t *testing.T) {
	s := New("toledo8217", Options{Weight: "1.25"})
	defer s.Close()
	c, err := s.Conn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	go c.Write([]byte("Ehello"))
	got := make([]byte, len("\x02E\rhello"))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != "\x02E\rhello" {
		t.Errorf("echo test = %q", got)
	}
}
