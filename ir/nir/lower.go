package nir

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/somahw/soma/ir"
)

// Discretisation says how NIR's continuous-time input (a spike held for
// one step, the zero-order hold NIR's reference simulations use) becomes
// the IR's instantaneous synaptic input.
type Discretisation string

const (
	// Exact integrates a one-step pulse exactly (NIR's "exact" reference).
	Exact Discretisation = "exact"
	// Euler matches exporters that step the ODE with forward Euler.
	Euler Discretisation = "euler"
)

// Options control lowering.
type Options struct {
	Dt             float64 // seconds; required (NIR stores none)
	Steps          int     // run length
	Discretisation Discretisation
	// Lenient accepts known real-world quirks and records the assumption.
	Lenient bool
	Seed    uint64
	Name    string
}

// Result is the lowered network and what lowering assumed.
type Result struct {
	Net *ir.Network
	// Input is the population the graph's Input node became (driven by a
	// spike file); Outputs the populations whose spikes the Output nodes
	// read.
	Input       string
	Outputs     []string
	Assumptions []string
}

// stateful maps NIR neuron node types to IR models.
var stateful = map[string]ir.Model{"LIF": ir.LIF, "CubaLIF": ir.CubaLIF, "IF": ir.IF, "LI": ir.LI, "CubaLI": ir.CubaLI, "I": ir.I, "Threshold": ir.Threshold}

// sizeParam names a neuron node's parameter whose length is its size.
var sizeParam = map[string]string{"LIF": "tau", "CubaLIF": "tau_mem", "IF": "r", "LI": "tau", "CubaLI": "tau_mem", "I": "r", "Threshold": "threshold"}

// stateless are the node types lowering composes into synapses.
var stateless = map[string]bool{"Affine": true, "Linear": true, "Scale": true, "Flatten": true, "Identity": true,
	"Delay": true, "Conv1d": true, "Conv2d": true, "SumPool2d": true, "AvgPool2d": true}

// entry is one contribution of a source neuron to a node's output.
type entry struct {
	idx   int32
	w     float64
	delay int32 // extra steps from Delay nodes
}

type lowering struct {
	g      *Graph
	opts   Options
	shapes map[string][]int
	succ   map[string][]string
	pred   map[string][]string
	res    *Result
	bias   map[string][]float64
}

// Lower turns a NIR graph into an ir.Network.
func Lower(g *Graph, opts Options) (*Result, error) {
	if !(opts.Dt > 0) {
		return nil, fmt.Errorf("nir: a timestep is needed (NIR graphs are continuous-time): give --dt, e.g. --dt 1e-4")
	}
	if opts.Discretisation == "" {
		opts.Discretisation = Exact
	}
	if opts.Steps <= 0 {
		opts.Steps = 1000
	}
	fg, err := g.Flatten()
	if err != nil {
		return nil, err
	}
	l := &lowering{g: fg, opts: opts, shapes: map[string][]int{}, succ: map[string][]string{}, pred: map[string][]string{},
		res: &Result{}, bias: map[string][]float64{}}
	for _, e := range fg.Edges {
		l.succ[e[0]] = append(l.succ[e[0]], e[1])
		l.pred[e[1]] = append(l.pred[e[1]], e[0])
	}
	for _, name := range fg.Names() {
		if n := fg.Nodes[name]; stateful[n.Type] == "" && !stateless[n.Type] && n.Type != "Input" && n.Type != "Output" {
			return nil, fmt.Errorf("nir: node %s has type %q, which soma cannot lower yet (supported: Input, Output, %s)",
				name, n.Type, strings.Join(supported(), ", "))
		}
	}
	if err := l.inferShapes(); err != nil {
		return nil, err
	}
	net := &ir.Network{Name: opts.Name, Run: ir.Run{Timestep: opts.Dt, Duration: float64(opts.Steps) * opts.Dt, Seed: opts.Seed}}
	l.res.Net = net
	if err := l.populations(); err != nil {
		return nil, err
	}
	if err := l.projections(); err != nil {
		return nil, err
	}
	if err := l.outputs(); err != nil {
		return nil, err
	}
	if err := net.Validate(); err != nil {
		return nil, fmt.Errorf("nir: the lowered network does not validate: %w", err)
	}
	return l.res, nil
}

func supported() []string {
	var out []string
	for k := range stateful {
		out = append(out, k)
	}
	for k := range stateless {
		if k != "Identity" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func prod(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// assume handles a known real-world quirk: an error saying what is wrong
// and what --lenient would assume, or, under --lenient, the assumption
// recorded for the user to see.
func (l *lowering) assume(problem, assumption string) error {
	if !l.opts.Lenient {
		return fmt.Errorf("nir: %s (run with --lenient to assume: %s)", problem, assumption)
	}
	l.res.Assumptions = append(l.res.Assumptions, problem+": "+assumption)
	return nil
}

// inferShapes gives every node its output shape, from its parameters or,
// for shape-preserving nodes, from its source.
func (l *lowering) inferShapes() error {
	g := l.g
	var visit func(name string, depth int) ([]int, error)
	visit = func(name string, depth int) ([]int, error) {
		if s, ok := l.shapes[name]; ok {
			return s, nil
		}
		if depth > len(g.Nodes) {
			return nil, fmt.Errorf("nir: a cycle of stateless nodes passes through %s; a recurrent loop needs a neuron node", name)
		}
		n := g.Nodes[name]
		var shape []int
		from := func() ([]int, error) {
			preds := l.pred[name]
			if len(preds) == 0 {
				return nil, fmt.Errorf("nir: node %s (%s) has no input edge", name, n.Type)
			}
			return visit(preds[0], depth+1)
		}
		switch {
		case n.Type == "Input" || n.Type == "Output":
			t, err := n.Param("shape")
			if err != nil {
				return nil, err
			}
			for _, x := range t.Data {
				shape = append(shape, int(x))
			}
		case stateful[n.Type] != "":
			key := sizeParam[n.Type]
			t, err := n.Param(key)
			if err != nil {
				return nil, err
			}
			shape = t.Shape
			if len(shape) == 0 {
				shape = []int{1}
			}
		case n.Type == "Affine" || n.Type == "Linear":
			w, err := n.Param("weight")
			if err != nil {
				return nil, err
			}
			if len(w.Shape) != 2 {
				return nil, fmt.Errorf("nir: node %s: weight has shape %v, want [out, in]", name, w.Shape)
			}
			shape = []int{w.Shape[0]}
		case n.Type == "Scale":
			t, err := n.Param("scale")
			if err != nil {
				return nil, err
			}
			shape = []int{t.Len()}
		case n.Type == "Delay":
			t, err := n.Param("delay")
			if err != nil {
				return nil, err
			}
			shape = []int{t.Len()}
		default:
			in, err := from()
			if err != nil {
				return nil, err
			}
			switch n.Type {
			case "Flatten":
				shape = []int{prod(in)}
			case "Identity":
				shape = in
			default:
				var err error
				shape, err = convShape(n, in)
				if err != nil {
					return nil, err
				}
			}
		}
		l.shapes[name] = shape
		return shape, nil
	}
	for _, name := range g.Names() {
		if _, err := visit(name, 0); err != nil {
			return err
		}
	}
	return nil
}

// popName turns a node path into a population name.
func popName(path string) string { return path }

func (l *lowering) populations() error {
	net := l.res.Net
	for _, name := range l.g.Names() {
		n := l.g.Nodes[name]
		size := prod(l.shapes[name])
		switch {
		case n.Type == "Input":
			if l.res.Input != "" {
				return fmt.Errorf("nir: the graph has two Input nodes (%s and %s); soma drives one", l.res.Input, name)
			}
			l.res.Input = popName(name)
			net.Populations = append(net.Populations, &ir.Population{Name: popName(name), Size: size,
				Model: ir.SpikeSourceArray, SpikeTimes: [][]float64{{}}})
		case stateful[n.Type] != "":
			p, err := l.neuronPopulation(n, size)
			if err != nil {
				return err
			}
			net.Populations = append(net.Populations, p)
		}
	}
	if l.res.Input == "" {
		return fmt.Errorf("nir: the graph has no Input node")
	}
	return nil
}

// neuronPopulation maps a NIR neuron node's parameters onto an IR model.
func (l *lowering) neuronPopulation(n *Node, size int) (*ir.Population, error) {
	model := stateful[n.Type]
	p := &ir.Population{Name: popName(n.Path), Size: size, Model: model, Params: map[string]ir.Value{}, Initial: map[string]ir.Value{}}
	rename := map[string]string{}
	spec := ir.Models[model]
	for _, ps := range spec.Params {
		rename[ps.Name] = ps.Name
	}
	if n.Type == "Threshold" {
		rename["threshold"] = "v_threshold"
	}
	for name, t := range n.Params {
		if _, ok := rename[name]; !ok {
			continue
		}
		if to := rename[name]; to != name {
			v, err := perNeuron(n, name, t, size)
			if err != nil {
				return nil, err
			}
			p.Params[to] = v
			continue
		}
		v, err := perNeuron(n, name, t, size)
		if err != nil {
			return nil, err
		}
		p.Params[name] = v
	}
	for _, ps := range spec.Params {
		if ps.Required {
			if _, ok := p.Params[ps.Name]; !ok {
				return nil, fmt.Errorf("nir: node %s (%s) has no %s", n.Path, n.Type, ps.Name)
			}
		}
	}
	if _, ok := n.Params["v_reset"]; !ok && spec.Spiking {
		l.res.Assumptions = append(l.res.Assumptions, fmt.Sprintf("node %s has no v_reset: using 0, as older NIR files mean", n.Path))
	}
	return p, nil
}

func perNeuron(n *Node, name string, t Tensor, size int) (ir.Value, error) {
	switch {
	case t.Len() == 1:
		return ir.Scalar(t.Data[0]), nil
	case t.Len() == size:
		allSame := true
		for _, x := range t.Data {
			allSame = allSame && x == t.Data[0]
		}
		if allSame {
			return ir.Scalar(t.Data[0]), nil
		}
		return ir.Array(slices.Clone(t.Data)), nil
	}
	return ir.Value{}, fmt.Errorf("nir: node %s: %s has %d values for %d neurons", n.Path, name, t.Len(), size)
}

// projections composes, for every source (Input or neuron node), the
// stateless nodes its edges pass through into synapses onto each neuron
// node it reaches, and biases into the targets' constant input.
func (l *lowering) projections() error {
	net := l.res.Net
	type key struct{ src, dst string }
	synapses := map[key]map[[3]int64]float64{} // (pre, post, delay) → weight
	var order []key
	structured, err := l.structuredConvs()
	if err != nil {
		return err
	}
	for _, src := range l.g.Names() {
		n := l.g.Nodes[src]
		if n.Type != "Input" && stateful[n.Type] == "" {
			continue
		}
		size := prod(l.shapes[src])
		for i := range size {
			vec := []entry{{idx: int32(i), w: 1}}
			var walk func(node string, vec []entry, depth int) error
			walk = func(node string, vec []entry, depth int) error {
				for _, next := range l.succ[node] {
					if depth == 0 && structured[[2]string{node, next}] {
						continue // lowered as a conv connector
					}
					nn := l.g.Nodes[next]
					switch {
					case stateful[nn.Type] != "":
						k := key{src, next}
						if synapses[k] == nil {
							synapses[k] = map[[3]int64]float64{}
							order = append(order, k)
						}
						for _, e := range vec {
							synapses[k][[3]int64{int64(i), int64(e.idx), int64(e.delay)}] += e.w
						}
					case nn.Type == "Output":
					default:
						if depth > len(l.g.Nodes) {
							return fmt.Errorf("nir: a cycle of stateless nodes passes through %s", next)
						}
						out, err := l.apply(nn, vec)
						if err != nil {
							return err
						}
						if err := walk(next, out, depth+1); err != nil {
							return err
						}
					}
				}
				return nil
			}
			if err := walk(src, vec, 0); err != nil {
				return err
			}
		}
	}
	for _, k := range order {

		dstNode := l.g.Nodes[k.dst]
		list := make([]ir.ListSynapse, 0, len(synapses[k]))
		keys := make([][3]int64, 0, len(synapses[k]))
		for sk := range synapses[k] {
			keys = append(keys, sk)
		}
		slices.SortFunc(keys, func(a, b [3]int64) int {
			return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]), cmp.Compare(a[2], b[2]))
		})
		for _, sk := range keys {
			w := synapses[k][sk]
			if w == 0 {
				continue
			}
			q, err := l.charge(dstNode, int(sk[1]), w)
			if err != nil {
				return err
			}
			list = append(list, ir.ListSynapse{Pre: int(sk[0]), Post: int(sk[1]), Weight: q, Delay: float64(1+sk[2]) * l.opts.Dt})
		}
		if len(list) == 0 {
			continue
		}
		net.Projections = append(net.Projections, &ir.Projection{
			Name: k.src + "→" + k.dst, Pre: popName(k.src), Post: popName(k.dst), Receptor: ir.Excitatory,
			Connector: ir.Connector{Kind: ir.FromList, List: list}, Delay: ir.Scalar(l.opts.Dt),
		})
	}
	// Biases of stateless nodes are constant inputs of the neurons they reach.
	for _, name := range l.g.Names() {
		n := l.g.Nodes[name]
		if stateful[n.Type] == "" {
			continue
		}
		total := make([]float64, prod(l.shapes[name]))
		any := false
		for _, p := range l.pred[name] {
			b, err := l.biasOf(p, 0)
			if err != nil {
				return err
			}
			for j := range min(len(b), len(total)) {
				total[j] += b[j]
				any = any || b[j] != 0
			}
		}
		if any {
			pop := net.Population(popName(name))
			if cur, ok := pop.Params["i_offset"]; ok {
				for j := range total {
					total[j] += cur.Resolve(len(total), nil)[j]
				}
			}
			pop.Params["i_offset"] = ir.Array(total)
		}
	}
	return nil
}

// charge converts NIR input w (a pulse held for one step) onto neuron j of
// a node into the IR's instantaneous input with the same effect at the end
// of the step (docs/nir.md).
func (l *lowering) charge(n *Node, j int, w float64) (float64, error) {
	dt := l.opts.Dt
	param := func(name string) float64 {
		t := n.Params[name]
		if t.Len() == 1 {
			return t.Data[0]
		}
		return t.Data[j]
	}
	var tau float64
	switch n.Type {
	case "LIF", "LI":
		tau = param("tau")
	case "CubaLIF", "CubaLI":
		tau = param("tau_syn")
	case "IF", "I":
		return w * dt, nil
	case "Threshold":
		return w, nil // compares this step's value: no integration
	}
	a := math.Exp(-dt / tau)
	if l.opts.Discretisation == Euler {
		return w * dt / a, nil
	}
	// A pulse of height w for one step moves the state by w·(1 − a)·(its
	// gain) by the step's end; an instantaneous charge q at the step's
	// start moves it by q/τ·a·(gain): equal when q = w·τ·(1 − a)/a.
	return w * tau * (1 - a) / a, nil
}

// biasOf is the constant output of a stateless node due to biases on the
// way from neuron nodes (which contribute none).
func (l *lowering) biasOf(name string, depth int) ([]float64, error) {
	if b, ok := l.bias[name]; ok {
		return b, nil
	}
	n := l.g.Nodes[name]
	out := make([]float64, prod(l.shapes[name]))
	if !stateless[n.Type] || depth > len(l.g.Nodes) {
		return out, nil
	}
	for _, p := range l.pred[name] {
		b, err := l.biasOf(p, depth+1)
		if err != nil {
			return nil, err
		}
		var vec []entry
		for i, x := range b {
			if x != 0 {
				vec = append(vec, entry{idx: int32(i), w: x})
			}
		}
		res, err := l.apply(n, vec)
		if err != nil {
			return nil, err
		}
		for _, e := range res {
			out[e.idx] += e.w
		}
	}
	if bt, ok := n.Params["bias"]; ok && (n.Type == "Affine" || strings.HasPrefix(n.Type, "Conv")) {
		per := len(out) / max(1, bt.Len())
		for i := range out {
			if n.Type == "Affine" {
				out[i] += bt.Data[i%bt.Len()]
			} else {
				out[i] += bt.Data[i/per] // one bias per output channel
			}
		}
	}
	l.bias[name] = out
	return out, nil
}

// outputs records the spikes of the neuron nodes the Output nodes read.
func (l *lowering) outputs() error {
	net := l.res.Net
	for _, name := range l.g.Names() {
		n := l.g.Nodes[name]
		if n.Type != "Output" {
			continue
		}
		for _, p := range l.pred[name] {
			src := p
			for l.g.Nodes[src].Type == "Identity" && len(l.pred[src]) == 1 {
				src = l.pred[src][0]
			}
			sn := l.g.Nodes[src]
			if stateful[sn.Type] == "" && sn.Type != "Input" {
				return fmt.Errorf("nir: Output %s reads %s (%s); soma records spikes of neuron nodes", name, src, sn.Type)
			}
			if a, b := prod(l.shapes[name]), prod(l.shapes[src]); a != b {
				return fmt.Errorf("nir: Output %s has shape %v but its source %s has %v", name, l.shapes[name], src, l.shapes[src])
			} else if !slices.Equal(l.shapes[name], l.shapes[src]) {
				if err := l.assume(fmt.Sprintf("Output %s has shape %v but its source %s has %v", name, l.shapes[name], src, l.shapes[src]),
					"the sizes agree, so the output is read as flat"); err != nil {
					return err
				}
			}
			variable := "spikes"
			if !ir.Models[stateful[sn.Type]].Spiking && sn.Type != "Input" {
				variable = "v"
			}
			net.Probes = append(net.Probes, &ir.Probe{Population: popName(src), Variable: variable, Every: 1})
			l.res.Outputs = append(l.res.Outputs, popName(src))
		}
	}
	if len(l.res.Outputs) == 0 {
		return fmt.Errorf("nir: the graph has no Output node reading a neuron node")
	}
	return nil
}

// structuredConvs finds convolutions and poolings that connect exactly one
// source to exactly one neuron node with nothing else in between or beside
// them, and lowers each to a conv connector (the kernel, not its millions of
// synapses). The target's input scaling must be the same for every neuron
// for the kernel to carry it; otherwise the chain is expanded as usual. It
// returns the (source, conv node) edges it handled.
func (l *lowering) structuredConvs() (map[[2]string]bool, error) {
	done := map[[2]string]bool{}
	for _, src := range l.g.Names() {
		n := l.g.Nodes[src]
		if n.Type != "Input" && stateful[n.Type] == "" {
			continue
		}
		for _, c := range l.succ[src] {
			cn := l.g.Nodes[c]
			if !strings.HasPrefix(cn.Type, "Conv") && !strings.HasSuffix(cn.Type, "Pool2d") {
				continue
			}
			if len(l.pred[c]) != 1 || len(l.succ[c]) != 1 {
				continue
			}
			dst := l.succ[c][0]
			dn := l.g.Nodes[dst]
			if stateful[dn.Type] == "" || len(l.pred[dst]) != 1 {
				continue
			}
			size := prod(l.shapes[dst])
			q0, err := l.charge(dn, 0, 1)
			if err != nil {
				return nil, err
			}
			uniform := true
			for j := 1; j < size && uniform; j++ {
				q, _ := l.charge(dn, j, 1)
				uniform = q == q0
			}
			if !uniform {
				continue
			}
			conv, err := convOf(cn, l.shapes[src])
			if err != nil {
				return nil, err
			}
			l.res.Net.Projections = append(l.res.Net.Projections, &ir.Projection{
				Name: src + "→" + dst, Pre: popName(src), Post: popName(dst), Receptor: ir.Excitatory,
				Connector: ir.Connector{Kind: ir.ConvKind, Conv: conv},
				Weight:    ir.Scalar(q0), Delay: ir.Scalar(l.opts.Dt),
			})
			done[[2]string{src, c}] = true
		}
	}
	return done, nil
}
