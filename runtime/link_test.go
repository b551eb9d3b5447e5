package runtime

import (
	"bytes"
	"fmt"
	"testing"
	"time"
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
			t.Logf("sent %d, retransmitted %d", a.Stats().FramesSent, a.Stats().Retransmits)
		})
	}
}
