package printer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// usbTransport writes to a USB printer class device file (/dev/usb/lp0 on
// Linux). The file is opened per job. Status is read back when the device
// file supports read deadlines (usblp is bidirectional) and ?status=off is
// not set; otherwise the link is write-only.
type usbTransport struct {
	path   string
	status bool
	tm     timeouts
}

func (t *usbTransport) open(ctx context.Context) (session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(t.path, os.O_RDWR|os.O_APPEND, 0)
	if errors.Is(err, fs.ErrPermission) {
		// Some device nodes are write-only for the service user.
		if wf, werr := os.OpenFile(t.path, os.O_WRONLY|os.O_APPEND, 0); werr == nil {
			return &usbSession{f: wf, tm: t.tm}, nil
		}
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: %s does not exist: is the printer plugged in and switched on?", ErrUnreachable, t.path)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("%w: no permission to open %s: add the service user to group lp or install the udev rule", ErrUnreachable, t.path)
	case errors.Is(err, syscall.EBUSY):
		return nil, fmt.Errorf("%w: %s is in use by another program (is CUPS holding it?): stop that program or remove its queue for this printer", ErrUnreachable, t.path)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	s := &usbSession{f: f, tm: t.tm}
	s.bidi = t.status && f.SetReadDeadline(time.Time{}) == nil
	return s, nil
}

func (t *usbTransport) close() error { return nil }

type usbSession struct {
	f    *os.File
	tm   timeouts
	bidi bool
}

func (s *usbSession) write(ctx context.Context, p []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.bidi {
		s.f.SetWriteDeadline(time.Now().Add(s.tm.write))
	}
	_, err := s.f.Write(p)
	if err != nil && isTimeout(err) {
		return fmt.Errorf("the printer stopped taking data for %s (paused, out of paper or unplugged): %w", s.tm.write, err)
	}
	return err
}

func (s *usbSession) canRead() bool { return s.bidi }

func (s *usbSession) read(p []byte, deadline time.Time) (int, error) {
	s.f.SetReadDeadline(deadline)
	return s.f.Read(p)
}

func (s *usbSession) finish(context.Context) error { return nil }

func (s *usbSession) close() error { return s.f.Close() }
