package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// RunOptions tune a run.
type RunOptions struct {
	// Ticks to run: TicksProgram (0) for the image's steps.
	Ticks uint32
	// PaceMicros is wall time per tick on the board (0: as fast as it can).
	PaceMicros uint32
	// Inject is sent after START, before the spikes are read.
	Inject []Inject
	// OnTick, if set, sees each tick's spikes as they complete (a tick
	// read again after a reconnect is not seen twice). It runs in Run's
	// goroutine: it must not call Pause, Resume or Stop itself.
	OnTick func(tick int, spikes [][2]uint32)
	// Stop, when closed, stops the run: STOP is sent and the run ends at
	// the board's next tick boundary, with the spikes of every tick
	// before it (RunOnBoard also abandons a load in progress).
	Stop <-chan struct{}
}

// Run is what a run returned: the spikes of every tick received, and an
// exact account of the ticks that were not.
type Run struct {
	Ticks    int
	Spikes   [][][2]uint32 // per tick: (population, neuron)
	Have     []bool
	Received []TickRange // ticks whose spikes arrived
	Missing  []TickRange // ticks that ran but whose spikes did not arrive
	// NotRun are the ticks a STOP kept from running (StoppedAt on).
	NotRun []TickRange
	// StoppedAt is the tick a STOP ended the run before, or -1.
	StoppedAt int
}

// ranges lists the runs of ticks whose have[t] == want.
func ranges(have []bool, want bool) []TickRange {
	var out []TickRange
	for t := 0; t < len(have); t++ {
		if have[t] != want {
			continue
		}
		s := t
		for t < len(have) && have[t] == want {
			t++
		}
		out = append(out, TickRange{s, t})
	}
	return out
}

// IncompleteError is returned by Run when ticks' spikes are missing.
type IncompleteError struct {
	Missing []TickRange
	Ticks   int
	// NotRun are the ticks a STOP kept from running (none if not stopped).
	NotRun []TickRange
	Cause  error
}

func (e *IncompleteError) Error() string {
	n := 0
	for _, r := range e.Missing {
		n += r.To - r.From
	}
	s := fmt.Sprintf("run incomplete: spikes of %d of %d ticks missing (ticks %v)", n, e.Ticks, e.Missing)
	if len(e.NotRun) > 0 {
		s += fmt.Sprintf(", and %s not run (stopped)", TickSpan(e.NotRun[0].From, e.NotRun[0].To))
	}
	return s + ": " + e.Cause.Error()
}

func (e *IncompleteError) Unwrap() error { return e.Cause }

// StoppedError is returned by Run (and RunOnBoard) when a STOP ended the
// run before its last tick: the spikes of ticks [0, At) all arrived;
// ticks [At, Ticks) did not run. Loading is set when the stop came while
// the image was still loading, so nothing ran.
type StoppedError struct {
	At, Ticks int
	Loading   bool
}

func (e *StoppedError) Error() string {
	if e.Loading {
		return fmt.Sprintf("stopped during the load: none of the %d ticks ran", e.Ticks)
	}
	return fmt.Sprintf("run stopped at tick %d of %d: %s", e.At, e.Ticks, e.Account("received"))
}

// Account says which ticks' spikes were delivered (in the words of
// delivered: "received", "written") and which ticks did not run.
func (e *StoppedError) Account(delivered string) string {
	if e.Loading || e.At == 0 {
		return fmt.Sprintf("no tick ran; %s not run", TickSpan(0, e.Ticks))
	}
	return fmt.Sprintf("spikes for %s %s; %s not run", TickSpan(0, e.At), delivered, TickSpan(e.At, e.Ticks))
}

// TickSpan names the ticks [from, to): "tick 3", "ticks 0–41".
func TickSpan(from, to int) string {
	if to == from+1 {
		return fmt.Sprintf("tick %d", from)
	}
	return fmt.Sprintf("ticks %d–%d", from, to-1)
}

// runState is a Run in progress, as the run controls see it.
type runState struct {
	// waiters are the requests answered by OK (or ERROR), in the order
	// they went on the line: the board answers them in that order.
	waiters []*waiter
}

type waiter struct {
	t  MsgType
	ch chan ctlReply // nil for Run's own requests (START, INJECT)
}

type ctlReply struct {
	tick uint32
	err  error
}

func (w *waiter) answer(tick uint32, err error) {
	if w.ch != nil {
		w.ch <- ctlReply{tick, err} // buffered: never blocks
	}
}

// request sends a message answered by OK while a Run reads the link, and
// queues its waiter in the order of the line.
func (c *Client) request(a *runState, w *waiter, payload []byte) error {
	c.ctl.Lock()
	defer c.ctl.Unlock()
	c.mu.Lock()
	l := c.link
	if l != nil {
		a.waiters = append(a.waiters, w)
	}
	c.mu.Unlock()
	if l == nil {
		return fmt.Errorf("%w: not connected", ErrLinkDead)
	}
	// A failed send means a dead link: Run reconnects and settles every
	// waiter.
	return l.Send(w.t, payload)
}

// Control sends PAUSE, RESUME or STOP and returns the board's tick: for
// PAUSE and STOP the tick the run stopped before (every SPIKES of the
// ticks before it has then been received), for RESUME the tick it
// resumes at. It may be called from any goroutine while Run streams.
func (c *Client) Control(ctx context.Context, t MsgType) (uint32, error) {
	return c.control(ctx, t, nil)
}

// errNoRun is control's answer when the run it was meant for is over.
var errNoRun = errors.New("the run is over")

// control sends a run control. With only set, it is for that run alone:
// if the run is over, nothing is sent.
func (c *Client) control(ctx context.Context, t MsgType, only *runState) (uint32, error) {
	if t != MsgPause && t != MsgResume && t != MsgStop {
		return 0, fmt.Errorf("%v is not a run control", t)
	}
	c.ctl.Lock()
	c.mu.Lock()
	a, l := c.active, c.link
	if a == nil || only != nil && a != only {
		c.mu.Unlock()
		defer c.ctl.Unlock()
		if only != nil {
			return 0, errNoRun
		}
		// No run reads the link: wait for the answer here (holding ctl,
		// so no run starts meanwhile).
		if err := c.send(t, nil); err != nil {
			return 0, err
		}
		f, err := c.await(ctx, MsgOK, nil)
		if err != nil {
			return 0, err
		}
		return ParseU32(MsgOK, f.Payload)
	}
	// The run reads the answer: queue for it, in the order of the line.
	w := &waiter{t: t, ch: make(chan ctlReply, 1)}
	var err error
	if l == nil {
		err = fmt.Errorf("%w: not connected", ErrLinkDead)
	} else {
		a.waiters = append(a.waiters, w)
	}
	c.mu.Unlock()
	if err == nil {
		// A failed send means a dead link: Run reconnects and settles
		// the waiter.
		err = l.Send(t, nil)
	}
	c.ctl.Unlock()
	if err != nil {
		return 0, fmt.Errorf("sending %v: %w", t, err)
	}
	timer := time.NewTimer(c.opts.ReplyTimeout)
	defer timer.Stop()
	select {
	case r := <-w.ch:
		return r.tick, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-timer.C:
		return 0, fmt.Errorf("%w: no answer to %v from the board within %v", ErrLinkDead, t, c.opts.ReplyTimeout)
	}
}

// Pause pauses a run at the board's next tick boundary and returns it.
func (c *Client) Pause(ctx context.Context) (uint32, error) { return c.Control(ctx, MsgPause) }

// Resume resumes a paused run and returns the tick it resumes at.
func (c *Client) Resume(ctx context.Context) (uint32, error) { return c.Control(ctx, MsgResume) }

// Stop ends a run at the board's next tick boundary and returns it: the
// ticks before it ran, and Run returns their spikes and a *StoppedError.
func (c *Client) Stop(ctx context.Context) (uint32, error) { return c.Control(ctx, MsgStop) }

// runner is one Run's state.
type runner struct {
	c       *Client
	a       *runState
	opts    RunOptions
	r       *Run // nil until START is answered
	n       int
	partial [][2]uint32
	ptick   int // the tick partial belongs to, or -1
	stopAt  int // the tick STOP's OK named, or -1
	paused  bool
	done    bool // the current stream's DONE arrived
}

// Run starts the loaded image and collects its spikes. If the link dies
// the run is not restarted — the board keeps running — but after
// reconnecting the missing ticks are read back from the board's
// recording; what cannot be recovered is listed exactly. Pause, Resume
// and Stop may be called from other goroutines meanwhile.
func (c *Client) Run(ctx context.Context, opts RunOptions) (*Run, error) {
	a := &runState{}
	c.ctl.Lock()
	c.mu.Lock()
	if c.active != nil {
		c.mu.Unlock()
		c.ctl.Unlock()
		return nil, errors.New("a run is already in progress on this connection")
	}
	c.active = a
	c.mu.Unlock()
	c.ctl.Unlock()
	ru := &runner{c: c, a: a, opts: opts, ptick: -1, stopAt: -1}
	err := c.request(a, &waiter{t: MsgStart}, Start{Ticks: opts.Ticks, PaceMicros: opts.PaceMicros}.Marshal())
	if err == nil && opts.Stop != nil {
		over := make(chan struct{})
		defer close(over)
		go func() {
			select {
			case <-opts.Stop:
				// The answer, or why there is none, is Run's to report.
				_, _ = c.control(ctx, MsgStop, a)
			case <-over:
			}
		}()
	}
	if err == nil {
		err = ru.run(ctx)
	}
	// Settle the controls still waiting (a run that ended well has none),
	// after any control being sent has gone.
	c.ctl.Lock()
	c.mu.Lock()
	left := a.waiters
	a.waiters = nil
	c.active = nil
	c.mu.Unlock()
	c.ctl.Unlock()
	for _, w := range left {
		w.answer(0, fmt.Errorf("the run ended before the board answered %v: %w", w.t, err))
	}
	if ru.r == nil {
		return nil, err
	}
	return ru.finish(err)
}

// end is the tick the run ends before: the STOP's, or the last.
func (ru *runner) end() int {
	if ru.stopAt >= 0 {
		return min(ru.stopAt, ru.n)
	}
	return ru.n
}

// finish makes the account and the error.
func (ru *runner) finish(err error) (*Run, error) {
	r, end := ru.r, ru.end()
	r.Received, r.Missing = ranges(r.Have[:end], true), ranges(r.Have[:end], false)
	r.NotRun, r.StoppedAt = nil, -1
	if end < ru.n {
		r.NotRun, r.StoppedAt = []TickRange{{end, ru.n}}, end
	}
	rep := &ru.c.report
	rep.Received, rep.Missing, rep.NotRun = r.Received, r.Missing, r.NotRun
	switch {
	case err == nil && len(r.Missing) > 0:
		err = errors.New("the board's stream ended without them")
	case err == nil && end < ru.n:
		return r, &StoppedError{At: end, Ticks: ru.n}
	case err == nil:
		return r, nil
	}
	return r, &IncompleteError{Missing: r.Missing, Ticks: ru.n, NotRun: r.NotRun, Cause: err}
}

// run reads the link until the run is over: every tick up to the end is
// received, and every request answered.
func (ru *runner) run(ctx context.Context) error {
	c := ru.c
	attempt := 0
	replays := 0
	var lastMissing []TickRange
	for {
		if ru.r != nil && ru.done {
			missing := ranges(ru.r.Have[:ru.end()], false)
			if len(missing) == 0 {
				if ru.over() {
					return nil
				}
			} else if len(ru.pending()) == 0 {
				// A stream ended with holes (cut by a reconnect): read them
				// back from the board's recording, unless the last replay
				// brought nothing.
				if replays > 0 && fmt.Sprint(missing) == fmt.Sprint(lastMissing) {
					return fmt.Errorf("the board's replay of %v did not deliver them", missing)
				}
				replays++
				lastMissing = missing
				if err := c.readMissing(missing); err != nil && !dead(err) {
					return err
				}
				ru.done = false
			}
		}
		f, err := ru.recv(ctx)
		if err == nil {
			err = ru.handle(f)
			if err == nil {
				continue
			}
		}
		if !dead(err) || ru.r == nil {
			return err
		}
		if err := ru.reconnect(&attempt, err); err != nil {
			return err
		}
	}
}

// pending returns the waiters not yet answered.
func (ru *runner) pending() []*waiter {
	ru.c.mu.Lock()
	defer ru.c.mu.Unlock()
	return ru.a.waiters
}

// over reports whether every request has been answered; if so the run
// stops taking new ones (later controls go to the board directly).
func (ru *runner) over() bool {
	c := ru.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(ru.a.waiters) > 0 {
		return false
	}
	c.active = nil
	return true
}

// recv returns the next message. Silence is an error after ReplyTimeout
// (plus a tick's pace), except while the run is paused.
func (ru *runner) recv(ctx context.Context) (Frame, error) {
	c := ru.c
	if c.link == nil {
		return Frame{}, fmt.Errorf("%w: not connected", ErrLinkDead)
	}
	limit := c.opts.ReplyTimeout + time.Duration(ru.opts.PaceMicros)*time.Microsecond
	deadline := time.Now().Add(limit)
	for {
		if err := ctx.Err(); err != nil {
			return Frame{}, err
		}
		f, ok, err := c.link.Recv(100 * time.Millisecond)
		if err != nil || ok {
			return f, err
		}
		if ru.paused {
			deadline = time.Now().Add(limit)
		}
		if time.Now().After(deadline) {
			return Frame{}, fmt.Errorf("%w: nothing from the board within %v", ErrLinkDead, limit)
		}
	}
}

// handle takes one message of the run.
func (ru *runner) handle(f Frame) error {
	switch f.Type {
	case MsgOK, MsgError:
		return ru.answer(f)
	case MsgSpikes:
		return ru.spikes(f)
	case MsgDone:
		if _, err := ParseDone(f.Payload); err != nil {
			return err
		}
		if ru.r == nil {
			return fmt.Errorf("DONE before START was answered")
		}
		ru.partial, ru.ptick = nil, -1
		ru.done = true
		return nil
	}
	return fmt.Errorf("unexpected %v from the board during a run", f.Type)
}

// answer matches an OK or ERROR with the oldest request unanswered. An
// ERROR about anything else (a READ) ends the run.
func (ru *runner) answer(f Frame) error {
	c := ru.c
	var bad *ErrorMsg
	var tick uint32
	if f.Type == MsgError {
		e, err := ParseError(f.Payload)
		if err != nil {
			return err
		}
		bad = &e
	} else {
		t, err := ParseU32(MsgOK, f.Payload)
		if err != nil {
			return err
		}
		tick = t
	}
	c.mu.Lock()
	var w *waiter
	if len(ru.a.waiters) > 0 && (bad == nil || bad.About == ru.a.waiters[0].t) {
		w = ru.a.waiters[0]
		ru.a.waiters = ru.a.waiters[1:]
	}
	c.mu.Unlock()
	if w == nil {
		if bad != nil {
			return bad
		}
		return fmt.Errorf("OK(%d) from the board answers nothing asked", tick)
	}
	var err error
	if bad != nil {
		err = bad
	}
	w.answer(tick, err)
	switch {
	case w.t == MsgStart:
		if err != nil {
			return err
		}
		ru.n = int(tick)
		ru.r = &Run{Ticks: ru.n, Spikes: make([][][2]uint32, ru.n), Have: make([]bool, ru.n), StoppedAt: -1}
		c.report.Ticks = ru.n
		for _, in := range ru.opts.Inject {
			if err := c.request(ru.a, &waiter{t: MsgInject}, in.Marshal()); err != nil {
				return err
			}
		}
	case err != nil:
		// An INJECT the board refused: the run is not the one asked for.
		// (Controls carry their own errors.)
		if w.t == MsgInject {
			return err
		}
	case w.t == MsgPause:
		ru.paused = true
	case w.t == MsgResume:
		ru.paused = false
	case w.t == MsgStop:
		ru.paused = false
		if ru.stopAt < 0 || int(tick) < ru.stopAt {
			ru.stopAt = int(tick)
		}
	}
	return nil
}

// spikes takes a SPIKES batch.
func (ru *runner) spikes(f Frame) error {
	s, err := ParseSpikes(f.Payload)
	if err != nil {
		return err
	}
	r := ru.r
	if r == nil {
		return fmt.Errorf("SPIKES before START was answered")
	}
	for i, t := range s.Ticks {
		tick := int(s.First) + i
		if tick >= ru.n {
			return fmt.Errorf("SPIKES for tick %d of a %d-tick run", tick, ru.n)
		}
		if tick == ru.ptick {
			t = append(ru.partial, t...)
		}
		ru.partial, ru.ptick = nil, -1
		if i == len(s.Ticks)-1 && s.Flags&SpikesContinued != 0 {
			ru.partial, ru.ptick = t, tick
			continue
		}
		if !r.Have[tick] {
			r.Have[tick], r.Spikes[tick] = true, t
			if ru.opts.OnTick != nil {
				ru.opts.OnTick(tick, t)
			}
		}
	}
	return nil
}

// reconnect replaces a dead link. The requests in flight are lost with
// it: a STOP is sent again (the user still wants the run stopped); the
// others are answered with the loss. Then the missing ticks are read
// back.
func (ru *runner) reconnect(attempt *int, cause error) error {
	c := ru.c
	c.mu.Lock()
	lost := ru.a.waiters
	ru.a.waiters = nil
	c.mu.Unlock()
	ru.partial, ru.ptick = nil, -1
	var again []*waiter
	for _, w := range lost {
		switch {
		case w.t == MsgStop && ru.stopAt < 0:
			again = append(again, w)
		case w.t == MsgInject:
			c.logf("link lost before the board answered an INJECT: whether it took effect is unknown")
		default:
			w.answer(0, fmt.Errorf("link lost before the board answered %v: %w", w.t, cause))
		}
	}
	if err := c.reconnect(attempt, cause); err != nil {
		for _, w := range again {
			w.answer(0, fmt.Errorf("link lost before the board answered STOP: %w", err))
		}
		return err
	}
	ru.paused = false
	if c.info.State != StateRunning && c.info.State != StateDone {
		err := fmt.Errorf("board lost the run after reconnecting (state %d)", c.info.State)
		for _, w := range again {
			w.answer(0, err)
		}
		return err
	}
	for _, w := range again {
		if err := c.request(ru.a, w, nil); err != nil {
			return err
		}
	}
	// Read back what is missing once the requests are answered (the STOP
	// decides how far).
	ru.done = true
	return nil
}

// readMissing asks for the ticks from the first missing to the last.
func (c *Client) readMissing(missing []TickRange) error {
	if len(missing) == 0 {
		return nil
	}
	from, to := missing[0].From, missing[len(missing)-1].To
	c.logf("reading ticks %d-%d again", from, to-1)
	return c.send(MsgRead, Read{What: ReadSpikes, From: uint32(from), To: uint32(to)}.Marshal())
}
