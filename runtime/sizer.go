package runtime

import "math"

// Sizer picks payload sizes for a bulk transfer (image chunks, spike
// batches) from the error rate the link sees. A frame of x wire bytes on a
// line with bit error rate p arrives with probability e^(−8px) and carries
// x − h useful bytes (h: framing and message header), so the goodput
// (x−h)/x · e^(−8px) is best where x(x−h) = h/(8p).
//
// p is estimated from the losses (retransmissions, less the tail-loss
// probes sent on mere suspicion) per bit sent, over the transfer so far
// with older history halved away, which weighs every frame by its length
// whatever sizes were used. The size starts small and doubles only after
// 64 frames acknowledged without a loss — acknowledged, not sent: a
// window can be sent long before anything comes back. Frames in flight
// cannot be split, so growing on a noisy line would strand a window of
// frames too long to get through.
type Sizer struct {
	l        *Link
	extra    int // message bytes besides the data (SPIKES' header)
	chunk    int
	n        int
	base     LinkStats
	overhead int     // wire bytes of a frame besides the data
	lost     float64 // losses seen (decayed)
	bits     float64 // bits sent (decayed)
	clean    uint64  // frames acknowledged since the last loss or growth
}

// Growth and estimation constants.
const (
	sizerStart     = 64  // first payload size
	sizerMin       = 24  // smallest payload size
	sizerGrowAfter = 64  // frames acknowledged without a loss before doubling
	sizerHistory   = 256 // losses kept before halving the history
)

// NewSizer sizes the payloads of l's bulk messages; extra is the bytes
// each message spends on its own header.
func NewSizer(l *Link, extra int) *Sizer {
	max := l.Options().MaxPayload - extra
	// Header and CRC, and COBS's code byte and the delimiter.
	return &Sizer{l: l, extra: extra, chunk: min(sizerStart, max), base: l.Stats(), overhead: HeaderBytes + CRCBytes + 2 + extra}
}

// BER returns the estimated bit error rate (0 before any loss).
func (s *Sizer) BER() float64 {
	if s.bits == 0 {
		return 0
	}
	return s.lost / s.bits
}

// Next returns the data size for the next message.
func (s *Sizer) Next() int {
	maxChunk := s.l.Options().MaxPayload - s.extra
	s.n++
	if s.n%8 == 0 {
		st := s.l.Stats()
		lost := (st.Retransmits - st.Probes) - (s.base.Retransmits - s.base.Probes)
		acked := st.FramesAcked - s.base.FramesAcked
		s.bits += 8 * float64(st.SeqBytesSent-s.base.SeqBytesSent)
		s.lost += float64(lost)
		s.base = st
		if s.lost > sizerHistory {
			s.lost, s.bits = s.lost/2, s.bits/2
		}
		s.clean += acked
		if lost > 0 {
			s.clean = 0
		}
		switch {
		case s.lost == 0 && s.clean >= sizerGrowAfter:
			s.chunk = min(maxChunk, s.chunk*2)
			s.clean = 0
		case s.lost > 0:
			s.chunk = max(sizerMin, min(maxChunk, bestPayload(s.BER(), s.overhead)))
			if s.clean >= sizerGrowAfter {
				// A long run without a loss where the estimate expects
				// several: the line got better (or the losses were a
				// cut's); halve the old losses.
				s.lost /= 2
				s.clean = 0
			}
		}
	}
	return min(s.chunk, maxChunk)
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
