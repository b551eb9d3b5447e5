package runtime

import (
	"bytes"
	"testing"

	"github.com/somahw/soma/results"
)

func FuzzDecodeFrame(f *testing.F) {
	f.Add(AppendFrame(nil, Frame{Type: MsgWrite, Seq: 1, Payload: []byte{1, 0, 2}}))
	f.Add([]byte{1, 1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Deframer
		d.Max = MaxWireFrame(MaxPayloadLimit)
		d.Feed(b, func(raw []byte) {
			fr, err := DecodeFrame(raw)
			if err != nil {
				return
			}
			// Whatever decodes re-encodes to a frame that decodes the same.
			again := AppendFrame(nil, fr)
			fr2, err := DecodeFrame(again[:len(again)-1])
			if err != nil || fr2.Type != fr.Type || fr2.Seq != fr.Seq || !bytes.Equal(fr2.Payload, fr.Payload) {
				t.Fatalf("re-encoded frame differs: %v", err)
			}
		})
		if raw, err := DecodeCOBS(nil, b); err == nil && bytes.IndexByte(b, 0) < 0 {
			if got, err := DecodeCOBS(nil, AppendCOBS(nil, raw)); err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("COBS round trip: %v", err)
			}
		}
	})
}

func FuzzParseMessages(f *testing.F) {
	f.Add(uint8(MsgSpikes), Spikes{Batch: 1, First: 2, Ticks: [][][2]uint32{{{1, 2}}}}.Marshal())
	f.Add(uint8(MsgInfo), Info{Bauds: []uint32{9600}, Board: "x"}.Marshal())
	f.Add(uint8(MsgHello), Hello{Host: "h"}.Marshal())
	f.Add(uint8(MsgInject), Inject{Neurons: []uint32{1}}.Marshal())
	f.Add(uint8(MsgVerified), Verified{CRCs: []uint32{1}}.Marshal())
	f.Add(uint8(MsgData), Data{Counters: [][2]uint64{{1, 2}}}.Marshal())
	rec, _ := Recording{From: 3, To: 9, Traces: []results.Trace{{Name: "out.v", Population: "out", Variable: "v", Unit: "V",
		Indices: []int{0, 200}, Every: 2, Data: []float64{-0.065, -0.06, -0.064, 1e-300, 0, -0}}}}.Marshal()
	f.Add(uint8(7), rec)
	f.Add(uint8(7), TracesChunk{Offset: 4, Total: 9, Data: []byte{0, 1, 2}}.Marshal())
	f.Fuzz(func(t *testing.T, typ uint8, b []byte) {
		// Every parser must fail cleanly, and whatever parses must
		// re-encode to the same bytes (one spelling per message).
		same := func(enc []byte, err error) {
			if err == nil && !bytes.Equal(enc, b) {
				t.Fatalf("%v: re-encoded %x, parsed %x", MsgType(typ), enc, b)
			}
		}
		switch MsgType(typ % 8) {
		case 0:
			m, err := ParseSpikes(b)
			same(m.Marshal(), err)
		case 1:
			m, err := ParseInfo(b)
			same(m.Marshal(), err)
		case 2:
			m, err := ParseHello(b)
			same(m.Marshal(), err)
		case 3:
			m, err := ParseInject(b)
			same(m.Marshal(), err)
		case 4:
			m, err := ParseVerified(b)
			same(m.Marshal(), err)
		case 5:
			m, err := ParseData(b)
			same(m.Marshal(), err)
		case 6:
			m, err := ParseLoad(b)
			same(m.Marshal(), err)
			_, _ = ParseError(b)
			a, err := ParseAck(0, b)
			same(a.Marshal(), err)
		case 7:
			m, err := ParseDone(b)
			same(m.Marshal(), err)
			_, _ = ParseStart(b)
			_, _ = ParseRead(b)
			_, _ = ParseWrite(b)
			_, _ = ParseReady(b)
			c, err := ParseTracesChunk(b)
			same(c.Marshal(), err)
			r, err := ParseRecording(b)
			if err == nil {
				enc, merr := r.Marshal()
				if merr != nil {
					t.Fatalf("a parsed recording does not encode: %v", merr)
				}
				same(enc, nil)
			}
		}
	})
}
