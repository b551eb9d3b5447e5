package runtime

import "math"

// Sizer picks payload sizes for a bulk transfer (image chunks, spike
// batches) from the error rate the link sees. A frame of x wire bytes on a
// line with bit error rate p arrives with probability e^(−8px) and carries
// x − h useful bytes (h: framing and message header), so the goodput
// (x−h)/x · e^(−8px) is best where x(x−h) = h/(8p).
//
// p is estimated by berEstimate from the frames the link has had
// acknowledged: the wire bytes of all their transmissions and the losses
// among them (retransmissions, less the tail-loss probes sent on mere
// suspicion), counted together when each frame is acknowledged
// (LinkStats.AckedBytes, AckedLosses). Counting bits as they are sent and
// losses as they are noticed, a round trip or a stall later, took a
// window sent with nothing come back yet (a fast line, a peer answering
// late) for a run without a loss: the estimate fell, at times to a
// fiftieth of the rate at 10⁻³, the frames grew past 400 bytes, and one
// that could then hardly ever get through killed the link (TestFaults'
// 10⁻³ case under -race). The size starts small and doubles only after
// 64 frames acknowledged without a loss and none noticed — acknowledged,
// not sent: a window can be sent long before anything comes back. Frames
// in flight cannot be split, so growing on a noisy line would strand a
// window of frames too long to get through.
type Sizer struct {
	stats      func() LinkStats
	maxPayload func() int
	extra      int // message bytes besides the data (SPIKES' header)
	chunk      int
	n          int
	base       LinkStats
	overhead   int // wire bytes of a frame besides the data
	est        berEstimate
	clean      uint64 // frames acknowledged without a loss, before the first loss
	noticed    bool   // a loss was seen (a retransmission), its frame maybe not yet acknowledged
}

// Growth constants.
const (
	sizerStart     = 64 // first payload size
	sizerMin       = 24 // smallest payload size
	sizerGrowAfter = 64 // frames acknowledged without a loss before doubling
	sizerEvery     = 8  // messages between looks at the link's counters
)

// NewSizer sizes the payloads of l's bulk messages; extra is the bytes
// each message spends on its own header.
func NewSizer(l *Link, extra int) *Sizer {
	return newSizer(l.Stats, func() int { return l.Options().MaxPayload }, extra)
}

func newSizer(stats func() LinkStats, maxPayload func() int, extra int) *Sizer {
	// Header and CRC, and COBS's code byte and the delimiter.
	return &Sizer{stats: stats, maxPayload: maxPayload, extra: extra,
		chunk: min(sizerStart, maxPayload()-extra), base: stats(),
		overhead: HeaderBytes + CRCBytes + 2 + extra}
}

// BER returns the estimated bit error rate (0 before any loss).
func (s *Sizer) BER() float64 { return s.est.BER() }

// Next returns the data size for the next message.
func (s *Sizer) Next() int {
	maxChunk := s.maxPayload() - s.extra
	s.n++
	if s.n%sizerEvery == 0 {
		st := s.stats()
		lost := st.AckedLosses - s.base.AckedLosses
		bits := 8 * float64(st.AckedBytes-s.base.AckedBytes)
		acked := st.FramesAcked - s.base.FramesAcked
		// A loss noticed is counted once its frame is acknowledged; until
		// then it stops the growth.
		s.noticed = s.noticed || st.Retransmits-st.Probes != s.base.Retransmits-s.base.Probes
		s.base = st
		s.est.add(float64(lost), bits)
		switch {
		case s.est.lost == 0 && s.noticed:
			// No growth; the size follows the estimate once it counts.
		case s.est.lost == 0:
			s.clean += acked
			if s.clean >= sizerGrowAfter {
				s.chunk = min(maxChunk, s.chunk*2)
				s.clean = 0
			}
		default:
			s.chunk = max(sizerMin, min(maxChunk, bestPayload(s.BER(), s.overhead)))
		}
	}
	return min(s.chunk, maxChunk)
}

// berEstimate estimates a line's bit error rate as the frames lost per
// bit sent (retransmissions, probes aside), with history weighed down,
// never dropped or skewed: once more than berHistory losses are held, the
// losses and the bits are halved together, so the ratio is unchanged and
// newer frames count for more (the estimate follows a line that changes,
// with a relative error of about 1/√(berHistory/2)). A run without a loss
// that the estimate makes improbable (less than berSurprise) is evidence
// that the line got better (or that the losses were a cut's): the history
// is halved the same way, so the new frames count for more sooner.
// Halving the losses alone would halve the estimate, and chance runs
// would keep it far too low (it did: 0.4–0.5 of the rate at 10⁻⁴).
//
// Losses per bit sent fall short of the rate by the frames' own loss
// probability: a lost frame exposed only the bits up to its first error,
// so the estimate is p·(1 − e^(−8px))/(8px) for frames of x wire bytes —
// 0.95 p at 10⁻⁴, 0.84 p at 10⁻³ with the best frames. Counting a lost
// frame's bits as half (the exact rate) was tried: at 10⁻³ the frames it
// picks (32 bytes instead of 37) let the 255-frame window cover less of a
// loss's repair and loaded 2 % slower on the virtual board; at 10⁻⁴ the
// goodput curve is flat across the difference.
type berEstimate struct {
	lost float64 // frames lost (decayed)
	bits float64 // bits sent, retransmissions included (decayed)
	run  float64 // bits sent since the last loss
}

const (
	berHistory = 256 // losses held before the history is halved
	// berSurprise: a run without a loss this improbable under the
	// estimate means the line got better: e^(−p̂·run) < 1 %.
	berSurprise = 0.01
)

// add counts bits sent, in frames of which lost were lost.
func (e *berEstimate) add(lost, bits float64) {
	e.lost += lost
	e.bits += bits
	if lost > 0 {
		e.run = 0
	} else {
		e.run += bits
	}
	if e.lost > berHistory {
		e.halve()
	}
	if e.lost > 0 && e.BER()*e.run > -math.Log(berSurprise) {
		e.halve()
		e.run = 0
	}
}

func (e *berEstimate) halve() { e.lost, e.bits = e.lost/2, e.bits/2 }

// BER returns the estimated bit error rate (0 before any loss).
func (e *berEstimate) BER() float64 {
	if e.lost == 0 || e.bits == 0 {
		return 0
	}
	return e.lost / e.bits
}

// bestPayload is the payload size that maximises goodput at bit error
// rate p for frames costing h bytes besides the payload.
func bestPayload(p float64, h int) int {
	if p <= 0 {
		return math.MaxInt32
	}
	hf := float64(h)
	x := (hf + math.Sqrt(hf*hf+4*hf/(8*p))) / 2
	return int(math.Round(x - hf))
}
