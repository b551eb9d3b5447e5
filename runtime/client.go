package runtime

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// Board is what the host does with a board: load an image, run it, read
// what it counted. *Client implements it over the link protocol.
type Board interface {
	Load(ctx context.Context, image []byte, kind uint8) error
	Run(ctx context.Context, opts RunOptions) (*Run, error)
	Counters(ctx context.Context) (map[string]uint64, error)
	Close() error
}

var _ Board = (*Client)(nil)

// Options tune a Client.
type Options struct {
	Link LinkOptions
	// Retries is how many times one operation (a load, a run) may
	// reconnect after the link dies; 0 fails at the first loss.
	Retries int
	// ReplyTimeout bounds the wait for a reply (default 60 s: a board
	// emulating a large program answers START late).
	ReplyTimeout time.Duration
	// HelloTimeout is the wait for INFO per HELLO (default 250 ms, eight
	// tries).
	HelloTimeout time.Duration
	// Block is the VERIFY block size in bytes (default 4096).
	Block int
	// Progress, if set, is called as a load advances.
	Progress func(Progress)
	// Host names this side in HELLO.
	Host string
	// Logf, if set, receives one line per notable event.
	Logf func(format string, args ...any)
}

// Progress is a load's progress.
type Progress struct {
	Bytes, Total int64
	Rate         float64       // bytes per second so far
	ETA          time.Duration // at that rate
}

// Report accounts for what crossed the link during a client's life.
type Report struct {
	Board Info
	// Load
	ImageBytes      int
	LoadSeconds     float64
	Resumed         []int64 // offsets loads resumed from after reconnecting
	BlocksRewritten int     // blocks VERIFY found wrong and rewritten
	// Run
	Ticks    int         // ticks the run was to have
	Received []TickRange // ticks whose spikes arrived complete
	Missing  []TickRange // ticks that ran but whose spikes did not arrive
	NotRun   []TickRange // ticks a STOP kept from running
	// Link, summed over every connection
	Reconnects int
	Link       LinkStats
	Counters   map[string]uint64
}

// TickRange is the ticks [From, To).
type TickRange struct{ From, To int }

func (r TickRange) String() string {
	if r.To == r.From+1 {
		return fmt.Sprintf("%d", r.From)
	}
	return fmt.Sprintf("%d-%d", r.From, r.To-1)
}

// Client is the host side of a link to one board.
type Client struct {
	dial   func() (Port, error)
	opts   Options
	info   Info
	report Report

	// mu guards link (replaced when reconnecting) and active, for the
	// run controls called from other goroutines.
	mu     sync.Mutex
	link   *Link
	active *runState // the Run reading the link, or nil
	// ctl orders the requests answered by OK (START, INJECT, PAUSE,
	// RESUME, STOP): while a Run reads the link, a request's place in
	// active.waiters is its place on the line.
	ctl sync.Mutex
}

// Dial connects with dial (called again to reconnect) and says HELLO.
func Dial(dial func() (Port, error), opts Options) (*Client, error) {
	if opts.ReplyTimeout <= 0 {
		opts.ReplyTimeout = 60 * time.Second
	}
	if opts.HelloTimeout <= 0 {
		opts.HelloTimeout = 250 * time.Millisecond
	}
	if opts.Block <= 0 {
		opts.Block = 4096
	}
	if opts.Host == "" {
		opts.Host = "soma"
	}
	c := &Client{dial: dial, opts: opts}
	if err := c.connect(); err != nil {
		return nil, err
	}
	return c, nil
}

// Info is the board's INFO from the last handshake.
func (c *Client) Info() Info { return c.info }

// Report returns the account so far.
func (c *Client) Report() *Report {
	r := c.report
	if c.link != nil {
		addLink(&r.Link, c.link.Stats())
	}
	r.Board = c.info
	return &r
}

func addLink(dst *LinkStats, s LinkStats) {
	dst.FramesSent += s.FramesSent
	dst.FramesAcked += s.FramesAcked
	dst.Retransmits += s.Retransmits
	dst.Probes += s.Probes
	dst.SeqBytesSent += s.SeqBytesSent
	dst.ResentBytes += s.ResentBytes
	dst.AckedBytes += s.AckedBytes
	dst.AckedLosses += s.AckedLosses
	dst.FramesReceived += s.FramesReceived
	dst.FramesBad += s.FramesBad
	dst.Oversized += s.Oversized
	dst.Duplicates += s.Duplicates
	dst.Acks += s.Acks
	dst.Nacks += s.Nacks
	dst.BytesSent += s.BytesSent
	dst.BytesReceived += s.BytesReceived
	dst.PayloadSent += s.PayloadSent
}

func (c *Client) logf(format string, args ...any) {
	if c.opts.Logf != nil {
		c.opts.Logf(format, args...)
	}
}

// Close ends the session and closes the port.
func (c *Client) Close() error {
	if c.link == nil {
		return nil
	}
	addLink(&c.report.Link, c.link.Stats())
	err := c.link.Close()
	c.setLink(nil)
	return err
}

// setLink replaces the link (under mu: controls read it from other
// goroutines).
func (c *Client) setLink(l *Link) {
	c.mu.Lock()
	c.link = l
	c.mu.Unlock()
}

// ErrIncompatible is wrapped by the error of a refused handshake.
var ErrIncompatible = errors.New("incompatible board")

func (c *Client) connect() error {
	port, err := c.dial()
	if err != nil {
		return fmt.Errorf("connecting to the board: %w", err)
	}
	l := NewLink(port, c.opts.Link)
	nonce := rand.Uint32()
	hello := Hello{Major: ProtocolMajor, Minor: ProtocolMinor, Nonce: nonce, Window: uint8(l.Options().Window),
		MaxPayload: uint16(l.Options().MaxPayload), Host: c.opts.Host}
	for range 8 {
		if err := l.SendControl(MsgHello, 0, hello.Marshal()); err != nil {
			break
		}
		t := time.NewTimer(c.opts.HelloTimeout)
	wait:
		for {
			select {
			case f := <-l.Control():
				if f.Type != MsgInfo {
					continue
				}
				info, err := ParseInfo(f.Payload)
				if err != nil || info.Nonce != nonce {
					continue
				}
				t.Stop()
				if info.Major != ProtocolMajor {
					l.Close()
					return fmt.Errorf("%w: board %q speaks link protocol %d.%d; this host speaks %d.%d (the major versions must match: update soma or the board's firmware)",
						ErrIncompatible, info.Board, info.Major, info.Minor, ProtocolMajor, ProtocolMinor)
				}
				l.Reset(uint16(nonce), uint16(nonce>>16))
				l.SetMaxPayload(int(info.MaxPayload))
				l.SetWindow(int(info.Window))
				c.setLink(l)
				c.info = info
				c.logf("connected to %s (%s, firmware %s, protocol %d.%d)", info.Board, info.Target, info.Firmware, info.Major, info.Minor)
				return nil
			case <-l.Done():
				t.Stop()
				break wait
			case <-t.C:
				break wait
			}
		}
		if l.Err() != nil {
			break
		}
	}
	err = l.Err()
	l.Close()
	if err == nil {
		err = errors.New("no INFO in reply to HELLO")
	}
	return fmt.Errorf("%w: handshake: %v", ErrLinkDead, err)
}

// reconnect replaces a dead link if retries remain.
func (c *Client) reconnect(attempt *int, cause error) error {
	if *attempt >= c.opts.Retries {
		return cause
	}
	*attempt++
	c.report.Reconnects++
	c.logf("link lost (%v); reconnecting (%d of %d)", cause, *attempt, c.opts.Retries)
	if c.link != nil {
		addLink(&c.report.Link, c.link.Stats())
		c.link.Close()
		c.setLink(nil)
	}
	var err error
	for range 3 {
		if err = c.connect(); err == nil {
			return nil
		}
		if errors.Is(err, ErrIncompatible) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%v; reconnecting failed: %w", cause, err)
}

// dead reports whether err means the line needs reconnecting.
func dead(err error) bool { return errors.Is(err, ErrLinkDead) || errors.Is(err, errSession) }

func (c *Client) send(t MsgType, payload []byte) error {
	if c.link == nil {
		return fmt.Errorf("%w: not connected", ErrLinkDead)
	}
	return c.link.Send(t, payload)
}

// await returns the next message of type want, turning ERROR into an error.
// Other messages go to other (nil: an error).
func (c *Client) await(ctx context.Context, want MsgType, other func(Frame) error) (Frame, error) {
	if c.link == nil {
		return Frame{}, fmt.Errorf("%w: not connected", ErrLinkDead)
	}
	deadline := time.Now().Add(c.opts.ReplyTimeout)
	for {
		if err := ctx.Err(); err != nil {
			return Frame{}, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return Frame{}, fmt.Errorf("%w: no %v from the board within %v", ErrLinkDead, want, c.opts.ReplyTimeout)
		}
		f, ok, err := c.link.Recv(min(left, 100*time.Millisecond))
		if err != nil {
			return Frame{}, err
		}
		if !ok {
			continue
		}
		switch {
		case f.Type == want:
			return f, nil
		case f.Type == MsgError:
			e, perr := ParseError(f.Payload)
			if perr != nil {
				return Frame{}, perr
			}
			return Frame{}, &e
		case other != nil:
			if err := other(f); err != nil {
				return Frame{}, err
			}
			deadline = time.Now().Add(c.opts.ReplyTimeout)
		default:
			return Frame{}, fmt.Errorf("unexpected %v from the board while waiting for %v", f.Type, want)
		}
	}
}

// Load writes image to the board and has it checked. A load the line
// interrupts resumes after reconnecting from the last chunk the board
// verifies; blocks VERIFY finds wrong are rewritten.
func (c *Client) Load(ctx context.Context, image []byte, kind uint8) error {
	if len(image) == 0 || uint64(len(image)) > math.MaxUint32 {
		return fmt.Errorf("image of %d bytes", len(image))
	}
	if c.info.MaxImage > 0 && int64(len(image)) > int64(c.info.MaxImage) {
		return fmt.Errorf("image of %d bytes exceeds board %q's capacity of %d bytes", len(image), c.info.Board, c.info.MaxImage)
	}
	start := time.Now()
	c.report.ImageBytes = len(image)
	attempt := 0
	for {
		err := c.load(ctx, image, kind, start)
		if err == nil {
			c.report.LoadSeconds = time.Since(start).Seconds()
			return nil
		}
		if !dead(err) {
			return err
		}
		if err := c.reconnect(&attempt, err); err != nil {
			return fmt.Errorf("load: %w", err)
		}
	}
}

func (c *Client) load(ctx context.Context, image []byte, kind uint8, start time.Time) error {
	bs := c.opts.Block
	m := Load{Kind: kind, Size: uint32(len(image)), CRC32: crc32.ChecksumIEEE(image), Block: uint32(bs)}
	if err := c.send(MsgLoad, m.Marshal()); err != nil {
		return err
	}
	f, err := c.await(ctx, MsgLoaded, nil)
	if err != nil {
		return err
	}
	resume, err := ParseU32(MsgLoaded, f.Payload)
	if err != nil {
		return err
	}
	from := 0
	if resume > 0 {
		// Trust only whole blocks whose checksums match: resume from the
		// first that does not.
		full := min(int(resume), len(image)) / bs
		bad, err := c.verify(ctx, image, 0, full)
		if err != nil {
			return err
		}
		from = full * bs
		if len(bad) > 0 {
			from = bad[0] * bs
		}
		c.report.Resumed = append(c.report.Resumed, int64(from))
		c.logf("load resumes at byte %d of %d", from, len(image))
	}
	// The blocks written are verified as they complete, so the replies
	// cross the idle return line while the rest is written; blocks below
	// from were verified above.
	v := &verifier{c: c, image: image}
	if err := c.write(ctx, image, from, len(image), start, v); err != nil {
		return err
	}
	blocks := (len(image) + bs - 1) / bs
	for round := 0; ; round++ {
		var bad []int
		var err error
		if round == 0 {
			bad, err = v.wait(ctx)
		} else {
			bad, err = c.verify(ctx, image, 0, blocks)
		}
		if err != nil {
			return err
		}
		if len(bad) == 0 {
			break
		}
		if round == 3 {
			return fmt.Errorf("blocks %v still differ after %d rewrites", bad, round)
		}
		for _, b := range bad {
			c.report.BlocksRewritten++
			if err := c.write(ctx, image, b*bs, min((b+1)*bs, len(image)), time.Time{}, nil); err != nil {
				return err
			}
		}
	}
	if err := c.send(MsgCommit, nil); err != nil {
		return err
	}
	_, err = c.await(ctx, MsgReady, nil)
	return err
}

// write sends image[from:to]: one WRITE, then WRITE_MORE frames, whose
// size follows the line's error rate. With v, each group of blocks is
// asked for its checksums as soon as it is written.
func (c *Client) write(ctx context.Context, image []byte, from, to int, start time.Time, v *verifier) error {
	bs := c.opts.Block
	per := c.verifyPer()
	vnext := from / bs // first block not yet asked for
	sz := NewSizer(c.link, 0)
	first := true
	lastReport := time.Time{}
	for off := from; off < to; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(sz.Next(), to-off)
		var err error
		if first {
			n = min(n, c.link.Options().MaxPayload-4) // WRITE's offset
			err = c.send(MsgWrite, Write{Offset: uint32(off), Data: image[off : off+n]}.Marshal())
			first = false
		} else {
			err = c.send(MsgWriteMore, image[off:off+n])
		}
		if err != nil {
			return err
		}
		off += n
		if v != nil {
			// Ask for every group of whole blocks now complete (and the
			// last, short one at the end).
			done := off / bs
			if off == to {
				done = (to + bs - 1) / bs // and the short last block
			}
			for vnext < done && (done-vnext >= per || off == to) {
				k := min(per, done-vnext)
				if err := v.request(vnext, k); err != nil {
					return err
				}
				vnext += k
			}
			if err := v.poll(); err != nil {
				return err
			}
		}
		if c.opts.Progress != nil && !start.IsZero() && (time.Since(lastReport) > 100*time.Millisecond || off == to) {
			lastReport = time.Now()
			el := time.Since(start).Seconds()
			p := Progress{Bytes: int64(off), Total: int64(len(image))}
			if el > 0 {
				p.Rate = float64(off-from) / el
			}
			if p.Rate > 0 {
				p.ETA = time.Duration(float64(len(image)-off) / p.Rate * float64(time.Second))
			}
			c.opts.Progress(p)
		}
	}
	return nil
}

// verifyAhead is how many VERIFY requests may await their replies: the
// round trips overlap instead of adding up.
const verifyAhead = 8

// verifyPer is the blocks per VERIFY: 16 at most, so the reply stays
// short enough to cross a noisy line.
func (c *Client) verifyPer() int {
	return max(1, min((c.link.Options().MaxPayload-6)/4, 16))
}

// verifier checks blocks while a write goes on: requests go out as blocks
// complete, replies are taken as they arrive.
type verifier struct {
	c     *Client
	image []byte
	reqs  [][2]int // (first, count) asked, in order
	got   int      // replies taken
	bad   []int
}

func (v *verifier) request(first, n int) error {
	if err := v.c.send(MsgVerify, Verify{First: uint32(first), Count: uint16(n)}.Marshal()); err != nil {
		return err
	}
	v.reqs = append(v.reqs, [2]int{first, n})
	return nil
}

// take checks one reply against the oldest request unanswered.
func (v *verifier) take(f Frame) error {
	switch f.Type {
	case MsgVerified:
	case MsgError:
		e, err := ParseError(f.Payload)
		if err != nil {
			return err
		}
		return &e
	default:
		return fmt.Errorf("unexpected %v from the board while waiting for %v", f.Type, MsgVerified)
	}
	if v.got >= len(v.reqs) {
		return fmt.Errorf("VERIFIED not asked for")
	}
	r := v.reqs[v.got]
	v.got++
	m, err := ParseVerified(f.Payload)
	if err != nil {
		return err
	}
	if int(m.First) != r[0] || len(m.CRCs) != r[1] {
		return fmt.Errorf("VERIFIED for blocks %d+%d, asked %d+%d", m.First, len(m.CRCs), r[0], r[1])
	}
	bs := v.c.opts.Block
	for j, crc := range m.CRCs {
		b := r[0] + j
		if crc32.ChecksumIEEE(v.image[b*bs:min((b+1)*bs, len(v.image))]) != crc {
			v.bad = append(v.bad, b)
		}
	}
	return nil
}

// poll takes the replies that have arrived, without waiting.
func (v *verifier) poll() error {
	for v.got < len(v.reqs) {
		select {
		case f := <-v.c.link.Messages():
			if err := v.take(f); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// wait takes the remaining replies and returns the blocks that differ.
func (v *verifier) wait(ctx context.Context) ([]int, error) {
	for v.got < len(v.reqs) {
		f, err := v.c.await(ctx, MsgVerified, nil)
		if err != nil {
			return nil, err
		}
		if err := v.take(f); err != nil {
			return nil, err
		}
	}
	return v.bad, nil
}

// verify compares blocks [first, first+n) with the board's and returns the
// wrong ones.
func (c *Client) verify(ctx context.Context, image []byte, first, n int) ([]int, error) {
	bs := c.opts.Block
	// Small replies (16 checksums at most): a long one would rarely cross
	// a noisy line.
	per := c.verifyPer()
	type req struct{ first, n int }
	var reqs []req
	for b := first; b < first+n; b += per {
		reqs = append(reqs, req{b, min(per, first+n-b)})
	}
	var bad []int
	sent := 0
	for i, r := range reqs {
		for ; sent < len(reqs) && sent < i+verifyAhead; sent++ {
			q := reqs[sent]
			if err := c.send(MsgVerify, Verify{First: uint32(q.first), Count: uint16(q.n)}.Marshal()); err != nil {
				return nil, err
			}
		}
		f, err := c.await(ctx, MsgVerified, nil)
		if err != nil {
			return nil, err
		}
		v, err := ParseVerified(f.Payload)
		if err != nil {
			return nil, err
		}
		if int(v.First) != r.first || len(v.CRCs) != r.n {
			return nil, fmt.Errorf("VERIFIED for blocks %d+%d, asked %d+%d", v.First, len(v.CRCs), r.first, r.n)
		}
		for j, got := range v.CRCs {
			b := r.first + j
			blk := image[b*bs : min((b+1)*bs, len(image))]
			if crc32.ChecksumIEEE(blk) != got {
				bad = append(bad, b)
			}
		}
	}
	return bad, nil
}

// Counters reads the board's counters.
func (c *Client) Counters(ctx context.Context) (map[string]uint64, error) {
	if err := c.send(MsgRead, Read{What: ReadCounters}.Marshal()); err != nil {
		return nil, err
	}
	f, err := c.await(ctx, MsgData, func(Frame) error { return nil })
	if err != nil {
		return nil, err
	}
	d, err := ParseData(f.Payload)
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for _, kv := range d.Counters {
		name, ok := CounterNames[uint8(kv[0])]
		if !ok {
			name = fmt.Sprintf("counter_%d", kv[0])
		}
		out[name] = kv[1]
	}
	c.report.Counters = out
	return out, nil
}
