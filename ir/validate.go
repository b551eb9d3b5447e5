package ir

import (
	"fmt"
	"math"
	"strings"

	"github.com/somahw/soma/internal/suggest"
)

// MaxSteps bounds a run's length so a typo ("duration: 1000s" at 0.1 ms)
// is caught before it allocates recordings for 10^7 steps per probe.
const MaxSteps = 100_000_000

// Validate checks the whole network and reports every problem at once,
// each naming the element and, for networks read from a file, its
// file:line:column. It returns nil or a Problems error.
func (n *Network) Validate() error {
	var ps Problems
	n.validateRun(&ps)
	pops := map[string]*Population{}
	for _, p := range n.Populations {
		if pops[p.Name] != nil {
			ps.add(p.Pos, "population %q is defined twice", p.Name)
		}
		pops[p.Name] = p
		n.validatePopulation(p, &ps)
	}
	projs := map[string]bool{}
	for _, pr := range n.Projections {
		if projs[pr.Name] {
			ps.add(pr.Pos, "projection %q is defined twice", pr.Name)
		}
		projs[pr.Name] = true
		n.validateProjection(pr, pops, &ps)
	}
	seenProbe := map[string]bool{}
	for _, pb := range n.Probes {
		key := pb.Target() + "." + pb.Variable
		if seenProbe[key] {
			ps.add(pb.Pos, "probe: %s of %s is recorded twice", pb.Variable, pb.Target())
		}
		seenProbe[key] = true
		n.validateProbe(pb, pops, &ps)
	}
	return ps.Err()
}

func (n *Network) validateRun(ps *Problems) {
	r := n.Run
	if !(r.Timestep > 0) {
		ps.add(r.Pos, "run: timestep must be positive, got %s", FormatQuantity(r.Timestep, Time))
		return
	}
	if !(r.Duration > 0) {
		ps.add(r.Pos, "run: duration must be positive, got %s", FormatQuantity(r.Duration, Time))
		return
	}
	steps := r.Duration / r.Timestep
	if steps > MaxSteps {
		ps.add(r.Pos, "run: %s at a %s timestep is %.0f steps, more than the %d soma allows; shorten the run or lengthen the timestep",
			FormatQuantity(r.Duration, Time), FormatQuantity(r.Timestep, Time), steps, MaxSteps)
		return
	}
	if math.Abs(steps-math.Round(steps)) > 1e-6*math.Max(1, steps) {
		ps.add(r.Pos, "run: duration %s is not a whole number of %s timesteps (%.4g steps)",
			FormatQuantity(r.Duration, Time), FormatQuantity(r.Timestep, Time), steps)
	}
}

// positive lists parameters that must be > 0, and nonNegative those ≥ 0.
var (
	positive    = []string{"cm", "tau_m", "tau_syn_E", "tau_syn_I", "tau_syn", "tau_mem", "tau", "r"}
	nonNegative = []string{"tau_refrac", "rate", "start", "duration"}
)

func (n *Network) validatePopulation(p *Population, ps *Problems) {
	what := "population " + p.Name
	if p.Name == "" {
		ps.add(p.Pos, "a population has no name")
	}
	if p.Size < 1 {
		ps.add(p.fieldPos("size"), "%s: size must be at least 1, got %d", what, p.Size)
	}
	spec := p.Spec()
	if spec == nil {
		if p.Model != "" {
			ps.add(p.fieldPos("model"), "%s: unknown neuron model %q", what, p.Model)
		}
		return
	}
	for _, param := range spec.Params {
		v, given := p.Params[param.Name]
		if !given {
			_, written := p.FieldPos["params."+param.Name] // written but malformed: already reported
			if param.Required && !written {
				ps.add(p.Pos, "%s: %s needs parameter %s (%s, e.g. %s)", what, p.Model, param.Name, param.Doc, param.Dim.Example())
			}
			continue
		}
		pos := p.fieldPos("params." + param.Name)
		if v.Array != nil && len(v.Array) != p.Size && len(v.Array) != 1 {
			ps.add(pos, "%s: params.%s has %d values for %d neurons", what, param.Name, len(v.Array), p.Size)
		}
		lo, hi := v.Bounds()
		switch {
		case contains(positive, param.Name) && !(lo > 0):
			ps.add(pos, "%s: params.%s must be positive, got %s", what, param.Name, formatBound(lo, param.Dim))
		case contains(nonNegative, param.Name) && lo < 0:
			ps.add(pos, "%s: params.%s must not be negative, got %s", what, param.Name, formatBound(lo, param.Dim))
		}
		_ = hi
	}
	for name := range p.Params {
		if _, ok := spec.Param(name); !ok {
			ps.add(p.Pos, "%s: %s has no parameter %s%s", what, p.Model, name, didYouMean(name, spec.ParamNames()))
		}
	}
	for _, st := range spec.State {
		v, given := p.Initial[st.Name]
		if given && v.Array != nil && len(v.Array) != p.Size && len(v.Array) != 1 {
			ps.add(p.fieldPos("initial."+st.Name), "%s: initial.%s has %d values for %d neurons", what, st.Name, len(v.Array), p.Size)
		}
	}
	for name := range p.Initial {
		if _, ok := spec.StateVar(name); !ok {
			ps.add(p.Pos, "%s: %s has no state variable %s%s", what, p.Model, name, didYouMean(name, spec.StateNames()))
		}
	}
	// A reset at or above threshold fires on every step after the first spike.
	if spec.Spiking {
		thName, resetName := "v_thresh", "v_reset"
		if _, ok := spec.Param("v_threshold"); ok {
			thName = "v_threshold"
		}
		thLo, _ := p.Param(thName).Bounds()
		_, rsHi := p.Param(resetName).Bounds()
		if rsHi >= thLo {
			ps.add(p.Pos, "%s: %s (%s) must be below %s (%s)", what, resetName, formatBound(rsHi, p.paramDim(resetName)), thName, formatBound(thLo, p.paramDim(thName)))
		}
	}
	switch p.Model {
	case SpikeSourceArray:
		n.validateSpikeTimes(p, ps)
	case SpikeSourcePoisson:
		_, hi := p.Param("rate").Bounds()
		if hi*n.Run.Timestep > 1 {
			ps.add(p.fieldPos("params.rate"), "%s: rate %s is more than one spike per %s step; lower the rate or the timestep",
				what, formatBound(hi, Frequency), FormatQuantity(n.Run.Timestep, Time))
		}
	}
}

func (p *Population) paramDim(name string) Dimension {
	if s := p.Spec(); s != nil {
		if ps, ok := s.Param(name); ok {
			return ps.Dim
		}
	}
	return Dimensionless
}

func (n *Network) validateSpikeTimes(p *Population, ps *Problems) {
	what := "population " + p.Name
	pos := p.fieldPos("spike_times")
	if p.SpikeTimes == nil {
		ps.add(p.Pos, "%s: spike_source_array needs spike_times", what)
		return
	}
	if len(p.SpikeTimes) != 1 && len(p.SpikeTimes) != p.Size {
		ps.add(pos, "%s: spike_times has %d rows for %d neurons (give one row per neuron, or one row for all)", what, len(p.SpikeTimes), p.Size)
	}
	for i, row := range p.SpikeTimes {
		for j, t := range row {
			// Expand rounds times to steps; a time that rounds to the
			// step after the last would be dropped, so it is an error here.
			if t < 0 || math.Round(t/n.Run.Timestep) >= float64(n.Run.Steps()) {
				if t < 0 {
					ps.add(pos, "%s: spike_times[%d][%d] = %s is before the run starts", what, i, j, FormatQuantity(t, Time))
				} else {
					ps.add(pos, "%s: spike_times[%d][%d] = %s rounds to step %.0f, after the run's last step %d (%s at %s steps)", what, i, j,
						FormatQuantity(t, Time), math.Round(t/n.Run.Timestep), n.Run.Steps()-1, FormatQuantity(n.Run.Duration, Time), FormatQuantity(n.Run.Timestep, Time))
				}
				break
			}
			if j > 0 && t < row[j-1] {
				ps.add(pos, "%s: spike_times[%d] is not sorted (%s after %s)", what, i, FormatQuantity(t, Time), FormatQuantity(row[j-1], Time))
				break
			}
		}
	}
}

func (n *Network) validateProjection(pr *Projection, pops map[string]*Population, ps *Problems) {
	what := "projection " + pr.Name
	pre, post := pops[pr.Pre], pops[pr.Post]
	if pre == nil && pr.Pre != "" {
		ps.add(pr.fieldPos("pre"), "%s: pre population %q does not exist%s", what, pr.Pre, didYouMean(pr.Pre, n.popNames()))
	}
	if post == nil && pr.Post != "" {
		ps.add(pr.fieldPos("post"), "%s: post population %q does not exist%s", what, pr.Post, didYouMean(pr.Post, n.popNames()))
	}
	if pre == nil || post == nil || pre.Spec() == nil || post.Spec() == nil {
		return
	}
	if post.IsSource() {
		ps.add(pr.fieldPos("post"), "%s: post population %s is a %s, which takes no input", what, post.Name, post.Model)
		return
	}
	if pre.Spec() != nil && !pre.Spec().Spiking && !pre.IsSource() {
		ps.add(pr.fieldPos("pre"), "%s: pre population %s is a %s, which never spikes", what, pre.Name, pre.Model)
	}
	c := pr.Connector
	cpos := pr.fieldPos("connector")
	same := pre == post
	switch c.Kind {
	case OneToOne:
		if pre.Size != post.Size {
			ps.add(cpos, "%s: one_to_one needs equal sizes, but %s has %d neurons and %s has %d", what, pre.Name, pre.Size, post.Name, post.Size)
		}
	case FixedNumberPre:
		avail := pre.Size
		if same && !c.AllowSelf {
			avail--
		}
		if c.N > avail && !c.WithReplacement {
			ps.add(cpos, "%s: fixed_number_pre n=%d but only %d pre neurons are available; lower n or set with_replacement: true", what, c.N, avail)
		}
	case FixedNumberPost:
		avail := post.Size
		if same && !c.AllowSelf {
			avail--
		}
		if c.N > avail && !c.WithReplacement {
			ps.add(cpos, "%s: fixed_number_post n=%d but only %d post neurons are available; lower n or set with_replacement: true", what, c.N, avail)
		}
	case FromList:
		for i, s := range c.List {
			if s.Pre < 0 || s.Pre >= pre.Size || s.Post < 0 || s.Post >= post.Size {
				ps.add(cpos, "%s: list[%d] connects %d→%d, outside %s (%d neurons) → %s (%d neurons)", what, i, s.Pre, s.Post, pre.Name, pre.Size, post.Name, post.Size)
				break
			}
		}
	case ConvKind:
		if c.Conv == nil {
			ps.add(cpos, "%s: conv connector without its geometry", what)
			break
		}
		if err := c.Conv.Check(); err != nil {
			ps.add(cpos, "%s: conv: %v", what, err)
			break
		}
		out, _ := c.Conv.OutShape()
		in := 1
		for _, x := range c.Conv.In {
			in *= x
		}
		n := 1
		for _, x := range out {
			n *= x
		}
		if in != pre.Size || n != post.Size {
			ps.add(cpos, "%s: conv maps %v (%d neurons) to %v (%d neurons), but %s has %d and %s %d", what, c.Conv.In, in, out, n, pre.Name, pre.Size, post.Name, post.Size)
		}
	case Dense:
		if c.Matrix != nil && (c.Matrix.Rows != post.Size || c.Matrix.Cols != pre.Size) {
			ps.add(cpos, "%s: dense weights are %d×%d but need %d×%d (rows = %s neurons, columns = %s neurons)", what, c.Matrix.Rows, c.Matrix.Cols, post.Size, pre.Size, post.Name, pre.Name)
		}
	}
	// Weights.
	wpos := pr.fieldPos("weight")
	needWeight := c.Kind != Dense && c.Kind != ConvKind
	if c.Kind == FromList {
		needWeight = false
		for _, s := range c.List {
			if math.IsNaN(s.Weight) {
				needWeight = true
			}
		}
	}
	if _, given := pr.FieldPos["weight"]; needWeight && !given && pr.Weight.IsScalar() && pr.Weight.Scalar == 0 {
		ps.add(pr.Pos, "%s: weight is missing (e.g. weight: %s)", what, post.Spec().WeightDim.Example())
	}
	if pr.Weight.Array != nil {
		if want, fixed := fixedSynapseCount(c, pre, post); !fixed {
			ps.add(wpos, "%s: per-synapse weight arrays need a connector with a known synapse count (from_list, all_to_all, one_to_one, fixed_number_pre, fixed_number_post), not %s", what, c.Kind)
		} else if len(pr.Weight.Array) != want {
			ps.add(wpos, "%s: weight has %d values but the connector makes %d synapses", what, len(pr.Weight.Array), want)
		}
	}
	if !post.Spec().SignedWeights {
		lo, hi := pr.Weight.Bounds()
		if _, given := pr.FieldPos["weight"]; !given && c.Kind != Dense {
			lo, hi = math.Inf(1), math.Inf(-1)
		}
		// Weights written in the connector (from_list rows, dense
		// entries) obey the same sign rule as the projection's weight.
		for _, s := range c.List {
			if !math.IsNaN(s.Weight) {
				lo, hi = math.Min(lo, s.Weight), math.Max(hi, s.Weight)
			}
		}
		if c.Matrix != nil {
			for _, w := range c.Matrix.Data {
				if w != 0 {
					lo, hi = math.Min(lo, w), math.Max(hi, w)
				}
			}
		}
		switch {
		case pr.Receptor == Excitatory && lo < 0:
			ps.add(wpos, "%s: excitatory weights must not be negative (got %s); use receptor: inhibitory", what, formatBound(lo, post.Spec().WeightDim))
		case lo < 0 && hi > 0:
			ps.add(wpos, "%s: weights mix signs; %s weights are magnitudes and the receptor gives the sign", what, post.Model)
		}
	}
	// Delays.
	dpos := pr.fieldPos("delay")
	dlo, _ := pr.Delay.Bounds()
	if dlo < n.Run.Timestep/2 {
		ps.add(dpos, "%s: delay %s is shorter than one timestep (%s); the minimum delay is one step", what, formatBound(dlo, Time), FormatQuantity(n.Run.Timestep, Time))
	}
	if pr.Delay.Array != nil {
		if want, fixed := fixedSynapseCount(c, pre, post); !fixed || len(pr.Delay.Array) != want {
			ps.add(dpos, "%s: delay has %d values but the connector makes %s synapses", what, len(pr.Delay.Array), countString(want, fixed))
		}
	}
	for i, s := range c.List {
		if !math.IsNaN(s.Delay) && s.Delay < n.Run.Timestep/2 {
			ps.add(cpos, "%s: list[%d] delay %s is shorter than one timestep", what, i, FormatQuantity(s.Delay, Time))
			break
		}
	}
	if s := pr.Plasticity; s != nil {
		spos := s.Pos
		if !(s.TauPlus > 0) || !(s.TauMinus > 0) {
			ps.add(spos, "%s: stdp time constants must be positive", what)
		}
		if s.APlus < 0 || s.AMinus < 0 {
			ps.add(spos, "%s: stdp a_plus and a_minus are amplitudes and must not be negative", what)
		}
		if !(s.WMin <= s.WMax) {
			ps.add(spos, "%s: stdp w_min must not exceed w_max", what)
		}
		if !post.Spec().Spiking {
			ps.add(spos, "%s: stdp needs post spikes, but %s never spikes", what, post.Model)
		}
		if !post.Spec().SignedWeights && s.WMin < 0 {
			ps.add(spos, "%s: stdp w_min must not be negative for %s (weights are magnitudes)", what, post.Model)
		}
		if post.Spec().SignedWeights && pr.Receptor == Inhibitory {
			ps.add(spos, "%s: stdp on a %s needs signed weights: drop receptor: inhibitory and give negative weights, w_min and w_max", what, post.Model)
		}
		if lo, hi := pr.Weight.Bounds(); c.Kind != Dense && (lo < s.WMin || hi > s.WMax) {
			wd := post.Spec().WeightDim
			got := formatBound(lo, wd)
			if hi != lo {
				got = "from " + got + " to " + formatBound(hi, wd)
			}
			ps.add(wpos, "%s: the initial weight (%s) must lie within stdp's [w_min, w_max] = [%s, %s]", what,
				got, FormatQuantity(s.WMin, wd), FormatQuantity(s.WMax, wd))
		}
	}
}

func countString(n int, known bool) string {
	if !known {
		return "a random number of"
	}
	return fmt.Sprint(n)
}

// fixedSynapseCount returns how many synapses a connector makes when that
// is known before expansion.
func fixedSynapseCount(c Connector, pre, post *Population) (int, bool) {
	switch c.Kind {
	case AllToAll:
		if pre == post && !c.AllowSelf {
			return pre.Size * (pre.Size - 1), true
		}
		return pre.Size * post.Size, true
	case OneToOne:
		return pre.Size, true
	case FromList:
		return len(c.List), true
	case FixedNumberPre:
		return c.N * post.Size, true
	case FixedNumberPost:
		return c.N * pre.Size, true
	}
	return 0, false
}

func (n *Network) validateProbe(pb *Probe, pops map[string]*Population, ps *Problems) {
	if pb.Variable == "weights" {
		if pb.Projection == "" {
			ps.add(pb.Pos, "probe: recording weights needs projection: NAME")
			return
		}
		if pb.Population != "" {
			ps.add(pb.Pos, "probe: weights belong to a projection; drop population: %s", pb.Population)
		}
		pr := n.Projection(pb.Projection)
		if pr == nil {
			ps.add(pb.Pos, "probe: projection %q does not exist%s", pb.Projection, didYouMean(pb.Projection, n.projNames()))
			return
		}
		if pr.Plasticity == nil {
			ps.add(pb.Pos, "probe: projection %s is not plastic, so its weights never change; record weights of a projection with plasticity: stdp", pb.Projection)
		}
		for _, i := range pb.Indices {
			if i < 0 {
				ps.add(pb.Pos, "probe: synapse index %d is negative", i)
				break
			}
		}
		return
	}
	if pb.Projection != "" {
		ps.add(pb.Pos, "probe: projection: is only for record: weights")
		return
	}
	p := pops[pb.Population]
	if p == nil {
		if pb.Population == "" {
			ps.add(pb.Pos, "probe: population is missing")
		} else {
			ps.add(pb.Pos, "probe: population %q does not exist%s", pb.Population, didYouMean(pb.Population, n.popNames()))
		}
		return
	}
	spec := p.Spec()
	if spec == nil {
		return
	}
	if pb.Variable == "spikes" {
		if !spec.Spiking && !spec.Source {
			ps.add(pb.Pos, "probe: %s is a %s, which never spikes; record v instead", p.Name, p.Model)
		}
	} else if _, ok := spec.StateVar(pb.Variable); !ok {
		options := append([]string{"spikes"}, spec.StateNames()...)
		ps.add(pb.Pos, "probe: %s (%s) has no variable %q; it can record %s%s", p.Name, p.Model, pb.Variable, strings.Join(options, ", "), didYouMean(pb.Variable, options))
	}
	for _, i := range pb.Indices {
		if i < 0 || i >= p.Size {
			ps.add(pb.Pos, "probe: index %d is outside %s (%d neurons)", i, p.Name, p.Size)
			break
		}
	}
}

func (n *Network) popNames() []string {
	out := make([]string, len(n.Populations))
	for i, p := range n.Populations {
		out[i] = p.Name
	}
	return out
}

func (n *Network) projNames() []string {
	out := make([]string, len(n.Projections))
	for i, p := range n.Projections {
		out[i] = p.Name
	}
	return out
}

func didYouMean(s string, options []string) string {
	if c := suggest.Closest(s, options); c != "" && c != s {
		return fmt.Sprintf("; did you mean %s?", c)
	}
	return ""
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func formatBound(x float64, d Dimension) string {
	if math.IsInf(x, 0) {
		return fmt.Sprint(x)
	}
	return FormatQuantity(x, d)
}
