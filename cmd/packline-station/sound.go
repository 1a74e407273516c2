package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/packline/packline/ui/screens"
	"github.com/packline/packline/ui/state"
)

// execPlayer plays the alert WAVs through the system's command-line audio
// player; Fyne itself has no audio output.
type execPlayer struct {
	log  *slog.Logger
	cmd  func(file string) *exec.Cmd
	dir  string
	once sync.Once
	err  error
	mu   sync.Mutex
	busy bool
}

// newPlayer finds an audio player (paplay, aplay, afplay or PowerShell);
// without one, alerts ring the terminal bell.
func newPlayer(log *slog.Logger) screens.Player {
	var cmd func(string) *exec.Cmd
	switch {
	case runtime.GOOS == "windows":
		cmd = func(f string) *exec.Cmd {
			return exec.Command("powershell", "-NoProfile", "-Command", fmt.Sprintf("(New-Object Media.SoundPlayer '%s').PlaySync()", f))
		}
	default:
		for _, p := range []string{"paplay", "aplay", "afplay"} {
			if path, err := exec.LookPath(p); err == nil {
				args := []string{}
				if p == "aplay" {
					args = append(args, "-q")
				}
				cmd = func(f string) *exec.Cmd { return exec.Command(path, append(args, f)...) }
				break
			}
		}
	}
	if cmd == nil {
		log.Warn("no audio player found (paplay, aplay): alerts ring the terminal bell only")
		return screens.BellPlayer{W: os.Stderr}
	}
	return &execPlayer{log: log, cmd: cmd}
}

// Play implements screens.Player. It never blocks the UI; a sound that
// arrives while another plays is dropped.
func (p *execPlayer) Play(k state.SoundKind) {
	if k == state.SoundNone {
		return
	}
	p.once.Do(func() {
		p.dir, p.err = os.MkdirTemp("", "packline-sounds-")
	})
	if p.err != nil {
		p.log.Warn("cannot prepare alert sounds", "err", p.err)
		return
	}
	file := filepath.Join(p.dir, string(k)+".wav")
	if _, err := os.Stat(file); err != nil {
		if err := os.WriteFile(file, screens.Tone(k), 0o600); err != nil {
			p.log.Warn("cannot write alert sound", "err", err)
			return
		}
	}
	p.mu.Lock()
	if p.busy {
		p.mu.Unlock()
		return
	}
	p.busy = true
	p.mu.Unlock()
	go func() {
		defer func() { p.mu.Lock(); p.busy = false; p.mu.Unlock() }()
		if out, err := p.cmd(file).CombinedOutput(); err != nil {
			p.log.Warn("alert sound failed", "err", err, "output", string(out))
		}
	}()
}
