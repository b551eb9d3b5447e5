package compiler

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"

	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
)

// vertexOf returns the vertex holding neuron j of population pop.
func (s *state) vertexOf(pop, j int) *vertex {
	vs := s.popVerts[pop]
	return vs[min(j/vs[0].n, len(vs)-1)]
}

// senderOf returns the key space a synapse's spikes arrive on and the
// delay the target core's ring still has to apply: the pre vertex's own
// space for short delays, else a stage of its delay extension.
func (s *state) senderOf(pre int, syn ir.Synapse) (key uint32, v *vertex, rest int) {
	pv := s.vertexOf(pre, int(syn.Pre))
	stages, rest := s.split(syn.DelaySteps(s.dt))
	if stages == 0 {
		return pv.key, pv, rest
	}
	dv := s.delayOf[pv]
	return dv.key | uint32(stages-1)<<s.keys.indexBits, dv, rest
}

// computeSenders lists every key space packets are sent on, with the
// vertices each must reach: a vertex's own space reaches the cores it has
// short-delay synapses onto and its delay extension; each delay stage
// reaches the cores with synapses of that stage.
func (s *state) computeSenders() {
	byKey := map[uint32]*sender{}
	mask := ^uint32(1<<s.keys.indexBits - 1)
	get := func(v *vertex, key uint32, stage int) *sender {
		sd := byKey[key]
		if sd == nil {
			sd = &sender{v: v, key: key, mask: mask, stage: stage}
			byKey[key] = sd
		}
		return sd
	}
	targets := map[*sender]map[*vertex]bool{}
	add := func(sd *sender, t *vertex) {
		if targets[sd] == nil {
			targets[sd] = map[*vertex]bool{}
		}
		targets[sd][t] = true
	}
	for _, v := range s.verts {
		if v.kind != program.DelayCore {
			get(v, v.key, -1)
		}
	}
	for k, pr := range s.net.Projections {
		pre, post := s.net.PopulationIndex(pr.Pre), s.net.PopulationIndex(pr.Post)
		for _, syn := range s.exp.Synapses[k] {
			key, v, _ := s.senderOf(pre, syn)
			stage := -1
			if v.kind == program.DelayCore {
				stage = int((key >> s.keys.indexBits) & (1<<s.keys.stageBits - 1))
				add(get(v.serves, v.serves.key, -1), v)
			}
			add(get(v, key, stage), s.vertexOf(post, int(syn.Post)))
		}
	}
	s.senders = s.senders[:0]
	for _, sd := range byKey {
		for t := range targets[sd] {
			sd.targets = append(sd.targets, t)
		}
		slices.SortFunc(sd.targets, func(a, b *vertex) int { return compareCore(a.id(), b.id()) })
		s.senders = append(s.senders, sd)
	}
	slices.SortFunc(s.senders, func(a, b *sender) int { return cmp.Compare(a.key, b.key) })
	s.senderByKey = byKey
}

// route builds each chip's multicast table: for every key space, a
// shortest-path tree over working links from the sending chip to the chips
// of its targets; each chip on the tree gets an entry sending to its
// children's links and its target cores, except where default routing (out
// of the link opposite the one the packet came in on) already does that.
func route(s *state) error {
	s.computeSenders()
	s.tables = map[[2]int][]program.Route{}
	parents := map[[2]int]map[[2]int]parentLink{}
	for _, sd := range s.senders {
		if len(sd.targets) == 0 {
			continue
		}
		v := sd.v
		src := [2]int{v.x, v.y}
		par := parents[src]
		if par == nil {
			par = s.bfsTree(src)
			parents[src] = par
		}
		// dest[chip] accumulates the route word; in[chip] the arrival link.
		dest := map[[2]int]uint32{src: 0}
		in := map[[2]int]int{src: -1}
		for _, t := range sd.targets {
			c := [2]int{t.x, t.y}
			dest[c] |= program.CoreBit(uint8(t.p))
			for c != src {
				pl, ok := par[c]
				if !ok {
					return fmt.Errorf("no working path from chip %d,%d to chip %d,%d on %s", src[0], src[1], c[0], c[1], s.t.Name)
				}
				in[c] = program.Opposite(pl.link)
				if dest[pl.chip]&(1<<pl.link) != 0 {
					break // the rest of the path is already on the tree
				}
				dest[pl.chip] |= 1 << pl.link
				c = pl.chip
			}
		}
		for c, d := range dest {
			if c != src && d == 1<<program.Opposite(in[c]) {
				continue // default routing carries it straight on
			}
			s.tables[c] = append(s.tables[c], program.Route{Key: sd.key, Mask: sd.mask, Dest: d})
		}
	}
	for c := range s.tables {
		slices.SortFunc(s.tables[c], func(a, b program.Route) int { return cmp.Compare(a.Key, b.Key) })
	}
	s.tablesBefore = map[[2]int][]program.Route{}
	for c, t := range s.tables {
		s.tablesBefore[c] = slices.Clone(t)
	}
	return nil
}

type parentLink struct {
	chip [2]int
	link int // the link out of chip that leads to the child
}

// bfsTree returns, for every chip reachable from src, its parent on a
// breadth-first (shortest-path) tree and the parent's link to it. Links
// are tried in a fixed order, so the tree is deterministic.
func (s *state) bfsTree(src [2]int) map[[2]int]parentLink {
	par := map[[2]int]parentLink{}
	seen := map[[2]int]bool{src: true}
	queue := [][2]int{src}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		for l := range s.t.Router.LinkBits {
			nx, ny, ok := s.m.Neighbour(c[0], c[1], l)
			n := [2]int{nx, ny}
			if !ok || seen[n] {
				continue
			}
			seen[n] = true
			par[n] = parentLink{chip: c, link: l}
			queue = append(queue, n)
		}
	}
	return par
}

func sortedChips(tables map[[2]int][]program.Route) [][2]int {
	out := make([][2]int, 0, len(tables))
	for c := range tables {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b [2]int) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	return out
}

// assemble turns the tables into a program-shaped list of chips for Reach.
func (s *state) chipsFrom(tables map[[2]int][]program.Route) []program.Chip {
	var out []program.Chip
	for _, c := range sortedChips(tables) {
		out = append(out, program.Chip{X: uint8(c[0]), Y: uint8(c[1]), Routes: tables[c]})
	}
	return out
}

// checkRoutes walks the tables: each key space's packets reach exactly
// the cores of its targets.
func checkRoutes(s *state) error {
	p := &program.Program{Chips: s.chipsFrom(s.tables)}
	for _, sd := range s.senders {
		if len(sd.targets) == 0 {
			continue
		}
		want := []program.CoreID{}
		for _, t := range sd.targets {
			want = append(want, t.id())
		}
		got, err := p.Reach(s.m, sd.v.id(), sd.key)
		if err != nil {
			return fmt.Errorf("vertex %s[%d]: %w", s.popName(sd.v.pop), sd.v.lo, err)
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("vertex %s[%d] (key %08x) reaches %v, want %v", s.popName(sd.v.pop), sd.v.lo, sd.key, got, want)
		}
	}
	return nil
}

func compareCore(a, b program.CoreID) int {
	return cmp.Or(cmp.Compare(a.X, b.X), cmp.Compare(a.Y, b.Y), cmp.Compare(a.P, b.P))
}

// compress merges routing entries only on chips whose table exceeds the
// router, and only as far as needed: two entries with the same route whose
// key spaces differ in one bit become one entry with that bit masked out,
// provided the merged space holds no other sender's keys (so no packet that
// used to take a different route, or none, is captured). This is PACMAN's
// pair compressor restricted to order-independent merges.
func compress(s *state) error {
	limit := s.m.RouterEntries
	for _, c := range sortedChips(s.tables) {
		t := s.tables[c]
		if len(t) <= limit {
			continue
		}
		t = s.mergePairs(t, limit)
		if len(t) > limit {
			return fmt.Errorf("chip %d,%d needs %d router entries after compression (%d before); its router holds %d: spread the network over more chips (fewer neurons per core) or reduce the number of populations that meet there",
				c[0], c[1], len(t), len(s.tablesBefore[c]), limit)
		}
		s.tables[c] = t
	}
	return nil
}

func (s *state) mergePairs(t []program.Route, limit int) []program.Route {
	senders := make([]program.Route, 0, len(s.senders))
	for _, sd := range s.senders {
		senders = append(senders, program.Route{Key: sd.key, Mask: sd.mask})
	}
	covers := func(e program.Route, sp program.Route) bool { return (sp.Key^e.Key)&e.Mask&sp.Mask == 0 }
	for len(t) > limit {
		merged := false
		slices.SortFunc(t, func(a, b program.Route) int {
			return cmp.Or(cmp.Compare(a.Dest, b.Dest), cmp.Compare(a.Mask, b.Mask), cmp.Compare(a.Key, b.Key))
		})
	search:
		for i := 0; i < len(t); i++ {
			for j := i + 1; j < len(t) && t[j].Dest == t[i].Dest; j++ {
				a, b := t[i], t[j]
				diff := a.Key ^ b.Key
				if a.Mask != b.Mask || bits.OnesCount32(diff) != 1 || diff&a.Mask == 0 {
					continue
				}
				m := program.Route{Key: a.Key &^ diff, Mask: a.Mask &^ diff, Dest: a.Dest}
				for _, sp := range senders {
					if covers(m, sp) && !covers(a, sp) && !covers(b, sp) {
						// The merged entry would capture this sender: only
						// harmless if it already routes identically here.
						if !s.routesSame(t, sp.Key, a.Dest) {
							continue search
						}
					}
				}
				t[i] = m
				t = slices.Delete(t, j, j+1)
				merged = true
				break search
			}
		}
		if !merged {
			break
		}
	}
	slices.SortFunc(t, func(a, b program.Route) int { return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.Mask, b.Mask)) })
	return t
}

// routesSame reports whether key already matches an entry of t with dest.
func (s *state) routesSame(t []program.Route, key, dest uint32) bool {
	for _, e := range t {
		if key&e.Mask == e.Key {
			return e.Dest == dest
		}
	}
	return false
}

// lookup is a router's first-match lookup.
func lookup(t []program.Route, key uint32) (uint32, bool) {
	for _, e := range t {
		if key&e.Mask == e.Key {
			return e.Dest, true
		}
	}
	return 0, false
}

// checkCompress proves each compressed table routes every key any vertex
// sends exactly as the uncompressed table did (same route, or no match in
// both so default routing applies). Entry masks never select index bits,
// so one key stands for its vertex's whole space.
func checkCompress(s *state) error {
	for _, c := range sortedChips(s.tablesBefore) {
		before, after := s.tablesBefore[c], s.tables[c]
		for _, sd := range s.senders {
			d1, ok1 := lookup(before, sd.key)
			d2, ok2 := lookup(after, sd.key)
			if d1 != d2 || ok1 != ok2 {
				return fmt.Errorf("chip %d,%d: key %08x of %s[%d] routes to %s (matched %v) after compression, %s (matched %v) before",
					c[0], c[1], sd.key, s.popName(sd.v.pop), sd.v.lo, routeString(d2), ok2, routeString(d1), ok1)
			}
		}
	}
	return nil
}
