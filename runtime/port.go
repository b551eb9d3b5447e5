package runtime

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// Port is what the link needs of a serial port; go.bug.st/serial's Port
// satisfies it. Read returns (0, nil) when the read timeout passes with no
// data; a dead line is an error; Close unblocks a pending Read.
type Port interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	Close() error
	SetReadTimeout(t time.Duration) error
}

// ErrPortClosed is returned by a closed Pipe end.
var ErrPortClosed = errors.New("port closed")

// pipeHalf is one direction of a Pipe: a byte queue, optionally paced at a
// line rate.
type pipeHalf struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    []byte
	closed bool
	// bytesPerSec paces delivery (0: unlimited); ready is when the last
	// queued byte has "crossed the line".
	bytesPerSec float64
	ready       time.Time
	// queued holds (time available, bytes) segments when paced.
	segs []seg
}

type seg struct {
	at time.Time
	n  int
}

// PipePort is one end of an in-memory full-duplex line.
type PipePort struct {
	in, out *pipeHalf
	timeout time.Duration
	once    sync.Once
}

var _ Port = (*PipePort)(nil)

// Pipe returns two connected Ports. With baud > 0 each direction carries
// baud/10 bytes per second (8N1: ten bit times a byte), so protocol
// efficiency can be measured against a modelled line rate; 0 is unlimited.
func Pipe(baud int) (*PipePort, *PipePort) {
	a, b := newHalf(baud), newHalf(baud)
	return &PipePort{in: a, out: b, timeout: -1}, &PipePort{in: b, out: a, timeout: -1}
}

func newHalf(baud int) *pipeHalf {
	h := &pipeHalf{bytesPerSec: float64(baud) / 10}
	h.cond = sync.NewCond(&h.mu)
	return h
}

// SetReadTimeout sets how long Read waits for data (negative: forever).
func (p *PipePort) SetReadTimeout(t time.Duration) error { p.timeout = t; return nil }

// Write queues b for the other end, blocking as a UART would while the
// line is busy when paced.
func (p *PipePort) Write(b []byte) (int, error) {
	h := p.out
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return 0, ErrPortClosed
	}
	h.buf = append(h.buf, b...)
	var wait time.Duration
	if h.bytesPerSec > 0 {
		now := time.Now()
		if h.ready.Before(now) {
			h.ready = now
		}
		h.ready = h.ready.Add(time.Duration(float64(len(b)) / h.bytesPerSec * float64(time.Second)))
		h.segs = append(h.segs, seg{h.ready, len(b)})
		// A UART's transmit FIFO is small: the writer waits for the line.
		wait = time.Until(h.ready) - 2*time.Millisecond
	}
	h.cond.Broadcast()
	h.mu.Unlock()
	if wait > 0 {
		time.Sleep(wait)
	}
	return len(b), nil
}

// available returns how many queued bytes have arrived by now, and when the
// next ones will.
func (h *pipeHalf) available(now time.Time) (int, time.Time) {
	if h.bytesPerSec == 0 {
		return len(h.buf), time.Time{}
	}
	n := 0
	for _, s := range h.segs {
		if s.at.After(now) {
			return n, s.at
		}
		n += s.n
	}
	return n, time.Time{}
}

// Read returns arrived bytes, waiting up to the read timeout.
func (p *PipePort) Read(b []byte) (int, error) {
	h := p.in
	var deadline time.Time
	if p.timeout >= 0 {
		deadline = time.Now().Add(p.timeout)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		now := time.Now()
		n, next := h.available(now)
		if h.closed {
			// Bytes that crossed the line before the cut stay readable,
			// as in a UART's receive buffer.
			n = len(h.buf)
		}
		if n > 0 {
			n = copy(b, h.buf[:n])
			h.buf = h.buf[n:]
			h.consume(n)
			return n, nil
		}
		if h.closed {
			return 0, ErrPortClosed
		}
		if !deadline.IsZero() && !now.Before(deadline) {
			return 0, nil
		}
		// Wake at the deadline or when paced bytes arrive; Write and
		// Close broadcast.
		wake := deadline
		if !next.IsZero() && (wake.IsZero() || next.Before(wake)) {
			wake = next
		}
		if !wake.IsZero() {
			t := time.AfterFunc(time.Until(wake), func() { h.mu.Lock(); h.cond.Broadcast(); h.mu.Unlock() })
			h.cond.Wait()
			t.Stop()
		} else {
			h.cond.Wait()
		}
	}
}

func (h *pipeHalf) consume(n int) {
	for n > 0 && len(h.segs) > 0 {
		if h.segs[0].n <= n {
			n -= h.segs[0].n
			h.segs = h.segs[1:]
		} else {
			h.segs[0].n -= n
			n = 0
		}
	}
}

// Close closes both directions: the other end's Read and Write fail, as
// when a cable is pulled.
func (p *PipePort) Close() error {
	p.once.Do(func() {
		for _, h := range []*pipeHalf{p.in, p.out} {
			h.mu.Lock()
			h.closed = true
			h.cond.Broadcast()
			h.mu.Unlock()
		}
	})
	return nil
}

// ConnPort adapts a net.Conn (a TCP virtual board) to Port.
type ConnPort struct {
	net.Conn
	timeout time.Duration
}

// NewConnPort wraps c.
func NewConnPort(c net.Conn) *ConnPort { return &ConnPort{Conn: c, timeout: -1} }

// SetReadTimeout sets how long Read waits (negative: forever).
func (c *ConnPort) SetReadTimeout(t time.Duration) error { c.timeout = t; return nil }

// Read returns (0, nil) on a timeout, as a serial port does.
func (c *ConnPort) Read(b []byte) (int, error) {
	if c.timeout >= 0 {
		_ = c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	} else {
		_ = c.Conn.SetReadDeadline(time.Time{})
	}
	n, err := c.Conn.Read(b)
	if n == 0 && errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, nil
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = nil
	}
	return n, err
}

// FilePort adapts a pollable *os.File (a pty master) to Port.
type FilePort struct {
	*os.File
	timeout time.Duration
}

// NewFilePort wraps f.
func NewFilePort(f *os.File) *FilePort { return &FilePort{File: f, timeout: -1} }

// SetReadTimeout sets how long Read waits (negative: forever).
func (f *FilePort) SetReadTimeout(t time.Duration) error { f.timeout = t; return nil }

// Read returns (0, nil) on a timeout.
func (f *FilePort) Read(b []byte) (int, error) {
	if f.timeout >= 0 {
		_ = f.File.SetReadDeadline(time.Now().Add(f.timeout))
	} else {
		_ = f.File.SetReadDeadline(time.Time{})
	}
	n, err := f.File.Read(b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return n, nil
	}
	return n, err
}
