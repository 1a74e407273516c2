package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/scale"
	"github.com/packline/packline/drivers/serialport"

	_ "github.com/packline/packline/drivers/scale/all"
)

func init() {
	register(&command{
		name:    "scale read",
		args:    "URI [--count N] [--stable] [--same N] [--timeout D] [--interval D]",
		summary: "print live readings from a scale (e.g. nci+serial:///dev/ttyUSB0, sim://scale?weight=1.25lb) until Ctrl-C",
		flags: func(fs *flag.FlagSet) {
			fs.Int("count", 0, "stop after N readings (0: until Ctrl-C)")
			fs.Bool("stable", false, "wait for a stable, non-zero weight, print it and stop")
			fs.Int("same", 3, "with --stable: identical stable readings in a row to accept")
			fs.Duration("timeout", 0, "how long one reading may take (default: the protocol's, 1s or 2s)")
			fs.Duration("interval", 200*time.Millisecond, "pause between requests to request/response scales")
		},
		run: runScaleRead,
	})
}

// flagValue returns the parsed value of the named flag.
func flagValue[T any](fs *flag.FlagSet, name string) T {
	return fs.Lookup(name).Value.(flag.Getter).Get().(T)
}

// parseTrailing lets flags follow the positional argument.
func parseTrailing(fs *flag.FlagSet) ([]string, error) {
	var pos []string
	args := fs.Args()
	for len(args) > 0 {
		pos = append(pos, args[0])
		if err := fs.Parse(args[1:]); err != nil {
			return nil, errUsage
		}
		args = fs.Args()
	}
	return pos, nil
}

func runScaleRead(ctx context.Context, c *cli, fs *flag.FlagSet) error {
	pos, err := parseTrailing(fs)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errUsage
	}
	u, err := deviceuri.Parse(pos[0])
	if err != nil {
		return err
	}
	count := flagValue[int](fs, "count")
	interval := flagValue[time.Duration](fs, "interval")
	sc, err := scale.Open(ctx, u, scale.Options{Timeout: flagValue[time.Duration](fs, "timeout")})
	if err != nil {
		return explainOpen(err)
	}
	defer sc.Close()
	streaming := false
	if s, ok := sc.(scale.Streamer); ok {
		streaming = s.Streaming()
	}

	readings := make(chan scale.Reading, 16)
	errc := make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(readings)
		errc <- readLoop(ctx, c, sc, u, streaming, interval, readings)
	}()

	if flagValue[bool](fs, "stable") {
		same := flagValue[int](fs, "same")
		fmt.Fprintf(c.stderr, "waiting for %d identical stable readings from %s (Ctrl-C to stop)\n", same, u)
		r, err := scale.CaptureStable(ctx, readings, same)
		cancel()
		if rerr := <-errc; rerr != nil && !errors.Is(rerr, context.Canceled) {
			return rerr
		}
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		fmt.Fprintf(c.stdout, "stable %s %s (%s) raw %q\n", r.Value, r.Unit, r.Mass(), r.Raw)
		return nil
	}
	n := 0
	for r := range readings {
		fmt.Fprintf(c.stdout, "%s  %-28s raw %q\n", r.At.Format("15:04:05.000"), r, r.Raw)
		n++
		if count > 0 && n >= count {
			cancel()
			break
		}
	}
	for range readings {
	}
	if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// readLoop reads sc into out until ctx ends or the scale fails for good.
func readLoop(ctx context.Context, c *cli, sc scale.Scale, u deviceuri.URI, streaming bool, interval time.Duration, out chan<- scale.Reading) error {
	silent, good := 0, 0
	for {
		r, err := sc.Read(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var fe *scale.FrameError
		switch {
		case err == nil:
			silent = 0
			good++
			select {
			case out <- r:
			case <-ctx.Done():
				return ctx.Err()
			}
		case errors.As(err, &fe):
			fmt.Fprintf(c.stderr, "scale error: %v\n", fe)
		case errors.Is(err, scale.ErrNoAnswer):
			silent++
			if silent >= 3 || good == 0 {
				return fmt.Errorf("the scale at %s does not answer: check that it is on and cabled, and that the protocol and line setting (baud, data, parity) match the scale's menu; `packline-agent devices --probe` can find them: %w", u, err)
			}
			fmt.Fprintf(c.stderr, "no answer: %v\n", err)
		case errors.Is(err, serialport.ErrGone):
			return fmt.Errorf("the scale at %s went away (unplugged or switched off): %w", u, err)
		default:
			return err
		}
		if streaming && err == nil {
			continue
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// explainOpen adds what to do to an open error that lacks it.
func explainOpen(err error) error {
	var pe *serialport.Error
	if errors.As(err, &pe) && pe.Hint != "" {
		return err
	}
	switch {
	case errors.Is(err, serialport.ErrBusy):
		return fmt.Errorf("%w: close the other program that holds the port", err)
	case errors.Is(err, serialport.ErrNotFound):
		return fmt.Errorf("%w: check the port name; `packline-agent devices` lists the ports present", err)
	}
	return err
}
