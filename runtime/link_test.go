package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// linkPair is two links joined through a fault proxy.
func linkPair(t testing.TB, f Faults, opts LinkOptions) (*Link, *Link, *Proxy) {
	a, pa := Pipe(0)
	pb, b := Pipe(0)
	g := f
	g.Seed++
	p := NewProxy(pa, pb, f, g)
	go p.Run()
	la, lb := NewLink(a, opts), NewLink(b, opts)
	t.Cleanup(func() { la.Close(); lb.Close(); p.Close() })
	return la, lb, p
}

// TestLinkDelivers: under each fault every message arrives once, in order.
func TestLinkDelivers(t *testing.T) {
	opts := LinkOptions{MinRTO: 5 * time.Millisecond, MaxRTO: 50 * time.Millisecond, MaxRetries: 30}
	tests := []struct {
		name string
		f    Faults
	}{
		{"clean", Faults{}},
		{"ber 1e-3", Faults{BER: 1e-3}},
		{"byte drops", Faults{DropByte: 1e-3}},
		{"frames dropped and duplicated", Faults{DropFrame: 0.05, DupFrame: 0.05}},
		{"delay", Faults{Delay: time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b, _ := linkPair(t, tt.f, opts)
			const n = 2000
			go func() {
				for i := range n {
					if err := a.Send(MsgWrite, []byte(fmt.Sprintf("message %d %s", i, bytes.Repeat([]byte{0}, i%50)))); err != nil {
						return
					}
				}
			}()
			for i := range n {
				f, ok, err := b.Recv(5 * time.Second)
				if err != nil || !ok {
					t.Fatalf("message %d: ok %v err %v; stats a %+v b %+v", i, ok, err, a.Stats(), b.Stats())
				}
				want := fmt.Sprintf("message %d %s", i, bytes.Repeat([]byte{0}, i%50))
				if string(f.Payload) != want {
					t.Fatalf("message %d = %q", i, f.Payload)
				}
			}
			if err := a.Flush(); err != nil {
				t.Fatal(err)
			}
			// Every frame acknowledged once (a SACKed one not again at the
			// cumulative ACK), with all its transmissions: the counts the
			// Sizer estimates from add up to the link's totals.
			st := a.Stats()
			if st.FramesAcked != st.FramesSent || st.AckedBytes != st.SeqBytesSent || st.AckedLosses != st.Retransmits-st.Probes {
				t.Errorf("acknowledged %d frames of %d sent, %d bytes of %d, %d losses of %d retransmissions less %d probes",
					st.FramesAcked, st.FramesSent, st.AckedBytes, st.SeqBytesSent, st.AckedLosses, st.Retransmits, st.Probes)
			}
			t.Logf("sent %d, retransmitted %d", st.FramesSent, st.Retransmits)
		})
	}
}

// TestVersionRefused: a host refuses a board of another major version
// before sending anything, saying what each side speaks.
func TestVersionRefused(t *testing.T) {
	tests := []struct {
		name         string
		major, minor uint8
		want         string // "" accepted
	}{
		{"protocol 1.0 board", 1, 0, `incompatible board: board "old" speaks link protocol 1.0; this host speaks 2.1 (the major versions must match: update soma or the board's firmware)`},
		{"protocol 3.1 board", 3, 1, `incompatible board: board "old" speaks link protocol 3.1; this host speaks 2.1`},
		{"same major, newer minor", ProtocolMajor, 9, ""},
		{"same major, older minor (no traces, but a run)", ProtocolMajor, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, board := Pipe(0)
			l := NewLink(board, LinkOptions{})
			defer l.Close()
			go func() {
				for f := range l.Control() {
					h, err := ParseHello(f.Payload)
					if err != nil {
						continue
					}
					info := Info{Nonce: h.Nonce, Major: tt.major, Minor: tt.minor, Window: 32, MaxPayload: 512, Board: "old"}
					_ = l.SendControl(MsgInfo, 0, info.Marshal())
				}
			}()
			c, err := Dial(func() (Port, error) { return host, nil }, Options{HelloTimeout: 100 * time.Millisecond})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := c.link.Options(); got.Window != 32 || got.MaxPayload != 512 {
					t.Errorf("window %d, max payload %d: want the board's smaller 32 and 512", got.Window, got.MaxPayload)
				}
				c.Close()
				return
			}
			if err == nil || !errors.Is(err, ErrIncompatible) || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if st := l.Stats(); st.FramesReceived != 1 {
				t.Errorf("board received %d frames, want the HELLO alone", st.FramesReceived)
			}
		})
	}
}

// TestAckRoundTrip: the SACK bitmap is as long as its highest bit needs.
func TestAckRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		set  []int
		len  int
	}{
		{"bare", nil, 0},
		{"first", []int{0}, 1},
		{"byte boundary", []int{7, 8}, 2},
		{"64", []int{63, 64}, 9},
		{"far", []int{3, 255}, 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Ack{Next: 65535}
			for _, i := range tt.set {
				a.Set(i)
			}
			b := a.Marshal()
			if len(b) != tt.len {
				t.Errorf("%d bytes, want %d", len(b), tt.len)
			}
			got, err := ParseAck(a.Next, b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(a, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			var has []int
			for i := range SACKFrames {
				if got.Has(i) {
					has = append(has, i)
				}
			}
			if diff := cmp.Diff(tt.set, has); diff != "" {
				t.Errorf("bits (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range [][]byte{{1, 0}, make([]byte, 33)} {
		if _, err := ParseAck(0, bad); err == nil {
			t.Errorf("ParseAck(%x) accepted", bad)
		}
	}
}
