package board

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/somahw/soma/runtime"
)

// benchLoad loads a random 512 KiB image over baud-limited pipes (8N1: a
// byte is ten bit times) through a proxy with the given BER and reports
// the goodput as a fraction of the line rate, and the wire bytes per image
// byte. The image is not a program, so COMMIT's refusal ends each load.
func benchLoad(b *testing.B, baud int, ber float64) {
	img := make([]byte, 512<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img {
		img[i] = byte(r.UintN(256))
	}
	v := newVirtual(b, Options{}, func(c int) (runtime.Faults, runtime.Faults) {
		return runtime.Faults{BER: ber, Seed: uint64(c) + 1}, runtime.Faults{BER: ber, Seed: uint64(c) + 100}
	})
	v.baud = baud
	link := runtime.LinkOptions{MinRTO: 20 * time.Millisecond, MaxRTO: 200 * time.Millisecond, MaxRetries: 20}
	var frac, wire, resent, resentBytes, framing, idle, perFrame float64
	n := 0
	for b.Loop() {
		img[0]++ // a new image each time: no resuming the last one
		c, err := runtime.Dial(v.dial, runtime.Options{Link: link})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		err = c.Load(context.Background(), img, runtime.KindProgram)
		el := time.Since(start).Seconds()
		var be *runtime.ErrorMsg
		if !errors.As(err, &be) || be.Code != runtime.ErrCodeBadImage {
			b.Fatalf("want the board to refuse the random image, got %v", err)
		}
		rep := c.Report()
		c.Close()
		line := el * float64(baud) / 10 // bytes the line could have carried
		frac += float64(len(img)) / line
		wire += float64(rep.Link.BytesSent) / float64(len(img))
		resent += float64(rep.Link.Retransmits)
		// Where the line time went, as fractions of it: image bytes (frac),
		// retransmitted frames, every other byte sent (frame and message
		// headers, COBS, VERIFY, LOAD, COMMIT, ACKs), and idle.
		l := rep.Link
		resentBytes += float64(l.ResentBytes) / line
		framing += float64(l.BytesSent-l.ResentBytes-uint64(len(img))) / line
		idle += 1 - float64(l.BytesSent)/line
		perFrame += float64(l.PayloadSent) / float64(l.FramesSent)
		n++
	}
	b.ReportMetric(frac/float64(n), "line-fraction")
	b.ReportMetric(wire/float64(n), "wire-bytes/byte")
	b.ReportMetric(resent/float64(n), "retransmits/load")
	b.ReportMetric(resentBytes/float64(n), "line-resent")
	b.ReportMetric(framing/float64(n), "line-overhead")
	b.ReportMetric(idle/float64(n), "line-idle")
	b.ReportMetric(perFrame/float64(n), "payload-bytes/frame")
	b.SetBytes(int64(len(img)))
}

func BenchmarkLoad(b *testing.B) {
	b.Run("baud=8M/ber=0", func(b *testing.B) { benchLoad(b, 8_000_000, 0) })
	b.Run("baud=8M/ber=1e-4", func(b *testing.B) { benchLoad(b, 8_000_000, 1e-4) })
	b.Run("baud=8M/ber=1e-3", func(b *testing.B) { benchLoad(b, 8_000_000, 1e-3) })
}

// BenchmarkSpikeStream streams cuba's 1000 ticks from a virtual board
// (READ of a finished run, so the emulator's time is not counted).
func BenchmarkSpikeStream(b *testing.B) {
	f := cuba(b)
	v := newVirtual(b, Options{Link: fastLink}, nil)
	c, err := runtime.Dial(v.dial, runtime.Options{Link: fastLink})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Load(ctx, f.image, runtime.KindSpiNNaker); err != nil {
		b.Fatal(err)
	}
	spikes := 0
	for b.Loop() {
		r, err := c.Run(ctx, runtime.RunOptions{})
		if err != nil {
			b.Fatal(err)
		}
		spikes = len(r.Result())
	}
	b.ReportMetric(float64(spikes)*float64(b.N)/b.Elapsed().Seconds(), "spikes/s")
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "ticks/s")
}
