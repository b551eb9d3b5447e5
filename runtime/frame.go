// Package runtime is the host side of soma's serial link to a board: the
// link protocol (docs/link-protocol.md) — COBS-framed, CRC-16-checked
// frames with sequence numbers, selective acknowledgements and
// retransmission — and a client that loads an image, runs it and streams
// its spikes back (pausing, resuming and stopping it from any goroutine
// meanwhile), over any Port (a serial port, a pty, a pipe, TCP).
//
// Only runtime/serialport touches real ports; everything here works on the
// small Port interface, so tests run the same code over in-memory pipes
// with injected faults.
package runtime

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sigurn/crc16"
)

// Frame format constants. A frame on the wire is COBS(header ‖ payload ‖
// crc) followed by one 0x00 delimiter.
const (
	// FrameVersion is the version byte every frame starts with.
	FrameVersion = 1
	// HeaderBytes is the size of the frame header: version u8, type u8,
	// seq u16, payload length u16.
	HeaderBytes = 6
	// CRCBytes is the size of the trailing CRC-16.
	CRCBytes = 2
	// DefaultMaxPayload is the largest payload a peer accepts unless the
	// handshake agrees on less.
	DefaultMaxPayload = 1024
	// MaxPayloadLimit bounds any payload (the length field is u16, and
	// COBS overhead must keep the wire frame small).
	MaxPayloadLimit = 4096
)

// crcTable is CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF,
// not reflected, no final XOR; check value 0x29B1 for "123456789". It is
// the variant most UART firmware already carries (XMODEM's polynomial with
// a non-zero start, so leading zero bytes change the CRC).
var crcTable = crc16.MakeTable(crc16.CRC16_CCITT_FALSE)

// CRC16 returns the frame CRC of b.
func CRC16(b []byte) uint16 { return crc16.Checksum(b, crcTable) }

// Frame is one decoded frame.
type Frame struct {
	Type    MsgType
	Seq     uint16
	Payload []byte
}

// Frame decoding errors; the receiver counts them and asks for a resend.
var (
	ErrFrameCRC     = errors.New("frame CRC mismatch")
	ErrFrameShort   = errors.New("frame shorter than header and CRC")
	ErrFrameLength  = errors.New("frame length field disagrees with the frame")
	ErrFrameVersion = errors.New("unknown frame version")
	ErrCOBS         = errors.New("invalid COBS encoding")
)

// AppendFrame appends f's wire form (COBS-encoded, with the trailing 0x00
// delimiter) to dst.
func AppendFrame(dst []byte, f Frame) []byte {
	raw := make([]byte, HeaderBytes, HeaderBytes+len(f.Payload)+CRCBytes)
	raw[0] = FrameVersion
	raw[1] = byte(f.Type)
	binary.LittleEndian.PutUint16(raw[2:], f.Seq)
	binary.LittleEndian.PutUint16(raw[4:], uint16(len(f.Payload)))
	raw = append(raw, f.Payload...)
	raw = binary.LittleEndian.AppendUint16(raw, CRC16(raw))
	dst = AppendCOBS(dst, raw)
	return append(dst, 0)
}

// DecodeFrame decodes one frame's COBS bytes (without the delimiter).
// The payload aliases a fresh buffer, never b.
func DecodeFrame(b []byte) (Frame, error) {
	raw, err := DecodeCOBS(nil, b)
	if err != nil {
		return Frame{}, err
	}
	if len(raw) < HeaderBytes+CRCBytes {
		return Frame{}, ErrFrameShort
	}
	body := raw[:len(raw)-CRCBytes]
	if CRC16(body) != binary.LittleEndian.Uint16(raw[len(raw)-CRCBytes:]) {
		return Frame{}, ErrFrameCRC
	}
	if raw[0] != FrameVersion {
		return Frame{}, fmt.Errorf("%w %d (this side speaks %d)", ErrFrameVersion, raw[0], FrameVersion)
	}
	n := int(binary.LittleEndian.Uint16(raw[4:]))
	if n != len(body)-HeaderBytes {
		return Frame{}, fmt.Errorf("%w: header says %d payload bytes, frame has %d", ErrFrameLength, n, len(body)-HeaderBytes)
	}
	return Frame{Type: MsgType(raw[1]), Seq: binary.LittleEndian.Uint16(raw[2:]), Payload: body[HeaderBytes:]}, nil
}

// AppendCOBS appends the consistent-overhead byte stuffing of src to dst:
// no 0x00 in the output, at most one extra byte per 254 input bytes plus
// one. COBS rather than SLIP because SLIP doubles every 0xC0/0xDB byte — up
// to 100 % overhead on adversarial data — while COBS's overhead is bounded
// (< 0.4 %), which is what keeps image loads near line rate.
func AppendCOBS(dst, src []byte) []byte {
	codeAt := len(dst)
	dst = append(dst, 0)
	code := byte(1)
	for _, c := range src {
		if c == 0 {
			dst[codeAt] = code
			codeAt = len(dst)
			dst = append(dst, 0)
			code = 1
			continue
		}
		dst = append(dst, c)
		code++
		if code == 0xFF {
			dst[codeAt] = code
			codeAt = len(dst)
			dst = append(dst, 0)
			code = 1
		}
	}
	dst[codeAt] = code
	return dst
}

// DecodeCOBS appends the decoding of src (which holds no delimiter) to dst.
func DecodeCOBS(dst, src []byte) ([]byte, error) {
	for i := 0; i < len(src); {
		code := int(src[i])
		if code == 0 {
			return nil, fmt.Errorf("%w: zero byte at %d", ErrCOBS, i)
		}
		i++
		end := i + code - 1
		if end > len(src) {
			return nil, fmt.Errorf("%w: block at %d runs %d bytes past the frame", ErrCOBS, i-1, end-len(src))
		}
		for _, c := range src[i:end] {
			if c == 0 {
				return nil, fmt.Errorf("%w: zero byte inside a block", ErrCOBS)
			}
		}
		dst = append(dst, src[i:end]...)
		i = end
		// A block shorter than 254 data bytes stands for a zero, except
		// at the very end, where the zero is only implied.
		if code < 0xFF && i < len(src) {
			dst = append(dst, 0)
		}
	}
	return dst, nil
}

// MaxWireFrame is the largest encoded frame (delimiter included) for a
// payload of n bytes: the deframer drops anything longer unread.
func MaxWireFrame(n int) int {
	raw := HeaderBytes + n + CRCBytes
	return raw + raw/254 + 2
}

// Deframer splits a byte stream at 0x00 delimiters, dropping frames longer
// than its limit (noise on the line or a peer ignoring the agreed size) so
// that a lost delimiter cannot make it buffer without bound.
type Deframer struct {
	Max     int
	buf     []byte
	over    bool
	Dropped int // oversized frames dropped
}

// Feed adds bytes and calls fn with each complete frame's bytes (valid
// until fn returns).
func (d *Deframer) Feed(b []byte, fn func([]byte)) {
	for len(b) > 0 {
		i := indexZero(b)
		if i < 0 {
			d.add(b)
			return
		}
		d.add(b[:i])
		if d.over {
			d.Dropped++
		} else if len(d.buf) > 0 {
			fn(d.buf)
		}
		d.buf, d.over = d.buf[:0], false
		b = b[i+1:]
	}
}

func (d *Deframer) add(b []byte) {
	if d.over {
		return
	}
	if d.Max > 0 && len(d.buf)+len(b) > d.Max {
		d.over = true
		d.buf = d.buf[:0]
		return
	}
	d.buf = append(d.buf, b...)
}

func indexZero(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}
