package compiler

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"

	"github.com/somahw/soma/program"
)

// vertexOf returns the vertex holding neuron j of population pop.
func (s *state) vertexOf(pop, j int) *vertex {
	vs := s.popVerts[pop]
	return vs[min(j/vs[0].n, len(vs)-1)]
}

// computeEdges lists, for every vertex, the vertices it has synapses onto.
func (s *state) computeEdges() {
	set := map[*vertex]map[*vertex]bool{}
	for k, pr := range s.net.Projections {
		pre, post := s.net.PopulationIndex(pr.Pre), s.net.PopulationIndex(pr.Post)
		for _, syn := range s.exp.Synapses[k] {
			a, b := s.vertexOf(pre, int(syn.Pre)), s.vertexOf(post, int(syn.Post))
			if set[a] == nil {
				set[a] = map[*vertex]bool{}
			}
			set[a][b] = true
		}
	}
	s.edges = map[*vertex][]*vertex{}
	for a, bs := range set {
		for b := range bs {
			s.edges[a] = append(s.edges[a], b)
		}
		slices.SortFunc(s.edges[a], func(x, y *vertex) int { return cmp.Compare(x.key, y.key) })
	}
}

// route builds each chip's multicast table: for every sending vertex, a
// shortest-path tree over working links from its chip to the chips of its
// targets; each chip on the tree gets an entry sending to its children's
// links and its target cores, except where default routing (out of the
// link opposite the one the packet came in on) already does that.
func route(s *state) error {
	s.computeEdges()
	s.tables = map[[2]int][]program.Route{}
	parents := map[[2]int]map[[2]int]parentLink{}
	for _, v := range s.verts {
		targets := s.edges[v]
		if len(targets) == 0 {
			continue
		}
		src := [2]int{v.x, v.y}
		par := parents[src]
		if par == nil {
			par = s.bfsTree(src)
			parents[src] = par
		}
		// dest[chip] accumulates the route word; in[chip] the arrival link.
		dest := map[[2]int]uint32{src: 0}
		in := map[[2]int]int{src: -1}
		for _, t := range targets {
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
			s.tables[c] = append(s.tables[c], program.Route{Key: v.key, Mask: v.mask, Dest: d})
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

// checkRoutes walks the tables: each vertex's packets reach exactly the
// cores of its target vertices.
func checkRoutes(s *state) error {
	p := &program.Program{Chips: s.chipsFrom(s.tables)}
	for _, v := range s.verts {
		want := []program.CoreID{}
		for _, t := range s.edges[v] {
			want = append(want, t.id())
		}
		if len(want) == 0 {
			continue
		}
		got, err := p.Reach(s.m, v.id(), v.key)
		if err != nil {
			return fmt.Errorf("vertex %s[%d]: %w", s.popName(v.pop), v.lo, err)
		}
		slices.SortFunc(want, compareCore)
		if !slices.Equal(got, want) {
			return fmt.Errorf("vertex %s[%d] (key %08x) reaches %v, want %v", s.popName(v.pop), v.lo, v.key, got, want)
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
	senders := make([]program.Route, 0, len(s.verts))
	for _, v := range s.verts {
		senders = append(senders, program.Route{Key: v.key, Mask: v.mask})
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
		for _, v := range s.verts {
			d1, ok1 := lookup(before, v.key)
			d2, ok2 := lookup(after, v.key)
			if d1 != d2 || ok1 != ok2 {
				return fmt.Errorf("chip %d,%d: key %08x of %s[%d] routes to %s (matched %v) after compression, %s (matched %v) before",
					c[0], c[1], v.key, s.popName(v.pop), v.lo, routeString(d2), ok2, routeString(d1), ok1)
			}
		}
	}
	return nil
}
