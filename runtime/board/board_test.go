package board

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/backends/emu"
	"github.com/somahw/soma/backends/spinnaker"
	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/results"
	"github.com/somahw/soma/runtime"
	"github.com/somahw/soma/target"
)

// fixture is cuba (0.1 s) compiled for spinn5, its image, and the spikes
// the emulator gives directly: what every board run must reproduce.
type fixture struct {
	image []byte
	prog  *program.Program
	want  []results.Spike
}

var (
	fixOnce sync.Once
	fix     fixture
	fixErr  error
)

func cuba(t testing.TB) fixture {
	t.Helper()
	fixOnce.Do(func() {
		net, err := ir.ReadFile("../testdata/cuba.yaml")
		if err != nil {
			fixErr = err
			return
		}
		net.Run.Duration = 0.1
		tg, err := target.Load("spinn5")
		if err != nil {
			fixErr = err
			return
		}
		c, err := compiler.Compile(net, tg, compiler.Options{})
		if err != nil {
			fixErr = err
			return
		}
		img, err := spinnaker.Encode(c.Program)
		if err != nil {
			fixErr = err
			return
		}
		e, err := emu.New(c.Program, program.NewMachine(tg), emu.Options{})
		if err != nil {
			fixErr = err
			return
		}
		res, _, err := e.Run()
		if err != nil {
			fixErr = err
			return
		}
		res.Sort()
		fix = fixture{image: img, prog: c.Program, want: res.Spikes}
	})
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

// virtual is a board behind a fault proxy over in-memory pipes; every
// dial is a new line to the same board (its memory persists), with the
// faults for that connection.
type virtual struct {
	t       testing.TB
	board   *Board
	faults  func(conn int) (up, down runtime.Faults)
	baud    int
	mu      sync.Mutex
	conns   int
	proxies []*runtime.Proxy
}

func newVirtual(t testing.TB, opts Options, faults func(conn int) (up, down runtime.Faults)) *virtual {
	v := &virtual{t: t, board: New(opts), faults: faults}
	t.Cleanup(v.close)
	return v
}

func (v *virtual) dial() (runtime.Port, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	host, hp := runtime.Pipe(v.baud)
	bp, bd := runtime.Pipe(v.baud)
	var up, down runtime.Faults
	if v.faults != nil {
		up, down = v.faults(v.conns)
	}
	v.conns++
	p := runtime.NewProxy(hp, bp, up, down)
	v.proxies = append(v.proxies, p)
	go p.Run()
	go v.board.Serve(context.Background(), bd)
	return host, nil
}

func (v *virtual) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, p := range v.proxies {
		p.Close()
	}
}

func (v *virtual) proxyStats() (s runtime.ProxyStats) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, p := range v.proxies {
		for _, d := range p.Stats() {
			s.BitsFlipped += d.BitsFlipped
			s.BytesDropped += d.BytesDropped
			s.FramesDropped += d.FramesDropped
			s.FramesDuplicated += d.FramesDuplicated
			s.Cuts += d.Cuts
		}
	}
	return s
}

// fastLink keeps fault tests quick on a healthy machine; the generous
// retry budget (a link is declared dead after ~10 s without progress) keeps
// them from failing when the test machine is busy with other packages.
var fastLink = runtime.LinkOptions{MinRTO: 10 * time.Millisecond, MaxRTO: 250 * time.Millisecond, MaxRetries: 40}

func TestVirtualBoardMatchesEmulator(t *testing.T) {
	f := cuba(t)
	v := newVirtual(t, Options{Target: "spinn5", Link: fastLink}, nil)
	var progress []runtime.Progress
	opts := runtime.BoardRunOptions{Client: runtime.Options{Link: fastLink, Progress: func(p runtime.Progress) { progress = append(progress, p) }}}
	res, rep, err := runtime.RunOnBoard(context.Background(), v.dial, f.image, opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f.want, res.Spikes); diff != "" {
		t.Fatalf("board spikes differ from the emulator's (-want +got):\n%s", diff)
	}
	if len(progress) == 0 || progress[len(progress)-1].Bytes != int64(len(f.image)) {
		t.Errorf("progress did not reach the image size: %+v", progress)
	}
	if rep.Counters["spikes"] != uint64(len(f.want)) {
		t.Errorf("board counted %d spikes, want %d", rep.Counters["spikes"], len(f.want))
	}
	t.Logf("image %d bytes, %d spikes over %d ticks; %d frames sent, %d retransmitted", len(f.image), len(res.Spikes), res.Steps, rep.Link.FramesSent, rep.Link.Retransmits)
}

// TestFaults: under every fault a run completes with identical spikes or
// fails naming exactly the ticks it lacks — never a silent gap.
func TestFaults(t *testing.T) {
	f := cuba(t)
	// A load is ~len(image) bytes host→board; a cut a third of the way in
	// lands in the middle of it. A run's stream is board→host.
	third := int64(len(f.image) / 3)
	tests := []struct {
		name    string
		faults  func(conn int) (up, down runtime.Faults)
		retries int
		fail    bool // the run is expected to fail, with an account
		mayFail bool // either outcome is correct: identical spikes, or an exact account
	}{
		{"ber 1e-6", noise(runtime.Faults{BER: 1e-6}), 0, false, false},
		{"ber 1e-4", noise(runtime.Faults{BER: 1e-4}), 0, false, false},
		{"ber 1e-3", noise(runtime.Faults{BER: 1e-3}), 0, false, true},
		{"byte drops", noise(runtime.Faults{DropByte: 1e-4}), 0, false, false},
		{"dup and drop frames", noise(runtime.Faults{DupFrame: 0.02, DropFrame: 0.01}), 0, false, false},
		{"cut mid-load, reconnect", cutFirst(runtime.Faults{CutAfter: third}, runtime.Faults{}), 2, false, false},
		{"cut mid-run, reconnect", cutFirst(runtime.Faults{}, runtime.Faults{CutAfter: 3000, CutAfterType: runtime.MsgSpikes}), 2, false, false},
		{"cut mid-run, no retries", cutFirst(runtime.Faults{}, runtime.Faults{CutAfter: 3000, CutAfterType: runtime.MsgSpikes}), 0, true, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVirtual(t, Options{Target: "spinn5", Link: fastLink}, seeded(tt.faults, uint64(i+1)))
			opts := runtime.BoardRunOptions{Client: runtime.Options{Link: fastLink, Retries: tt.retries, ReplyTimeout: 20 * time.Second}}
			res, rep, err := runtime.RunOnBoard(context.Background(), v.dial, f.image, opts)
			ps := v.proxyStats()
			if rep != nil {
				t.Logf("faults %+v; link: %d frames sent, %d retransmitted, %d bad, %d duplicates; reconnects %d, resumed %v",
					ps, rep.Link.FramesSent, rep.Link.Retransmits, rep.Link.FramesBad, rep.Link.Duplicates, rep.Reconnects, rep.Resumed)
			}
			var inc *runtime.IncompleteError
			if tt.mayFail && errors.As(err, &inc) {
				checkAccount(t, f.want, res, rep)
				return
			}
			if tt.fail {
				if !errors.As(err, &inc) {
					t.Fatalf("want an incomplete run, got %T %v", err, err)
				}
				checkAccount(t, f.want, res, rep)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(f.want, res.Spikes); diff != "" {
				t.Fatalf("spikes differ (-want +got):\n%s", diff)
			}
		})
	}
}

// checkAccount: the received ticks hold exactly the emulator's spikes, and
// received + missing cover every tick.
func checkAccount(t *testing.T, want []results.Spike, res *results.Result, rep *runtime.Report) {
	t.Helper()
	have := map[int32]bool{}
	covered := 0
	for _, r := range rep.Received {
		for s := r.From; s < r.To; s++ {
			have[int32(s)] = true
		}
		covered += r.To - r.From
	}
	for _, r := range rep.Missing {
		covered += r.To - r.From
	}
	if covered != rep.Ticks {
		t.Errorf("received %v + missing %v cover %d ticks of %d", rep.Received, rep.Missing, covered, rep.Ticks)
	}
	var w []results.Spike
	for _, s := range want {
		if have[s.Step] {
			w = append(w, s)
		}
	}
	if diff := cmp.Diff(w, res.Spikes); diff != "" {
		t.Errorf("received ticks' spikes differ (-want +got):\n%s", diff)
	}
	t.Logf("missing ticks %v", rep.Missing)
}

func noise(f runtime.Faults) func(int) (runtime.Faults, runtime.Faults) {
	return func(int) (runtime.Faults, runtime.Faults) { return f, f }
}

// cutFirst cuts the first connection only; reconnections are clean.
func cutFirst(up, down runtime.Faults) func(int) (runtime.Faults, runtime.Faults) {
	return func(conn int) (runtime.Faults, runtime.Faults) {
		if conn == 0 {
			return up, down
		}
		return runtime.Faults{}, runtime.Faults{}
	}
}

func seeded(fn func(int) (runtime.Faults, runtime.Faults), seed uint64) func(int) (runtime.Faults, runtime.Faults) {
	if fn == nil {
		return nil
	}
	return func(c int) (runtime.Faults, runtime.Faults) {
		up, down := fn(c)
		up.Seed, down.Seed = seed*2+uint64(c)*7, seed*2+1+uint64(c)*7
		return up, down
	}
}

func TestBoardRefuses(t *testing.T) {
	f := cuba(t)
	tests := []struct {
		name  string
		opts  Options
		image []byte
		want  string
	}{
		{"wrong target", Options{Target: "spinn3"}, f.image, "image is for target spinn5; this board is a spinn3"},
		{"too big", Options{MaxImage: 1000}, f.image, "exceeds board"},
		{"corrupt image", Options{}, corrupt(f.image), "image does not decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Link = fastLink
			v := newVirtual(t, tt.opts, nil)
			c, err := runtime.Dial(v.dial, runtime.Options{Link: fastLink})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			err = c.Load(context.Background(), tt.image, runtime.KindSpiNNaker)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func corrupt(b []byte) []byte {
	c := append([]byte(nil), b...)
	c[200] ^= 0xFF
	return c
}

// TestBoardRefusesOldHost: a host of another major version gets INFO (so
// it can say what it found) and then ERROR 6 for every sequenced message.
func TestBoardRefusesOldHost(t *testing.T) {
	tests := []struct {
		name  string
		major uint8
		code  runtime.ErrorCode // 0: accepted
	}{
		{"protocol 1 host", 1, runtime.ErrCodeVersion},
		{"protocol 3 host", 3, runtime.ErrCodeVersion},
		{"current host", runtime.ProtocolMajor, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVirtual(t, Options{Link: fastLink}, nil)
			port, _ := v.dial()
			l := runtime.NewLink(port, fastLink)
			defer l.Close()
			nonce := uint32(0x12345678)
			hello := runtime.Hello{Major: tt.major, Nonce: nonce, Window: 32, MaxPayload: 256, Host: "old"}
			if err := l.SendControl(runtime.MsgHello, 0, hello.Marshal()); err != nil {
				t.Fatal(err)
			}
			var info runtime.Info
			select {
			case f := <-l.Control():
				var err error
				if info, err = runtime.ParseInfo(f.Payload); err != nil {
					t.Fatal(err)
				}
			case <-time.After(2 * time.Second):
				t.Fatal("no INFO")
			}
			if info.Major != runtime.ProtocolMajor || info.Nonce != nonce {
				t.Errorf("INFO says protocol %d.%d, nonce %x", info.Major, info.Minor, info.Nonce)
			}
			l.Reset(uint16(nonce), uint16(nonce>>16))
			if err := l.Send(runtime.MsgRead, runtime.Read{What: runtime.ReadCounters}.Marshal()); err != nil {
				t.Fatal(err)
			}
			f, ok, err := l.Recv(2 * time.Second)
			if err != nil || !ok {
				t.Fatalf("no reply: %v", err)
			}
			var got runtime.ErrorCode
			if f.Type == runtime.MsgError {
				e, err := runtime.ParseError(f.Payload)
				if err != nil {
					t.Fatal(err)
				}
				got = e.Code
				if !strings.Contains(e.Message, "incompatible major version") {
					t.Errorf("message %q", e.Message)
				}
			} else if f.Type != runtime.MsgData {
				t.Fatalf("reply %v", f.Type)
			}
			if got != tt.code {
				t.Errorf("error code %d, want %d", got, tt.code)
			}
		})
	}
}

// TestProbe: a probe HELLO gets the board's INFO and changes nothing (a
// loaded image stays loaded, a session goes on); a silent port gives
// ErrNoAnswer within the timeout.
func TestProbe(t *testing.T) {
	f := cuba(t)
	v := newVirtual(t, Options{Target: "spinn5", Name: "b1", Firmware: "fw9", Link: fastLink}, nil)
	c, err := runtime.Dial(v.dial, runtime.Options{Link: fastLink})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Load(ctx, f.image, runtime.KindSpiNNaker); err != nil {
		t.Fatal(err)
	}
	silent, _ := runtime.Pipe(0)
	tests := []struct {
		name string
		port func() runtime.Port
		want runtime.Info
		err  error
	}{
		{"board", func() runtime.Port { p, _ := v.dial(); return p },
			runtime.Info{Major: runtime.ProtocolMajor, Minor: runtime.ProtocolMinor, State: runtime.StateLoaded, Board: "b1", Target: "spinn5", Firmware: "fw9"}, nil},
		{"silent port", func() runtime.Port { return silent }, runtime.Info{}, runtime.ErrNoAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			info, err := runtime.Probe(tt.port(), 300*time.Millisecond)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if el := time.Since(start); el > time.Second {
				t.Errorf("probe took %v", el)
			}
			got := runtime.Info{Major: info.Major, Minor: info.Minor, State: info.State, Board: info.Board, Target: info.Target, Firmware: info.Firmware}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("INFO (-want +got):\n%s", diff)
			}
		})
	}
	// The host's session survived the probe: it runs what it loaded.
	r, err := c.Run(ctx, runtime.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f.want, r.Result()); diff != "" {
		t.Errorf("spikes after the probe differ (-want +got):\n%s", diff)
	}
}
