package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packline/packline/ui/state"
)

// fakeSpeaker stands in for the audio player: each sound plays until the
// test releases it or the queue cuts it short.
type fakeSpeaker struct {
	started chan state.SoundKind
	release chan struct{}
	fail    state.SoundKind

	mu     sync.Mutex
	played []string
}

func newFakeSpeaker() *fakeSpeaker {
	return &fakeSpeaker{started: make(chan state.SoundKind), release: make(chan struct{})}
}

func (f *fakeSpeaker) play(ctx context.Context, k state.SoundKind) error {
	f.started <- k
	done := string(k)
	select {
	case <-f.release:
	case <-ctx.Done():
		done += " (cut)"
	}
	f.mu.Lock()
	f.played = append(f.played, done)
	f.mu.Unlock()
	if k == f.fail {
		return errors.New("no audio device")
	}
	return nil
}

// next waits for the next sound to start and checks it.
func (f *fakeSpeaker) next(t *testing.T, want state.SoundKind) {
	t.Helper()
	if got := <-f.started; got != want {
		t.Fatalf("started %q, want %q", got, want)
	}
}

func (f *fakeSpeaker) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.played)
}

func TestAlertsDuringAnAlertWait(t *testing.T) {
	sp := newFakeSpeaker()
	q := newSoundQueue(slog.New(slog.DiscardHandler), sp.play)
	q.Play(state.SoundWrongItem)
	sp.next(t, state.SoundWrongItem)
	for _, k := range []state.SoundKind{state.SoundExtraUnit, state.SoundExtraUnit, state.SoundOK, state.SoundNone, state.SoundCancelled, state.SoundWrongItem} {
		q.Play(k)
	}
	for _, k := range []state.SoundKind{state.SoundExtraUnit, state.SoundCancelled, state.SoundWrongItem} {
		sp.release <- struct{}{}
		sp.next(t, k)
	}
	sp.release <- struct{}{}
	q.wait()
	got, want := sp.log(), []string{"wrong_item", "extra_unit", "cancelled", "wrong_item"}
	if !slices.Equal(got, want) {
		t.Errorf("played %q, want %q", got, want)
	}
}

func TestAlertCutsAnOKChirpShort(t *testing.T) {
	sp := newFakeSpeaker()
	q := newSoundQueue(slog.New(slog.DiscardHandler), sp.play)
	q.Play(state.SoundOK)
	sp.next(t, state.SoundOK)
	q.Play(state.SoundOK) // a second chirp while one plays adds nothing
	q.Play(state.SoundExtraUnit)
	q.Play(state.SoundWrongItem)
	sp.next(t, state.SoundExtraUnit)
	sp.release <- struct{}{}
	sp.next(t, state.SoundWrongItem)
	sp.release <- struct{}{}
	q.wait()
	got, want := sp.log(), []string{"ok (cut)", "extra_unit", "wrong_item"}
	if !slices.Equal(got, want) {
		t.Errorf("played %q, want %q", got, want)
	}

	// Idle again: the next chirp plays.
	q.Play(state.SoundOK)
	sp.next(t, state.SoundOK)
	sp.release <- struct{}{}
	q.wait()
}

func TestSoundQueueIsBounded(t *testing.T) {
	sp := newFakeSpeaker()
	var logs strings.Builder
	q := newSoundQueue(slog.New(slog.NewTextHandler(&logs, nil)), sp.play)
	q.Play(state.SoundError)
	sp.next(t, state.SoundError)
	var sent []state.SoundKind
	for i := range maxQueuedSounds + 2 {
		k := []state.SoundKind{state.SoundWrongItem, state.SoundExtraUnit}[i%2]
		sent = append(sent, k)
		q.Play(k)
	}
	// The two oldest waiting alerts give way to the newest.
	for _, k := range sent[2:] {
		sp.release <- struct{}{}
		sp.next(t, k)
	}
	sp.release <- struct{}{}
	q.wait()
	if got := len(sp.log()); got != 1+maxQueuedSounds {
		t.Errorf("played %d sounds, want %d", got, 1+maxQueuedSounds)
	}
	if n := strings.Count(logs.String(), "too many alert sounds waiting"); n != 2 {
		t.Errorf("logged %d skips, want 2:\n%s", n, logs.String())
	}
}

func TestFailedSoundDoesNotStopTheQueue(t *testing.T) {
	sp := newFakeSpeaker()
	sp.fail = state.SoundWeight
	var logs strings.Builder
	q := newSoundQueue(slog.New(slog.NewTextHandler(&logs, nil)), sp.play)
	q.Play(state.SoundWeight)
	sp.next(t, state.SoundWeight)
	q.Play(state.SoundCancelled)
	sp.release <- struct{}{}
	sp.next(t, state.SoundCancelled)
	sp.release <- struct{}{}
	q.wait()
	if !strings.Contains(logs.String(), "alert sound failed") || !strings.Contains(logs.String(), "no audio device") {
		t.Errorf("log %q, want the failure", logs.String())
	}
}

// TestExecPlayerKillsACutChirp runs a real player process: the OK chirp
// never ends, and the alert that follows must stop it and play.
func TestExecPlayerKillsACutChirp(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses sh")
	}
	record := filepath.Join(t.TempDir(), "played")
	p := &execPlayer{log: slog.New(slog.DiscardHandler), cmd: func(ctx context.Context, file string) *exec.Cmd {
		return exec.CommandContext(ctx, "sh", "-c", `head -c 4 "$1" >> "$2"; basename "$1" >> "$2"; [ "$(basename "$1")" = ok.wav ] && exec sleep 600; exit 0`, "sh", file, record)
	}}
	p.q = newSoundQueue(p.log, p.play)
	p.Play(state.SoundOK)
	// Wait for the chirp's player to be running.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if b, _ := os.ReadFile(record); strings.Contains(string(b), "ok.wav") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the chirp's player did not start")
		}
	}
	p.Play(state.SoundWrongItem)
	p.q.wait()
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "RIFFok.wav\nRIFFwrong_item.wav\n"; got != want {
		t.Errorf("player saw %q, want %q", got, want)
	}
	os.RemoveAll(p.dir)
}

func TestPowershellGetsThePathFromTheEnvironment(t *testing.T) {
	file := `C:\Users\O'Brien "QA"\AppData\Local\Temp\packline-sounds-$x\ok.wav`
	c := powershellCmd(context.Background(), file)
	for _, a := range c.Args {
		if strings.Contains(a, "O'Brien") {
			t.Errorf("path in the command line %q: it must come from the environment", a)
		}
	}
	if got := c.Args[len(c.Args)-1]; !strings.Contains(got, "$env:"+soundFileEnv) {
		t.Errorf("script %q does not read $env:%s", got, soundFileEnv)
	}
	if !slices.Contains(c.Env, soundFileEnv+"="+file) {
		t.Errorf("environment lacks %s=%s", soundFileEnv, file)
	}
}
