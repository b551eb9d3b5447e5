package runtime

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// LinkOptions tune the reliable link.
type LinkOptions struct {
	// Window is how many sequenced frames may be unacknowledged (≤ 32,
	// the SACK bitmap's reach; default 32).
	Window int
	// MaxPayload is the largest payload this side sends and accepts
	// (default DefaultMaxPayload).
	MaxPayload int
	// MinRTO and MaxRTO bound the retransmission timeout, which otherwise
	// follows three smoothed round trips (defaults 20 ms and 1 s).
	MinRTO, MaxRTO time.Duration
	// MaxRetries is how many timeouts in a row one frame may suffer before
	// the link is declared dead (default 10; the timeout doubles each time).
	MaxRetries int
}

func (o LinkOptions) withDefaults() LinkOptions {
	if o.Window <= 0 || o.Window > 32 {
		o.Window = 32
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = DefaultMaxPayload
	}
	o.MaxPayload = min(o.MaxPayload, MaxPayloadLimit)
	if o.MinRTO <= 0 {
		o.MinRTO = 20 * time.Millisecond
	}
	if o.MaxRTO <= 0 {
		o.MaxRTO = time.Second
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 10
	}
	return o
}

// LinkStats count what crossed the link. Every count is complete.
type LinkStats struct {
	FramesSent     uint64 // first transmissions of sequenced frames
	Retransmits    uint64 // frames sent again
	FramesReceived uint64 // intact frames of any type
	FramesBad      uint64 // damaged frames (CRC, COBS, length, version)
	Oversized      uint64 // frames longer than the agreed maximum, dropped unread
	Duplicates     uint64 // sequenced frames received again
	Acks, Nacks    uint64 // sent
	BytesSent      uint64 // wire bytes, everything
	BytesReceived  uint64
	PayloadSent    uint64 // payload bytes of first transmissions
}

// ErrLinkDead is wrapped by every error a dead link returns.
var ErrLinkDead = errors.New("link dead")

// errSession is returned to senders whose frames a new session discarded.
var errSession = errors.New("session restarted")

type pending struct {
	wire   []byte
	sentAt time.Time
	order  uint64 // transmission order of the latest send
	tries  int    // timeouts so far
	resent bool
	sacked bool
}

// Link is one side of the reliable link over a Port: it frames, checks,
// numbers, acknowledges and retransmits, and delivers sequenced messages
// exactly once, in order. Selective repeat rather than go-back-N: on a
// noisy line only the damaged frame is sent again.
type Link struct {
	port Port
	opts LinkOptions

	mu    sync.Mutex
	cond  *sync.Cond
	dead  error
	epoch int
	stats LinkStats
	// tx: frames [base, next) may be unacknowledged.
	base, next uint16
	pend       map[uint16]*pending
	order      uint64
	srtt       time.Duration
	// rx
	expect uint16
	ooo    map[uint16]Frame

	wmu  sync.Mutex
	gap  bool // a delivery was dropped at death (reader goroutine only)
	in   chan Frame
	ctrl chan Frame
	quit chan struct{}
	wg   sync.WaitGroup
}

// NewLink starts a link over port; Close stops it (and closes the port).
func NewLink(port Port, opts LinkOptions) *Link {
	l := &Link{port: port, opts: opts.withDefaults(), pend: map[uint16]*pending{}, ooo: map[uint16]Frame{},
		in: make(chan Frame, 256), ctrl: make(chan Frame, 16), quit: make(chan struct{})}
	l.cond = sync.NewCond(&l.mu)
	_ = port.SetReadTimeout(50 * time.Millisecond)
	l.wg.Add(2)
	go l.reader()
	go l.timer()
	return l
}

// Options returns the link's effective options.
func (l *Link) Options() LinkOptions { return l.opts }

// SetMaxPayload lowers the payload limit to what the peer accepts.
func (l *Link) SetMaxPayload(n int) {
	l.mu.Lock()
	l.opts.MaxPayload = max(64, min(n, l.opts.MaxPayload))
	l.mu.Unlock()
}

// Stats returns a snapshot of the counters.
func (l *Link) Stats() LinkStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// Err returns why the link died, or nil.
func (l *Link) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dead
}

// Close stops the link and closes the port.
func (l *Link) Close() error {
	l.kill(fmt.Errorf("%w: closed", ErrLinkDead))
	err := l.port.Close()
	l.wg.Wait()
	return err
}

func (l *Link) kill(err error) {
	l.mu.Lock()
	if l.dead == nil {
		l.dead = err
		close(l.quit)
	}
	l.cond.Broadcast()
	l.mu.Unlock()
}

// Reset starts a new session: this side's frames are numbered from tx,
// the peer's expected from rx; frames of the old session in flight are
// forgotten and their senders get an error.
func (l *Link) Reset(tx, rx uint16) {
	l.mu.Lock()
	l.epoch++
	l.base, l.next, l.expect = tx, tx, rx
	clear(l.pend)
	clear(l.ooo)
	l.cond.Broadcast()
	l.mu.Unlock()
	for {
		select {
		case <-l.in:
			continue
		default:
		}
		return
	}
}

// Recv returns the next sequenced message, waiting at most d (d ≤ 0:
// forever). A timeout returns (Frame{}, false, nil).
func (l *Link) Recv(d time.Duration) (Frame, bool, error) {
	var tc <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		tc = t.C
	}
	select {
	case f := <-l.in:
		return f, true, nil
	case <-l.quit:
		// Deliver what arrived before the link died.
		select {
		case f := <-l.in:
			return f, true, nil
		default:
		}
		return Frame{}, false, l.Err()
	case <-tc:
		return Frame{}, false, nil
	}
}

// Messages returns the channel of sequenced messages, in order.
func (l *Link) Messages() <-chan Frame { return l.in }

// Control returns the channel of HELLO and INFO frames.
func (l *Link) Control() <-chan Frame { return l.ctrl }

// Done is closed when the link dies.
func (l *Link) Done() <-chan struct{} { return l.quit }

// SendControl sends an unsequenced frame (HELLO, INFO) once.
func (l *Link) SendControl(t MsgType, seq uint16, payload []byte) error {
	return l.write(AppendFrame(nil, Frame{Type: t, Seq: seq, Payload: payload}))
}

// Send queues a sequenced message, blocking while the window is full:
// that is the flow control — a receiver that stops acknowledging stops
// the sender.
func (l *Link) Send(t MsgType, payload []byte) error {
	if len(payload) > l.opts.MaxPayload {
		return fmt.Errorf("%v payload of %d bytes exceeds the link's %d", t, len(payload), l.opts.MaxPayload)
	}
	l.mu.Lock()
	epoch := l.epoch
	for l.dead == nil && l.epoch == epoch && int(l.next-l.base) >= l.opts.Window {
		l.cond.Wait()
	}
	if l.dead != nil {
		err := l.dead
		l.mu.Unlock()
		return err
	}
	if l.epoch != epoch {
		l.mu.Unlock()
		return errSession
	}
	seq := l.next
	l.next++
	wire := AppendFrame(nil, Frame{Type: t, Seq: seq, Payload: payload})
	l.order++
	l.pend[seq] = &pending{wire: wire, sentAt: time.Now(), order: l.order}
	l.stats.FramesSent++
	l.stats.PayloadSent += uint64(len(payload))
	l.mu.Unlock()
	return l.write(wire)
}

// Flush waits until every sequenced frame sent has been acknowledged.
func (l *Link) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	epoch := l.epoch
	for l.dead == nil && l.epoch == epoch && l.base != l.next {
		l.cond.Wait()
	}
	if l.dead != nil {
		return l.dead
	}
	if l.epoch != epoch {
		return errSession
	}
	return nil
}

func (l *Link) write(b []byte) error {
	l.wmu.Lock()
	_, err := l.port.Write(b)
	l.wmu.Unlock()
	l.mu.Lock()
	l.stats.BytesSent += uint64(len(b))
	l.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("%w: write: %v", ErrLinkDead, err)
		l.kill(err)
	}
	return err
}

func (l *Link) reader() {
	defer l.wg.Done()
	d := Deframer{Max: MaxWireFrame(MaxPayloadLimit)}
	buf := make([]byte, 4096)
	for {
		select {
		case <-l.quit:
			return
		default:
		}
		n, err := l.port.Read(buf)
		if n > 0 {
			l.mu.Lock()
			l.stats.BytesReceived += uint64(n)
			l.mu.Unlock()
			before := d.Dropped
			d.Feed(buf[:n], l.frame)
			if d.Dropped != before {
				l.mu.Lock()
				l.stats.Oversized += uint64(d.Dropped - before)
				l.mu.Unlock()
				l.sendAck(MsgNack)
			}
		}
		if err != nil {
			l.kill(fmt.Errorf("%w: read: %v", ErrLinkDead, err))
			return
		}
	}
}

// frame handles one deframed frame (in the reader goroutine).
func (l *Link) frame(b []byte) {
	f, err := DecodeFrame(b)
	if err == nil && len(f.Payload) > l.opts.MaxPayload+8 {
		err = fmt.Errorf("payload of %d bytes", len(f.Payload))
	}
	if err != nil {
		l.mu.Lock()
		l.stats.FramesBad++
		l.mu.Unlock()
		// The damaged frame may be the one we wait for: say where we are
		// so the sender can repeat it without waiting for its timeout.
		l.sendAck(MsgNack)
		return
	}
	l.mu.Lock()
	l.stats.FramesReceived++
	l.mu.Unlock()
	switch {
	case f.Type == MsgAck || f.Type == MsgNack:
		if a, err := ParseAck(f.Seq, f.Payload); err == nil {
			l.acked(a)
		}
	case !f.Type.Sequenced():
		select {
		case l.ctrl <- f:
		default:
		}
	default:
		l.data(f)
	}
}

func (l *Link) data(f Frame) {
	l.mu.Lock()
	d := int16(f.Seq - l.expect)
	kind := MsgAck
	var deliver []Frame
	switch {
	case d < 0 || d >= 64:
		l.stats.Duplicates++
	case d == 0:
		deliver = append(deliver, f)
		l.expect++
		for {
			g, ok := l.ooo[l.expect]
			if !ok {
				break
			}
			delete(l.ooo, l.expect)
			deliver = append(deliver, g)
			l.expect++
		}
	default:
		if _, ok := l.ooo[f.Seq]; ok {
			l.stats.Duplicates++
		} else {
			l.ooo[f.Seq] = f
		}
		kind = MsgNack
	}
	epoch := l.epoch
	l.mu.Unlock()
	for _, g := range deliver {
		if l.gap {
			return
		}
		// Deliver what arrived intact even as the link dies, but never
		// after dropping one: the receiver must see a prefix, no holes.
		select {
		case l.in <- g:
			continue
		default:
		}
		select {
		case l.in <- g:
		case <-l.quit:
			l.gap = true
			return
		}
	}
	l.mu.Lock()
	same := l.epoch == epoch
	l.mu.Unlock()
	if same {
		l.sendAck(kind)
	}
}

func (l *Link) sendAck(kind MsgType) {
	l.mu.Lock()
	a := Ack{Next: l.expect}
	for i := range 32 {
		if _, ok := l.ooo[l.expect+1+uint16(i)]; ok {
			a.SACK |= 1 << i
		}
	}
	if kind == MsgAck {
		l.stats.Acks++
	} else {
		l.stats.Nacks++
	}
	l.mu.Unlock()
	_ = l.write(AppendFrame(nil, Frame{Type: kind, Seq: a.Next, Payload: a.Marshal()}))
}

// acked applies an acknowledgement. A frame still unacknowledged that was
// sent before one the peer has now received is taken as lost and sent
// again at once (as TCP's RACK does); the timer catches the rest.
func (l *Link) acked(a Ack) {
	now := time.Now()
	l.mu.Lock()
	var newest uint64
	ack := func(seq uint16, p *pending) {
		newest = max(newest, p.order)
		if !p.resent {
			rtt := now.Sub(p.sentAt)
			if l.srtt == 0 {
				l.srtt = rtt
			} else {
				l.srtt += (rtt - l.srtt) / 8
			}
		}
	}
	if d := a.Next - l.base; d <= l.next-l.base {
		for s := l.base; s != a.Next; s++ {
			if p, ok := l.pend[s]; ok {
				ack(s, p)
				delete(l.pend, s)
			}
		}
		l.base = a.Next
	}
	for i := range 32 {
		if a.SACK&(1<<i) == 0 {
			continue
		}
		s := a.Next + 1 + uint16(i)
		if p, ok := l.pend[s]; ok && !p.sacked {
			p.sacked = true
			ack(s, p)
		}
	}
	var again [][]byte
	for s := l.base; s != l.next; s++ {
		p, ok := l.pend[s]
		if ok && !p.sacked && p.order < newest {
			again = append(again, l.resend(p, now))
		}
	}
	l.cond.Broadcast()
	l.mu.Unlock()
	for _, w := range again {
		_ = l.write(w)
	}
}

// resend marks p sent again now (l.mu held) and returns its bytes.
func (l *Link) resend(p *pending, now time.Time) []byte {
	l.order++
	p.order = l.order
	p.sentAt = now
	p.resent = true
	l.stats.Retransmits++
	return p.wire
}

func (l *Link) rto(tries int) time.Duration {
	r := max(l.opts.MinRTO, 3*l.srtt)
	for range tries {
		r *= 2
		if r >= l.opts.MaxRTO {
			return l.opts.MaxRTO
		}
	}
	return min(r, l.opts.MaxRTO)
}

func (l *Link) timer() {
	defer l.wg.Done()
	t := time.NewTicker(max(time.Millisecond, l.opts.MinRTO/4))
	defer t.Stop()
	for {
		select {
		case <-l.quit:
			return
		case <-t.C:
		}
		now := time.Now()
		var again [][]byte
		var dead error
		l.mu.Lock()
		for s := l.base; s != l.next; s++ {
			p, ok := l.pend[s]
			if !ok || p.sacked || now.Sub(p.sentAt) < l.rto(p.tries) {
				continue
			}
			p.tries++
			if p.tries > l.opts.MaxRetries {
				dead = fmt.Errorf("%w: frame %d (%v) unacknowledged after %d retransmissions", ErrLinkDead, s, MsgType(p.wireType()), l.opts.MaxRetries)
				break
			}
			again = append(again, l.resend(p, now))
		}
		l.mu.Unlock()
		if dead != nil {
			l.kill(dead)
			return
		}
		for _, w := range again {
			_ = l.write(w)
		}
	}
}

// wireType recovers the message type for error messages.
func (p *pending) wireType() uint8 {
	if i := indexZero(p.wire); i > 0 {
		if raw, err := DecodeCOBS(nil, p.wire[:i]); err == nil && len(raw) > 1 {
			return raw[1]
		}
	}
	return 0
}
