// Package board is the board side of soma's link protocol
// (docs/link-protocol.md), backed by the emulator: a virtual board that
// takes images over a Port — a pty, a TCP connection, a pipe — checks
// them, runs them on backends/emu and streams the spikes back tick by
// tick. It is what a board's firmware does, so the host's code path is
// exercised byte for byte without hardware.
package board

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/somahw/soma/backends/emu"
	"github.com/somahw/soma/backends/spinnaker"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/results"
	"github.com/somahw/soma/runtime"
	"github.com/somahw/soma/target"
)

// Options describe the virtual board.
type Options struct {
	// Target is the board's target; images for another are refused
	// ("" accepts any).
	Target string
	// Name and Firmware identify the board in INFO.
	Name, Firmware string
	// MaxImage is the largest image accepted, bytes (default 64 MiB).
	MaxImage int
	// Bauds are the line rates the board claims to support.
	Bauds []uint32
	// Link tunes the link (window, payload size, timeouts).
	Link runtime.LinkOptions
	// Logf, if set, receives one line per notable event.
	Logf func(format string, args ...any)
}

// answer is a deferred reply: OK with the tick the stream is at (atTick),
// or a message made when the request came.
type answer struct {
	t       runtime.MsgType
	payload []byte
	atTick  bool
}

// Board is a virtual board. Its memory (the image, the last run) outlives
// connections: Serve can be called again after a line drops, and a host
// that reconnects finds its partial load or its run's spikes still there.
type Board struct {
	opts Options
	mu   sync.Mutex
	cond *sync.Cond

	// loading
	load runtime.Load
	buf  []byte
	high uint32 // bytes [0, high) written without a gap
	// loaded
	prog *program.Program
	// run
	res      *results.Result
	counters *emu.Counters
	tickAt   []int // spikes of tick t: res.Spikes[tickAt[t]:tickAt[t+1]]
	runTo    uint32
	streamed uint32 // next tick the live stream sends
	running  bool
	paused   bool
	stopped  bool
	// answers are the replies to requests that came during a live stream
	// (PAUSE, RESUME, STOP, INJECT), in order: the stream sends them at
	// its next tick boundary, so an OK(t) follows every SPIKES of the
	// ticks before t and precedes any of the ticks after.
	answers []answer
	// draining: the run has ended and the stream is still sending the
	// answers it owed; later requests queue behind them.
	draining bool
	gen      int // bumped when a session or run ends a stream
	// link counters summed over connections
	linkTotal runtime.LinkStats
}

// New returns a board with nothing loaded.
func New(opts Options) *Board {
	if opts.MaxImage <= 0 {
		opts.MaxImage = 64 << 20
	}
	if opts.Name == "" {
		opts.Name = "soma-virtual-board"
	}
	if opts.Firmware == "" {
		opts.Firmware = "soma-emu"
	}
	if len(opts.Bauds) == 0 {
		opts.Bauds = []uint32{115200, 921600, 3000000}
	}
	b := &Board{opts: opts}
	b.cond = sync.NewCond(&b.mu)
	return b
}

func (b *Board) logf(format string, args ...any) {
	if b.opts.Logf != nil {
		b.opts.Logf(format, args...)
	}
}

// session is one connection's state.
type session struct {
	b      *Board
	l      *runtime.Link
	nonce  uint32
	hello  bool
	refuse string // why this host is refused (version), or ""
	// cursor is where WRITE_MORE continues. It belongs to the session:
	// frames an old connection still delivers after a reconnect must not
	// move the new one's writes.
	cursor uint32
}

// Serve speaks the protocol over port until the port fails or ctx ends.
// It never panics on what arrives: bad frames are counted and answered
// with NACK, bad messages with ERROR.
func (b *Board) Serve(ctx context.Context, port runtime.Port) error {
	l := runtime.NewLink(port, b.opts.Link)
	s := &session{b: b, l: l}
	defer func() {
		st := l.Stats()
		b.mu.Lock()
		b.cut() // its answers go with the session
		addStats(&b.linkTotal, st)
		b.cond.Broadcast()
		b.mu.Unlock()
		l.Close()
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-l.Done():
			return l.Err()
		case f := <-l.Control():
			if f.Type == runtime.MsgHello {
				s.onHello(f)
			}
		case f := <-l.Messages():
			s.handle(f)
		}
	}
}

func addStats(dst *runtime.LinkStats, s runtime.LinkStats) {
	dst.FramesSent += s.FramesSent
	dst.Retransmits += s.Retransmits
	dst.FramesReceived += s.FramesReceived
	dst.FramesBad += s.FramesBad + s.Oversized
	dst.Duplicates += s.Duplicates
}

func (s *session) onHello(f runtime.Frame) {
	h, err := runtime.ParseHello(f.Payload)
	if err != nil {
		return // a damaged HELLO that passed the CRC is vanishingly rare; the host repeats it
	}
	b := s.b
	if h.Window == 0 {
		// A probe (soma ports): say what this is, change nothing.
		s.info(h.Nonce)
		return
	}
	if !s.hello || h.Nonce != s.nonce {
		s.hello, s.nonce = true, h.Nonce
		s.refuse = ""
		if h.Major != runtime.ProtocolMajor {
			s.refuse = fmt.Sprintf("host speaks link protocol %d.%d; this board speaks %d.%d: incompatible major version",
				h.Major, h.Minor, runtime.ProtocolMajor, runtime.ProtocolMinor)
		}
		// A new session: the old stream's frames are gone with it.
		b.mu.Lock()
		b.cut() // and the answers it owed
		b.cond.Broadcast()
		b.mu.Unlock()
		s.l.Reset(uint16(h.Nonce>>16), uint16(h.Nonce))
		if h.MaxPayload > 0 {
			s.l.SetMaxPayload(int(h.MaxPayload))
		}
		s.l.SetWindow(int(h.Window))
		b.logf("session %08x from %q (protocol %d.%d)", h.Nonce, h.Host, h.Major, h.Minor)
	}
	s.info(h.Nonce)
}

// info answers a HELLO.
func (s *session) info(nonce uint32) {
	b := s.b
	o := s.l.Options()
	info := runtime.Info{Nonce: nonce, Major: runtime.ProtocolMajor, Minor: runtime.ProtocolMinor,
		Window: uint8(o.Window), MaxPayload: uint16(o.MaxPayload), MaxImage: uint32(min(uint64(b.opts.MaxImage), math.MaxUint32)),
		State: b.state(), Bauds: b.opts.Bauds, Board: b.opts.Name, Target: b.opts.Target, Firmware: b.opts.Firmware}
	_ = s.l.SendControl(runtime.MsgInfo, 0, info.Marshal())
}

func (b *Board) state() uint8 {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.running:
		return runtime.StateRunning
	case b.res != nil:
		return runtime.StateDone
	case b.prog != nil:
		return runtime.StateLoaded
	case b.buf != nil:
		return runtime.StateLoading
	}
	return runtime.StateEmpty
}

func (s *session) fail(code runtime.ErrorCode, about runtime.MsgType, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.b.logf("error: %s", msg)
	_ = s.l.Send(runtime.MsgError, runtime.ErrorMsg{Code: code, About: about, Message: msg}.Marshal())
}

func (s *session) reply(t runtime.MsgType, payload []byte) { _ = s.l.Send(t, payload) }

// handle answers one sequenced message. A panic here would be a bug; it is
// turned into an ERROR so a virtual board, like firmware, stays up.
func (s *session) handle(f runtime.Frame) {
	defer func() {
		if r := recover(); r != nil {
			s.fail(runtime.ErrCodeInternal, f.Type, "internal error: %v", r)
		}
	}()
	if !s.hello {
		s.fail(runtime.ErrCodeState, f.Type, "%v before HELLO", f.Type)
		return
	}
	if s.refuse != "" {
		s.fail(runtime.ErrCodeVersion, f.Type, "%s", s.refuse)
		return
	}
	b := s.b
	switch f.Type {
	case runtime.MsgLoad:
		m, err := runtime.ParseLoad(f.Payload)
		if err != nil {
			s.fail(runtime.ErrCodeBadMessage, f.Type, "%v", err)
			return
		}
		s.onLoad(m)
	case runtime.MsgWrite, runtime.MsgWriteMore:
		var w runtime.Write
		var err error
		if f.Type == runtime.MsgWrite {
			w, err = runtime.ParseWrite(f.Payload)
		} else {
			w = runtime.Write{Offset: s.cursor, Data: f.Payload}
		}
		if err != nil {
			s.fail(runtime.ErrCodeBadMessage, f.Type, "%v", err)
			return
		}
		s.onWrite(f.Type, w)
	case runtime.MsgVerify:
		m, err := runtime.ParseVerify(f.Payload)
		if err != nil {
			s.fail(runtime.ErrCodeBadMessage, f.Type, "%v", err)
			return
		}
		s.onVerify(m)
	case runtime.MsgCommit:
		s.onCommit()
	case runtime.MsgStart:
		m, err := runtime.ParseStart(f.Payload)
		if err != nil {
			s.fail(runtime.ErrCodeBadMessage, f.Type, "%v", err)
			return
		}
		s.onStart(m)
	case runtime.MsgPause, runtime.MsgResume, runtime.MsgStop:
		b.mu.Lock()
		if b.draining {
			b.answers = append(b.answers, answer{t: runtime.MsgOK, atTick: true})
			b.mu.Unlock()
			return
		}
		if !b.running {
			// No run streaming: nothing to pause or stop; the answer is
			// where the last run ended.
			t := b.runTo
			b.mu.Unlock()
			s.reply(runtime.MsgOK, runtime.U32(t))
			return
		}
		switch f.Type {
		case runtime.MsgPause:
			b.paused = true
		case runtime.MsgResume:
			b.paused = false
		case runtime.MsgStop:
			b.stopped = true
		}
		// The stream obeys at its next tick boundary, and answers then.
		b.answers = append(b.answers, answer{t: runtime.MsgOK, atTick: true})
		b.cond.Broadcast()
		b.mu.Unlock()
	case runtime.MsgInject:
		m, err := runtime.ParseInject(f.Payload)
		if err != nil {
			s.fail(runtime.ErrCodeBadMessage, f.Type, "%v", err)
			return
		}
		s.onInject(m)
	case runtime.MsgRead:
		m, err := runtime.ParseRead(f.Payload)
		if err != nil {
			s.fail(runtime.ErrCodeBadMessage, f.Type, "%v", err)
			return
		}
		s.onRead(m)
	case runtime.MsgReset:
		b.mu.Lock()
		owed, at := b.cut()
		b.buf, b.high, b.load = nil, 0, runtime.Load{}
		s.cursor = 0
		b.prog, b.res, b.counters, b.tickAt = nil, nil, nil, nil
		b.cond.Broadcast()
		b.mu.Unlock()
		s.send(owed, at)
		s.reply(runtime.MsgOK, runtime.U32(0))
	default:
		s.fail(runtime.ErrCodeBadMessage, f.Type, "unknown message %v", f.Type)
	}
}

func (s *session) onLoad(m runtime.Load) {
	b := s.b
	switch {
	case m.Kind != runtime.KindSpiNNaker && m.Kind != runtime.KindProgram:
		s.fail(runtime.ErrCodeBadMessage, runtime.MsgLoad, "unknown image kind %d (1 SpiNNaker image, 2 soma program)", m.Kind)
		return
	case int64(m.Size) > int64(b.opts.MaxImage):
		s.fail(runtime.ErrCodeCapacity, runtime.MsgLoad, "image of %d bytes exceeds this board's capacity of %d bytes", m.Size, b.opts.MaxImage)
		return
	case m.Size == 0:
		s.fail(runtime.ErrCodeBadMessage, runtime.MsgLoad, "empty image")
		return
	case m.Block == 0 || m.Block > 1<<20:
		s.fail(runtime.ErrCodeBadMessage, runtime.MsgLoad, "verify block of %d bytes (1 … 1048576)", m.Block)
		return
	}
	b.mu.Lock()
	resume := uint32(0)
	if b.buf != nil && b.load == m {
		resume = b.high // same image: keep what was written
	} else {
		b.buf, b.high, b.load = make([]byte, m.Size), 0, m
	}
	s.cursor = resume
	owed, at := b.cut()
	b.prog, b.res, b.counters, b.tickAt = nil, nil, nil, nil
	b.cond.Broadcast()
	b.mu.Unlock()
	s.send(owed, at)
	b.logf("load: %d bytes, resuming at %d", m.Size, resume)
	s.reply(runtime.MsgLoaded, runtime.U32(resume))
}

func (s *session) onWrite(t runtime.MsgType, w runtime.Write) {
	b := s.b
	b.mu.Lock()
	if b.buf == nil {
		b.mu.Unlock()
		s.fail(runtime.ErrCodeState, t, "%v without LOAD", t)
		return
	}
	end := uint64(w.Offset) + uint64(len(w.Data))
	if end > uint64(len(b.buf)) {
		n := len(b.buf)
		b.mu.Unlock()
		s.fail(runtime.ErrCodeCapacity, t, "write of %d bytes at %d runs past the announced %d-byte image", len(w.Data), w.Offset, n)
		return
	}
	copy(b.buf[w.Offset:], w.Data)
	s.cursor = uint32(end)
	if w.Offset <= b.high && uint32(end) > b.high {
		b.high = uint32(end)
	}
	b.mu.Unlock()
}

func (s *session) onVerify(m runtime.Verify) {
	b := s.b
	b.mu.Lock()
	if b.buf == nil {
		b.mu.Unlock()
		s.fail(runtime.ErrCodeState, runtime.MsgVerify, "VERIFY without LOAD")
		return
	}
	bs := uint64(b.load.Block)
	blocks := (uint64(len(b.buf)) + bs - 1) / bs
	most := uint64(s.l.Options().MaxPayload-6) / 4
	if uint64(m.First)+uint64(m.Count) > blocks || uint64(m.Count) > most {
		b.mu.Unlock()
		s.fail(runtime.ErrCodeBadMessage, runtime.MsgVerify, "blocks %d+%d: the image has %d blocks and one reply holds %d", m.First, m.Count, blocks, most)
		return
	}
	v := runtime.Verified{First: m.First}
	for i := uint64(m.First); i < uint64(m.First)+uint64(m.Count); i++ {
		v.CRCs = append(v.CRCs, crc32.ChecksumIEEE(b.buf[i*bs:min((i+1)*bs, uint64(len(b.buf)))]))
	}
	b.mu.Unlock()
	s.reply(runtime.MsgVerified, v.Marshal())
}

func (s *session) onCommit() {
	b := s.b
	b.mu.Lock()
	buf, high, load := b.buf, b.high, b.load
	b.mu.Unlock()
	if buf == nil {
		s.fail(runtime.ErrCodeState, runtime.MsgCommit, "COMMIT without LOAD")
		return
	}
	if int(high) < len(buf) {
		s.fail(runtime.ErrCodeState, runtime.MsgCommit, "image incomplete: %d of %d bytes written", high, len(buf))
		return
	}
	if c := crc32.ChecksumIEEE(buf); c != load.CRC32 {
		s.fail(runtime.ErrCodeBadImage, runtime.MsgCommit, "image CRC-32 %08x, announced %08x: VERIFY and rewrite", c, load.CRC32)
		return
	}
	p, err := decodeImage(load.Kind, buf, b.opts.Target)
	if err != nil {
		s.fail(runtime.ErrCodeBadImage, runtime.MsgCommit, "%v", err)
		return
	}
	b.mu.Lock()
	b.prog = p
	b.mu.Unlock()
	b.logf("image accepted: %s for %s, %d cores, %d steps", p.Network, p.Target, len(p.Cores), p.Steps)
	s.reply(runtime.MsgReady, runtime.Ready{Steps: p.Steps, Cores: uint32(len(p.Cores))}.Marshal())
}

// decodeImage decodes and checks an image as the board's loader would.
func decodeImage(kind uint8, buf []byte, want string) (p *program.Program, err error) {
	defer func() {
		// The decoders are fuzzed not to panic; a board must not fall over
		// even if one did.
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("image decoder failed: %v", r)
		}
	}()
	if kind == runtime.KindSpiNNaker {
		p, err = spinnaker.Decode(buf)
	} else {
		p, err = program.Decode(buf)
	}
	if err != nil {
		return nil, fmt.Errorf("image does not decode: %w", err)
	}
	if want != "" && p.Target != want {
		return nil, fmt.Errorf("image is for target %s; this board is a %s", p.Target, want)
	}
	t, err := target.Load(p.Target)
	if err != nil {
		return nil, err
	}
	if err := p.Verify(program.NewMachine(t)); err != nil {
		return nil, fmt.Errorf("image fails verification: %w", err)
	}
	return p, nil
}

// emulate runs the program (l.mu not held) and indexes the spikes by tick.
func emulate(p *program.Program) (*results.Result, *emu.Counters, []int, error) {
	t, err := target.Load(p.Target)
	if err != nil {
		return nil, nil, nil, err
	}
	e, err := emu.New(p, program.NewMachine(t), emu.Options{})
	if err != nil {
		return nil, nil, nil, err
	}
	res, cnt, err := e.Run()
	if err != nil {
		return nil, nil, nil, err
	}
	res.Sort()
	at := make([]int, int(p.Steps)+1)
	i := 0
	for t := range int(p.Steps) {
		at[t] = i
		for i < len(res.Spikes) && int(res.Spikes[i].Step) == t {
			i++
		}
	}
	at[p.Steps] = i
	return res, cnt, at, nil
}

func (s *session) onStart(m runtime.Start) {
	b := s.b
	b.mu.Lock()
	p := b.prog
	b.mu.Unlock()
	if p == nil {
		s.fail(runtime.ErrCodeState, runtime.MsgStart, "START without a committed image")
		return
	}
	n := p.Steps
	if m.Ticks != runtime.TicksProgram && m.Ticks != runtime.TicksUntilStopped {
		if m.Ticks > p.Steps {
			s.fail(runtime.ErrCodeCapacity, runtime.MsgStart, "%d ticks asked; the image holds %d steps", m.Ticks, p.Steps)
			return
		}
		n = m.Ticks
	}
	// The emulator runs the whole program at once, as fast as it can; the
	// ticks then stream as a board's recording would, one batch at a time.
	res, cnt, at, err := emulate(p)
	if err != nil {
		s.fail(runtime.ErrCodeBadImage, runtime.MsgStart, "%v", err)
		return
	}
	b.mu.Lock()
	owed, was := b.cut() // a run streaming is replaced
	b.res, b.counters, b.tickAt = res, cnt, at
	b.runTo, b.streamed = n, 0
	b.running, b.paused, b.stopped = true, false, false
	gen := b.gen
	b.cond.Broadcast()
	b.mu.Unlock()
	s.send(owed, was)
	b.logf("run: %d ticks, %d µs a tick", n, m.PaceMicros)
	s.reply(runtime.MsgOK, runtime.U32(n))
	go s.stream(gen, 0, n, m.PaceMicros, true)
}

// cut ends the live stream, if any (b.mu held): it stops at once, and
// the answers it owed are returned, with the tick it had reached, for
// the caller to send (or drop with the session).
func (b *Board) cut() ([]answer, uint32) {
	b.gen++
	b.running, b.draining = false, false
	owed := b.answers
	b.answers = nil
	return owed, b.streamed
}

// send sends deferred answers, OKs saying tick.
func (s *session) send(owed []answer, tick uint32) {
	for _, a := range owed {
		if a.atTick {
			a.payload = runtime.U32(tick)
		}
		if err := s.l.Send(a.t, a.payload); err != nil {
			return
		}
	}
}

// stream sends ticks [from, to) as SPIKES batches, then DONE. A live
// stream (a run) follows pace, PAUSE and STOP, at tick boundaries, and
// answers them there; READ replays just send.
func (s *session) stream(gen int, from, to, pace uint32, live bool) {
	b := s.b
	sz := runtime.NewSizer(s.l, runtime.SpikesHeader)
	var batch uint32
	var total uint64
	t := from
	part := 0 // spikes of tick t already sent (a split tick)
	step := time.Duration(pace) * time.Microsecond
	due := time.Now().Add(step) // when tick t is complete (paced runs)
	for {
		b.mu.Lock()
		if b.gen != gen {
			b.mu.Unlock()
			return
		}
		var owed []answer
		if live && part == 0 {
			// A tick boundary: answer the controls, then obey them.
			owed, b.answers = b.answers, nil
			if b.stopped || t >= to {
				b.running, b.draining = false, true
				b.runTo = t
				b.mu.Unlock()
				// Answer what came meanwhile too, in order, until none is
				// left; requests after that are answered directly.
				for len(owed) > 0 {
					s.send(owed, t)
					b.mu.Lock()
					if b.gen != gen {
						b.mu.Unlock()
						return
					}
					owed, b.answers = b.answers, nil
					b.draining = len(owed) > 0
					b.mu.Unlock()
				}
				b.mu.Lock()
				b.draining = false
				b.mu.Unlock()
				break
			}
			if b.paused || step > 0 && time.Now().Before(due) {
				paused := b.paused
				b.mu.Unlock()
				s.send(owed, t)
				b.mu.Lock()
				wake := (*time.Timer)(nil)
				if !b.paused {
					wake = time.AfterFunc(time.Until(due), func() { b.mu.Lock(); b.cond.Broadcast(); b.mu.Unlock() })
				}
				for b.gen == gen && !b.stopped && len(b.answers) == 0 &&
					(b.paused || step > 0 && time.Now().Before(due)) {
					b.cond.Wait()
				}
				if wake != nil {
					wake.Stop()
				}
				if paused && !b.paused {
					// Resumed: the next tick takes a whole tick from now.
					due = time.Now().Add(step)
				}
				b.mu.Unlock()
				continue
			}
		} else if t >= to {
			b.mu.Unlock()
			break
		}
		msg := runtime.Spikes{Batch: batch, First: t}
		// Batches follow the line's error rate, as image chunks do.
		maxPayload := runtime.SpikesHeader + max(24, sz.Next())
		size := runtime.SpikesHeader
		for t < to && size < maxPayload {
			if live && part == 0 && step > 0 && len(msg.Ticks) > 0 && time.Now().Before(due) {
				break // the next tick has not run yet
			}
			all := b.res.Spikes[b.tickAt[t]:b.tickAt[t+1]]
			tick := make([][2]uint32, 0, len(all)-part)
			// At least 5 bytes for the tick's count; pairs until full.
			room := maxPayload - size - 5
			for _, sp := range all[part:] {
				pair := [2]uint32{uint32(sp.Pop), uint32(sp.Neuron)}
				need := runtime.SpikeBytes([][2]uint32{pair}) - 1
				if room < need {
					break
				}
				room -= need
				tick = append(tick, pair)
			}
			if len(tick) == 0 && part+len(tick) < len(all) && len(msg.Ticks) > 0 {
				break // start the busy tick in the next batch
			}
			if part == 0 && step > 0 {
				due = due.Add(step)
			}
			msg.Ticks = append(msg.Ticks, tick)
			size += runtime.SpikeBytes(tick)
			total += uint64(len(tick))
			if part+len(tick) < len(all) {
				part += len(tick)
				msg.Flags = runtime.SpikesContinued
				break
			}
			part = 0
			t++
		}
		if live {
			// A tick begun is finished before any pause or stop: it
			// counts as streamed (INJECT can no longer change it).
			b.streamed = t
			if part > 0 {
				b.streamed++
			}
		}
		b.mu.Unlock()
		s.send(owed, t)
		if err := s.l.Send(runtime.MsgSpikes, msg.Marshal()); err != nil {
			return
		}
		batch++
	}
	b.mu.Lock()
	if b.gen != gen {
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	_ = s.l.Send(runtime.MsgDone, runtime.Done{From: from, To: t, Batches: batch, Spikes: total}.Marshal())
}

func (s *session) onInject(m runtime.Inject) {
	b := s.b
	b.mu.Lock()
	t, code, err := b.inject(m)
	if err != nil {
		msg := runtime.ErrorMsg{Code: code, About: runtime.MsgInject, Message: err.Error()}
		b.logf("error: %s", msg.Message)
		s.answerLocked(answer{t: runtime.MsgError, payload: msg.Marshal()})
		return
	}
	s.answerLocked(answer{t: runtime.MsgOK, payload: runtime.U32(t)})
}

// answerLocked answers a request (b.mu held; it is released): behind the
// answers a live stream owes, or at once.
func (s *session) answerLocked(a answer) {
	b := s.b
	if b.running || b.draining {
		b.answers = append(b.answers, a)
		b.cond.Broadcast()
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	s.reply(a.t, a.payload)
}

// inject applies an INJECT (b.mu held) and returns its tick, or why not.
func (b *Board) inject(m runtime.Inject) (uint32, runtime.ErrorCode, error) {
	p := b.prog
	if p == nil {
		return 0, runtime.ErrCodeState, errors.New("INJECT without a committed image")
	}
	if int(m.Pop) >= len(p.Populations) {
		return 0, runtime.ErrCodeInject, fmt.Errorf("population %d: the image has %d", m.Pop, len(p.Populations))
	}
	pop := p.Populations[m.Pop]
	if !pop.Source {
		return 0, runtime.ErrCodeInject, fmt.Errorf("population %s is not a spike source: spikes can only be injected into an input population", pop.Name)
	}
	if m.Tick >= p.Steps {
		return 0, runtime.ErrCodeInject, fmt.Errorf("tick %d is past the run's %d steps", m.Tick, p.Steps)
	}
	if b.running && m.Tick < b.streamed {
		return 0, runtime.ErrCodeInject, fmt.Errorf("tick %d has already been streamed (the board is at tick %d)", m.Tick, b.streamed)
	}
	for _, n := range m.Neurons {
		if n >= pop.Size {
			return 0, runtime.ErrCodeInject, fmt.Errorf("neuron %d of population %s (%d neurons)", n, pop.Name, pop.Size)
		}
	}
	for _, n := range m.Neurons {
		for _, ci := range pop.Cores {
			c := &p.Cores[ci]
			if n >= c.Lo && n < c.Lo+c.N {
				c.Spikes = addSpike(c.Spikes, m.Tick, n-c.Lo)
			}
		}
	}
	if b.running {
		// The emulator is deterministic and a spike sent at tick t acts
		// from t on, so re-running gives the same ticks before t: the
		// stream carries on from where it is with the new future.
		res, cnt, at, err := emulate(p)
		if err != nil {
			return 0, runtime.ErrCodeInternal, err
		}
		b.res, b.counters, b.tickAt = res, cnt, at
	}
	return m.Tick, 0, nil
}

// addSpike inserts (step, index) into a sorted spike list, once.
func addSpike(list []uint32, step, index uint32) []uint32 {
	i := 0
	for i+1 < len(list) && (list[i] < step || list[i] == step && list[i+1] < index) {
		i += 2
	}
	if i+1 < len(list) && list[i] == step && list[i+1] == index {
		return list
	}
	return slices.Insert(list, i, step, index)
}

func (s *session) onRead(m runtime.Read) {
	b := s.b
	switch m.What {
	case runtime.ReadCounters:
		s.reply(runtime.MsgData, b.Counters().Marshal())
	case runtime.ReadSpikes:
		b.mu.Lock()
		if b.res == nil {
			b.mu.Unlock()
			s.fail(runtime.ErrCodeState, runtime.MsgRead, "no run to read spikes from")
			return
		}
		limit := b.runTo
		if b.running {
			limit = b.streamed
		}
		if m.From > m.To || m.To > max(limit, b.runTo) {
			b.mu.Unlock()
			s.fail(runtime.ErrCodeBadMessage, runtime.MsgRead, "ticks [%d, %d): the run has %d", m.From, m.To, b.runTo)
			return
		}
		gen := b.gen
		b.mu.Unlock()
		go s.stream(gen, m.From, m.To, 0, false)
	case runtime.ReadTraces:
		b.mu.Lock()
		if b.res == nil {
			b.mu.Unlock()
			s.fail(runtime.ErrCodeState, runtime.MsgRead, "no run to read traces from")
			return
		}
		if m.From > m.To || m.To > b.runTo {
			b.mu.Unlock()
			s.fail(runtime.ErrCodeBadMessage, runtime.MsgRead, "ticks [%d, %d): the run has %d", m.From, m.To, b.runTo)
			return
		}
		rec := runtime.Recording{From: m.From, To: m.To}
		for _, t := range b.res.Traces {
			rec.Traces = append(rec.Traces, runtime.Slice(t, m.From, m.To))
		}
		gen := b.gen
		b.mu.Unlock()
		blob, err := rec.Marshal()
		if err != nil {
			s.fail(runtime.ErrCodeCapacity, runtime.MsgRead, "the recording cannot be sent: %v", err)
			return
		}
		if uint64(len(blob)) > math.MaxUint32 {
			s.fail(runtime.ErrCodeCapacity, runtime.MsgRead, "the recording of ticks [%d, %d) is %d bytes; READ at most 4 GiB at a time", m.From, m.To, len(blob))
			return
		}
		go s.sendRecording(gen, blob)
	default:
		s.fail(runtime.ErrCodeBadMessage, runtime.MsgRead, "unknown READ item %d", m.What)
	}
}

// sendRecording sends an encoded Recording as TRACES chunks, sized like
// spike batches from the line's error rate.
func (s *session) sendRecording(gen int, blob []byte) {
	b := s.b
	sz := runtime.NewSizer(s.l, runtime.TracesHeader)
	for off := 0; off < len(blob); {
		b.mu.Lock()
		same := b.gen == gen
		b.mu.Unlock()
		if !same {
			return
		}
		n := min(max(24, sz.Next()), len(blob)-off)
		c := runtime.TracesChunk{Offset: uint32(off), Total: uint32(len(blob)), Data: blob[off : off+n]}
		if err := s.l.Send(runtime.MsgTraces, c.Marshal()); err != nil {
			return
		}
		off += n
	}
}

// Counters returns the board's counters: the last run's and the link's.
func (b *Board) Counters() runtime.Data {
	b.mu.Lock()
	defer b.mu.Unlock()
	var d runtime.Data
	add := func(id uint8, v uint64) { d.Counters = append(d.Counters, [2]uint64{uint64(id), v}) }
	if b.counters != nil {
		var over, drop, syn uint64
		for _, c := range b.counters.Cores {
			over += c.Overruns
			syn += c.SynapticEvents
		}
		for _, c := range b.counters.Chips {
			drop += c.PacketsDropped
		}
		add(runtime.CounterTicks, uint64(b.runTo))
		add(runtime.CounterSpikes, uint64(b.tickAt[b.runTo]))
		add(runtime.CounterOverruns, over)
		add(runtime.CounterDropped, drop)
		add(runtime.CounterSynapticEvent, syn)
	}
	add(runtime.CounterFramesIn, b.linkTotal.FramesReceived)
	add(runtime.CounterFramesBad, b.linkTotal.FramesBad)
	add(runtime.CounterRetransmits, b.linkTotal.Retransmits)
	add(runtime.CounterDuplicates, b.linkTotal.Duplicates)
	slices.SortFunc(d.Counters, func(a, b [2]uint64) int { return int(a[0]) - int(b[0]) })
	return d
}

// ErrClosed is returned by Serve when its port closes.
var ErrClosed = errors.New("board: port closed")
