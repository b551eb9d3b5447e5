package ir

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Marshal writes the network as a model file that Parse reads back to the
// same network: every number round-trips exactly, with units chosen for
// people ("20ms", "-65mV") wherever that is exact. Output is deterministic:
// populations, projections and probes in network order, parameters in the
// model table's order. This is how imported networks (NIR) become editable
// model files.
func Marshal(n *Network) ([]byte, error) {
	e := encoder{net: n}
	root := mapping(false)
	if n.Name != "" {
		add(root, "name", scalar(n.Name))
	}
	run := mapping(false)
	add(run, "timestep", scalar(formatExact(n.Run.Timestep, Time)))
	add(run, "duration", scalar(formatExact(n.Run.Duration, Time)))
	add(run, "seed", scalar(strconv.FormatUint(n.Run.Seed, 10)))
	add(root, "run", run)
	pops := mapping(false)
	for _, p := range n.Populations {
		node, err := e.population(p)
		if err != nil {
			return nil, err
		}
		add(pops, p.Name, node)
	}
	add(root, "populations", pops)
	if len(n.Projections) > 0 {
		projs := mapping(false)
		for _, pr := range n.Projections {
			node, err := e.projection(pr)
			if err != nil {
				return nil, err
			}
			add(projs, pr.Name, node)
		}
		add(root, "projections", projs)
	}
	if len(n.Probes) > 0 {
		probes := &yaml.Node{Kind: yaml.SequenceNode}
		for _, pb := range n.Probes {
			probes.Content = append(probes.Content, e.probe(pb))
		}
		add(root, "probes", probes)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type encoder struct{ net *Network }

func mapping(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func sequence(flow bool, items ...*yaml.Node) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Content: items}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func scalar(s string) *yaml.Node {
	if plainIfSafe(s) {
		return &yaml.Node{Kind: yaml.ScalarNode, Value: s}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle}
}

// plainIfSafe keeps values like 20ms unquoted; the decoder reads Value as
// text either way, so quoting only matters to human readers.
func plainIfSafe(s string) bool {
	var probe yaml.Node
	return yaml.Unmarshal([]byte(s), &probe) == nil && len(probe.Content) == 1 &&
		probe.Content[0].Kind == yaml.ScalarNode && probe.Content[0].Value == s &&
		probe.Content[0].Tag != "!!null" && probe.Content[0].Tag != "!!bool"
}

func add(m *yaml.Node, key string, value *yaml.Node) {
	m.Content = append(m.Content, scalar(key), value)
}

func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// valueNode writes a Value of the given dimension.
func valueNode(v Value, dim Dimension) *yaml.Node {
	switch {
	case v.Dist != nil:
		d := v.Dist
		m := mapping(true)
		switch d.Kind {
		case Uniform:
			add(m, "uniform", sequence(true, scalar(formatExact(d.A, dim)), scalar(formatExact(d.B, dim))))
		case Normal:
			add(m, "normal", sequence(true, scalar(formatExact(d.A, dim)), scalar(formatExact(d.B, dim))))
			if !math.IsInf(d.Low, -1) || !math.IsInf(d.High, 1) {
				add(m, "clip", sequence(true, scalar(formatExact(d.Low, dim)), scalar(formatExact(d.High, dim))))
			}
		}
		return m
	case v.Array != nil:
		unit, vals := unitArray(v.Array, dim)
		m := mapping(true)
		if dim != Dimensionless {
			add(m, "unit", scalar(unit))
		}
		items := make([]*yaml.Node, len(vals))
		for i, s := range vals {
			items[i] = scalar(s)
		}
		add(m, "values", sequence(true, items...))
		return m
	}
	return scalar(formatExact(v.Scalar, dim))
}

// unitArray picks one unit for a whole array such that every entry
// round-trips exactly, preferring the unit that suits the largest entry.
func unitArray(xs []float64, dim Dimension) (string, []string) {
	if dim == Dimensionless {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = num(x)
		}
		return "", out
	}
	big := 0.0
	for _, x := range xs {
		big = math.Max(big, math.Abs(x))
	}
	var order []namedScale
	for _, u := range preferredUnits[dim] {
		if big >= u.scale*0.999999 {
			order = append(order, u)
		}
	}
	order = append(order, preferredUnits[dim]...)
	for _, u := range order {
		out := make([]string, len(xs))
		ok := true
		for i, x := range xs {
			s := num(x / u.scale)
			if back, err := strconv.ParseFloat(s, 64); err != nil || back*u.scale != x {
				ok = false
				break
			}
			out[i] = s
		}
		if ok {
			return u.name, out
		}
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = num(x)
	}
	return dim.SIUnit(), out
}

func (e *encoder) population(p *Population) (*yaml.Node, error) {
	m := mapping(false)
	add(m, "size", scalar(strconv.Itoa(p.Size)))
	add(m, "model", scalar(string(p.Model)))
	spec := p.Spec()
	if spec == nil {
		return nil, fmt.Errorf("population %s: unknown model %q", p.Name, p.Model)
	}
	if len(p.Params) > 0 {
		params := mapping(false)
		for _, ps := range spec.Params {
			if v, ok := p.Params[ps.Name]; ok {
				add(params, ps.Name, valueNode(v, ps.Dim))
			}
		}
		add(m, "params", params)
	}
	if len(p.Initial) > 0 {
		init := mapping(false)
		for _, st := range spec.State {
			if v, ok := p.Initial[st.Name]; ok {
				add(init, st.Name, valueNode(v, st.Dim))
			}
		}
		add(m, "initial", init)
	}
	if p.SpikeTimes != nil {
		var all []float64
		for _, row := range p.SpikeTimes {
			all = append(all, row...)
		}
		unit, flat := unitArray(all, Time)
		rows := sequence(true)
		k := 0
		for _, row := range p.SpikeTimes {
			r := sequence(true)
			for range row {
				r.Content = append(r.Content, scalar(flat[k]))
				k++
			}
			rows.Content = append(rows.Content, r)
		}
		st := mapping(true)
		add(st, "unit", scalar(unit))
		add(st, "values", rows)
		add(m, "spike_times", st)
	}
	return m, nil
}

func (e *encoder) projection(pr *Projection) (*yaml.Node, error) {
	post := e.net.Population(pr.Post)
	if post == nil || post.Spec() == nil {
		return nil, fmt.Errorf("projection %s: post population %q is unknown", pr.Name, pr.Post)
	}
	wdim := post.Spec().WeightDim
	m := mapping(false)
	add(m, "pre", scalar(pr.Pre))
	add(m, "post", scalar(pr.Post))
	conn, err := connectorNode(pr, wdim)
	if err != nil {
		return nil, err
	}
	add(m, "connector", conn)
	add(m, "receptor", scalar(string(pr.Receptor)))
	if pr.Connector.Kind != Dense && !(pr.Connector.Kind == ConvKind && pr.Weight.IsScalar() && pr.Weight.Scalar == 0) {
		add(m, "weight", valueNode(pr.Weight, wdim))
	}
	add(m, "delay", valueNode(pr.Delay, Time))
	if s := pr.Plasticity; s != nil {
		st := mapping(false)
		add(st, "type", scalar("stdp"))
		add(st, "weight_dependence", scalar(string(s.Dependence)))
		add(st, "tau_plus", scalar(formatExact(s.TauPlus, Time)))
		add(st, "tau_minus", scalar(formatExact(s.TauMinus, Time)))
		add(st, "a_plus", scalar(num(s.APlus)))
		add(st, "a_minus", scalar(num(s.AMinus)))
		add(st, "w_min", scalar(formatExact(s.WMin, wdim)))
		add(st, "w_max", scalar(formatExact(s.WMax, wdim)))
		add(m, "plasticity", st)
	}
	return m, nil
}

func connectorNode(pr *Projection, wdim Dimension) (*yaml.Node, error) {
	c := pr.Connector
	m := mapping(true)
	add(m, "type", scalar(string(c.Kind)))
	switch c.Kind {
	case AllToAll:
		if c.AllowSelf {
			add(m, "allow_self", scalar("true"))
		}
	case FixedProb:
		add(m, "p", scalar(num(c.P)))
		if c.AllowSelf {
			add(m, "allow_self", scalar("true"))
		}
	case FixedNumberPre, FixedNumberPost:
		add(m, "n", scalar(strconv.Itoa(c.N)))
		if c.AllowSelf {
			add(m, "allow_self", scalar("true"))
		}
		if c.WithReplacement {
			add(m, "with_replacement", scalar("true"))
		}
	case FromList:
		rows := sequence(false)
		for i, s := range c.List {
			r := sequence(true, scalar(strconv.Itoa(s.Pre)), scalar(strconv.Itoa(s.Post)))
			w := s.Weight
			if math.IsNaN(w) && !math.IsNaN(s.Delay) {
				if !pr.Weight.IsScalar() {
					return nil, fmt.Errorf("projection %s: list[%d] has a delay but no weight, and the projection's weight is not a single value", pr.Name, i)
				}
				w = pr.Weight.Scalar
			}
			if !math.IsNaN(w) {
				r.Content = append(r.Content, scalar(formatExact(w, wdim)))
			}
			if !math.IsNaN(s.Delay) {
				r.Content = append(r.Content, scalar(formatExact(s.Delay, Time)))
			}
			rows.Content = append(rows.Content, r)
		}
		add(m, "list", rows)
		m.Style = 0 // a long list reads better in block style
	case ConvKind:
		cv := c.Conv
		intsNode := func(xs []int) *yaml.Node {
			items := make([]*yaml.Node, len(xs))
			for i, x := range xs {
				items[i] = scalar(strconv.Itoa(x))
			}
			return sequence(true, items...)
		}
		add(m, "in", intsNode(cv.In))
		add(m, "kernel", intsNode(cv.Kernel))
		add(m, "stride", intsNode(cv.Stride))
		add(m, "padding", intsNode(cv.Padding))
		add(m, "dilation", intsNode(cv.Dilation))
		if cv.Pool != "" {
			add(m, "pool", scalar(cv.Pool))
			break
		}
		add(m, "out_channels", scalar(strconv.Itoa(cv.OutChannels)))
		add(m, "groups", scalar(strconv.Itoa(cv.Groups)))
		items := make([]*yaml.Node, len(cv.Weights))
		for i, w := range cv.Weights {
			items[i] = scalar(num(w))
		}
		add(m, "weights", sequence(true, items...))
		m.Style = 0
	case Dense:
		mat := c.Matrix
		unit, flat := unitArray(mat.Data, wdim)
		rows := sequence(false)
		for r := range mat.Rows {
			row := sequence(true)
			for _, s := range flat[r*mat.Cols : (r+1)*mat.Cols] {
				row.Content = append(row.Content, scalar(s))
			}
			rows.Content = append(rows.Content, row)
		}
		if wdim != Dimensionless {
			add(m, "unit", scalar(unit))
		}
		add(m, "weights", rows)
		m.Style = 0
	}
	return m, nil
}

func (e *encoder) probe(pb *Probe) *yaml.Node {
	m := mapping(true)
	if pb.Variable == "weights" {
		add(m, "projection", scalar(pb.Projection))
	} else {
		add(m, "population", scalar(pb.Population))
	}
	add(m, "record", scalar(pb.Variable))
	if lo, hi, ok := contiguous(pb.Indices); ok {
		add(m, "indices", scalar(fmt.Sprintf("%d:%d", lo, hi)))
	} else if pb.Indices != nil {
		items := make([]*yaml.Node, len(pb.Indices))
		for i, x := range pb.Indices {
			items[i] = scalar(strconv.Itoa(x))
		}
		add(m, "indices", sequence(true, items...))
	}
	if pb.Every > 1 {
		add(m, "every", scalar(strconv.Itoa(pb.Every)))
	}
	return m
}

// contiguous reports whether idx is lo, lo+1, …, hi-1 (at least 3 long),
// which the decoder also reads as the range "lo:hi".
func contiguous(idx []int) (lo, hi int, ok bool) {
	if len(idx) < 3 {
		return 0, 0, false
	}
	for i, x := range idx {
		if x != idx[0]+i {
			return 0, 0, false
		}
	}
	return idx[0], idx[0] + len(idx), true
}
