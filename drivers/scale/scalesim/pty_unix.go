//go:build !windows

package scalesim

import (
	"fmt"
	"os"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

func (s *Sim) startPTYLocked() error {
	m, sl, err := pty.Open()
	if err != nil {
		return fmt.Errorf("sim: opening pty: %w", err)
	}
	// Raw mode, as a real UART delivers bytes; the driver sets its own
	// line setting when it opens the port.
	if t, err := unix.IoctlGetTermios(int(sl.Fd()), unix.TCGETS); err == nil {
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8
		t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
		_ = unix.IoctlSetTermios(int(sl.Fd()), unix.TCSETS, t)
	}
	_ = os.Remove(s.link)
	if err := os.Symlink(sl.Name(), s.link); err != nil {
		m.Close()
		sl.Close()
		return fmt.Errorf("sim: linking %s: %w", s.link, err)
	}
	s.ptyMaster, s.ptySlave = m, sl
	s.conns[m] = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.serve(m)
	}()
	return nil
}
