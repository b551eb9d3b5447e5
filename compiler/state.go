package compiler

import (
	"fmt"
	"io"

	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

// state is what the passes share. Each pass fills in its part; nothing is
// global, so compilations can run in parallel.
type state struct {
	opts Options
	t    *target.Target
	m    *program.Machine
	net  *ir.Network
	exp  *ir.Expanded
	dt   float64

	// quantize
	q *quantized
	// partition (and place, keys fill in the vertices)
	verts []*vertex
	// popVerts[pop] lists the vertices of a population in neuron order.
	popVerts [][]*vertex
	// route / compress
	tables map[[2]int][]program.Route
	// tablesBefore keeps the uncompressed tables for the report and the
	// compression checker.
	tablesBefore map[[2]int][]program.Route
	// layout
	prog *program.Program
	// senders are the key spaces packets are sent on, with the vertices
	// they must reach (route fills them in).
	senders     []*sender
	senderByKey map[uint32]*sender
	// delayOf[v] is the delay-extension vertex serving vertex v's long
	// delays (partition).
	delayOf map[*vertex]*vertex
	// keys
	keys keyLayout
	// weightProbes maps projection index → its weights probe (layout).
	weightProbes map[int32]weightProbe
}

// sender is one key space that packets are sent on: a neuron or source
// vertex's own, or one stage of a delay-extension vertex.
type sender struct {
	v         *vertex
	key, mask uint32
	// stage is -1 for a vertex's own space, else the delay stage: packets
	// on it arrive (stage+1)·slotDelay steps after the original spike.
	stage   int
	targets []*vertex
}

// vertex is one core's worth of a population: a slice [lo, lo+n).
type vertex struct {
	pop    int
	lo, n  int
	kind   program.CoreKind
	reason string // which limit decided the slice size
	// place
	x, y, p int
	// keys
	key, mask uint32
	// delay extension: for a DelayCore, the vertex whose spikes it delays
	// and how many stages it sends; send[k][i] says whether neuron i
	// needs stage k.
	serves *vertex
	stages int
	send   [][]bool
	// estimated load, for the report
	dtcm        int64
	sdram       int64
	cycles      int64
	cyclesLimit int64
}

func (v *vertex) id() program.CoreID {
	return program.CoreID{X: uint8(v.x), Y: uint8(v.y), P: uint8(v.p)}
}

func newState(exp *ir.Expanded, t *target.Target, opts Options) *state {
	return &state{
		opts: opts, t: t, m: program.NewMachine(t),
		net: exp.Net, exp: exp, dt: exp.Net.Run.Timestep,
		delayOf: map[*vertex]*vertex{},
	}
}

func (s *state) popName(i int) string { return s.net.Populations[i].Name }

// dump writes a readable snapshot of the state after a pass.
func (s *state) dump(w io.Writer, after string) {
	fmt.Fprintf(w, "# state after %s\n", after)
	if s.q != nil {
		for i, pq := range s.q.pops {
			if pq == nil {
				continue
			}
			fmt.Fprintf(w, "population %s: weight shifts %v (resolution %g, %g)\n", s.popName(i), pq.shift, pq.resolution[0], pq.resolution[1])
		}
	}
	for _, v := range s.verts {
		fmt.Fprintf(w, "vertex %s[%d:%d] %s (%s) at %d,%d,%d key %08x/%08x\n",
			s.popName(v.pop), v.lo, v.lo+v.n, v.kind, v.reason, v.x, v.y, v.p, v.key, v.mask)
	}
	for _, c := range sortedChips(s.tables) {
		fmt.Fprintf(w, "chip %d,%d: %d routes\n", c[0], c[1], len(s.tables[c]))
		for _, r := range s.tables[c] {
			fmt.Fprintf(w, "  %08x/%08x -> %s\n", r.Key, r.Mask, routeString(r.Dest))
		}
	}
	if s.prog != nil {
		fmt.Fprintf(w, "program: %d cores, %d chips\n", len(s.prog.Cores), len(s.prog.Chips))
	}
}

func routeString(dest uint32) string {
	out := ""
	for l := range program.LinkBits {
		if dest&(1<<l) != 0 {
			out += program.LinkNames[l] + " "
		}
	}
	for p := range 26 {
		if dest&program.CoreBit(uint8(p)) != 0 {
			out += fmt.Sprintf("p%d ", p)
		}
	}
	if out == "" {
		return "(nothing)"
	}
	return out[:len(out)-1]
}
