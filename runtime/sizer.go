package runtime

import "math"

// Sizer picks payload sizes for a bulk transfer (image chunks, spike
// batches) from the error rate the link sees. A frame of L bytes on a line
// with bit error rate p arrives with probability (1−p)^8L, and carries
// L − h useful bytes; the goodput is best near 8·p·L² ≈ h. It starts
// small and doubles only after two windows of frames without a single
// retransmission: frames in flight cannot be split, so growing on a noisy
// line would strand a window of frames too long to get through.
type Sizer struct {
	l        *Link
	extra    int // message bytes besides the data (WRITE's offset)
	chunk    int
	n        int
	base     LinkStats
	overhead int
}

// NewSizer sizes the payloads of l's bulk messages; extra is the bytes
// each message spends on its own header.
func NewSizer(l *Link, extra int) *Sizer {
	max := l.Options().MaxPayload - extra
	return &Sizer{l: l, extra: extra, chunk: min(64, max), base: l.Stats(), overhead: HeaderBytes + CRCBytes + 2 + extra}
}

// Next returns the data size for the next message.
func (s *Sizer) Next() int {
	maxChunk := s.l.Options().MaxPayload - s.extra
	s.n++
	if s.n%8 == 0 {
		st := s.l.Stats()
		sent, resent := st.FramesSent-s.base.FramesSent, st.Retransmits-s.base.Retransmits
		fer := float64(resent) / float64(max(sent, 1))
		switch {
		case fer == 0 && sent >= uint64(2*s.l.Options().Window):
			s.chunk = min(maxChunk, s.chunk*2)
			s.base = st
		case fer > 0:
			s.base = st
			fer = min(fer, 0.9)
			h := float64(s.overhead)
			ber := -math.Log1p(-fer) / (8 * (float64(s.chunk) + h))
			best := int(math.Sqrt(h/(8*ber)) - h)
			s.chunk = max(24, min(maxChunk, best))
		}
	}
	return min(s.chunk, maxChunk)
}
