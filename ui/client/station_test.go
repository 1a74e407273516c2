package client

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/packline/packline/agent/localapi"
	"github.com/packline/packline/agent/localapi/apitype"
)

func TestStopsWhenStationTaken(t *testing.T) {
	_, _, ln := startAgent(t)
	url := "ws://" + ln.Addr().String()
	oldRec := newRecorder()
	old, err := New(oldRec.options(Options{URL: url, Token: token, Station: "S1", MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- old.Run(ctx) }()
	oldRec.wait(t, "first app connected", func() bool { return len(oldRec.welcomes) == 1 && old.State() == Connected })

	newRec := newRecorder()
	taker := runClient(t, newRec.options(Options{URL: url, Token: token, Station: "S1", Name: "second app", MinBackoff: time.Millisecond}))
	newRec.wait(t, "second app connected", func() bool { return len(newRec.welcomes) == 1 && taker.State() == Connected })

	var runErr error
	select {
	case runErr = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the first app's Run did not stop after its station was taken")
	}
	var taken *TakenError
	if !errors.As(runErr, &taken) || taken.Station != "S1" || taken.By != "127.0.0.1" || taken.Client != "second app" {
		t.Fatalf("Run returned %v (%+v), want a TakenError for S1 by 127.0.0.1", runErr, taken)
	}
	oldRec.mu.Lock()
	last, lastErr := oldRec.states[len(oldRec.states)-1], oldRec.errs[len(oldRec.errs)-1]
	welcomes := len(oldRec.welcomes)
	for _, ev := range oldRec.events {
		if ev.Event == apitype.EvStationTaken {
			t.Errorf("station_taken passed on as an event: %+v", ev)
		}
	}
	oldRec.mu.Unlock()
	if last != Stopped || !errors.As(lastErr, &taken) {
		t.Errorf("last state %v %v, want stopped with the TakenError", last, lastErr)
	}
	if welcomes != 1 {
		t.Errorf("the first app was welcomed %d times, want once: it must not reconnect", welcomes)
	}
	if _, err := old.Do(context.Background(), apitype.Command{Kind: apitype.CmdScan, Code: "X"}); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Do after the takeover: %v, want ErrNotConnected", err)
	}

	// The second app keeps the station.
	res, err := taker.Do(context.Background(), apitype.Command{Kind: apitype.CmdScan, Code: "SKU-1"})
	if err != nil || !res.OK {
		t.Fatalf("second app's command: %+v %v", res, err)
	}
	newRec.mu.Lock()
	defer newRec.mu.Unlock()
	if len(newRec.welcomes) != 1 || taker.State() != Connected {
		t.Errorf("second app: %d welcomes, state %v; want one welcome and still connected", len(newRec.welcomes), taker.State())
	}
}

// listing is a backend that has only the stations in ids.
type listing struct {
	*backend
	ids []string
}

func (l listing) Stations() []string { return l.ids }

func TestUnknownStationRetriesSlowly(t *testing.T) {
	b := &backend{}
	s, err := localapi.New(localapi.Options{Backend: listing{backend: b, ids: []string{"S2"}}, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	b.pub = s
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-served })

	rec := newRecorder()
	runClient(t, rec.options(Options{URL: "ws://" + ln.Addr().String(), Token: token, Station: "S1", MinBackoff: time.Millisecond, UnknownStationRetry: 2 * time.Millisecond}))
	rec.wait(t, "two refusals", func() bool {
		n := 0
		for i, st := range rec.states {
			var unknown *UnknownStationError
			if st == Disconnected && errors.As(rec.errs[i], &unknown) {
				n++
			}
		}
		return n >= 2
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var unknown *UnknownStationError
	for i := range rec.errs {
		if errors.As(rec.errs[i], &unknown) {
			break
		}
	}
	if unknown.Station != "S1" || !strings.Contains(unknown.Message, "S2") {
		t.Errorf("refusal %+v, want station S1 and the agent's list of stations", unknown)
	}
	if len(rec.welcomes) != 0 {
		t.Errorf("welcomed for an unknown station")
	}
}
