package board

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/results"
	"github.com/somahw/soma/runtime"
	"github.com/somahw/soma/runtime/serialport"
)

// TestPauseResumeStop pauses, resumes and stops a paced run from another
// goroutine while Run streams: after PAUSE's answer no tick arrives until
// RESUME, and the run Stop ends holds exactly the ticks before the
// board's stop tick, with the emulator's spikes, byte for byte.
func TestPauseResumeStop(t *testing.T) {
	f := cuba(t)
	lines := []struct {
		name string
		dial func(t *testing.T) func() (runtime.Port, error)
	}{
		{"pipes", func(t *testing.T) func() (runtime.Port, error) {
			return newVirtual(t, Options{Target: "spinn5", Link: fastLink}, nil).dial
		}},
		{"pty", func(t *testing.T) func() (runtime.Port, error) {
			path := servePTY(t)
			return func() (runtime.Port, error) { return serialport.Open(path, 3000000) }
		}},
	}
	for _, line := range lines {
		t.Run(line.name, func(t *testing.T) {
			ctx := context.Background()
			c, err := runtime.Dial(line.dial(t), runtime.Options{Link: fastLink})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Load(ctx, f.image, runtime.KindSpiNNaker); err != nil {
				t.Fatal(err)
			}
			const ticks = 1000 // cuba's 0.1 s of 0.1 ms ticks
			got := make(chan int, ticks)
			type outcome struct {
				r   *runtime.Run
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				// 20 ms a tick: the whole run would take 20 s; it is stopped
				// long before.
				r, err := c.Run(ctx, runtime.RunOptions{PaceMicros: 20000, OnTick: func(tick int, _ [][2]uint32) { got <- tick }})
				done <- outcome{r, err}
			}()
			next := 0 // every tick before next has arrived, in order
			take := func(tick int) {
				t.Helper()
				if tick != next {
					t.Fatalf("tick %d arrived when tick %d was due", tick, next)
				}
				next++
			}
			waitFor := func(n int) {
				t.Helper()
				for next <= n {
					select {
					case tick := <-got:
						take(tick)
					case o := <-done:
						t.Fatalf("run ended before tick %d: %v", n, o.err)
					case <-time.After(20 * time.Second):
						t.Fatalf("no tick %d within 20 s", next)
					}
				}
			}
			drain := func() {
				for {
					select {
					case tick := <-got:
						take(tick)
					default:
						return
					}
				}
			}

			waitFor(10)
			paused, err := c.Pause(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// The board answers PAUSE after the SPIKES of every tick before
			// its tick, so those have all been taken; none after it come.
			drain()
			if next != int(paused) {
				t.Fatalf("PAUSE answered tick %d, but ticks 0–%d arrived", paused, next-1)
			}
			select {
			case tick := <-got:
				t.Fatalf("tick %d arrived while paused before tick %d", tick, paused)
			case o := <-done:
				t.Fatalf("run ended while paused: %v", o.err)
			case <-time.After(300 * time.Millisecond):
			}
			resumed, err := c.Resume(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if resumed != paused {
				t.Errorf("RESUME answered tick %d; paused before %d", resumed, paused)
			}
			waitFor(int(paused) + 10)
			stopped, err := c.Stop(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var o outcome
			select {
			case o = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("Run did not return within 20 s of STOP's answer")
			}
			drain()
			at := int(stopped)
			if at <= int(paused)+10 || at >= ticks {
				t.Fatalf("STOP answered tick %d; want one after %d and before the end", at, int(paused)+10)
			}
			var se *runtime.StoppedError
			if !errors.As(o.err, &se) {
				t.Fatalf("Run returned %v; want a *runtime.StoppedError", o.err)
			}
			wantMsg := fmt.Sprintf("run stopped at tick %d of %d: spikes for ticks 0–%d received; ticks %d–%d not run", at, ticks, at-1, at, ticks-1)
			if se.Error() != wantMsg {
				t.Errorf("error %q\nwant  %q", se.Error(), wantMsg)
			}
			r := o.r
			acct := struct{ Received, Missing, NotRun []runtime.TickRange }{r.Received, r.Missing, r.NotRun}
			wantAcct := struct{ Received, Missing, NotRun []runtime.TickRange }{Received: []runtime.TickRange{{From: 0, To: at}}, NotRun: []runtime.TickRange{{From: at, To: ticks}}}
			if diff := cmp.Diff(wantAcct, acct); diff != "" {
				t.Errorf("account (-want +got):\n%s", diff)
			}
			if next != at || r.StoppedAt != at {
				t.Errorf("OnTick saw ticks 0–%d, Run says stopped at %d; STOP answered %d", next-1, r.StoppedAt, at)
			}
			// The received ticks are the emulator's, byte for byte.
			var want []results.Spike
			for _, s := range f.want {
				if int(s.Step) < at {
					want = append(want, s)
				}
			}
			if diff := cmp.Diff(want, r.Result()); diff != "" {
				t.Errorf("spikes of ticks 0–%d differ from the emulator's (-want +got):\n%s", at-1, diff)
			}
			csv := func(sp []results.Spike) []byte {
				res := &results.Result{Timestep: f.prog.Timestep, Steps: at, Spikes: sp}
				for _, p := range f.prog.Populations {
					res.Populations = append(res.Populations, results.Population{Name: p.Name, Size: int(p.Size), Model: p.Model})
				}
				var b bytes.Buffer
				if err := res.WriteSpikesCSV(&b); err != nil {
					t.Fatal(err)
				}
				return b.Bytes()
			}
			if !bytes.Equal(csv(want), csv(r.Result())) {
				t.Errorf("spikes.csv of the stopped run differs from the emulator's for ticks 0–%d", at-1)
			}
			// With no run streaming, a STOP is answered directly, with the
			// tick the run ended before.
			again, err := c.Stop(ctx)
			if err != nil || int(again) != at {
				t.Errorf("STOP after the run: tick %d, %v; want %d", again, err, at)
			}
			t.Logf("paused before tick %d, stopped before tick %d; %d spikes", paused, at, len(want))
		})
	}
}

// TestRunAbort: cancelling Run's context (a second Ctrl-C) ends a paused
// run at once, with the ticks received and an exact account.
func TestRunAbort(t *testing.T) {
	f := cuba(t)
	v := newVirtual(t, Options{Target: "spinn5", Link: fastLink}, nil)
	c, err := runtime.Dial(v.dial, runtime.Options{Link: fastLink})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Load(context.Background(), f.image, runtime.KindSpiNNaker); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	done := make(chan error, 1)
	var r *runtime.Run
	go func() {
		var err error
		r, err = c.Run(ctx, runtime.RunOptions{PaceMicros: 20000, OnTick: func(tick int, _ [][2]uint32) {
			if tick == 3 {
				close(started)
			}
		}})
		done <- err
	}()
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("no tick 3 within 20 s")
	}
	at, err := c.Pause(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return within 20 s of its context's end")
	}
	var inc *runtime.IncompleteError
	if !errors.As(err, &inc) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v; want an *IncompleteError caused by the cancellation", err)
	}
	want := []runtime.TickRange{{From: 0, To: int(at)}}
	if diff := cmp.Diff(want, r.Received); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]runtime.TickRange{{From: int(at), To: 1000}}, r.Missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
}
