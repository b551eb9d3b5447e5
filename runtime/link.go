package runtime

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// LinkOptions tune the reliable link.
type LinkOptions struct {
	// Window is how many sequenced frames may be unacknowledged (≤ 255;
	// default 255). The receiver holds up to this many out of order.
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
	if o.Window <= 0 || o.Window > MaxWindow {
		o.Window = MaxWindow
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

// MaxWindow is the largest window (HELLO's and INFO's u8; the SACK bitmap
// reaches further). A window counts frames, and a noisy line wants short
// frames: 255 of 40 bytes still cover a few round trips of a fast line.
const MaxWindow = 255

// LinkStats count what crossed the link. Every count is complete.
type LinkStats struct {
	FramesSent     uint64 // first transmissions of sequenced frames
	FramesAcked    uint64 // sequenced frames acknowledged
	Retransmits    uint64 // frames sent again, probes included
	Probes         uint64 // of which tail-loss probes (sent on suspicion, not evidence)
	FramesReceived uint64 // intact frames of any type
	FramesBad      uint64 // damaged frames (CRC, COBS, length, version)
	Oversized      uint64 // frames longer than the agreed maximum, dropped unread
	Duplicates     uint64 // sequenced frames received again
	Acks, Nacks    uint64 // sent
	BytesSent      uint64 // wire bytes, everything
	BytesReceived  uint64
	PayloadSent    uint64 // payload bytes of first transmissions
	SeqBytesSent   uint64 // wire bytes of sequenced frames, retransmissions included
	ResentBytes    uint64 // of which retransmissions' (probes included)
	// The frames acknowledged, counted as they are: every transmission's
	// wire bytes, and the retransmissions less the probes. Unlike the
	// counts above, these never include a frame whose fate is unknown,
	// so their ratio is a line's loss rate even while a window is out
	// with nothing come back (the Sizer's estimate).
	AckedBytes  uint64
	AckedLosses uint64
}

// ErrLinkDead is wrapped by every error a dead link returns.
var ErrLinkDead = errors.New("link dead")

// errSession is returned to senders whose frames a new session discarded.
var errSession = errors.New("session restarted")

type pending struct {
	seq    uint16
	wire   []byte
	sentAt time.Time // latest transmission
	timed  time.Time // what the retransmission timeout runs from (probes do not restart it)
	order  uint64    // transmission order of the latest send
	tries  int       // timeouts so far
	sends  int       // transmissions, probes included
	probed int       // of which probes
	resent bool
	sacked bool
	queued bool // waiting for the line: its order is not yet the wire's
	probe  bool // queued as a tail-loss probe
	// guess: sent again on suspicion (a probe, a timeout), not on
	// evidence: an older copy may yet arrive.
	guess bool
}

// unsentMax is how many new frames may wait for the line: Send returns
// as the line takes them, so bulk senders size frames for the line as it
// is now, not as it was a window ago.
const unsentMax = 2

// Link is one side of the reliable link over a Port: it frames, checks,
// numbers, acknowledges and retransmits, and delivers sequenced messages
// exactly once, in order. Selective repeat rather than go-back-N: on a
// noisy line only the damaged frame is sent again.
//
// One writer goroutine owns the line and sends, in this order:
// acknowledgements (coalesced: one carries the receiver's state as it is
// when the line is free), retransmissions, then new frames. Neither the
// reader nor the timer ever waits for the line.
type Link struct {
	port Port
	own  LinkOptions // as configured
	opts LinkOptions // as agreed with the peer

	mu    sync.Mutex
	cond  *sync.Cond // senders: window space, acknowledgements, death
	wcond *sync.Cond // the writer: something to send
	dead  error
	epoch int
	stats LinkStats
	// tx: frames [base, next) may be unacknowledged; [unsent, next) have
	// not been on the line yet.
	base, next, unsent uint16
	pend               map[uint16]*pending
	again              []*pending // to send again, in order
	order              uint64
	srtt               time.Duration
	rttvar             time.Duration
	lastTx             time.Time // latest transmission of a sequenced frame
	probes             int       // tail-loss probes since the last acknowledgement that told something
	ackDue             MsgType   // an ACK or NACK to send (0: none)
	// rx
	expect uint16
	ooo    map[uint16]Frame

	wmu  sync.Mutex // the port's writes
	gap  bool       // a delivery was dropped at death (reader goroutine only)
	in   chan Frame
	ctrl chan Frame
	quit chan struct{}
	wg   sync.WaitGroup
}

// NewLink starts a link over port; Close stops it (and closes the port).
func NewLink(port Port, opts LinkOptions) *Link {
	opts = opts.withDefaults()
	l := &Link{port: port, own: opts, opts: opts, pend: map[uint16]*pending{}, ooo: map[uint16]Frame{},
		in: make(chan Frame, 256), ctrl: make(chan Frame, 16), quit: make(chan struct{})}
	l.cond = sync.NewCond(&l.mu)
	l.wcond = sync.NewCond(&l.mu)
	_ = port.SetReadTimeout(50 * time.Millisecond)
	l.wg.Add(3)
	go l.reader()
	go l.timer()
	go l.writer()
	return l
}

// Options returns the link's effective options.
func (l *Link) Options() LinkOptions {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.opts
}

// SetWindow sets the window to the smaller of this side's and the
// peer's n (n ≤ 0: this side's).
func (l *Link) SetWindow(n int) {
	l.mu.Lock()
	l.opts.Window = l.own.Window
	if n > 0 {
		l.opts.Window = min(n, l.own.Window)
	}
	l.mu.Unlock()
}

// SetMaxPayload sets the payload limit to the smaller of this side's and
// the peer's n (at least 64).
func (l *Link) SetMaxPayload(n int) {
	l.mu.Lock()
	l.opts.MaxPayload = max(64, min(n, l.own.MaxPayload))
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
	l.wcond.Broadcast()
	l.mu.Unlock()
}

// Reset starts a new session: this side's frames are numbered from tx,
// the peer's expected from rx; frames of the old session in flight are
// forgotten and their senders get an error.
func (l *Link) Reset(tx, rx uint16) {
	l.mu.Lock()
	l.epoch++
	l.base, l.next, l.unsent, l.expect = tx, tx, tx, rx
	clear(l.pend)
	clear(l.ooo)
	l.again = nil
	l.ackDue = 0
	l.probes = 0
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
// the sender. It returns once the message is (nearly) on the line.
func (l *Link) Send(t MsgType, payload []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(payload) > l.opts.MaxPayload {
		return fmt.Errorf("%v payload of %d bytes exceeds the link's %d", t, len(payload), l.opts.MaxPayload)
	}
	epoch := l.epoch
	for l.dead == nil && l.epoch == epoch && (int(l.next-l.base) >= l.opts.Window || l.next-l.unsent >= unsentMax) {
		l.cond.Wait()
	}
	if l.dead != nil {
		return l.dead
	}
	if l.epoch != epoch {
		return errSession
	}
	seq := l.next
	l.next++
	wire := AppendFrame(nil, Frame{Type: t, Seq: seq, Payload: payload})
	l.pend[seq] = &pending{seq: seq, wire: wire, timed: time.Now(), queued: true}
	l.stats.FramesSent++
	l.stats.PayloadSent += uint64(len(payload))
	l.wcond.Signal()
	return nil
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

// write puts b on the line now (control frames).
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

// writer owns the line: acknowledgements first, then retransmissions,
// then new frames. A frame's transmission order is stamped as it goes
// out, so the orders are the wire's (the RACK rule depends on it).
func (l *Link) writer() {
	defer l.wg.Done()
	for {
		l.mu.Lock()
		for l.dead == nil && l.ackDue == 0 && len(l.again) == 0 && l.unsent == l.next {
			l.wcond.Wait()
		}
		if l.dead != nil {
			l.mu.Unlock()
			return
		}
		var wire []byte
		seqFrame := false
		switch {
		case l.ackDue != 0:
			wire = l.ackFrame()
		case len(l.again) > 0:
			p := l.again[0]
			l.again = l.again[1:]
			p.queued = false
			if p.sacked || l.pend[p.seq] != p {
				break // acknowledged meanwhile, or an old session's
			}
			p.resent = true
			l.stats.Retransmits++
			l.stats.ResentBytes += uint64(len(p.wire))
			if p.probe {
				l.stats.Probes++
				p.probed++
				p.probe = false
				p.guess = true
			}
			wire, seqFrame = l.stamp(p), true
		default:
			p := l.pend[l.unsent]
			l.unsent++
			l.cond.Broadcast() // room in the unsent queue
			if p == nil {
				break
			}
			p.queued = false
			wire, seqFrame = l.stamp(p), true
		}
		l.stats.BytesSent += uint64(len(wire))
		l.mu.Unlock()
		if wire == nil {
			continue
		}
		l.wmu.Lock()
		_, err := l.port.Write(wire)
		l.wmu.Unlock()
		if err != nil {
			l.kill(fmt.Errorf("%w: write: %v", ErrLinkDead, err))
			return
		}
		if seqFrame {
			// A long frame on a slow line: the probe timeout runs from
			// when it left, not when it started.
			l.mu.Lock()
			l.lastTx = time.Now()
			l.mu.Unlock()
		}
	}
}

// stamp marks p transmitted now (l.mu held) and returns its bytes.
func (l *Link) stamp(p *pending) []byte {
	now := time.Now()
	l.order++
	p.order, p.sentAt, l.lastTx = l.order, now, now
	p.sends++
	l.stats.SeqBytesSent += uint64(len(p.wire))
	return p.wire
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
	if err == nil && len(f.Payload) > l.Options().MaxPayload+8 {
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
	case d < 0 || int(d) > l.opts.Window:
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

// sendAck asks the writer for an acknowledgement. Acknowledgements
// coalesce: the one sent carries the state when the line is free, and is
// a NACK if any of those it stands for was.
func (l *Link) sendAck(kind MsgType) {
	l.mu.Lock()
	if l.ackDue != MsgNack {
		l.ackDue = kind
	}
	l.wcond.Signal()
	l.mu.Unlock()
}

// ackFrame builds the due acknowledgement (l.mu held).
func (l *Link) ackFrame() []byte {
	kind := l.ackDue
	l.ackDue = 0
	a := Ack{Next: l.expect}
	for s := range l.ooo {
		a.Set(int(s - l.expect - 1))
	}
	if kind == MsgAck {
		l.stats.Acks++
	} else {
		l.stats.Nacks++
	}
	return AppendFrame(nil, Frame{Type: kind, Seq: a.Next, Payload: a.Marshal()})
}

// acked applies an acknowledgement. A frame still unacknowledged that was
// sent before one the peer has now received is taken as lost and sent
// again at once (as TCP's RACK does: the line keeps order, so this is
// exact); a tail-loss probe and the timer catch the rest.
func (l *Link) acked(a Ack) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var newest uint64
	ack := func(p *pending) {
		if p.queued && p.order == 0 {
			return // never sent: an acknowledgement from another session
		}
		l.probes = 0
		l.stats.FramesAcked++
		l.stats.AckedBytes += uint64(p.sends * len(p.wire))
		l.stats.AckedLosses += uint64(max(0, p.sends-1-p.probed))
		if !p.resent {
			l.sample(now.Sub(p.sentAt))
		}
		// A frame resent only on evidence (RACK: every older copy was
		// lost) vouches for the frames sent before its latest copy. One
		// resent on a guess does not: which copy arrived is unknown, and
		// taking the latest would make every frame sent between the two
		// look lost.
		if !p.guess {
			newest = max(newest, p.order)
		}
	}
	if d := a.Next - l.base; d <= l.unsent-l.base {
		for s := l.base; s != a.Next; s++ {
			if p, ok := l.pend[s]; ok {
				if !p.sacked { // a SACK counted it already
					ack(p)
				}
				delete(l.pend, s)
			}
		}
		l.base = a.Next
	}
	for i := range SACKFrames {
		if !a.Has(i) {
			continue
		}
		s := a.Next + 1 + uint16(i)
		if s-l.base >= l.unsent-l.base {
			break
		}
		if p, ok := l.pend[s]; ok && !p.sacked {
			p.sacked = true
			ack(p)
		}
	}
	for s := l.base; s != l.unsent; s++ {
		p, ok := l.pend[s]
		if ok && !p.sacked && !p.queued && p.order < newest {
			p.timed, p.queued = now, true
			l.again = append(l.again, p)
		}
	}
	if len(l.again) > 0 {
		l.wcond.Signal()
	}
	l.cond.Broadcast()
}

// sample updates the smoothed round trip and its variation (RFC 6298).
func (l *Link) sample(rtt time.Duration) {
	if l.srtt == 0 {
		l.srtt, l.rttvar = rtt, rtt/2
		return
	}
	d := rtt - l.srtt
	if d < 0 {
		d = -d
	}
	l.rttvar += (d - l.rttvar) / 4
	l.srtt += (rtt - l.srtt) / 8
}

// pto is the tail-loss probe timeout (l.mu held): long enough for the
// acknowledgement of everything sent to have come back.
func (l *Link) pto() time.Duration {
	if l.srtt == 0 {
		return l.opts.MinRTO
	}
	// The floor covers the peer's scheduling on a line whose round trip
	// is far shorter (TCP on one machine).
	d := max(2*l.srtt, l.srtt+4*l.rttvar) + max(time.Millisecond, l.opts.MinRTO/10)
	// Back off while probes go unanswered (a line that is down).
	return min(d<<min(l.probes, 16), l.opts.MaxRTO)
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
	t := time.NewTicker(max(500*time.Microsecond, min(time.Millisecond, l.opts.MinRTO/4)))
	defer t.Stop()
	for {
		select {
		case <-l.quit:
			return
		case <-t.C:
		}
		if err := l.tick(time.Now()); err != nil {
			l.kill(err)
			return
		}
	}
}

// tick queues the retransmissions due at now; an error means the link
// is dead.
func (l *Link) tick(now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.again)
	// Tail-loss probe: nothing has gone out for a probe timeout, so no
	// later frame's acknowledgement will reveal a loss (the window is
	// full, or the sender waits for a reply). Send the oldest
	// unacknowledged frame again rather than wait for its full timeout:
	// the line is idle, so this costs bytes but no time, and its
	// acknowledgement tells what else was lost.
	if l.base != l.unsent && len(l.again) == 0 && now.Sub(l.lastTx) >= l.pto() {
		for s := l.base; s != l.unsent; s++ {
			if p, ok := l.pend[s]; ok && !p.sacked {
				if !p.queued {
					p.queued, p.probe = true, true
					l.again = append(l.again, p)
					l.probes++
					l.lastTx = now // not again until this one has had its chance
				}
				break
			}
		}
	}
	for s := l.base; s != l.unsent; s++ {
		p, ok := l.pend[s]
		if !ok || p.sacked || now.Sub(p.timed) < l.rto(p.tries) {
			continue
		}
		// The timeout counts even if the frame is already queued (probed
		// just now): a dead line must be declared dead.
		p.tries++
		if p.tries > l.opts.MaxRetries {
			return fmt.Errorf("%w: frame %d (%v) unacknowledged after %d retransmissions", ErrLinkDead, s, MsgType(p.wireType()), l.opts.MaxRetries)
		}
		p.timed = now
		if !p.queued {
			p.queued, p.guess = true, true
			l.again = append(l.again, p)
		}
	}
	if len(l.again) > n {
		l.wcond.Signal()
	}
	return nil
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
