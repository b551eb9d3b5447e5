package runtime

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/somahw/soma/results"
)

// RecordingFormat is the version of the encoded Recording. A reader
// refuses another, naming both.
const RecordingFormat = 1

// Recording is what a board recorded besides spikes in ticks [From, To):
// the analogue traces of a run's probes (state variables, plastic
// weights), in SI units, as results.Trace values. A trace sampled every
// Every ticks holds the samples of the ticks t in [From, To) with
// t % Every == 0, in tick order (see SampledTicks).
//
// Encoded (docs/link-protocol.md, "Recorded traces"):
//
//	u8 format (1), u32 from, u32 to, u16 n, then n traces:
//	  str name, str population, str variable, str unit,
//	  u32 every (≥ 1), u32 columns, columns × uvarint index,
//	  samples × columns × f64 (IEEE 754 binary64, row-major)
//
// where samples follows from from, to and every, so a truncated or padded
// trace cannot parse.
type Recording struct {
	From, To uint32
	Traces   []results.Trace
}

// SampledTicks returns the first tick in [from, to) that a trace sampled
// every every ticks samples, and how many it samples there.
func SampledTicks(from, to, every uint32) (first uint32, n int) {
	if every == 0 || to <= from {
		return from, 0
	}
	f := (uint64(from) + uint64(every) - 1) / uint64(every) * uint64(every)
	if f >= uint64(to) {
		return from, 0
	}
	return uint32(f), int((uint64(to)-1-f)/uint64(every)) + 1
}

// Marshal encodes r. It fails on what the format cannot carry: a string
// over 255 bytes, more than 65535 traces, a trace whose data is not its
// samples × columns.
func (r Recording) Marshal() ([]byte, error) {
	if r.To < r.From {
		return nil, fmt.Errorf("recording of ticks [%d, %d)", r.From, r.To)
	}
	if len(r.Traces) > math.MaxUint16 {
		return nil, fmt.Errorf("%d traces; a recording holds at most %d", len(r.Traces), math.MaxUint16)
	}
	var w wr
	w.u8(RecordingFormat)
	w.u32(r.From)
	w.u32(r.To)
	w.u16(uint16(len(r.Traces)))
	for i := range r.Traces {
		t := &r.Traces[i]
		for _, s := range []string{t.Name, t.Population, t.Variable, t.Unit} {
			if len(s) > 255 {
				return nil, fmt.Errorf("trace %s: %q is longer than 255 bytes", t.Name, s)
			}
			w.str(s)
		}
		if t.Every < 1 || uint64(t.Every) > math.MaxUint32 || uint64(len(t.Indices)) > math.MaxUint32 {
			return nil, fmt.Errorf("trace %s: sampled every %d ticks, %d columns", t.Name, t.Every, len(t.Indices))
		}
		_, samples := SampledTicks(r.From, r.To, uint32(t.Every))
		if len(t.Data) != samples*len(t.Indices) {
			return nil, fmt.Errorf("trace %s: %d values; ticks [%d, %d) sampled every %d give %d samples of %d columns",
				t.Name, len(t.Data), r.From, r.To, t.Every, samples, len(t.Indices))
		}
		w.u32(uint32(t.Every))
		w.u32(uint32(len(t.Indices)))
		for _, ix := range t.Indices {
			if ix < 0 {
				return nil, fmt.Errorf("trace %s: negative index %d", t.Name, ix)
			}
			w.uvarint(uint64(ix))
		}
		for _, v := range t.Data {
			w.u64(math.Float64bits(v))
		}
	}
	return w, nil
}

// ParseRecording decodes an encoded Recording. It allocates no more than
// the input's size justifies.
func ParseRecording(b []byte) (Recording, error) {
	r := rd{b: b}
	var rec Recording
	if f := r.u8(); r.err == nil && f != RecordingFormat {
		return rec, fmt.Errorf("recording format %d: this host reads format %d (update soma)", f, RecordingFormat)
	}
	rec.From, rec.To = r.u32(), r.u32()
	if r.err == nil && rec.To < rec.From {
		r.err = fmt.Errorf("ticks [%d, %d)", rec.From, rec.To)
	}
	n := int(r.u16())
	for range n {
		if r.err != nil {
			break
		}
		t := results.Trace{Name: r.str(), Population: r.str(), Variable: r.str(), Unit: r.str()}
		every, cols := r.u32(), r.u32()
		if r.err != nil {
			break
		}
		if every == 0 {
			r.err = fmt.Errorf("trace %s sampled every 0 ticks", t.Name)
			break
		}
		if uint64(cols) > uint64(len(r.b)) {
			r.err = fmt.Errorf("trace %s: %d columns in %d bytes", t.Name, cols, len(r.b))
			break
		}
		t.Every = int(every)
		t.Indices = make([]int, 0, cols)
		for range cols {
			v := r.uvarint()
			if v > math.MaxInt32 {
				r.err = fmt.Errorf("trace %s: index %d", t.Name, v)
			}
			if r.err != nil {
				break
			}
			t.Indices = append(t.Indices, int(v))
		}
		_, samples := SampledTicks(rec.From, rec.To, every)
		if r.err == nil && cols > 0 && uint64(samples) > uint64(len(r.b))/8/uint64(cols) {
			r.err = fmt.Errorf("trace %s: %d samples of %d columns in %d bytes", t.Name, samples, cols, len(r.b))
		}
		if r.err != nil {
			break
		}
		data := r.take(8 * samples * int(cols))
		if samples*int(cols) > 0 {
			t.Data = make([]float64, samples*int(cols))
			for i := range t.Data {
				t.Data[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
			}
		}
		rec.Traces = append(rec.Traces, t)
	}
	return rec, r.done(MsgTraces)
}

// Slice returns the samples of t taken in ticks [from, to), for a trace
// of a run sampled from tick 0.
func Slice(t results.Trace, from, to uint32) results.Trace {
	first, n := SampledTicks(from, to, uint32(t.Every))
	out := t
	out.Data = nil
	if n > 0 && len(t.Indices) > 0 {
		row := int(first) / t.Every
		w := len(t.Indices)
		lo, hi := min(row*w, len(t.Data)), min((row+n)*w, len(t.Data))
		out.Data = t.Data[lo:hi:hi]
	}
	return out
}

// TracesChunk is one TRACES message: bytes [Offset, Offset+len(Data)) of
// an encoded Recording of Total bytes. Chunks come in order; the last
// ends at Total.
type TracesChunk struct {
	Offset, Total uint32
	Data          []byte
}

// Marshal encodes c.
func (c TracesChunk) Marshal() []byte {
	var w wr
	w.u32(c.Offset)
	w.u32(c.Total)
	return append(w, c.Data...)
}

// TracesHeader is the encoded size of a TRACES payload without data.
const TracesHeader = 8

// ParseTracesChunk decodes a TRACES payload (Data aliases b).
func ParseTracesChunk(b []byte) (TracesChunk, error) {
	r := rd{b: b}
	c := TracesChunk{Offset: r.u32(), Total: r.u32()}
	if r.err == nil {
		c.Data, r.b = r.b, nil
		switch {
		case len(c.Data) == 0:
			r.err = fmt.Errorf("empty chunk")
		case uint64(c.Offset)+uint64(len(c.Data)) > uint64(c.Total):
			r.err = fmt.Errorf("bytes [%d, %d) of a %d-byte recording", c.Offset, uint64(c.Offset)+uint64(len(c.Data)), c.Total)
		}
	}
	return c, r.done(MsgTraces)
}

// ErrNoTraces is wrapped by Traces' error when the board's protocol is
// too old to send recorded traces (before 2.1).
var ErrNoTraces = errors.New("board cannot send recorded traces")

// Traces reads the traces the last run recorded in ticks [from, to). A
// read the line interrupts is read again after reconnecting.
func (c *Client) Traces(ctx context.Context, from, to int) ([]results.Trace, error) {
	if c.info.Major == ProtocolMajor && c.info.Minor < 1 {
		return nil, fmt.Errorf("%w: board %q speaks link protocol %d.%d; reading recorded traces needs %d.1 or later (update the board's firmware)",
			ErrNoTraces, c.info.Board, c.info.Major, c.info.Minor, ProtocolMajor)
	}
	if from < 0 || to < from || uint64(to) > math.MaxUint32 {
		return nil, fmt.Errorf("traces of ticks [%d, %d)", from, to)
	}
	attempt := 0
	for {
		rec, err := c.readTraces(ctx, uint32(from), uint32(to))
		if err == nil {
			return rec.Traces, nil
		}
		if !dead(err) {
			return nil, err
		}
		if err := c.reconnect(&attempt, err); err != nil {
			return nil, fmt.Errorf("reading traces: %w", err)
		}
	}
}

func (c *Client) readTraces(ctx context.Context, from, to uint32) (Recording, error) {
	if err := c.send(MsgRead, Read{What: ReadTraces, From: from, To: to}.Marshal()); err != nil {
		return Recording{}, err
	}
	var blob []byte
	total := -1
	for {
		f, err := c.await(ctx, MsgTraces, nil)
		if err != nil {
			return Recording{}, err
		}
		ch, err := ParseTracesChunk(f.Payload)
		if err != nil {
			return Recording{}, err
		}
		// In order, all of one recording: the link delivers in order, so
		// anything else is a board's bug, not the line's.
		if int(ch.Offset) != len(blob) || total >= 0 && int(ch.Total) != total {
			return Recording{}, fmt.Errorf("TRACES chunk of bytes [%d, %d) of %d after %d bytes of %d", ch.Offset, int(ch.Offset)+len(ch.Data), ch.Total, len(blob), total)
		}
		total = int(ch.Total)
		blob = append(blob, ch.Data...)
		if len(blob) == int(ch.Total) {
			break
		}
	}
	rec, err := ParseRecording(blob)
	if err != nil {
		return Recording{}, err
	}
	if rec.From != from || rec.To != to {
		return Recording{}, fmt.Errorf("board sent the traces of ticks [%d, %d); asked for [%d, %d)", rec.From, rec.To, from, to)
	}
	return rec, nil
}
