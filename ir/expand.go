package ir

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
)

// Synapse is one concrete connection. For models whose receptor gives the
// sign (PyNN models) Weight is a magnitude ≥ 0; for NIR models it is signed
// (an inhibitory receptor has already negated it). Delay is in seconds.
type Synapse struct {
	Pre, Post int32
	Weight    float64
	Delay     float64
}

// DelaySteps converts the delay to whole timesteps (at least one).
func (s Synapse) DelaySteps(dt float64) int {
	return max(1, int(math.Round(s.Delay/dt)))
}

// ExpandedPopulation is a population with every per-neuron value resolved.
type ExpandedPopulation struct {
	*Population
	// Params has one value per neuron for every model parameter.
	Params map[string][]float64
	// Initial has one value per neuron for every state variable.
	Initial map[string][]float64
	// SpikeSteps lists, for spike sources, each neuron's spike steps in
	// increasing order (Poisson trains are drawn here, once, so that every
	// engine sees the same input).
	SpikeSteps [][]int32
}

// Expanded is a network with connectivity, distributions and spike sources
// turned into concrete numbers.
type Expanded struct {
	Net         *Network
	Populations []*ExpandedPopulation
	// Synapses[i] belongs to Net.Projections[i], sorted by (pre, post).
	Synapses [][]Synapse
}

// NumSynapses counts all synapses.
func (e *Expanded) NumSynapses() int {
	total := 0
	for _, s := range e.Synapses {
		total += len(s)
	}
	return total
}

// Expand resolves the network deterministically from its seed: the same
// network and seed give the same synapses and spike trains on every machine,
// at any GOMAXPROCS. Every random draw comes from its own stream, keyed by
// the seed and the element's name, so adding a projection does not change
// the synapses of another.
func Expand(n *Network) (*Expanded, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	e := &Expanded{Net: n}
	for _, p := range n.Populations {
		e.Populations = append(e.Populations, expandPopulation(n, p))
	}
	for _, pr := range n.Projections {
		syns, err := expandProjection(n, pr)
		if err != nil {
			return nil, err
		}
		e.Synapses = append(e.Synapses, syns)
	}
	return e, nil
}

// stream returns the random stream for one named use of the seed.
func stream(seed uint64, parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

func expandPopulation(n *Network, p *Population) *ExpandedPopulation {
	ep := &ExpandedPopulation{Population: p, Params: map[string][]float64{}, Initial: map[string][]float64{}}
	spec := p.Spec()
	for _, ps := range spec.Params {
		ep.Params[ps.Name] = p.Param(ps.Name).Resolve(p.Size, stream(n.Run.Seed, "param", p.Name, ps.Name))
	}
	for _, st := range spec.State {
		ep.Initial[st.Name] = p.InitialValue(st.Name).Resolve(p.Size, stream(n.Run.Seed, "initial", p.Name, st.Name))
	}
	steps := n.Run.Steps()
	dt := n.Run.Timestep
	switch p.Model {
	case SpikeSourceArray:
		ep.SpikeSteps = make([][]int32, p.Size)
		for i := range ep.SpikeSteps {
			row := p.SpikeTimes[0]
			if len(p.SpikeTimes) > 1 {
				row = p.SpikeTimes[i]
			}
			var out []int32
			for _, t := range row {
				s := int32(math.Round(t / dt))
				// A neuron spikes at most once per step: spikes closer than
				// a timestep merge.
				if int(s) < steps && (len(out) == 0 || out[len(out)-1] != s) {
					out = append(out, s)
				}
			}
			ep.SpikeSteps[i] = out
		}
	case SpikeSourcePoisson:
		ep.SpikeSteps = make([][]int32, p.Size)
		for i := range ep.SpikeSteps {
			rng := stream(n.Run.Seed, "poisson", p.Name, fmt.Sprint(i))
			rate, start, dur := ep.Params["rate"][i], ep.Params["start"][i], ep.Params["duration"][i]
			first := int(math.Round(start / dt))
			last := steps
			if !math.IsInf(dur, 1) {
				last = min(steps, int(math.Round((start+dur)/dt)))
			}
			ep.SpikeSteps[i] = bernoulliSteps(rng, rate*dt, first, last)
		}
	}
	return ep
}

// bernoulliSteps returns the steps in [first, last) at which a per-step
// Bernoulli(p) trial succeeds, drawing geometric gaps so the cost grows
// with the number of spikes, not of steps.
func bernoulliSteps(rng *rand.Rand, p float64, first, last int) []int32 {
	var out []int32
	if p <= 0 || first >= last {
		return out
	}
	if p >= 1 {
		for s := first; s < last; s++ {
			out = append(out, int32(s))
		}
		return out
	}
	logq := math.Log1p(-p)
	s := first - 1
	for {
		u := 1 - rng.Float64() // (0, 1]
		s += 1 + int(math.Floor(math.Log(u)/logq))
		if s >= last || s < first {
			return out
		}
		out = append(out, int32(s))
	}
}

func expandProjection(n *Network, pr *Projection) ([]Synapse, error) {
	pre, post := n.Population(pr.Pre), n.Population(pr.Post)
	seed := n.Run.Seed
	conn := stream(seed, "connector", pr.Name)
	c := pr.Connector
	same := pre == post
	var pairs [][2]int32
	var convWeights []float64 // conv: the kernel weight of each pair
	switch c.Kind {
	case AllToAll:
		pairs = make([][2]int32, 0, pre.Size*post.Size)
		for i := range pre.Size {
			for j := range post.Size {
				if same && i == j && !c.AllowSelf {
					continue
				}
				pairs = append(pairs, [2]int32{int32(i), int32(j)})
			}
		}
	case OneToOne:
		for i := range pre.Size {
			pairs = append(pairs, [2]int32{int32(i), int32(i)})
		}
	case FixedProb:
		// Geometric skipping over the pre×post index space: one draw per
		// synapse instead of one per candidate pair.
		total := int64(pre.Size) * int64(post.Size)
		if c.P > 0 {
			pairs = make([][2]int32, 0, int(float64(total)*c.P*1.05)+16)
		}
		for k := range geometricIndices(conn, c.P, total) {
			i, j := int32(k/int64(post.Size)), int32(k%int64(post.Size))
			if same && i == j && !c.AllowSelf {
				continue
			}
			pairs = append(pairs, [2]int32{i, j})
		}
	case FixedNumberPre:
		for j := range post.Size {
			for _, i := range choose(conn, pre.Size, c.N, exclude(same && !c.AllowSelf, j), c.WithReplacement) {
				pairs = append(pairs, [2]int32{int32(i), int32(j)})
			}
		}
	case FixedNumberPost:
		for i := range pre.Size {
			for _, j := range choose(conn, post.Size, c.N, exclude(same && !c.AllowSelf, i), c.WithReplacement) {
				pairs = append(pairs, [2]int32{int32(i), int32(j)})
			}
		}
	case FromList:
		for _, s := range c.List {
			pairs = append(pairs, [2]int32{int32(s.Pre), int32(s.Post)})
		}
	case Dense:
		m := c.Matrix
		for i := range pre.Size {
			for j := range post.Size {
				if m.At(j, i) != 0 {
					pairs = append(pairs, [2]int32{int32(i), int32(j)})
				}
			}
		}
	case ConvKind:
		var kw []float64
		for i := range pre.Size {
			c.Conv.Targets(i, func(j int, w float64) {
				pairs = append(pairs, [2]int32{int32(i), int32(j)})
				kw = append(kw, w)
			})
		}
		convWeights = kw
	default:
		return nil, fmt.Errorf("projection %s: unknown connector %q", pr.Name, c.Kind)
	}
	syns := make([]Synapse, len(pairs))
	weights := pr.Weight.Resolve(len(pairs), stream(seed, "weight", pr.Name))
	delays := pr.Delay.Resolve(len(pairs), stream(seed, "delay", pr.Name))
	for k, pq := range pairs {
		syns[k] = Synapse{Pre: pq[0], Post: pq[1], Weight: weights[k], Delay: delays[k]}
		switch c.Kind {
		case FromList:
			if w := c.List[k].Weight; !math.IsNaN(w) {
				syns[k].Weight = w
			}
			if d := c.List[k].Delay; !math.IsNaN(d) {
				syns[k].Delay = d
			}
		case Dense:
			syns[k].Weight = c.Matrix.At(int(pq[1]), int(pq[0]))
		case ConvKind:
			// The projection's weight scales the kernel (1 when not given).
			scale := 1.0
			if pr.Weight.IsScalar() && pr.Weight.Scalar != 0 {
				scale = pr.Weight.Scalar
			}
			syns[k].Weight = convWeights[k] * scale
		}
	}
	signed := post.Spec().SignedWeights
	for k := range syns {
		w := syns[k].Weight
		switch {
		case !signed:
			syns[k].Weight = math.Abs(w)
		case pr.Receptor == Inhibitory:
			syns[k].Weight = -w
		}
	}
	slices.SortStableFunc(syns, func(a, b Synapse) int {
		return cmp.Or(cmp.Compare(a.Pre, b.Pre), cmp.Compare(a.Post, b.Post))
	})
	return syns, nil
}

// geometricIndices yields the indices in [0, total) at which independent
// Bernoulli(p) trials succeed, in increasing order, drawing the gaps
// between successes from the geometric distribution.
func geometricIndices(rng *rand.Rand, p float64, total int64) func(func(int64) bool) {
	return func(yield func(int64) bool) {
		if p <= 0 {
			return
		}
		if p >= 1 {
			for k := range total {
				if !yield(k) {
					return
				}
			}
			return
		}
		logq := math.Log1p(-p)
		k := int64(-1)
		for {
			gap := math.Floor(math.Log(1-rng.Float64()) / logq)
			if gap >= float64(total-k) {
				return
			}
			k += 1 + int64(gap)
			if k >= total || !yield(k) {
				return
			}
		}
	}
}

func exclude(on bool, i int) int {
	if on {
		return i
	}
	return -1
}

// choose picks k of n indices (skipping index skip if ≥ 0), sorted, without
// replacement unless repl is set. Partial Fisher–Yates keeps it O(k) in
// draws; the scratch array is O(n), which is fine for population sizes.
func choose(rng *rand.Rand, n, k, skip int, repl bool) []int {
	avail := n
	if skip >= 0 {
		avail--
	}
	out := make([]int, 0, k)
	mapIdx := func(x int) int {
		if skip >= 0 && x >= skip {
			return x + 1
		}
		return x
	}
	if repl {
		for range k {
			out = append(out, mapIdx(rng.IntN(avail)))
		}
		slices.Sort(out)
		return out
	}
	perm := make([]int, avail)
	for i := range perm {
		perm[i] = i
	}
	for i := range min(k, avail) {
		j := i + rng.IntN(avail-i)
		perm[i], perm[j] = perm[j], perm[i]
		out = append(out, mapIdx(perm[i]))
	}
	slices.Sort(out)
	return out
}
