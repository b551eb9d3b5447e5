package program_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/program"
)

// twoChip compiles twoChipYAML for spinn5 at 10 neurons a core and checks
// that it is the program the mutation tests need: valid, on ≥ 2 chips.
func twoChip(t *testing.T) (*program.Program, *program.Machine) {
	t.Helper()
	p := compileYAML(t, "twochip.yaml", twoChipYAML, "spinn5", compiler.Options{NeuronsPerCore: 10})
	m := program.NewMachine(loadTarget(t, "spinn5"))
	if err := p.Verify(m); err != nil {
		t.Fatalf("the compiled program does not verify: %v", err)
	}
	chips := map[[2]uint8]bool{}
	for _, c := range p.Cores {
		chips[[2]uint8{c.X, c.Y}] = true
	}
	if len(chips) < 2 {
		t.Fatalf("the program's cores sit on %d chip(s); the tests need at least 2", len(chips))
	}
	return p, m
}

// senders maps each key space with rows somewhere to the cores holding
// those rows, as Verify's routing check does.
func receivers(p *program.Program) map[[2]uint32][]program.CoreID {
	want := map[[2]uint32][]program.CoreID{}
	for _, c := range p.Cores {
		for _, e := range c.PopTable {
			want[[2]uint32{e.Key, e.Mask}] = append(want[[2]uint32{e.Key, e.Mask}], c.CoreID)
		}
	}
	return want
}

// routeOf returns the index of chip (x, y)'s entry for core c's key space.
func routeOf(t *testing.T, p *program.Program, x, y uint8, c *program.Core) (*program.Chip, int) {
	t.Helper()
	ch, ok := p.Chip(x, y)
	if !ok {
		t.Fatalf("no router table on chip %d,%d", x, y)
	}
	for i, r := range ch.Routes {
		if c.Key&r.Mask == r.Key {
			return ch, i
		}
	}
	t.Fatalf("chip %d,%d has no entry for core %s's key %08x", x, y, c.CoreID, c.Key)
	return nil, 0
}

// localSender returns a core whose packets have receivers on its own
// chip and on another chip.
func localSender(t *testing.T, p *program.Program) *program.Core {
	t.Helper()
	want := receivers(p)
	for i := range p.Cores {
		c := &p.Cores[i]
		rx := want[[2]uint32{c.Key, c.Mask}]
		local := slices.ContainsFunc(rx, func(r program.CoreID) bool { return r.X == c.X && r.Y == c.Y })
		remote := slices.ContainsFunc(rx, func(r program.CoreID) bool { return r.X != c.X || r.Y != c.Y })
		if local && remote {
			return c
		}
	}
	t.Fatal("no core sends both to its own chip and to another")
	return nil
}

// rowWord returns the offset of the first synaptic word of a row of a
// padded (Stride > 0), static population-table entry on a neuron core with
// fewer neurons than its index bits can name, and that entry. Only padded
// entries are used: their layout (row r at Start + r·Stride) is the one
// the tests can rely on as the sparse layout evolves.
func rowWord(t *testing.T, p *program.Program) (*program.Core, int, *program.PopEntry) {
	t.Helper()
	for i := range p.Cores {
		c := &p.Cores[i]
		if c.Kind != program.NeuronCore || uint64(c.N) >= 1<<c.Geometry.IndexBits {
			continue
		}
		for k := range c.PopTable {
			e := &c.PopTable[k]
			if e.Plastic || e.Stride == 0 {
				continue
			}
			for r := range e.Rows {
				at := e.Start + r*e.Stride
				if c.Synapses[at] > 0 {
					return c, int(at) + 1, e
				}
			}
		}
	}
	t.Fatal("no neuron core with a non-empty padded static row and spare index bits")
	return nil, 0, nil
}

func TestVerifyMutations(t *testing.T) {
	valid, m := twoChip(t)
	b := encode(t, valid)
	tests := []struct {
		name string
		// mutate breaks p and returns substrings Verify's error must hold;
		// any one of alternatives (separated by " | ") will do.
		mutate func(t *testing.T, p *program.Program) []string
	}{
		{"core on a nonexistent chip", func(t *testing.T, p *program.Program) []string {
			// spinn5 is a hexagon in an 8×8 footprint: chip 7,0 is not on it.
			c := &p.Cores[len(p.Cores)-1]
			c.X, c.Y = 7, 0
			return []string{fmt.Sprintf("core %s: chip 7,0 does not exist on spinn5", c.CoreID)}
		}},
		{"monitor processor", func(t *testing.T, p *program.Program) []string {
			p.Cores[0].P = 0
			return []string{"core 0,0,0: processor 0 is not an application core (1–17)"}
		}},
		{"processor past the chip", func(t *testing.T, p *program.Program) []string {
			c := &p.Cores[len(p.Cores)-1]
			c.P = 18
			return []string{"processor 18 is not an application core"}
		}},
		{"duplicate core", func(t *testing.T, p *program.Program) []string {
			p.Cores[1].CoreID = p.Cores[0].CoreID
			return []string{fmt.Sprintf("cores not sorted or duplicated at %s (after %s)", p.Cores[0].CoreID, p.Cores[0].CoreID)}
		}},
		{"unsorted cores", func(t *testing.T, p *program.Program) []string {
			a, b := p.Cores[2].CoreID, p.Cores[3].CoreID
			p.Cores[2].CoreID, p.Cores[3].CoreID = b, a
			return []string{fmt.Sprintf("cores not sorted or duplicated at %s (after %s)", a, b)}
		}},
		{"overlapping keys", func(t *testing.T, p *program.Program) []string {
			p.Cores[5].Key, p.Cores[5].Mask = p.Cores[4].Key, p.Cores[4].Mask
			return []string{"overlapping keys", p.Cores[4].CoreID.String(), p.Cores[5].CoreID.String()}
		}},
		{"overlapping keys, wider mask", func(t *testing.T, p *program.Program) []string {
			// Core 4's space, widened to swallow its neighbours'.
			p.Cores[4].Mask <<= 4
			p.Cores[4].Key &= p.Cores[4].Mask
			return []string{"overlapping keys"}
		}},
		{"key bits outside the mask", func(t *testing.T, p *program.Program) []string {
			c := &p.Cores[3]
			c.Key |= 1
			return []string{fmt.Sprintf("core %s: key %08x has bits outside its mask %08x", c.CoreID, c.Key, c.Mask)}
		}},
		{"key space too small", func(t *testing.T, p *program.Program) []string {
			c := &p.Cores[3]
			c.Mask = ^uint32(3)
			return []string{fmt.Sprintf("core %s: key space of 4 keys (mask %08x) cannot hold %d", c.CoreID, c.Mask, c.N)}
		}},
		{"population table entry past the matrix", func(t *testing.T, p *program.Program) []string {
			c, _, e := rowWord(t, p)
			e.Rows += uint32(len(c.Synapses))
			return []string{fmt.Sprintf("core %s: population table entry %d (key %08x): rows %d × stride %d from %d exceed the %d-word synaptic matrix",
				c.CoreID, slices.Index(c.PopTable, *e), e.Key, e.Rows, e.Stride, e.Start, len(c.Synapses))}
		}},
		{"population table start past the matrix", func(t *testing.T, p *program.Program) []string {
			c, _, e := rowWord(t, p)
			e.Start = uint32(len(c.Synapses))
			return []string{fmt.Sprintf("core %s: population table entry %d (key %08x)", c.CoreID, slices.Index(c.PopTable, *e), e.Key), "exceed the", "synaptic matrix"}
		}},
		{"population table huge stride", func(t *testing.T, p *program.Program) []string {
			// Start + Rows·Stride overflows 32 bits.
			c, _, e := rowWord(t, p)
			e.Stride = 1 << 31
			return []string{fmt.Sprintf("core %s: population table entry %d (key %08x)", c.CoreID, slices.Index(c.PopTable, *e), e.Key), "exceed the", "synaptic matrix"}
		}},
		{"population table unsorted", func(t *testing.T, p *program.Program) []string {
			c, _, _ := rowWord(t, p)
			if len(c.PopTable) < 2 {
				t.Skip("core has one entry")
			}
			c.PopTable[0], c.PopTable[1] = c.PopTable[1], c.PopTable[0]
			return []string{fmt.Sprintf("core %s: population table not sorted by key at entry 1", c.CoreID)}
		}},
		{"population table key outside its mask", func(t *testing.T, p *program.Program) []string {
			c, _, _ := rowWord(t, p)
			c.PopTable[0].Key |= 1
			return []string{fmt.Sprintf("core %s: population table entry 0: key %08x has bits outside mask", c.CoreID, c.PopTable[0].Key)}
		}},
		{"row longer than its stride", func(t *testing.T, p *program.Program) []string {
			c, at, e := rowWord(t, p)
			c.Synapses[at-1] = e.Stride
			r := (uint32(at-1) - e.Start) / e.Stride
			return []string{fmt.Sprintf("core %s: key %08x row %d: length %d", c.CoreID, e.Key, r, e.Stride)}
		}},
		{"synaptic word names neuron ≥ N", func(t *testing.T, p *program.Program) []string {
			c, at, _ := rowWord(t, p)
			w, d, ty, _ := c.Geometry.Unpack(c.Synapses[at])
			c.Synapses[at] = c.Geometry.Word(w, d, ty, c.N)
			return []string{fmt.Sprintf("core %s", c.CoreID), fmt.Sprintf("names neuron %d of %d", c.N, c.N)}
		}},
		{"synaptic word with delay 0", func(t *testing.T, p *program.Program) []string {
			c, at, _ := rowWord(t, p)
			w, _, ty, i := c.Geometry.Unpack(c.Synapses[at])
			c.Synapses[at] = c.Geometry.Word(w, 0, ty, i)
			return []string{fmt.Sprintf("core %s", c.CoreID), "delay 0"}
		}},
		{"synaptic word with type ≥ types", func(t *testing.T, p *program.Program) []string {
			// Every core has 2 types in 1 type bit, so no word can name
			// type 2; drop a type from a core that receives type 1.
			for i := range p.Cores {
				c := &p.Cores[i]
				for _, e := range c.PopTable {
					if e.Stride == 0 || e.Plastic || e.Rows == 0 {
						continue
					}
					at := e.Start
					for _, w := range c.Synapses[at+1 : at+1+c.Synapses[at]] {
						if _, _, ty, _ := c.Geometry.Unpack(w); ty == 1 {
							c.Geometry.SynapseTypes = 1
							c.WeightShift = c.WeightShift[:1]
							return []string{fmt.Sprintf("core %s", c.CoreID), "type 1 of 1"}
						}
					}
				}
			}
			t.Fatal("no core receives synapse type 1")
			return nil
		}},
		{"more neurons than index bits", func(t *testing.T, p *program.Program) []string {
			c, _, _ := rowWord(t, p)
			c.Geometry.IndexBits = 2
			return []string{fmt.Sprintf("core %s: %d neurons do not fit 2 index bits", c.CoreID, c.N)}
		}},
		{"synaptic word wider than 32 bits", func(t *testing.T, p *program.Program) []string {
			c, _, _ := rowWord(t, p)
			c.Geometry.DelayBits = 12
			return []string{fmt.Sprintf("core %s: synaptic word needs", c.CoreID), "more than 32"}
		}},
		{"neuron region size", func(t *testing.T, p *program.Program) []string {
			c, _, _ := rowWord(t, p)
			c.Neurons = c.Neurons[:len(c.Neurons)-1]
			return []string{fmt.Sprintf("core %s: neuron region has %d words", c.CoreID, len(c.Neurons))}
		}},
		{"target core's route bit cleared", func(t *testing.T, p *program.Program) []string {
			c := localSender(t, p)
			ch, i := routeOf(t, p, c.X, c.Y, c)
			rx := receivers(p)[[2]uint32{c.Key, c.Mask}]
			var dropped program.CoreID
			for _, r := range rx {
				if r.X == c.X && r.Y == c.Y {
					dropped = r
				}
			}
			ch.Routes[i].Dest &^= program.CoreBit(dropped.P)
			return []string{fmt.Sprintf("core %s: key %08x reaches", c.CoreID, c.Key), "but the cores with rows for it are"}
		}},
		{"router entry removed on the sender's chip", func(t *testing.T, p *program.Program) []string {
			c := localSender(t, p)
			ch, i := routeOf(t, p, c.X, c.Y, c)
			ch.Routes = slices.Delete(ch.Routes, i, i+1)
			return []string{fmt.Sprintf("core %s: key %08x from %s matches no entry on its own chip and is dropped", c.CoreID, c.Key, c.CoreID)}
		}},
		{"router entry removed on a receiving chip", func(t *testing.T, p *program.Program) []string {
			// The packet now goes on straight past the chip (default
			// routing): it misses the cores there and, on a board that does
			// not wrap, at last leaves the machine.
			c := localSender(t, p)
			for _, r := range receivers(p)[[2]uint32{c.Key, c.Mask}] {
				if r.X != c.X || r.Y != c.Y {
					ch, i := routeOf(t, p, r.X, r.Y, c)
					ch.Routes = slices.Delete(ch.Routes, i, i+1)
					return []string{fmt.Sprintf("core %s: key %08x", c.CoreID, c.Key), "leads off the machine | but the cores with rows for it are"}
				}
			}
			panic("unreachable")
		}},
		{"router entry sends to an extra core", func(t *testing.T, p *program.Program) []string {
			c := localSender(t, p)
			ch, i := routeOf(t, p, c.X, c.Y, c)
			rx := receivers(p)[[2]uint32{c.Key, c.Mask}]
			for q := m.FirstCore; q < m.Cores; q++ {
				id := program.CoreID{X: c.X, Y: c.Y, P: uint8(q)}
				if !slices.Contains(rx, id) {
					ch.Routes[i].Dest |= program.CoreBit(uint8(q))
					return []string{fmt.Sprintf("core %s: key %08x reaches", c.CoreID, c.Key), id.String(), "but the cores with rows for it are"}
				}
			}
			t.Fatal("every core on the chip receives the key")
			return nil
		}},
		{"route leads off the machine", func(t *testing.T, p *program.Program) []string {
			// Chip 0,0 is a corner of a board that does not wrap: its S
			// link leads nowhere.
			for i := range p.Cores {
				c := &p.Cores[i]
				if c.X == 0 && c.Y == 0 && len(receivers(p)[[2]uint32{c.Key, c.Mask}]) > 0 {
					ch, j := routeOf(t, p, 0, 0, c)
					ch.Routes[j].Dest |= 1 << 5
					return []string{fmt.Sprintf("core %s: key %08x from %s leaves chip 0,0 by link S, which leads off the machine", c.CoreID, c.Key, c.CoreID)}
				}
			}
			t.Fatal("no sending core on chip 0,0")
			return nil
		}},
		{"routing loop", func(t *testing.T, p *program.Program) []string {
			// A sends to its neighbour B, which sends it straight back.
			c := localSender(t, p)
			ch, i := routeOf(t, p, c.X, c.Y, c)
			for l := range program.LinkBits {
				nx, ny, ok := m.Neighbour(int(c.X), int(c.Y), l)
				if !ok {
					continue
				}
				ch.Routes[i].Dest |= 1 << l
				back := program.Route{Key: ch.Routes[i].Key, Mask: ch.Routes[i].Mask, Dest: 1 << program.Opposite(l)}
				if nb, ok := p.Chip(uint8(nx), uint8(ny)); ok {
					nb.Routes = slices.Insert(nb.Routes, 0, back)
				} else {
					p.Chips = append(p.Chips, program.Chip{X: uint8(nx), Y: uint8(ny), Routes: []program.Route{back}})
					slices.SortFunc(p.Chips, func(a, b program.Chip) int { return int(a.X)<<8 + int(a.Y) - int(b.X)<<8 - int(b.Y) })
				}
				return []string{fmt.Sprintf("core %s: key %08x from %s visits chip %d,%d twice", c.CoreID, c.Key, c.CoreID, c.X, c.Y)}
			}
			t.Fatal("the sender's chip has no neighbour")
			return nil
		}},
		{"router table over capacity", func(t *testing.T, p *program.Program) []string {
			ch := &p.Chips[0]
			for len(ch.Routes) < m.RouterEntries+1 {
				// Entries no key matches, after the real ones.
				ch.Routes = append(ch.Routes, program.Route{Key: 0xffffffff, Mask: 0xffffffff})
			}
			return []string{fmt.Sprintf("chip %d,%d: %d router entries, the router holds %d", ch.X, ch.Y, m.RouterEntries+1, m.RouterEntries)}
		}},
		{"DTCM overflow", func(t *testing.T, p *program.Program) []string {
			c, _, _ := rowWord(t, p)
			words := int(m.DTCMBytes)/(4*int(c.N)) + 1
			c.Layout = make([]program.Field, words)
			for i := range c.Layout {
				c.Layout[i] = program.Field{Name: fmt.Sprintf("f%d", i), Format: program.Int}
			}
			c.Neurons = make([]uint32, words*int(c.N))
			return []string{fmt.Sprintf("core %s: needs %d bytes of DTCM, has %d", c.CoreID, c.CoreDTCM(), m.DTCMBytes)}
		}},
		{"population cores do not cover the population", func(t *testing.T, p *program.Program) []string {
			pop := &p.Populations[1]
			last := p.Cores[pop.Cores[len(pop.Cores)-1]]
			pop.Cores = pop.Cores[:len(pop.Cores)-1]
			return []string{fmt.Sprintf("population %s: its cores hold %d of %d neurons", pop.Name, last.Lo, pop.Size)}
		}},
		{"population cores out of order", func(t *testing.T, p *program.Program) []string {
			pop := &p.Populations[1]
			pop.Cores[0], pop.Cores[1] = pop.Cores[1], pop.Cores[0]
			return []string{fmt.Sprintf("population %s: core %s holds population 1 from 10, expected 1 from 0", pop.Name, p.Cores[pop.Cores[0]].CoreID)}
		}},
		{"population core index out of range", func(t *testing.T, p *program.Program) []string {
			p.Populations[0].Cores[0] = uint32(len(p.Cores))
			return []string{fmt.Sprintf("population %s: core index %d out of range", p.Populations[0].Name, len(p.Cores))}
		}},
		{"core's population out of range", func(t *testing.T, p *program.Program) []string {
			p.Cores[0].Pop = 99
			return []string{fmt.Sprintf("core %s: population 99 out of range", p.Cores[0].CoreID)}
		}},
		{"empty core", func(t *testing.T, p *program.Program) []string {
			c := &p.Cores[0]
			c.N = 0
			return []string{fmt.Sprintf("core %s: holds no neurons", c.CoreID)}
		}},
		{"rows for a key no core sends", func(t *testing.T, p *program.Program) []string {
			c, _, _ := rowWord(t, p)
			c.PopTable[0].Key = 0x7ff00000
			return []string{"have rows for key 7ff00000", "which no core sends"}
		}},
		{"source spike outside the run", func(t *testing.T, p *program.Program) []string {
			for i := range p.Cores {
				c := &p.Cores[i]
				if c.Kind == program.SourceCore && len(c.Spikes) > 0 {
					c.Spikes[0] = p.Steps
					return []string{fmt.Sprintf("core %s: spike 0 (step %d", c.CoreID, p.Steps), "outside"}
				}
			}
			t.Fatal("no source core with spikes")
			return nil
		}},
		{"source spikes unsorted", func(t *testing.T, p *program.Program) []string {
			for i := range p.Cores {
				c := &p.Cores[i]
				if c.Kind == program.SourceCore && len(c.Spikes) >= 4 && c.Spikes[0] < c.Spikes[2] {
					c.Spikes[0], c.Spikes[2] = c.Spikes[2], c.Spikes[0]
					return []string{fmt.Sprintf("core %s: spike list not sorted at entry 1", c.CoreID)}
				}
			}
			t.Fatal("no source core with two spikes at different steps")
			return nil
		}},
		{"wrong target", func(t *testing.T, p *program.Program) []string {
			p.Target = "spinn3"
			return []string{"program is for target spinn3, machine is spinn5"}
		}},
		{"zero timestep", func(t *testing.T, p *program.Program) []string {
			p.Timestep = 0
			return []string{"timestep 0 is not positive"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := program.Decode(b) // a deep copy of the valid program
			if err != nil {
				t.Fatal(err)
			}
			want := tt.mutate(t, p)
			err = p.Verify(m)
			if err == nil {
				t.Fatal("Verify passed the broken program")
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.HasPrefix(msg, "program does not verify:\n") {
				t.Errorf("error does not start with the summary line:\n%s", msg)
			}
			for _, w := range want {
				found := false
				for _, alt := range strings.Split(w, " | ") {
					found = found || strings.Contains(msg, alt)
				}
				if !found {
					t.Errorf("error does not mention %q:\n%s", w, msg)
				}
			}
		})
	}
}

// TestVerifyManyErrors checks that Verify reports every violation but caps
// the list.
func TestVerifyManyErrors(t *testing.T) {
	p, m := twoChip(t)
	for i := range p.Cores {
		p.Cores[i].Key |= 1 // 40 cores with key bits outside the mask …
		p.Cores[i].N = 0    // … and 40 empty ones
	}
	err := p.Verify(m)
	if err == nil {
		t.Fatal("Verify passed")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 52 {
		t.Errorf("error has %d lines, want the summary, 50 violations and a count", len(lines))
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "more") {
		t.Errorf("last line %q does not count the rest", last)
	}
}

// TestVerifyExamples checks that the compiled examples verify on the
// targets they fit.
func TestVerifyExamples(t *testing.T) {
	for _, tc := range []struct{ example, target string }{
		{"stdp", "spinn3"}, {"stdp", "zcu102"}, {"synfire", "spinn5"},
	} {
		t.Run(tc.example+"/"+tc.target, func(t *testing.T) {
			p := compileExample(t, tc.example, tc.target)
			if err := p.Verify(program.NewMachine(loadTarget(t, tc.target))); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestVerifyWholeKeySpace: a core sends on Key | i for each of its N
// neurons, but Verify follows only Key | 0 through the routers. A table
// whose entry matches neuron 0's key alone (or whose earlier entry diverts
// another neuron's key) drops or misdelivers the other neurons' spikes,
// and Verify must say so.
func TestVerifyWholeKeySpace(t *testing.T) {
	valid, m := twoChip(t)
	b := encode(t, valid)
	tests := []struct {
		name   string
		mutate func(t *testing.T, p *program.Program) *program.Core
	}{
		{"entry matches neuron 0 only", func(t *testing.T, p *program.Program) *program.Core {
			c := localSender(t, p)
			ch, i := routeOf(t, p, c.X, c.Y, c)
			ch.Routes[i].Mask = 0xffffffff // key | 0 still matches; key | 1 … do not
			return c
		}},
		{"earlier entry diverts the last neuron", func(t *testing.T, p *program.Program) *program.Core {
			c := localSender(t, p)
			ch, _ := routeOf(t, p, c.X, c.Y, c)
			ch.Routes = slices.Insert(ch.Routes, 0, program.Route{Key: c.Key | (c.N - 1), Mask: 0xffffffff, Dest: 0})
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := program.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			c := tt.mutate(t, p)
			last := c.Key | (c.N - 1)
			want := receivers(p)[[2]uint32{c.Key, c.Mask}]
			if got, err := p.Reach(m, c.CoreID, last); err == nil && slices.Equal(got, want) {
				t.Fatalf("the mutation did not break delivery of key %08x", last)
			}
			if got, err := p.Reach(m, c.CoreID, c.Key); err != nil || !slices.Equal(got, want) {
				t.Fatalf("the mutation broke delivery of neuron 0's key too: %v, %v", got, err)
			}
			if err := p.Verify(m); err == nil {
				t.Errorf("Verify passed, but core %s's neuron %d (key %08x) no longer reaches its targets", c.CoreID, c.N-1, last)
			}
		})
	}
}

// TestVerifyNoRowsNoDelivery: Verify promises that nothing arrives where
// it has no row, but it skips senders with no rows anywhere, so their
// packets may be routed to any core.
func TestVerifyNoRowsNoDelivery(t *testing.T) {
	p, m := twoChip(t)
	c := localSender(t, p)
	// Delete every row for c's key space; the routes still deliver it.
	for i := range p.Cores {
		q := &p.Cores[i]
		q.PopTable = slices.DeleteFunc(q.PopTable, func(e program.PopEntry) bool { return e.Key == c.Key && e.Mask == c.Mask })
	}
	got, err := p.Reach(m, c.CoreID, c.Key)
	if err != nil || len(got) == 0 {
		t.Fatalf("expected c's packets still to be delivered: %v, %v", got, err)
	}
	err = p.Verify(m)
	if err == nil {
		t.Fatalf("Verify passed, but core %s's packets (key %08x) arrive at %v, which have no rows for them", c.CoreID, c.Key, got)
	}
	if !strings.Contains(err.Error(), c.CoreID.String()) {
		t.Errorf("error does not name core %s:\n%v", c.CoreID, err)
	}
}
