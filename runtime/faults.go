package runtime

import (
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// Faults describe what a Proxy does to one direction of a line.
type Faults struct {
	// BER is the probability that any one bit is inverted.
	BER float64
	// DropByte is the probability that a byte is lost.
	DropByte float64
	// DropFrame and DupFrame are the probabilities that a whole frame
	// (bytes up to and including a 0x00 delimiter) is lost or sent twice.
	DropFrame, DupFrame float64
	// Delay holds every chunk back this long (latency).
	Delay time.Duration
	// CutAfter cuts the line once this many bytes have crossed it (0:
	// never). With CutFor 0 the cut closes both ends, as a pulled cable;
	// otherwise the line is silent for CutFor and then carries on.
	CutAfter int64
	CutFor   time.Duration
	// CutAfterType, if set, counts toward CutAfter only the bytes of
	// intact frames of this type (e.g. SPIKES: cut in the middle of a run).
	CutAfterType MsgType
	// Seed makes the faults reproducible for the same byte stream.
	Seed uint64
}

// ProxyStats count what a Proxy did, per direction.
type ProxyStats struct {
	Bytes, BitsFlipped, BytesDropped, FramesDropped, FramesDuplicated, Cuts int64
}

// Proxy forwards bytes between two Ports, injecting faults: the link's
// tests put it between host and board, and `soma link-proxy` between two
// real ports.
type Proxy struct {
	a, b   Port
	faults [2]Faults
	mu     sync.Mutex
	stats  [2]ProxyStats
	once   sync.Once
	done   chan struct{}
}

// NewProxy forwards a→b with ab's faults and b→a with ba's.
func NewProxy(a, b Port, ab, ba Faults) *Proxy {
	return &Proxy{a: a, b: b, faults: [2]Faults{ab, ba}, done: make(chan struct{})}
}

// Run forwards until either side fails or Close is called; it then closes
// both ports.
func (p *Proxy) Run() {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pump(0, p.a, p.b) }()
	go func() { defer wg.Done(); p.pump(1, p.b, p.a) }()
	wg.Wait()
}

// Close stops the proxy and closes both ports.
func (p *Proxy) Close() {
	p.once.Do(func() {
		close(p.done)
		p.a.Close()
		p.b.Close()
	})
}

// Stats returns the counts for a→b (0) and b→a (1).
func (p *Proxy) Stats() [2]ProxyStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

func (p *Proxy) pump(dir int, src, dst Port) {
	defer p.Close()
	f := p.faults[dir]
	rng := rand.New(rand.NewPCG(f.Seed, uint64(dir)+0x9e3779b97f4a7c15))
	// bits until the next inverted bit, drawn from the geometric
	// distribution so a low BER costs nothing per byte.
	nextFlip := func() int64 {
		if f.BER <= 0 {
			return math.MaxInt64
		}
		u := 1 - rng.Float64()
		return int64(math.Log(u) / math.Log1p(-f.BER))
	}
	untilFlip := nextFlip()
	var frame []byte
	var sent int64
	cut := false
	var silentUntil time.Time
	_ = src.SetReadTimeout(20 * time.Millisecond)
	buf := make([]byte, 4096)
	frameFaults := f.DropFrame > 0 || f.DupFrame > 0 || f.CutAfterType != 0
	var typed int64 // bytes of CutAfterType frames seen
	for {
		select {
		case <-p.done:
			return
		default:
		}
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if n == 0 {
			continue
		}
		var out []byte
		var st ProxyStats
		for _, c := range buf[:n] {
			if !frameFaults {
				out = append(out, c)
				continue
			}
			frame = append(frame, c)
			if c != 0 && len(frame) < 1<<14 {
				continue
			}
			if f.CutAfterType != 0 && f.CutAfter > 0 {
				if typed >= f.CutAfter {
					// The line is already cut: this frame and all after it
					// are lost.
					frame = frame[:0]
					continue
				}
				if fr, err := DecodeFrame(frame[:len(frame)-1]); err == nil && fr.Type == f.CutAfterType {
					typed += int64(len(frame))
				}
			}
			switch r := rng.Float64(); {
			case r < f.DropFrame:
				st.FramesDropped++
			case r < f.DropFrame+f.DupFrame:
				st.FramesDuplicated++
				out = append(append(out, frame...), frame...)
			default:
				out = append(out, frame...)
			}
			frame = frame[:0]
		}
		kept := out[:0]
		for _, c := range out {
			if f.DropByte > 0 && rng.Float64() < f.DropByte {
				st.BytesDropped++
				continue
			}
			for untilFlip < 8 {
				c ^= 1 << untilFlip
				st.BitsFlipped++
				untilFlip += 1 + nextFlip()
			}
			untilFlip -= 8
			kept = append(kept, c)
		}
		out = kept
		if f.Delay > 0 {
			time.Sleep(f.Delay)
		}
		if f.CutAfter > 0 && !cut && f.CutAfterType != 0 && typed >= f.CutAfter {
			cut = true
			st.Cuts++
			_, _ = dst.Write(out)
			p.add(dir, st, len(out))
			if f.CutFor == 0 {
				return
			}
			silentUntil = time.Now().Add(f.CutFor)
			continue
		}
		if f.CutAfter > 0 && !cut && f.CutAfterType == 0 && sent+int64(len(out)) >= f.CutAfter {
			cut = true
			st.Cuts++
			head := out[:f.CutAfter-sent]
			st.BytesDropped += int64(len(out) - len(head))
			_, _ = dst.Write(head)
			p.add(dir, st, len(head))
			if f.CutFor == 0 {
				return
			}
			silentUntil = time.Now().Add(f.CutFor)
			continue
		}
		if time.Now().Before(silentUntil) {
			st.BytesDropped += int64(len(out))
			p.add(dir, st, 0)
			continue
		}
		sent += int64(len(out))
		p.add(dir, st, len(out))
		if _, err := dst.Write(out); err != nil {
			return
		}
	}
}

func (p *Proxy) add(dir int, st ProxyStats, n int) {
	p.mu.Lock()
	s := &p.stats[dir]
	s.Bytes += int64(n)
	s.BitsFlipped += st.BitsFlipped
	s.BytesDropped += st.BytesDropped
	s.FramesDropped += st.FramesDropped
	s.FramesDuplicated += st.FramesDuplicated
	s.Cuts += st.Cuts
	p.mu.Unlock()
}
