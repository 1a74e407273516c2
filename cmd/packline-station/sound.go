package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/packline/packline/ui/screens"
	"github.com/packline/packline/ui/state"
)

// soundFileEnv is the environment variable that hands the WAV path to
// PowerShell, so no quoting of the path is needed.
const soundFileEnv = "PACKLINE_SOUND_FILE"

// execPlayer plays the alert WAVs through the system's command-line audio
// player; Fyne itself has no audio output.
type execPlayer struct {
	log  *slog.Logger
	cmd  func(ctx context.Context, file string) *exec.Cmd
	once sync.Once
	dir  string
	err  error
	q    *soundQueue
}

// newPlayer finds an audio player (paplay, aplay, afplay or PowerShell);
// without one, alerts ring the terminal bell.
func newPlayer(log *slog.Logger) screens.Player {
	var cmd func(context.Context, string) *exec.Cmd
	switch {
	case runtime.GOOS == "windows":
		cmd = powershellCmd
	default:
		for _, p := range []string{"paplay", "aplay", "afplay"} {
			if path, err := exec.LookPath(p); err == nil {
				args := []string{}
				if p == "aplay" {
					args = append(args, "-q")
				}
				cmd = func(ctx context.Context, f string) *exec.Cmd {
					return exec.CommandContext(ctx, path, append(args, f)...)
				}
				break
			}
		}
	}
	if cmd == nil {
		log.Warn("no audio player found (paplay, aplay, afplay): alerts ring the terminal bell only")
		return screens.BellPlayer{W: os.Stderr}
	}
	p := &execPlayer{log: log, cmd: cmd}
	p.q = newSoundQueue(log, p.play)
	return p
}

// powershellCmd plays file with PowerShell's SoundPlayer. The path goes in
// through the environment, so quotes or dollar signs in it are harmless.
func powershellCmd(ctx context.Context, file string) *exec.Cmd {
	c := exec.CommandContext(ctx, "powershell", "-NoProfile", "-NonInteractive", "-Command",
		"(New-Object Media.SoundPlayer $env:"+soundFileEnv+").PlaySync()")
	c.Env = append(os.Environ(), soundFileEnv+"="+file)
	return c
}

// Play implements screens.Player. It never blocks the UI; see soundQueue
// for which sounds wait and which are dropped.
func (p *execPlayer) Play(k state.SoundKind) { p.q.Play(k) }

// play plays k and returns when it has finished or ctx is cancelled.
func (p *execPlayer) play(ctx context.Context, k state.SoundKind) error {
	p.once.Do(func() {
		p.dir, p.err = os.MkdirTemp("", "packline-sounds-")
	})
	if p.err != nil {
		return fmt.Errorf("preparing alert sounds: %w", p.err)
	}
	file := filepath.Join(p.dir, string(k)+".wav")
	if _, err := os.Stat(file); err != nil {
		if err := os.WriteFile(file, screens.Tone(k), 0o600); err != nil {
			return fmt.Errorf("writing alert sound: %w", err)
		}
	}
	c := p.cmd(ctx, file)
	// A player cut short may leave a child holding its output open.
	c.WaitDelay = time.Second
	if out, err := c.CombinedOutput(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("playing %s: %w (output %q)", k, err, out)
	}
	return nil
}

// maxQueuedSounds bounds the alerts that wait for the one playing.
const maxQueuedSounds = 8

// soundQueue plays sounds one at a time on its own goroutine. An alert is
// never dropped for being late: it waits for the alert playing, and it cuts
// an OK chirp short. Only an alert identical to the last one waiting is
// merged into it. An OK chirp plays only when nothing else does.
type soundQueue struct {
	log  *slog.Logger
	play func(context.Context, state.SoundKind) error

	mu      sync.Mutex
	playing state.SoundKind // SoundNone when idle
	stop    context.CancelFunc
	pending []state.SoundKind
	wg      sync.WaitGroup
}

func newSoundQueue(log *slog.Logger, play func(context.Context, state.SoundKind) error) *soundQueue {
	return &soundQueue{log: log, play: play}
}

// Play queues k without blocking.
func (q *soundQueue) Play(k state.SoundKind) {
	if k == state.SoundNone {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.playing == state.SoundNone:
		ctx, cancel := context.WithCancel(context.Background())
		q.playing, q.stop = k, cancel
		q.wg.Add(1)
		go q.run(ctx, k)
	case k == state.SoundOK:
		// A chirp after an alert would say "fine" when it is not.
	case q.playing == state.SoundOK && len(q.pending) == 0:
		q.pending = append(q.pending, k)
		q.stop()
	case len(q.pending) > 0 && q.pending[len(q.pending)-1] == k:
		// The same alert is already waiting.
	default:
		if len(q.pending) == maxQueuedSounds {
			q.log.Warn("too many alert sounds waiting: the oldest waiting one is skipped", "skipped", q.pending[0], "kind", k)
			q.pending = q.pending[1:]
		}
		q.pending = append(q.pending, k)
	}
}

// run plays k, then the pending sounds until none is left. Play has set
// q.playing and q.stop for k.
func (q *soundQueue) run(ctx context.Context, k state.SoundKind) {
	defer q.wg.Done()
	for {
		if err := q.play(ctx, k); err != nil {
			q.log.Warn("alert sound failed", "kind", k, "err", err)
		}
		q.mu.Lock()
		q.stop()
		if len(q.pending) == 0 {
			q.playing, q.stop = state.SoundNone, nil
			q.mu.Unlock()
			return
		}
		k = q.pending[0]
		q.pending = q.pending[1:]
		ctx, q.stop = context.WithCancel(context.Background())
		q.playing = k
		q.mu.Unlock()
	}
}

// wait returns once the queue has played everything.
func (q *soundQueue) wait() { q.wg.Wait() }
