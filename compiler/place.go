package compiler

import (
	"cmp"
	"fmt"
	"slices"
)

// place puts every vertex on a core. It is deterministic and keeps
// locality: populations are visited in breadth-first order over the
// projection graph, heaviest connections first, so that populations that
// exchange many synapses sit next to each other; a population's slices
// stay together; chips are filled in order of hop distance from chip 0,0.
func place(s *state) error {
	order := s.populationOrder()
	// Working cores, chip by chip in hop order from 0,0.
	var cores [][3]int
	for _, c := range s.chipOrder() {
		for p := s.m.FirstCore; p < s.m.Cores; p++ {
			if s.m.CoreUsable(c[0], c[1], p) {
				cores = append(cores, [3]int{c[0], c[1], p})
			}
		}
	}
	if len(s.verts) > len(cores) {
		dead := ""
		if all := len(s.m.Chips()) * (s.m.Cores - s.m.FirstCore); all > len(cores) {
			dead = fmt.Sprintf(", %d of them dead", all-len(cores))
		}
		return fmt.Errorf("the network needs %d cores; %s has %d application cores (%d chips × %d%s); use a larger machine or put more neurons on a core",
			len(s.verts), s.t.Name, len(cores), len(s.m.Chips()), s.m.Cores-s.m.FirstCore, dead)
	}
	slot := 0
	put := func(v *vertex) {
		c := cores[slot]
		v.x, v.y, v.p = c[0], c[1], c[2]
		slot++
	}
	for _, pop := range order {
		for _, v := range s.popVerts[pop] {
			put(v)
		}
		// A population's delay extensions sit right after it: they
		// receive every spike it sends.
		for _, v := range s.popVerts[pop] {
			if dv := s.delayOf[v]; dv != nil {
				put(dv)
			}
		}
	}
	return nil
}

// populationOrder is a breadth-first walk of the populations, following
// the projections with the most synapses first; ties go to the lower index.
func (s *state) populationOrder() []int {
	n := len(s.net.Populations)
	weight := map[[2]int]int{}
	for k, pr := range s.net.Projections {
		a, b := s.net.PopulationIndex(pr.Pre), s.net.PopulationIndex(pr.Post)
		if a > b {
			a, b = b, a
		}
		weight[[2]int{a, b}] += len(s.exp.Synapses[k])
	}
	seen := make([]bool, n)
	var order []int
	for start := range n {
		if seen[start] {
			continue
		}
		seen[start] = true
		queue := []int{start}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			order = append(order, cur)
			type nb struct{ pop, w int }
			var nbs []nb
			for other := range n {
				a, b := min(cur, other), max(cur, other)
				if w := weight[[2]int{a, b}]; w > 0 && !seen[other] {
					nbs = append(nbs, nb{other, w})
				}
			}
			slices.SortFunc(nbs, func(x, y nb) int { return cmp.Or(cmp.Compare(y.w, x.w), cmp.Compare(x.pop, y.pop)) })
			for _, x := range nbs {
				seen[x.pop] = true
				queue = append(queue, x.pop)
			}
		}
	}
	return order
}

// chipOrder lists the machine's chips by hop distance from 0,0 (then x,
// then y), so consecutive vertices land on nearby chips.
func (s *state) chipOrder() [][2]int {
	chips := s.m.Chips()
	dist := s.hopsFrom(0, 0)
	slices.SortStableFunc(chips, func(a, b [2]int) int {
		return cmp.Or(cmp.Compare(dist[a], dist[b]), cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	return chips
}

// hopsFrom is the breadth-first hop distance from a chip over working links.
func (s *state) hopsFrom(x, y int) map[[2]int]int {
	dist := map[[2]int]int{{x, y}: 0}
	queue := [][2]int{{x, y}}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		for l := range s.t.Router.LinkBits {
			nx, ny, ok := s.m.Neighbour(c[0], c[1], l)
			if !ok {
				continue
			}
			if _, done := dist[[2]int{nx, ny}]; !done {
				dist[[2]int{nx, ny}] = dist[c] + 1
				queue = append(queue, [2]int{nx, ny})
			}
		}
	}
	return dist
}

// checkPlace: every vertex is on an existing application core, and no core
// holds two vertices.
func checkPlace(s *state) error {
	used := map[[3]int]*vertex{}
	for _, v := range s.verts {
		if !s.m.CoreUsable(v.x, v.y, v.p) {
			return fmt.Errorf("vertex %s[%d] placed on %d,%d,%d, not a working application core", s.popName(v.pop), v.lo, v.x, v.y, v.p)
		}
		k := [3]int{v.x, v.y, v.p}
		if other := used[k]; other != nil {
			return fmt.Errorf("core %d,%d,%d holds %s[%d] and %s[%d]", v.x, v.y, v.p, s.popName(other.pop), other.lo, s.popName(v.pop), v.lo)
		}
		used[k] = v
	}
	return nil
}
