// Package ir is soma's target-free description of a spiking network:
// populations of neurons with a model and parameters, spike sources,
// projections with connectors, weights, delays and plasticity, probes, and
// the run settings. Every front end (model files, NIR graphs, the Go builder
// API) produces an ir.Network; the compiler and the reference simulator
// consume it.
//
// All quantities are held in SI units (seconds, volts, amperes, farads,
// hertz). Connectivity is described, not stored: Expand turns connectors and
// distributions into concrete synapses deterministically from the run seed.
package ir

import "fmt"

// Network is a whole spiking network and how to run it.
type Network struct {
	Name        string
	Populations []*Population
	Projections []*Projection
	Probes      []*Probe
	Run         Run
	// File is the model file the network was read from, if any.
	File string
}

// Run holds the simulation settings.
type Run struct {
	Timestep float64 // seconds
	Duration float64 // seconds
	Seed     uint64
	Pos      Pos
}

// Steps is the number of timesteps the run lasts.
func (r Run) Steps() int {
	if r.Timestep <= 0 {
		return 0
	}
	return int(r.Duration/r.Timestep + 0.5)
}

// Pos is a position in a model file, for error messages. The zero Pos means
// "not from a file" (built in Go or imported from NIR).
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	switch {
	case p.Line == 0 && p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// IsZero reports whether the position is unknown.
func (p Pos) IsZero() bool { return p.Line == 0 }

// Population is a group of neurons (or spike sources) sharing one model.
type Population struct {
	Name  string
	Size  int
	Model Model
	// Params holds the parameters given explicitly; Param falls back to the
	// model's default for the rest.
	Params map[string]Value
	// Initial holds initial values of state variables given explicitly
	// (e.g. "v"); InitialValue falls back to the model's default.
	Initial map[string]Value
	// SpikeTimes is for spike_source_array: seconds, per neuron. A single
	// row applies to every neuron.
	SpikeTimes [][]float64
	Pos        Pos
	// FieldPos records where each parameter or initial value was written,
	// keyed "params.NAME" / "initial.NAME", so errors can point at it.
	FieldPos map[string]Pos
}

// Spec returns the population's model description.
func (p *Population) Spec() *ModelSpec { return Models[p.Model] }

// IsSource reports whether the population emits spikes without integrating
// input (spike_source_array, spike_source_poisson).
func (p *Population) IsSource() bool {
	s := p.Spec()
	return s != nil && s.Source
}

// Param returns the parameter value, falling back to the model default.
func (p *Population) Param(name string) Value {
	if v, ok := p.Params[name]; ok {
		return v
	}
	if s := p.Spec(); s != nil {
		if d, ok := s.param(name); ok {
			return Scalar(d.Default)
		}
	}
	return Scalar(0)
}

// InitialValue returns the initial value of a state variable, falling back
// to the model's default (which may name a parameter, e.g. v starts at
// v_rest).
func (p *Population) InitialValue(name string) Value {
	if v, ok := p.Initial[name]; ok {
		return v
	}
	if s := p.Spec(); s != nil {
		for _, st := range s.State {
			if st.Name == name {
				if st.DefaultFrom != "" {
					return p.Param(st.DefaultFrom)
				}
				return Scalar(st.Default)
			}
		}
	}
	return Scalar(0)
}

func (p *Population) fieldPos(key string) Pos {
	if pos, ok := p.FieldPos[key]; ok {
		return pos
	}
	return p.Pos
}

// Receptor selects which synaptic input of the target neuron a projection
// feeds.
type Receptor string

const (
	Excitatory Receptor = "excitatory"
	Inhibitory Receptor = "inhibitory"
)

// Projection connects two populations.
type Projection struct {
	Name       string
	Pre, Post  string
	Connector  Connector
	Receptor   Receptor
	Weight     Value // amperes for current-based PyNN models, volts for if_curr_delta, dimensionless for NIR models
	Delay      Value // seconds
	Plasticity *STDP
	Pos        Pos
	FieldPos   map[string]Pos
}

func (p *Projection) fieldPos(key string) Pos {
	if pos, ok := p.FieldPos[key]; ok {
		return pos
	}
	return p.Pos
}

// ConnectorKind names a connection rule.
type ConnectorKind string

const (
	AllToAll        ConnectorKind = "all_to_all"
	OneToOne        ConnectorKind = "one_to_one"
	FixedProb       ConnectorKind = "fixed_probability"
	FixedNumberPre  ConnectorKind = "fixed_number_pre"
	FixedNumberPost ConnectorKind = "fixed_number_post"
	FromList        ConnectorKind = "from_list"
	Dense           ConnectorKind = "dense"
	// ConvKind is a convolution or pooling (Connector.Conv).
	ConvKind ConnectorKind = "conv"
)

// ConnectorKinds lists every connection rule, for hints.
var ConnectorKinds = []ConnectorKind{AllToAll, OneToOne, FixedProb, FixedNumberPre, FixedNumberPost, FromList, Dense, ConvKind}

// Connector is a connection rule and its arguments.
type Connector struct {
	Kind ConnectorKind
	// AllowSelf permits i→i synapses when pre and post are the same
	// population (all_to_all, fixed_probability, fixed_number_*).
	AllowSelf bool
	P         float64 // fixed_probability
	N         int     // fixed_number_pre / fixed_number_post
	// WithReplacement lets fixed_number_* pick the same partner twice.
	WithReplacement bool
	List            []ListSynapse // from_list
	Matrix          *Matrix       // dense
	Conv            *Conv         // conv: weights are the kernel's × the projection's weight
}

// ListSynapse is one explicit synapse of a from_list connector. A NaN
// weight or delay means "use the projection's weight/delay".
type ListSynapse struct {
	Pre, Post     int
	Weight, Delay float64
}

// Matrix is a dense weight matrix laid out as NIR's Affine/Linear weights:
// Rows = post neurons, Cols = pre neurons, Data row-major. Zero entries make
// no synapse.
type Matrix struct {
	Rows, Cols int
	Data       []float64
}

// At returns the weight from pre neuron col to post neuron row.
func (m *Matrix) At(row, col int) float64 { return m.Data[row*m.Cols+col] }

// WeightDependence is how STDP scales weight changes with the current weight.
type WeightDependence string

const (
	Additive       WeightDependence = "additive"
	Multiplicative WeightDependence = "multiplicative"
)

// STDP is spike-pair spike-timing-dependent plasticity with all-to-all
// pairing through exponentially decaying traces (as sPyNNaker's
// SpikePairRule): a post spike potentiates by A+·f+(w)·x_pre, a pre spike
// depresses by A−·f−(w)·x_post, weights clipped to [WMin, WMax].
// Additive: f+ = f− = WMax (PyNN's convention, A± are fractions of w_max).
// Multiplicative: f+ = WMax−w, f− = w−WMin.
type STDP struct {
	TauPlus, TauMinus float64 // seconds
	APlus, AMinus     float64 // dimensionless
	WMin, WMax        float64 // weight units of the projection
	Dependence        WeightDependence
	Pos               Pos
}

// Probe records a variable of a population (or the weights of a plastic
// projection) during the run.
type Probe struct {
	Population string // for weights: empty
	Projection string // for weights only
	Variable   string // "spikes", a state variable of the model, or "weights"
	Indices    []int  // nil = every neuron (or every synapse for weights)
	Every      int    // sample every N steps (>= 1); spikes ignore it
	Pos        Pos
}

// Target names what the probe is attached to.
func (p *Probe) Target() string {
	if p.Variable == "weights" {
		return p.Projection
	}
	return p.Population
}

// Population looks a population up by name.
func (n *Network) Population(name string) *Population {
	for _, p := range n.Populations {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// PopulationIndex returns the index of the named population, or -1.
func (n *Network) PopulationIndex(name string) int {
	for i, p := range n.Populations {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// Projection looks a projection up by name.
func (n *Network) Projection(name string) *Projection {
	for _, p := range n.Projections {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// ProjectionIndex returns the index of the named projection, or -1.
func (n *Network) ProjectionIndex(name string) int {
	for i, p := range n.Projections {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// NumNeurons counts neurons and sources over all populations.
func (n *Network) NumNeurons() int {
	total := 0
	for _, p := range n.Populations {
		total += p.Size
	}
	return total
}
