package ir

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/somahw/soma/internal/suggest"
)

// ReadFile reads and validates a model file.
func ReadFile(path string) (*Network, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse decodes a YAML model file and validates the network. Every problem
// found is reported at once, each with file:line:column; the error is
// a Problems value.
func Parse(filename string, data []byte) (*Network, error) {
	d := &decoder{file: filename}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Problems{yamlProblem(filename, err)}
	}
	net := d.network(&root)
	// Validate even when decoding found problems, so one pass reports
	// everything; the decoder records the position of every field it saw
	// (even a malformed one), which keeps Validate from also calling it
	// missing.
	probs := d.probs
	if err := net.Validate(); err != nil {
		probs = append(probs, err.(Problems)...)
	}
	if len(probs) > 0 {
		return nil, dedupe(probs).Err()
	}
	return net, nil
}

func dedupe(ps Problems) Problems {
	seen := map[Problem]bool{}
	out := ps[:0:0]
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlProblem turns "yaml: line 3: mapping values are not allowed" into a
// Problem at file:3, so syntax errors read like every other error.
func yamlProblem(file string, err error) Problem {
	msg := err.Error()
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return Problem{Pos: Pos{File: file}, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	}
	line, _ := strconv.Atoi(m[1])
	// yaml.v3 reports an unclosed flow collection ([ or {) at the line
	// before the one it opened on (its context mark is 0-based there).
	if strings.HasPrefix(m[2], "did not find expected") {
		line++
	}
	return Problem{Pos: Pos{File: file, Line: line}, Msg: "invalid YAML: " + m[2]}
}

type decoder struct {
	file  string
	probs Problems
	// aliases counts alias dereferences: a "billion laughs" document
	// (aliases of aliases) must not make decoding exponential.
	aliases int
}

// maxAliases bounds alias dereferences per document.
const maxAliases = 10000

// deref resolves YAML aliases (*name) to the node they name.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		d.aliases++
		if d.aliases > maxAliases {
			d.errorf(n, "too many aliases (over %d); expand the document", maxAliases)
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
		}
		n = n.Alias
	}
	return n
}

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file}
	}
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.probs.add(d.pos(n), format, args...)
}

// keyValue is one entry of a YAML mapping, in file order.
type keyValue struct {
	key   string
	keyN  *yaml.Node
	value *yaml.Node
}

// mapping returns the entries of a mapping node in file order, reporting a
// wrong node kind, duplicate keys and keys not in allowed (nil allows any).
func (d *decoder) mapping(n *yaml.Node, what string, allowed []string) []keyValue {
	n = d.deref(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s: expected a mapping (key: value lines), got %s", what, describeNode(n))
		return nil
	}
	seen := map[string]bool{}
	var out []keyValue
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "%s: keys must be plain names", what)
			continue
		}
		if seen[k.Value] {
			d.errorf(k, "%s: %q is given twice", what, k.Value)
			continue
		}
		seen[k.Value] = true
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			d.unknownKey(k, what, allowed)
			continue
		}
		out = append(out, keyValue{k.Value, k, v})
	}
	return out
}

func (d *decoder) unknownKey(k *yaml.Node, what string, allowed []string) {
	msg := fmt.Sprintf("%s: unknown key %q", what, k.Value)
	if c := suggest.Closest(k.Value, allowed); c != "" {
		msg += fmt.Sprintf("; did you mean %s?", c)
	} else {
		msg += "; expected one of " + strings.Join(allowed, ", ")
	}
	d.errorf(k, "%s", msg)
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an empty document"
}

func (d *decoder) scalar(n *yaml.Node, what string) (string, bool) {
	n = d.deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, "%s: expected a single value, got %s", what, describeNode(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) str(n *yaml.Node, what string) string {
	s, _ := d.scalar(n, what)
	return s
}

func (d *decoder) integer(n *yaml.Node, what string, min int) (int, bool) {
	s, ok := d.scalar(n, what)
	if !ok {
		return 0, false
	}
	x, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil || x > math.MaxInt32 {
		d.errorf(n, "%s: expected a whole number, got %q", what, s)
		return 0, false
	}
	if int(x) < min {
		d.errorf(n, "%s: must be at least %d, got %d", what, min, x)
		return 0, false
	}
	return int(x), true
}

func (d *decoder) boolean(n *yaml.Node, what string) bool {
	s, ok := d.scalar(n, what)
	if !ok {
		return false
	}
	switch s {
	case "true", "yes", "on":
		return true
	case "false", "no", "off":
		return false
	}
	d.errorf(n, "%s: expected true or false, got %q", what, s)
	return false
}

func (d *decoder) quantity(n *yaml.Node, what string, dim Dimension) (float64, bool) {
	s, ok := d.scalar(n, what)
	if !ok {
		return 0, false
	}
	x, err := ParseQuantity(s, dim)
	if err != nil {
		d.errorf(n, "%s: %v", what, err)
		return 0, false
	}
	return x, true
}

// quantityList decodes [a, b, …] with units on each element.
func (d *decoder) quantityList(n *yaml.Node, what string, dim Dimension) ([]float64, bool) {
	n = d.deref(n)
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s: expected a list, got %s", what, describeNode(n))
		return nil, false
	}
	out := make([]float64, 0, len(n.Content))
	ok := true
	for i, e := range n.Content {
		x, good := d.quantity(e, fmt.Sprintf("%s[%d]", what, i), dim)
		ok = ok && good
		out = append(out, x)
	}
	return out, ok
}

// unitList decodes {unit: ms, values: [1, 2]}: bare numbers scaled by one
// unit, the compact way to write long per-neuron arrays.
func (d *decoder) unitList(n *yaml.Node, what string, dim Dimension, values *yaml.Node, unitN *yaml.Node) ([]float64, bool) {
	scale := 1.0
	if unitN != nil {
		u := d.str(unitN, what+".unit")
		sc, ud, ok := UnitScale(u)
		switch {
		case !ok:
			d.errorf(unitN, "%s.unit: unknown unit %q", what, u)
			return nil, false
		case ud != dim:
			d.errorf(unitN, "%s.unit: %q is a %s unit, expected a %s unit", what, u, ud, dim)
			return nil, false
		}
		scale = sc
	} else if dim != Dimensionless {
		d.errorf(n, "%s: a values list of a %s needs a unit (e.g. unit: %s)", what, dim, strings.TrimLeft(dim.Example(), "-0123456789."))
		return nil, false
	}
	values = d.deref(values)
	if values.Kind != yaml.SequenceNode {
		d.errorf(values, "%s.values: expected a list of numbers, got %s", what, describeNode(values))
		return nil, false
	}
	out := make([]float64, 0, len(values.Content))
	for i, e := range values.Content {
		x, ok := d.quantity(e, fmt.Sprintf("%s.values[%d]", what, i), Dimensionless)
		if !ok {
			return nil, false
		}
		out = append(out, x*scale)
	}
	return out, true
}

// value decodes a Value: "20ms", [20ms, 21ms], {values: [...], unit: ms},
// {uniform: [lo, hi]} or {normal: [mean, std], clip: [lo, hi]}.
func (d *decoder) value(n *yaml.Node, what string, dim Dimension) (Value, bool) {
	n = d.deref(n)
	switch n.Kind {
	case yaml.ScalarNode:
		x, ok := d.quantity(n, what, dim)
		return Scalar(x), ok
	case yaml.SequenceNode:
		xs, ok := d.quantityList(n, what, dim)
		return Array(xs), ok
	case yaml.MappingNode:
	default:
		d.errorf(n, "%s: expected a %s such as %s, got %s", what, dim, dim.Example(), describeNode(n))
		return Value{}, false
	}
	kvs := d.mapping(n, what, []string{"uniform", "normal", "clip", "values", "unit"})
	var get = func(k string) *yaml.Node {
		for _, kv := range kvs {
			if kv.key == k {
				return kv.value
			}
		}
		return nil
	}
	uni, nor, clip, vals, unit := get("uniform"), get("normal"), get("clip"), get("values"), get("unit")
	switch {
	case vals != nil:
		if uni != nil || nor != nil || clip != nil {
			d.errorf(n, "%s: give either values or a distribution, not both", what)
			return Value{}, false
		}
		xs, ok := d.unitList(n, what, dim, vals, unit)
		return Array(xs), ok
	case unit != nil:
		d.errorf(unit, "%s: unit goes with values: [...]", what)
		return Value{}, false
	case uni != nil && nor != nil:
		d.errorf(n, "%s: give one distribution, not both uniform and normal", what)
		return Value{}, false
	case uni != nil:
		if clip != nil {
			d.errorf(clip, "%s: clip applies to normal distributions only", what)
			return Value{}, false
		}
		ab, ok := d.pair(uni, what+".uniform", dim, "[low, high]")
		if !ok {
			return Value{}, false
		}
		if !(ab[0] < ab[1]) {
			d.errorf(uni, "%s.uniform: low must be below high, got [%s, %s]", what, FormatQuantity(ab[0], dim), FormatQuantity(ab[1], dim))
			return Value{}, false
		}
		return Value{Dist: &Distribution{Kind: Uniform, A: ab[0], B: ab[1]}}, true
	case nor != nil:
		ms, ok := d.pair(nor, what+".normal", dim, "[mean, std]")
		if !ok {
			return Value{}, false
		}
		if ms[1] < 0 {
			d.errorf(nor, "%s.normal: the standard deviation must not be negative", what)
			return Value{}, false
		}
		dist := &Distribution{Kind: Normal, A: ms[0], B: ms[1], Low: math.Inf(-1), High: math.Inf(1)}
		if clip != nil {
			lh, ok := d.pair(clip, what+".clip", dim, "[low, high]")
			if !ok {
				return Value{}, false
			}
			if !(lh[0] < lh[1]) {
				d.errorf(clip, "%s.clip: low must be below high", what)
				return Value{}, false
			}
			// Rejection sampling must terminate in practice: require the
			// window to hold a reasonable share of the distribution.
			if mass := normalMass(ms[0], ms[1], lh[0], lh[1]); mass < 1e-3 {
				d.errorf(clip, "%s.clip: the window holds only %.2g of the normal distribution's mass; widen it or move the mean", what, mass)
				return Value{}, false
			}
			dist.Low, dist.High = lh[0], lh[1]
		}
		return Value{Dist: dist}, true
	case clip != nil:
		d.errorf(clip, "%s: clip needs a normal distribution", what)
		return Value{}, false
	}
	d.errorf(n, "%s: expected values: [...], uniform: [low, high] or normal: [mean, std]", what)
	return Value{}, false
}

func normalMass(mean, std, lo, hi float64) float64 {
	if std == 0 {
		if mean >= lo && mean <= hi {
			return 1
		}
		return 0
	}
	cdf := func(x float64) float64 { return 0.5 * math.Erfc(-(x-mean)/(std*math.Sqrt2)) }
	return cdf(hi) - cdf(lo)
}

func (d *decoder) pair(n *yaml.Node, what string, dim Dimension, shape string) ([2]float64, bool) {
	n = d.deref(n)
	if n.Kind != yaml.SequenceNode || len(n.Content) != 2 {
		d.errorf(n, "%s: expected %s, got %s", what, shape, describeNode(n))
		return [2]float64{}, false
	}
	a, ok1 := d.quantity(n.Content[0], what, dim)
	b, ok2 := d.quantity(n.Content[1], what, dim)
	return [2]float64{a, b}, ok1 && ok2
}

var topKeys = []string{"name", "run", "populations", "projections", "probes"}

func (d *decoder) network(root *yaml.Node) *Network {
	net := &Network{File: d.file}
	if root.Kind == 0 || len(root.Content) == 0 {
		d.errorf(nil, "the model file is empty; expected populations:, projections:, probes: and run:")
		return net
	}
	doc := d.deref(root.Content[0])
	var popsN, projsN, probesN *yaml.Node
	for _, kv := range d.mapping(doc, "model file", topKeys) {
		switch kv.key {
		case "name":
			net.Name = d.str(kv.value, "name")
		case "run":
			net.Run = d.run(kv.value)
		case "populations":
			popsN = kv.value
		case "projections":
			projsN = kv.value
		case "probes":
			probesN = kv.value
		}
	}
	if net.Run.Pos.IsZero() {
		net.Run = Run{Timestep: 1e-3, Duration: 1, Pos: d.pos(doc)}
		d.errorf(doc, "the model file needs a run: section (timestep, duration, seed)")
	}
	// Populations first: projections and probes refer to them, and weight
	// units depend on the post population's model.
	if popsN != nil {
		for _, kv := range d.mapping(popsN, "populations", nil) {
			net.Populations = append(net.Populations, d.population(kv))
		}
	} else {
		d.errorf(doc, "the model file has no populations: section")
	}
	if projsN != nil {
		for _, kv := range d.mapping(projsN, "projections", nil) {
			net.Projections = append(net.Projections, d.projection(net, kv))
		}
	}
	if probesN != nil {
		probesN = d.deref(probesN)
		if probesN.Kind != yaml.SequenceNode {
			d.errorf(probesN, "probes: expected a list of probes (- population: NAME, record: spikes)")
		} else {
			for _, n := range probesN.Content {
				net.Probes = append(net.Probes, d.probes(n)...)
			}
		}
	}
	return net
}

func (d *decoder) run(n *yaml.Node) Run {
	r := Run{Timestep: 1e-3, Pos: d.pos(n)}
	have := map[string]bool{}
	for _, kv := range d.mapping(n, "run", []string{"timestep", "duration", "seed"}) {
		have[kv.key] = true
		switch kv.key {
		case "timestep":
			r.Timestep, _ = d.quantity(kv.value, "run.timestep", Time)
		case "duration":
			r.Duration, _ = d.quantity(kv.value, "run.duration", Time)
		case "seed":
			s := d.str(kv.value, "run.seed")
			seed, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				d.errorf(kv.value, "run.seed: expected a non-negative whole number, got %q", s)
			}
			r.Seed = seed
		}
	}
	if !have["duration"] {
		d.errorf(n, "run: duration is missing (e.g. duration: 1s)")
	}
	return r
}

func (d *decoder) population(kv keyValue) *Population {
	p := &Population{Name: kv.key, Pos: d.pos(kv.keyN), Params: map[string]Value{}, Initial: map[string]Value{}, FieldPos: map[string]Pos{}}
	what := "population " + p.Name
	kvs := d.mapping(kv.value, what, []string{"size", "model", "params", "initial", "spike_times"})
	var paramsN, initialN, timesN *yaml.Node
	for _, e := range kvs {
		switch e.key {
		case "size":
			p.Size, _ = d.integer(e.value, what+": size", 1)
			p.FieldPos["size"] = d.pos(e.value)
		case "model":
			name := d.str(e.value, what+": model")
			if Models[Model(name)] == nil && name != "" {
				msg := fmt.Sprintf("%s: unknown neuron model %q", what, name)
				if c := suggest.Closest(name, ModelNames()); c != "" {
					msg += fmt.Sprintf("; did you mean %s?", c)
				} else {
					msg += "; known models: " + strings.Join(ModelNames(), ", ")
				}
				d.errorf(e.value, "%s", msg)
				p.Model = ""
				return p
			}
			p.Model = Model(name)
			p.FieldPos["model"] = d.pos(e.value)
		case "params":
			paramsN = e.value
		case "initial":
			initialN = e.value
		case "spike_times":
			timesN = e.value
		}
	}
	if p.Model == "" {
		if _, given := p.FieldPos["model"]; !given {
			d.errorf(kv.keyN, "%s: model is missing; known models: %s", what, strings.Join(ModelNames(), ", "))
		}
		return p
	}
	spec := p.Spec()
	if paramsN != nil {
		for _, e := range d.mapping(paramsN, what+" params", spec.ParamNames()) {
			ps, _ := spec.Param(e.key)
			p.FieldPos["params."+e.key] = d.pos(e.value)
			if v, ok := d.value(e.value, what+" params."+e.key, ps.Dim); ok {
				p.Params[e.key] = v
			}
		}
	}
	if initialN != nil {
		if spec.Source {
			d.errorf(initialN, "%s: a %s has no state to initialise", what, p.Model)
		} else {
			for _, e := range d.mapping(initialN, what+" initial", spec.StateNames()) {
				ss, _ := spec.StateVar(e.key)
				v, ok := d.value(e.value, what+" initial."+e.key, ss.Dim)
				if ok {
					p.Initial[e.key] = v
					p.FieldPos["initial."+e.key] = d.pos(e.value)
				}
			}
		}
	}
	if timesN != nil {
		if p.Model != SpikeSourceArray {
			d.errorf(timesN, "%s: spike_times belongs to spike_source_array populations, not %s", what, p.Model)
		} else {
			p.SpikeTimes = d.spikeTimes(timesN, what)
			p.FieldPos["spike_times"] = d.pos(timesN)
		}
	}
	return p
}

// spikeTimes decodes [t1, t2, ...] (every neuron) or [[...], [...]] (per
// neuron), or the unit form {unit: ms, values: ...} of either.
func (d *decoder) spikeTimes(n *yaml.Node, what string) [][]float64 {
	n = d.deref(n)
	what += ": spike_times"
	scale, dim := 1.0, Time
	if n.Kind == yaml.MappingNode {
		var vals *yaml.Node
		unitGiven := false
		for _, kv := range d.mapping(n, what, []string{"unit", "values"}) {
			switch kv.key {
			case "unit":
				u := d.str(kv.value, what+".unit")
				sc, ud, ok := UnitScale(u)
				if !ok || ud != Time {
					d.errorf(kv.value, "%s.unit: expected a time unit such as ms, got %q", what, u)
					return nil
				}
				scale, unitGiven = sc, true
			case "values":
				vals = kv.value
			}
		}
		if vals == nil || !unitGiven {
			d.errorf(n, "%s: expected values: [...] with unit: ms", what)
			return nil
		}
		n, dim = vals, Dimensionless
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s: expected a list of times, or a list of lists (one per neuron)", what)
		return nil
	}
	row := func(s *yaml.Node, label string) []float64 {
		xs, ok := d.quantityList(s, label, dim)
		if !ok {
			return nil
		}
		for i := range xs {
			xs[i] *= scale
		}
		return xs
	}
	nested := len(n.Content) > 0 && d.deref(n.Content[0]).Kind == yaml.SequenceNode
	if !nested {
		return [][]float64{row(n, what)}
	}
	out := make([][]float64, len(n.Content))
	for i, s := range n.Content {
		out[i] = row(s, fmt.Sprintf("%s[%d]", what, i))
		if out[i] == nil {
			out[i] = []float64{}
		}
	}
	return out
}

var projectionKeys = []string{"pre", "post", "connector", "receptor", "weight", "delay", "plasticity"}

func (d *decoder) projection(net *Network, kv keyValue) *Projection {
	pr := &Projection{Name: kv.key, Pos: d.pos(kv.keyN), Receptor: Excitatory, FieldPos: map[string]Pos{}}
	what := "projection " + pr.Name
	kvs := d.mapping(kv.value, what, projectionKeys)
	get := func(k string) *yaml.Node {
		for _, e := range kvs {
			if e.key == k {
				pr.FieldPos[k] = d.pos(e.value)
				return e.value
			}
		}
		return nil
	}
	if n := get("pre"); n != nil {
		pr.Pre = d.str(n, what+": pre")
	} else {
		d.errorf(kv.keyN, "%s: pre (the source population) is missing", what)
	}
	if n := get("post"); n != nil {
		pr.Post = d.str(n, what+": post")
	} else {
		d.errorf(kv.keyN, "%s: post (the target population) is missing", what)
	}
	if n := get("receptor"); n != nil {
		r := d.str(n, what+": receptor")
		switch Receptor(r) {
		case Excitatory, Inhibitory:
			pr.Receptor = Receptor(r)
		default:
			d.errorf(n, "%s: receptor must be excitatory or inhibitory, got %q", what, r)
		}
	}
	// Weights take the units of the post population's model.
	weightDim := Dimensionless
	post := net.Population(pr.Post)
	if post != nil && post.Spec() != nil {
		weightDim = post.Spec().WeightDim
	}
	postKnown := post != nil && post.Spec() != nil
	if n := get("weight"); n != nil && postKnown {
		pr.Weight, _ = d.value(n, what+": weight", weightDim)
	}
	pr.Delay = Scalar(net.Run.Timestep)
	if n := get("delay"); n != nil {
		pr.Delay, _ = d.value(n, what+": delay", Time)
	}
	if n := get("connector"); n != nil {
		// Without the post model the weight unit is unknown: check the
		// connector's shape but not the weights written inside it.
		pr.Connector = d.connector(n, what, weightDim, postKnown)
	} else {
		d.errorf(kv.keyN, "%s: connector is missing (e.g. connector: {type: fixed_probability, p: 0.1})", what)
	}
	if n := get("plasticity"); n != nil {
		pr.Plasticity = d.stdp(n, what, weightDim)
	}
	return pr
}

func (d *decoder) connector(n *yaml.Node, what string, weightDim Dimension, weightsKnown bool) Connector {
	n = d.deref(n)
	what += ": connector"
	kinds := make([]string, len(ConnectorKinds))
	for i, k := range ConnectorKinds {
		kinds[i] = string(k)
	}
	checkKind := func(kn *yaml.Node) (ConnectorKind, bool) {
		k := d.str(kn, what)
		if slices.Contains(kinds, k) {
			return ConnectorKind(k), true
		}
		msg := fmt.Sprintf("%s: unknown connector %q", what, k)
		if c := suggest.Closest(k, kinds); c != "" {
			msg += fmt.Sprintf("; did you mean %s?", c)
		} else {
			msg += "; expected one of " + strings.Join(kinds, ", ")
		}
		d.errorf(kn, "%s", msg)
		return "", false
	}
	if n.Kind == yaml.ScalarNode {
		k, _ := checkKind(n)
		return Connector{Kind: k}
	}
	kvs := d.mapping(n, what, []string{"type", "p", "n", "allow_self", "with_replacement", "list", "weights", "unit",
		"in", "out_channels", "kernel", "stride", "padding", "dilation", "groups", "pool"})
	var c Connector
	var typeN *yaml.Node
	for _, kv := range kvs {
		if kv.key == "type" {
			typeN = kv.value
		}
	}
	if typeN == nil {
		d.errorf(n, "%s: type is missing; expected one of %s", what, strings.Join(kinds, ", "))
		return c
	}
	kind, ok := checkKind(typeN)
	if !ok {
		return c
	}
	c.Kind = kind
	allowedArgs := map[ConnectorKind][]string{
		AllToAll:        {"allow_self"},
		OneToOne:        {},
		FixedProb:       {"p", "allow_self"},
		FixedNumberPre:  {"n", "allow_self", "with_replacement"},
		FixedNumberPost: {"n", "allow_self", "with_replacement"},
		FromList:        {"list"},
		Dense:           {"weights", "unit"},
		ConvKind:        {"in", "out_channels", "kernel", "stride", "padding", "dilation", "groups", "pool", "weights"},
	}[kind]
	var unitN, weightsN *yaml.Node
	for _, kv := range kvs {
		if kv.key == "type" {
			continue
		}
		if !slices.Contains(allowedArgs, kv.key) {
			if len(allowedArgs) == 0 {
				d.errorf(kv.keyN, "%s: %s takes no arguments, got %s", what, kind, kv.key)
			} else {
				d.errorf(kv.keyN, "%s: %s takes %s, not %s", what, kind, strings.Join(allowedArgs, ", "), kv.key)
			}
			continue
		}
		switch kv.key {
		case "p":
			p, ok := d.quantity(kv.value, what+".p", Dimensionless)
			if ok && (p < 0 || p > 1) {
				d.errorf(kv.value, "%s.p: a probability must be between 0 and 1, got %g", what, p)
			}
			c.P = p
		case "n":
			c.N, _ = d.integer(kv.value, what+".n", 0)
		case "allow_self":
			c.AllowSelf = d.boolean(kv.value, what+".allow_self")
		case "with_replacement":
			c.WithReplacement = d.boolean(kv.value, what+".with_replacement")
		case "list":
			if weightsKnown {
				c.List = d.synapseList(kv.value, what+".list", weightDim)
			}
		case "weights":
			weightsN = kv.value
		case "unit":
			unitN = kv.value
		case "in", "out_channels", "kernel", "stride", "padding", "dilation", "groups", "pool":
			// conv geometry: read below, once the kind is known.
		}
	}
	if kind == FixedProb && !hasKey(kvs, "p") {
		d.errorf(n, "%s: fixed_probability needs p (e.g. p: 0.1)", what)
	}
	if (kind == FixedNumberPre || kind == FixedNumberPost) && !hasKey(kvs, "n") {
		d.errorf(n, "%s: %s needs n", what, kind)
	}
	if kind == FromList && !hasKey(kvs, "list") {
		d.errorf(n, "%s: from_list needs list: [[pre, post, weight, delay], ...]", what)
	}
	if kind == ConvKind {
		c.Conv = d.conv(kvs, n, what, weightsN)
	}
	if kind == Dense && weightsKnown {
		if weightsN == nil {
			d.errorf(n, "%s: dense needs weights: a matrix with one row per post neuron", what)
		} else {
			c.Matrix = d.matrix(weightsN, unitN, what+".weights", weightDim)
		}
	}
	return c
}

func hasKey(kvs []keyValue, k string) bool {
	for _, kv := range kvs {
		if kv.key == k {
			return true
		}
	}
	return false
}

func (d *decoder) synapseList(n *yaml.Node, what string, weightDim Dimension) []ListSynapse {
	n = d.deref(n)
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s: expected a list of [pre, post] / [pre, post, weight] / [pre, post, weight, delay]", what)
		return nil
	}
	out := make([]ListSynapse, 0, len(n.Content))
	for i, e := range n.Content {
		label := fmt.Sprintf("%s[%d]", what, i)
		e = d.deref(e)
		if e.Kind != yaml.SequenceNode || len(e.Content) < 2 || len(e.Content) > 4 {
			d.errorf(e, "%s: expected [pre, post], [pre, post, weight] or [pre, post, weight, delay], got %s", label, describeNode(e))
			continue
		}
		s := ListSynapse{Weight: math.NaN(), Delay: math.NaN()}
		var ok1, ok2 bool
		s.Pre, ok1 = d.integer(e.Content[0], label+" pre", 0)
		s.Post, ok2 = d.integer(e.Content[1], label+" post", 0)
		if len(e.Content) > 2 {
			if w, ok := d.quantity(e.Content[2], label+" weight", weightDim); ok {
				s.Weight = w
			}
		}
		if len(e.Content) > 3 {
			if dl, ok := d.quantity(e.Content[3], label+" delay", Time); ok {
				s.Delay = dl
			}
		}
		if ok1 && ok2 {
			out = append(out, s)
		}
	}
	return out
}

func (d *decoder) matrix(n, unitN *yaml.Node, what string, dim Dimension) *Matrix {
	n = d.deref(n)
	scale := 1.0
	elemDim := dim
	if unitN != nil {
		u := d.str(unitN, what+" unit")
		sc, ud, ok := UnitScale(u)
		if !ok || ud != dim {
			d.errorf(unitN, "%s: unit %q is not a %s unit", what, u, dim)
			return nil
		}
		scale, elemDim = sc, Dimensionless
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.errorf(n, "%s: expected a matrix: a list of rows, one per post neuron", what)
		return nil
	}
	m := &Matrix{Rows: len(n.Content)}
	for r, row := range n.Content {
		xs, ok := d.quantityList(row, fmt.Sprintf("%s[%d]", what, r), elemDim)
		if !ok {
			return nil
		}
		if r == 0 {
			m.Cols = len(xs)
		} else if len(xs) != m.Cols {
			d.errorf(row, "%s[%d]: row has %d entries, row 0 has %d", what, r, len(xs), m.Cols)
			return nil
		}
		for _, x := range xs {
			m.Data = append(m.Data, x*scale)
		}
	}
	return m
}

func (d *decoder) stdp(n *yaml.Node, what string, weightDim Dimension) *STDP {
	what += ": plasticity"
	s := &STDP{Pos: d.pos(n), Dependence: Additive}
	required := []string{"tau_plus", "tau_minus", "a_plus", "a_minus", "w_min", "w_max"}
	kvs := d.mapping(n, what, append([]string{"type", "weight_dependence"}, required...))
	for _, kv := range kvs {
		switch kv.key {
		case "type":
			if t := d.str(kv.value, what+".type"); t != "stdp" {
				d.errorf(kv.value, "%s.type: the only plasticity rule is stdp, got %q", what, t)
			}
		case "weight_dependence":
			switch w := WeightDependence(d.str(kv.value, what+".weight_dependence")); w {
			case Additive, Multiplicative:
				s.Dependence = w
			default:
				d.errorf(kv.value, "%s.weight_dependence: expected additive or multiplicative, got %q", what, w)
			}
		case "tau_plus":
			s.TauPlus, _ = d.quantity(kv.value, what+".tau_plus", Time)
		case "tau_minus":
			s.TauMinus, _ = d.quantity(kv.value, what+".tau_minus", Time)
		case "a_plus":
			s.APlus, _ = d.quantity(kv.value, what+".a_plus", Dimensionless)
		case "a_minus":
			s.AMinus, _ = d.quantity(kv.value, what+".a_minus", Dimensionless)
		case "w_min":
			s.WMin, _ = d.quantity(kv.value, what+".w_min", weightDim)
		case "w_max":
			s.WMax, _ = d.quantity(kv.value, what+".w_max", weightDim)
		}
	}
	if !hasKey(kvs, "type") {
		d.errorf(n, "%s: type is missing (type: stdp)", what)
	}
	var missing []string
	for _, k := range required {
		if !hasKey(kvs, k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		d.errorf(n, "%s: missing %s", what, strings.Join(missing, ", "))
	}
	return s
}

func (d *decoder) probes(n *yaml.Node) []*Probe {
	n = d.deref(n)
	what := "probe"
	kvs := d.mapping(n, what, []string{"population", "projection", "record", "indices", "every"})
	base := Probe{Pos: d.pos(n), Every: 1}
	var records []string
	for _, kv := range kvs {
		switch kv.key {
		case "population":
			base.Population = d.str(kv.value, what+".population")
		case "projection":
			base.Projection = d.str(kv.value, what+".projection")
		case "record":
			if rec := d.deref(kv.value); rec.Kind == yaml.SequenceNode {
				for _, e := range rec.Content {
					records = append(records, d.str(e, what+".record"))
				}
			} else {
				records = append(records, d.str(kv.value, what+".record"))
			}
		case "indices":
			base.Indices = d.indices(kv.value, what+".indices")
		case "every":
			base.Every, _ = d.integer(kv.value, what+".every", 1)
		}
	}
	if len(records) == 0 {
		d.errorf(n, "probe: record is missing (e.g. record: spikes, or record: [spikes, v])")
		return nil
	}
	out := make([]*Probe, 0, len(records))
	for _, r := range records {
		p := base
		p.Variable = r
		out = append(out, &p)
	}
	return out
}

// indices decodes [0, 3, 7] or a range "0:100" (end exclusive, as Python).
func (d *decoder) indices(n *yaml.Node, what string) []int {
	n = d.deref(n)
	if n.Kind == yaml.ScalarNode {
		lo, hi, found := strings.Cut(n.Value, ":")
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if !found || err1 != nil || err2 != nil || a < 0 || b <= a || b-a > 1<<24 {
			d.errorf(n, "%s: expected a list [0, 1, 2] or a range \"start:end\", got %q", what, n.Value)
			return nil
		}
		out := make([]int, 0, b-a)
		for i := a; i < b; i++ {
			out = append(out, i)
		}
		return out
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s: expected a list of neuron indices", what)
		return nil
	}
	out := make([]int, 0, len(n.Content))
	for i, e := range n.Content {
		x, ok := d.integer(e, fmt.Sprintf("%s[%d]", what, i), 0)
		if ok {
			out = append(out, x)
		}
	}
	return out
}

// conv decodes a conv connector's geometry: in (the pre population's
// layout, [channels, spatial…]), kernel, and optionally stride (default 1),
// padding (0), dilation (1); a convolution gives out_channels, groups (1)
// and weights (flat, [out, in/groups, kernel…]); a pooling gives pool: sum
// or avg.
func (d *decoder) conv(kvs []keyValue, n *yaml.Node, what string, weightsN *yaml.Node) *Conv {
	get := func(k string) *yaml.Node {
		for _, kv := range kvs {
			if kv.key == k {
				return kv.value
			}
		}
		return nil
	}
	ints := func(k string, def, dims int) []int {
		node := get(k)
		if node == nil {
			if def < 0 {
				d.errorf(n, "%s: conv needs %s", what, k)
				return nil
			}
			out := make([]int, dims)
			for i := range out {
				out[i] = def
			}
			return out
		}
		node = d.deref(node)
		if node.Kind == yaml.ScalarNode {
			x, _ := d.integer(node, what+"."+k, 0)
			out := make([]int, dims)
			for i := range out {
				out[i] = x
			}
			return out
		}
		var out []int
		if node.Kind == yaml.SequenceNode {
			for _, e := range node.Content {
				x, _ := d.integer(e, what+"."+k, 0)
				out = append(out, x)
			}
		}
		return out
	}
	c := &Conv{In: ints("in", -1, 0)}
	dims := max(len(c.In)-1, 1)
	c.Kernel = ints("kernel", -1, dims)
	c.Stride = ints("stride", 1, dims)
	c.Padding = ints("padding", 0, dims)
	c.Dilation = ints("dilation", 1, dims)
	if p := get("pool"); p != nil {
		c.Pool = d.str(p, what+".pool")
		return c
	}
	c.Groups = 1
	if g := get("groups"); g != nil {
		c.Groups, _ = d.integer(g, what+".groups", 1)
	}
	if oc := get("out_channels"); oc != nil {
		c.OutChannels, _ = d.integer(oc, what+".out_channels", 1)
	} else {
		d.errorf(n, "%s: a convolution needs out_channels (or pool: sum|avg for a pooling)", what)
	}
	if weightsN == nil {
		d.errorf(n, "%s: a convolution needs weights: [out channels × in channels/groups × kernel] numbers", what)
		return c
	}
	c.Weights, _ = d.quantityList(weightsN, what+".weights", Dimensionless)
	return c
}
