package runtime

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCRC16CheckValue(t *testing.T) {
	// CRC-16/CCITT-FALSE's catalogued check value.
	if got := CRC16([]byte("123456789")); got != 0x29B1 {
		t.Fatalf("CRC16(123456789) = %#04x, want 0x29b1", got)
	}
}

func TestCOBS(t *testing.T) {
	long := bytes.Repeat([]byte{7}, 254)
	tests := []struct {
		name     string
		in, wire []byte
	}{
		{"empty", nil, []byte{1}},
		{"zero", []byte{0}, []byte{1, 1}},
		{"two zeros", []byte{0, 0}, []byte{1, 1, 1}},
		{"plain", []byte{0x11, 0x22, 0x00, 0x33}, []byte{3, 0x11, 0x22, 2, 0x33}},
		{"254 non-zero", long, append(append([]byte{0xFF}, long...), 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendCOBS(nil, tt.in)
			if diff := cmp.Diff(tt.wire, got); diff != "" {
				t.Errorf("encode (-want +got):\n%s", diff)
			}
			back, err := DecodeCOBS(nil, got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(back, tt.in) {
				t.Errorf("decode = %x, want %x", back, tt.in)
			}
		})
	}
}

func TestFrameRoundTrip(t *testing.T) {
	tests := []Frame{
		{Type: MsgHello, Seq: 0, Payload: Hello{Major: 1, Nonce: 7, Window: 32, MaxPayload: 1024, Host: "h"}.Marshal()},
		{Type: MsgWrite, Seq: 65535, Payload: Write{Offset: 9, Data: make([]byte, 1000)}.Marshal()},
		{Type: MsgSpikes, Seq: 3, Payload: Spikes{Batch: 1, First: 5, Ticks: [][][2]uint32{{{0, 1}, {2, 300}}, nil}}.Marshal()},
		{Type: MsgCommit, Seq: 1, Payload: []byte{}},
	}
	for _, f := range tests {
		t.Run(f.Type.String(), func(t *testing.T) {
			wire := AppendFrame(nil, f)
			if i := bytes.IndexByte(wire, 0); i != len(wire)-1 {
				t.Fatalf("delimiter at %d of %d", i, len(wire))
			}
			got, err := DecodeFrame(wire[:len(wire)-1])
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(f, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// Every single-bit error is caught (CRC-16 detects all of them).
			for bit := range 8 * (len(wire) - 1) {
				bad := bytes.Clone(wire[:len(wire)-1])
				bad[bit/8] ^= 1 << (bit % 8)
				if g, err := DecodeFrame(bad); err == nil && cmp.Equal(g, f) {
					t.Fatalf("bit %d flipped went unnoticed", bit)
				} else if err == nil {
					t.Fatalf("bit %d flipped decoded as %+v", bit, g)
				}
			}
		})
	}
}

func TestMessagesRoundTrip(t *testing.T) {
	info := Info{Nonce: 1, Major: 1, Minor: 0, Window: 32, MaxPayload: 512, MaxImage: 1 << 20, State: StateLoaded,
		Bauds: []uint32{115200}, Board: "b", Target: "spinn3", Firmware: "fw"}
	gotInfo, err := ParseInfo(info.Marshal())
	if err != nil || !cmp.Equal(info, gotInfo) {
		t.Errorf("INFO: %v %s", err, cmp.Diff(info, gotInfo))
	}
	sp := Spikes{Batch: 9, First: 100, Flags: SpikesContinued, Ticks: [][][2]uint32{{}, {{1, 1 << 20}}}}
	gotSp, err := ParseSpikes(sp.Marshal())
	if err != nil || !cmp.Equal(sp, gotSp) {
		t.Errorf("SPIKES: %v %s", err, cmp.Diff(sp, gotSp))
	}
	inj := Inject{Tick: 3, Pop: 1, Neurons: []uint32{4, 5}}
	gotInj, err := ParseInject(inj.Marshal())
	if err != nil || !cmp.Equal(inj, gotInj) {
		t.Errorf("INJECT: %v %s", err, cmp.Diff(inj, gotInj))
	}
	v := Verified{First: 2, CRCs: []uint32{1, 2, 3}}
	gotV, err := ParseVerified(v.Marshal())
	if err != nil || !cmp.Equal(v, gotV) {
		t.Errorf("VERIFIED: %v %s", err, cmp.Diff(v, gotV))
	}
	if _, err := ParseSpikes([]byte{1, 2, 3}); err == nil {
		t.Error("short SPIKES accepted")
	}
}

func TestDeframerDropsOversized(t *testing.T) {
	d := Deframer{Max: 8}
	var got [][]byte
	d.Feed(append(append(bytes.Repeat([]byte{5}, 20), 0, 1, 2, 0), 3), func(b []byte) { got = append(got, bytes.Clone(b)) })
	if diff := cmp.Diff([][]byte{{1, 2}}, got); diff != "" || d.Dropped != 1 {
		t.Errorf("frames (-want +got):\n%s dropped %d", diff, d.Dropped)
	}
}
