package runtime

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Protocol version spoken by this code. Peers with another major version
// are refused at HELLO; a higher minor version only adds messages.
const (
	ProtocolMajor = 2
	ProtocolMinor = 1
)

// MsgType is a frame's message type.
type MsgType uint8

// Message types. Link-control messages (HELLO, INFO, ACK, NACK) are not
// sequenced; every other message is, and is delivered exactly once and in
// order.
const (
	MsgHello     MsgType = 0x01 // host → board: start a session
	MsgInfo      MsgType = 0x02 // board → host: identity, versions, capacities
	MsgAck       MsgType = 0x03 // cumulative + selective acknowledgement
	MsgNack      MsgType = 0x04 // as ACK, sent on a gap or a damaged frame
	MsgError     MsgType = 0x05 // either way: code + text
	MsgOK        MsgType = 0x06 // board → host: generic reply with the board's tick
	MsgLoad      MsgType = 0x10 // host → board: announce an image (kind, size, CRC-32, block)
	MsgLoaded    MsgType = 0x11 // board → host: resume offset
	MsgWrite     MsgType = 0x12 // host → board: offset + data
	MsgWriteMore MsgType = 0x13 // host → board: data at the previous write's end
	MsgVerify    MsgType = 0x14 // host → board: ask for block checksums
	MsgVerified  MsgType = 0x15 // board → host: block checksums
	MsgCommit    MsgType = 0x16 // host → board: decode and check the image
	MsgReady     MsgType = 0x17 // board → host: image accepted
	MsgStart     MsgType = 0x20 // host → board: run
	MsgPause     MsgType = 0x21
	MsgResume    MsgType = 0x22
	MsgStop      MsgType = 0x23
	MsgSpikes    MsgType = 0x24 // board → host: a batch of ticks' spikes
	MsgDone      MsgType = 0x25 // board → host: a stream ended
	MsgInject    MsgType = 0x26 // host → board: spikes into a source population
	MsgRead      MsgType = 0x30 // host → board: counters, or a range of ticks' spikes
	MsgData      MsgType = 0x31 // board → host: counters
	MsgReset     MsgType = 0x32 // host → board: forget the image and the run
	MsgTraces    MsgType = 0x33 // board → host: a chunk of a run's recorded traces (2.1)
)

var msgNames = map[MsgType]string{
	MsgHello: "HELLO", MsgInfo: "INFO", MsgAck: "ACK", MsgNack: "NACK", MsgError: "ERROR", MsgOK: "OK",
	MsgLoad: "LOAD", MsgLoaded: "LOADED", MsgWrite: "WRITE", MsgWriteMore: "WRITE_MORE", MsgVerify: "VERIFY",
	MsgVerified: "VERIFIED", MsgCommit: "COMMIT", MsgReady: "READY", MsgStart: "START", MsgPause: "PAUSE",
	MsgResume: "RESUME", MsgStop: "STOP", MsgSpikes: "SPIKES", MsgDone: "DONE", MsgInject: "INJECT",
	MsgRead: "READ", MsgData: "DATA", MsgReset: "RESET", MsgTraces: "TRACES",
}

func (t MsgType) String() string {
	if s, ok := msgNames[t]; ok {
		return s
	}
	return fmt.Sprintf("type 0x%02x", uint8(t))
}

// Sequenced reports whether messages of type t go through the sliding
// window (everything but link control).
func (t MsgType) Sequenced() bool {
	return t != MsgHello && t != MsgInfo && t != MsgAck && t != MsgNack
}

// ErrorCode classifies an ERROR message.
type ErrorCode uint16

// Error codes.
const (
	ErrCodeBadFrame   ErrorCode = 1 // a frame too long or of an unknown version
	ErrCodeBadMessage ErrorCode = 2 // a payload that does not parse
	ErrCodeState      ErrorCode = 3 // a message the board cannot take now
	ErrCodeCapacity   ErrorCode = 4 // over a declared capacity
	ErrCodeBadImage   ErrorCode = 5 // the image does not decode or verify
	ErrCodeVersion    ErrorCode = 6 // incompatible protocol version
	ErrCodeInject     ErrorCode = 7 // an INJECT the board cannot apply
	ErrCodeInternal   ErrorCode = 8
)

// Image kinds in LOAD.
const (
	KindSpiNNaker = 1 // a .spinn image (backends/spinnaker)
	KindProgram   = 2 // soma's own container (program.Encode)
)

// Special START tick counts.
const (
	// TicksProgram runs the program's own number of steps.
	TicksProgram = 0
	// TicksUntilStopped runs until STOP (at most the program's steps).
	TicksUntilStopped = math.MaxUint32
)

// READ items.
const (
	ReadCounters = 1
	ReadSpikes   = 2
	ReadTraces   = 3 // protocol 2.1: the recorded traces, as TRACES chunks of a Recording
)

// errShort is returned by the parsers for truncated payloads.
var errShort = errors.New("payload too short")

// rd reads little-endian fields from a payload, remembering the first
// failure so parsers read straight through and check once.
type rd struct {
	b   []byte
	err error
}

func (r *rd) take(n int) []byte {
	if r.err != nil || n < 0 || len(r.b) < n {
		r.err = errShort
		return make([]byte, max(n, 0))
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}
func (r *rd) u8() uint8   { return r.take(1)[0] }
func (r *rd) u16() uint16 { return binary.LittleEndian.Uint16(r.take(2)) }
func (r *rd) u32() uint32 { return binary.LittleEndian.Uint32(r.take(4)) }
func (r *rd) u64() uint64 { return binary.LittleEndian.Uint64(r.take(8)) }
func (r *rd) str() string { return string(r.take(int(r.u8()))) }
func (r *rd) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	if n != uvarintLen(v) {
		// One spelling per value (found by FuzzParseMessages): a padded
		// varint would give one message two encodings.
		r.err = fmt.Errorf("non-minimal varint %x", r.b[:n])
		return 0
	}
	r.b = r.b[n:]
	return v
}

// done reports the first error, or bytes left over.
func (r *rd) done(what MsgType) error {
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d bytes left over", len(r.b))
	}
	if r.err != nil {
		return fmt.Errorf("%v payload: %w", what, r.err)
	}
	return nil
}

type wr []byte

func (w *wr) u8(v uint8)   { *w = append(*w, v) }
func (w *wr) u16(v uint16) { *w = binary.LittleEndian.AppendUint16(*w, v) }
func (w *wr) u32(v uint32) { *w = binary.LittleEndian.AppendUint32(*w, v) }
func (w *wr) u64(v uint64) { *w = binary.LittleEndian.AppendUint64(*w, v) }
func (w *wr) str(s string) {
	s = s[:min(len(s), 255)]
	w.u8(uint8(len(s)))
	*w = append(*w, s...)
}
func (w *wr) uvarint(v uint64) { *w = binary.AppendUvarint(*w, v) }

// Hello opens a session.
type Hello struct {
	Major, Minor uint8
	// Nonce identifies the session: a HELLO with a new nonce resets both
	// directions' sequence numbers; a repeated one is only answered.
	Nonce      uint32
	Window     uint8  // frames the host accepts ahead of the one it waits for
	MaxPayload uint16 // largest payload the host accepts
	Host       string
}

// Marshal encodes h.
func (h Hello) Marshal() []byte {
	var w wr
	w.u8(h.Major)
	w.u8(h.Minor)
	w.u32(h.Nonce)
	w.u8(h.Window)
	w.u16(h.MaxPayload)
	w.str(h.Host)
	return w
}

// ParseHello decodes a HELLO payload.
func ParseHello(b []byte) (Hello, error) {
	r := rd{b: b}
	h := Hello{Major: r.u8(), Minor: r.u8(), Nonce: r.u32(), Window: r.u8(), MaxPayload: r.u16(), Host: r.str()}
	return h, r.done(MsgHello)
}

// Board states reported in INFO.
const (
	StateEmpty   = 0 // no image
	StateLoading = 1 // an image partly written
	StateLoaded  = 2 // an image committed, not run
	StateRunning = 3 // a run streaming
	StateDone    = 4 // a run finished (its spikes can still be READ)
)

// Info is a board's identity and capacities.
type Info struct {
	Nonce        uint32 // the HELLO's
	Major, Minor uint8
	Window       uint8
	MaxPayload   uint16
	MaxImage     uint32 // largest image the board accepts, bytes
	State        uint8
	Bauds        []uint32
	Board        string
	Target       string
	Firmware     string
}

// Marshal encodes i.
func (i Info) Marshal() []byte {
	var w wr
	w.u32(i.Nonce)
	w.u8(i.Major)
	w.u8(i.Minor)
	w.u8(i.Window)
	w.u16(i.MaxPayload)
	w.u32(i.MaxImage)
	w.u8(i.State)
	w.u8(uint8(min(len(i.Bauds), 255)))
	for _, b := range i.Bauds[:min(len(i.Bauds), 255)] {
		w.u32(b)
	}
	w.str(i.Board)
	w.str(i.Target)
	w.str(i.Firmware)
	return w
}

// ParseInfo decodes an INFO payload.
func ParseInfo(b []byte) (Info, error) {
	r := rd{b: b}
	i := Info{Nonce: r.u32(), Major: r.u8(), Minor: r.u8(), Window: r.u8(), MaxPayload: r.u16(), MaxImage: r.u32(), State: r.u8()}
	n := int(r.u8())
	for range n {
		if r.err != nil {
			break
		}
		i.Bauds = append(i.Bauds, r.u32())
	}
	i.Board, i.Target, i.Firmware = r.str(), r.str(), r.str()
	return i, r.done(MsgInfo)
}

// SACKFrames is how far past Next an ACK's bitmap reaches.
const SACKFrames = 256

// Ack acknowledges every frame before Next (the header's seq field) and,
// selectively, frame Next+1+i for each bit i set in SACK. On the wire the
// bitmap is 0–32 bytes, bit i in byte i/8 (least significant bit first),
// trailing zero bytes left out: an ACK with nothing held out of order is
// a bare header (protocol 2; protocol 1 had a fixed u32).
type Ack struct {
	Next uint16
	SACK [SACKFrames / 64]uint64
}

// Has reports whether frame Next+1+i is acknowledged selectively.
func (a *Ack) Has(i int) bool {
	return i >= 0 && i < SACKFrames && a.SACK[i/64]&(1<<(i%64)) != 0
}

// Set acknowledges frame Next+1+i selectively.
func (a *Ack) Set(i int) {
	if i >= 0 && i < SACKFrames {
		a.SACK[i/64] |= 1 << (i % 64)
	}
}

// Marshal encodes the payload (Next travels in the header).
func (a Ack) Marshal() []byte {
	var w wr
	for _, v := range a.SACK {
		w.u64(v)
	}
	n := len(w)
	for n > 0 && w[n-1] == 0 {
		n--
	}
	return w[:n]
}

// ParseAck decodes an ACK or NACK payload; next is the header's seq.
func ParseAck(next uint16, b []byte) (Ack, error) {
	a := Ack{Next: next}
	switch {
	case len(b) > SACKFrames/8:
		return a, fmt.Errorf("%v payload: %d-byte SACK bitmap (at most %d)", MsgAck, len(b), SACKFrames/8)
	case len(b) > 0 && b[len(b)-1] == 0:
		return a, fmt.Errorf("%v payload: SACK bitmap with a trailing zero byte", MsgAck)
	}
	for i, c := range b {
		a.SACK[i/8] |= uint64(c) << (8 * (i % 8))
	}
	return a, nil
}

// ErrorMsg is an ERROR message.
type ErrorMsg struct {
	Code ErrorCode
	// About is the type of the message that caused it (0: none).
	About   MsgType
	Message string
}

func (e *ErrorMsg) Error() string {
	if e.About != 0 {
		return fmt.Sprintf("board: %s (error %d, in reply to %v)", e.Message, e.Code, e.About)
	}
	return fmt.Sprintf("board: %s (error %d)", e.Message, e.Code)
}

// Marshal encodes e.
func (e ErrorMsg) Marshal() []byte {
	var w wr
	w.u16(uint16(e.Code))
	w.u8(uint8(e.About))
	w = append(w, e.Message[:min(len(e.Message), 900)]...)
	return w
}

// ParseError decodes an ERROR payload.
func ParseError(b []byte) (ErrorMsg, error) {
	r := rd{b: b}
	e := ErrorMsg{Code: ErrorCode(r.u16()), About: MsgType(r.u8())}
	if r.err == nil {
		e.Message = string(r.b)
		r.b = nil
	}
	return e, r.done(MsgError)
}

// Load announces an image. A board holding a partial image with the same
// kind, size, CRC and block size keeps it, so the load resumes.
type Load struct {
	Kind  uint8
	Size  uint32
	CRC32 uint32 // IEEE CRC-32 of the whole image
	Block uint32 // VERIFY block size, bytes
}

// Marshal encodes l.
func (l Load) Marshal() []byte {
	var w wr
	w.u8(l.Kind)
	w.u32(l.Size)
	w.u32(l.CRC32)
	w.u32(l.Block)
	return w
}

// ParseLoad decodes a LOAD payload.
func ParseLoad(b []byte) (Load, error) {
	r := rd{b: b}
	l := Load{Kind: r.u8(), Size: r.u32(), CRC32: r.u32(), Block: r.u32()}
	return l, r.done(MsgLoad)
}

// U32 encodes a payload that is one u32 (LOADED, OK, COMMIT's READY, …).
func U32(v uint32) []byte { var w wr; w.u32(v); return w }

// ParseU32 decodes a one-u32 payload.
func ParseU32(t MsgType, b []byte) (uint32, error) {
	r := rd{b: b}
	v := r.u32()
	return v, r.done(t)
}

// Write is a WRITE (Offset set) or WRITE_MORE (continues the previous
// write; Offset not on the wire) message.
type Write struct {
	Offset uint32
	Data   []byte
}

// Marshal encodes a WRITE.
func (m Write) Marshal() []byte {
	var w wr
	w.u32(m.Offset)
	return append(w, m.Data...)
}

// ParseWrite decodes a WRITE payload (Data aliases b).
func ParseWrite(b []byte) (Write, error) {
	r := rd{b: b}
	m := Write{Offset: r.u32()}
	if r.err == nil {
		m.Data, r.b = r.b, nil
	}
	return m, r.done(MsgWrite)
}

// Verify asks for the checksums of Count blocks from First.
type Verify struct {
	First uint32
	Count uint16
}

// Marshal encodes v.
func (v Verify) Marshal() []byte { var w wr; w.u32(v.First); w.u16(v.Count); return w }

// ParseVerify decodes a VERIFY payload.
func ParseVerify(b []byte) (Verify, error) {
	r := rd{b: b}
	v := Verify{First: r.u32(), Count: r.u16()}
	return v, r.done(MsgVerify)
}

// Verified carries block checksums: IEEE CRC-32 of each block as the board
// holds it (a block past the image's end is shorter).
type Verified struct {
	First uint32
	CRCs  []uint32
}

// Marshal encodes v.
func (v Verified) Marshal() []byte {
	var w wr
	w.u32(v.First)
	w.u16(uint16(len(v.CRCs)))
	for _, c := range v.CRCs {
		w.u32(c)
	}
	return w
}

// ParseVerified decodes a VERIFIED payload.
func ParseVerified(b []byte) (Verified, error) {
	r := rd{b: b}
	v := Verified{First: r.u32()}
	n := int(r.u16())
	if r.err == nil && len(r.b) != 4*n {
		r.err = fmt.Errorf("%d checksums need %d bytes, have %d", n, 4*n, len(r.b))
	}
	for range n {
		if r.err != nil {
			break
		}
		v.CRCs = append(v.CRCs, r.u32())
	}
	return v, r.done(MsgVerified)
}

// Ready is COMMIT's answer: the image decoded and verified.
type Ready struct {
	Steps uint32
	Cores uint32
}

// Marshal encodes r.
func (m Ready) Marshal() []byte { var w wr; w.u32(m.Steps); w.u32(m.Cores); return w }

// ParseReady decodes a READY payload.
func ParseReady(b []byte) (Ready, error) {
	r := rd{b: b}
	m := Ready{Steps: r.u32(), Cores: r.u32()}
	return m, r.done(MsgReady)
}

// Start runs the loaded image.
type Start struct {
	Ticks uint32 // TicksProgram, TicksUntilStopped, or a count
	// PaceMicros is the wall time per tick; 0 runs as fast as possible.
	PaceMicros uint32
}

// Marshal encodes s.
func (s Start) Marshal() []byte { var w wr; w.u32(s.Ticks); w.u32(s.PaceMicros); return w }

// ParseStart decodes a START payload.
func ParseStart(b []byte) (Start, error) {
	r := rd{b: b}
	s := Start{Ticks: r.u32(), PaceMicros: r.u32()}
	return s, r.done(MsgStart)
}

// TickSpikes is one tick's spikes: (population, neuron) pairs.
type TickSpikes struct {
	Tick   uint32
	Spikes [][2]uint32
}

// Spikes is a batch of consecutive ticks. Batches are numbered in their
// stream from 0, so the host can tell a stream's batches apart from a
// re-sent one after a reconnect; every tick in [First, First+len(Ticks))
// is present, an empty tick included, so a missing tick is never silent.
type Spikes struct {
	Batch uint32
	First uint32
	// Flags bit 0 (SpikesContinued): the last tick is not complete; the
	// next batch starts with the rest of it. A tick too busy for one
	// frame is split this way.
	Flags uint8
	Ticks [][][2]uint32
}

// SpikesContinued is the Spikes flag for a split last tick.
const SpikesContinued = 1

// SpikesHeader is the encoded size of a SPIKES payload without ticks.
const SpikesHeader = 11

// Marshal encodes s: batch u32, first tick u32, flags u8, tick count u16, then per
// tick its spike count and (population, neuron) pairs as uvarints.
func (s Spikes) Marshal() []byte {
	var w wr
	w.u32(s.Batch)
	w.u32(s.First)
	w.u8(s.Flags)
	w.u16(uint16(len(s.Ticks)))
	for _, t := range s.Ticks {
		w.uvarint(uint64(len(t)))
		for _, sp := range t {
			w.uvarint(uint64(sp[0]))
			w.uvarint(uint64(sp[1]))
		}
	}
	return w
}

// SpikeBytes is the encoded size of one tick's spikes, for packing batches.
func SpikeBytes(t [][2]uint32) int {
	n := uvarintLen(uint64(len(t)))
	for _, sp := range t {
		n += uvarintLen(uint64(sp[0])) + uvarintLen(uint64(sp[1]))
	}
	return n
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// ParseSpikes decodes a SPIKES payload. It allocates no more than the
// payload's size justifies: each spike needs at least two bytes.
func ParseSpikes(b []byte) (Spikes, error) {
	r := rd{b: b}
	s := Spikes{Batch: r.u32(), First: r.u32(), Flags: r.u8()}
	n := int(r.u16())
	if r.err == nil && n > len(r.b) {
		r.err = fmt.Errorf("%d ticks in %d bytes", n, len(r.b))
	}
	for range n {
		if r.err != nil {
			break
		}
		c := r.uvarint()
		if c > uint64(len(r.b)/2) {
			r.err = fmt.Errorf("%d spikes in %d bytes", c, len(r.b))
			break
		}
		t := make([][2]uint32, 0, c)
		for range c {
			p, q := r.uvarint(), r.uvarint()
			if p > math.MaxUint32 || q > math.MaxUint32 {
				r.err = fmt.Errorf("spike index %d,%d out of range", p, q)
			}
			t = append(t, [2]uint32{uint32(p), uint32(q)})
		}
		s.Ticks = append(s.Ticks, t)
	}
	if r.err == nil && uint64(s.First)+uint64(n) > math.MaxUint32 {
		r.err = fmt.Errorf("ticks %d+%d overflow", s.First, n)
	}
	return s, r.done(MsgSpikes)
}

// Done ends a spike stream: ticks [From, To) were sent in Batches batches
// holding Spikes spikes.
type Done struct {
	From, To uint32
	Batches  uint32
	Spikes   uint64
}

// Marshal encodes d.
func (d Done) Marshal() []byte {
	var w wr
	w.u32(d.From)
	w.u32(d.To)
	w.u32(d.Batches)
	w.u64(d.Spikes)
	return w
}

// ParseDone decodes a DONE payload.
func ParseDone(b []byte) (Done, error) {
	r := rd{b: b}
	d := Done{From: r.u32(), To: r.u32(), Batches: r.u32(), Spikes: r.u64()}
	return d, r.done(MsgDone)
}

// Inject sends spikes from neurons of a spike-source population at Tick.
type Inject struct {
	Tick    uint32
	Pop     uint16
	Neurons []uint32
}

// Marshal encodes m.
func (m Inject) Marshal() []byte {
	var w wr
	w.u32(m.Tick)
	w.u16(m.Pop)
	w.u16(uint16(len(m.Neurons)))
	for _, n := range m.Neurons {
		w.u32(n)
	}
	return w
}

// ParseInject decodes an INJECT payload.
func ParseInject(b []byte) (Inject, error) {
	r := rd{b: b}
	m := Inject{Tick: r.u32(), Pop: r.u16()}
	n := int(r.u16())
	if r.err == nil && len(r.b) != 4*n {
		r.err = fmt.Errorf("%d neurons need %d bytes, have %d", n, 4*n, len(r.b))
	}
	for range n {
		if r.err != nil {
			break
		}
		m.Neurons = append(m.Neurons, r.u32())
	}
	return m, r.done(MsgInject)
}

// Read asks for counters (ReadCounters), for the spikes of ticks
// [From, To) of the last run (ReadSpikes), which stream as SPIKES + DONE,
// or for the traces recorded in those ticks (ReadTraces), which come as
// TRACES chunks of an encoded Recording.
type Read struct {
	What     uint8
	From, To uint32
}

// Marshal encodes m.
func (m Read) Marshal() []byte { var w wr; w.u8(m.What); w.u32(m.From); w.u32(m.To); return w }

// ParseRead decodes a READ payload.
func ParseRead(b []byte) (Read, error) {
	r := rd{b: b}
	m := Read{What: r.u8(), From: r.u32(), To: r.u32()}
	return m, r.done(MsgRead)
}

// Counter identifiers in DATA.
const (
	CounterTicks         = 1 // ticks run
	CounterSpikes        = 2 // spikes recorded
	CounterOverruns      = 3 // timer-tick overruns, all cores
	CounterDropped       = 4 // multicast packets dropped by routers
	CounterFramesIn      = 5 // link: frames received intact
	CounterFramesBad     = 6 // link: frames failing CRC, COBS or length
	CounterRetransmits   = 7 // link: frames the board sent again
	CounterDuplicates    = 8 // link: frames received twice
	CounterSynapticEvent = 9 // synaptic events processed
)

// CounterNames names the counters for reports.
var CounterNames = map[uint8]string{
	CounterTicks: "ticks", CounterSpikes: "spikes", CounterOverruns: "overruns", CounterDropped: "dropped_packets",
	CounterFramesIn: "link_frames_in", CounterFramesBad: "link_frames_bad", CounterRetransmits: "link_retransmits",
	CounterDuplicates: "link_duplicates", CounterSynapticEvent: "synaptic_events",
}

// Data carries counters: id → value, sorted by id.
type Data struct {
	Counters [][2]uint64
}

// Marshal encodes d.
func (d Data) Marshal() []byte {
	var w wr
	w.u8(uint8(len(d.Counters)))
	for _, c := range d.Counters {
		w.u8(uint8(c[0]))
		w.u64(c[1])
	}
	return w
}

// ParseData decodes a DATA payload.
func ParseData(b []byte) (Data, error) {
	r := rd{b: b}
	var d Data
	n := int(r.u8())
	for range n {
		if r.err != nil {
			break
		}
		d.Counters = append(d.Counters, [2]uint64{uint64(r.u8()), r.u64()})
	}
	return d, r.done(MsgData)
}
