// Package results holds what one run of a network produced — spikes, analogue
// traces, timings — in a form that does not depend on the engine that ran it
// (reference simulator, emulator, boards), and writes it out identically for all
// of them: spikes as CSV, a summary as JSON, everything as a NumPy .npz, and a
// raster plot as SVG.
//
// Every writer is deterministic: the same Result gives the same bytes, so
// outputs of two engines can be compared with cmp or diff.
package results

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// Result is what one run of a network produced, engine-independent.
type Result struct {
	Engine      string       // "reference", "emu", ...
	Network     string       // network name
	Timestep    float64      // seconds
	Steps       int          // number of simulated steps
	Populations []Population // in network order
	Spikes      []Spike      // any order on input; Sort() orders by step, population index, neuron
	Traces      []Trace      // analogue recordings (probes)
	Timings     Timings
}

// Population describes one population of the network that ran.
type Population struct {
	Name  string
	Size  int
	Model string
}

// Spike is one spike: neuron Neuron of population Pop fired at step Step.
// Pop indexes Result.Populations. The fields are int32 so that a million
// spikes take 12 MB.
type Spike struct {
	Pop    int32
	Neuron int32
	Step   int32
}

// Trace is one analogue recording (a probe).
type Trace struct {
	Name       string    // unique key, e.g. "exc.v" or "exc_exc.weights"
	Population string    // population (or projection for weights) it belongs to
	Variable   string    // "v", "isyn_exc", "isyn_inh", "i_syn", "weights"
	Unit       string    // SI unit of Data, e.g. "V", "A", "" for dimensionless
	Indices    []int     // which neurons (or synapse indices for weights)
	Every      int       // sampling interval in steps (>=1)
	Data       []float64 // row-major [sample][len(Indices)]
}

// Samples returns the number of samples (rows) in t.Data.
func (t *Trace) Samples() int {
	if len(t.Indices) == 0 {
		return 0
	}
	return len(t.Data) / len(t.Indices)
}

// Timings are wall-clock durations of the run, in seconds.
type Timings struct {
	BuildS float64 `json:"build_s"`
	RunS   float64 `json:"run_s"`
	TotalS float64 `json:"total_s"`
}

// compareSpikes is the canonical spike order: step, then population index,
// then neuron. Step comes first so that files read like a time line and an
// input replay can stream them.
func compareSpikes(a, b Spike) int {
	if c := cmp.Compare(a.Step, b.Step); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Pop, b.Pop); c != 0 {
		return c
	}
	return cmp.Compare(a.Neuron, b.Neuron)
}

// Sort puts r.Spikes in the canonical order: by Step, then Pop, then Neuron.
// It is cheap on spikes that are already sorted, which is what most engines
// emit.
func (r *Result) Sort() {
	if slices.IsSortedFunc(r.Spikes, compareSpikes) {
		return
	}
	slices.SortFunc(r.Spikes, compareSpikes)
}

// sortedSpikes returns the spikes in canonical order without changing r:
// writers must not reorder a Result the caller may still be using.
func (r *Result) sortedSpikes() []Spike {
	if slices.IsSortedFunc(r.Spikes, compareSpikes) {
		return r.Spikes
	}
	s := slices.Clone(r.Spikes)
	slices.SortFunc(s, compareSpikes)
	return s
}

// Counts returns the number of spikes of each population, indexed like
// r.Populations. Spikes whose Pop is out of range are not counted (Validate
// reports them).
func (r *Result) Counts() []int {
	c := make([]int, len(r.Populations))
	for _, s := range r.Spikes {
		if s.Pop >= 0 && int(s.Pop) < len(c) {
			c[s.Pop]++
		}
	}
	return c
}

// Duration returns the simulated time Steps×Timestep in seconds, rounded by
// the package's rounding rule (see RoundTime).
func (r *Result) Duration() float64 {
	return RoundTime(float64(r.Steps) * r.Timestep)
}

// TimeDigits is the number of significant digits that times derived from a
// step count (step×timestep) are rounded to. Products such as 3×0.1e-3 carry
// binary noise (0.00030000000000000003); rounding to 12 significant digits
// removes it while keeping steps distinct for runs of up to 10^11 steps.
const TimeDigits = 12

// RoundTime rounds t to TimeDigits significant digits. The result prints
// with strconv.FormatFloat(x, 'g', -1, 64) as the short decimal one expects
// (0.0003, not 0.00030000000000000003).
func RoundTime(t float64) float64 {
	if t == 0 || math.IsNaN(t) || math.IsInf(t, 0) {
		return t
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], t, 'e', TimeDigits-1, 64)
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return t // cannot happen: AppendFloat output always parses
	}
	return v
}

// appendTime appends step×timestep in the CSV's time_s format: rounded to
// TimeDigits significant digits, trailing zeros dropped ('g' with precision
// TimeDigits), so it is the same decimal RoundTime gives.
func appendTime(b []byte, step int32, timestep float64) []byte {
	return strconv.AppendFloat(b, float64(step)*timestep, 'g', TimeDigits, 64)
}

// Validate reports the first inconsistency in r: a spike outside its
// population or the run, a trace whose data does not fit its indices, or two
// traces with the same name. Engines call it in tests; the writers check only
// what they need.
func (r *Result) Validate() error {
	if !(r.Timestep > 0) || math.IsInf(r.Timestep, 0) {
		return fmt.Errorf("results: timestep %v s is not a positive number", r.Timestep)
	}
	if r.Steps < 0 {
		return fmt.Errorf("results: negative step count %d", r.Steps)
	}
	names := make(map[string]bool, len(r.Populations))
	for i, p := range r.Populations {
		if p.Size < 0 {
			return fmt.Errorf("results: population %s (index %d) has negative size %d", p.Name, i, p.Size)
		}
		if names[p.Name] {
			return fmt.Errorf("results: population name %q appears twice", p.Name)
		}
		names[p.Name] = true
	}
	for i, s := range r.Spikes {
		if err := r.checkSpike(s); err != nil {
			return fmt.Errorf("results: spike %d: %w", i, err)
		}
		if int(s.Step) >= r.Steps {
			return fmt.Errorf("results: spike %d: step %d is past the end of the run (%d steps)", i, s.Step, r.Steps)
		}
	}
	seen := make(map[string]bool, len(r.Traces))
	for i := range r.Traces {
		t := &r.Traces[i]
		if seen[t.Name] {
			return fmt.Errorf("results: trace name %q appears twice", t.Name)
		}
		seen[t.Name] = true
		if err := t.check(); err != nil {
			return err
		}
	}
	return nil
}

// checkSpike checks the parts of s every writer relies on.
func (r *Result) checkSpike(s Spike) error {
	if s.Pop < 0 || int(s.Pop) >= len(r.Populations) {
		return fmt.Errorf("population index %d out of range (%d populations)", s.Pop, len(r.Populations))
	}
	p := r.Populations[s.Pop]
	if s.Neuron < 0 || int(s.Neuron) >= p.Size {
		return fmt.Errorf("neuron %d out of range for population %s (%d neurons)", s.Neuron, p.Name, p.Size)
	}
	if s.Step < 0 {
		return fmt.Errorf("negative step %d (population %s, neuron %d)", s.Step, p.Name, s.Neuron)
	}
	return nil
}

// check reports a trace whose shape is inconsistent.
func (t *Trace) check() error {
	if t.Every < 1 {
		return fmt.Errorf("results: trace %s: sampling interval %d steps; it must be at least 1", t.Name, t.Every)
	}
	if len(t.Indices) == 0 {
		if len(t.Data) != 0 {
			return fmt.Errorf("results: trace %s: %d values but no indices", t.Name, len(t.Data))
		}
		return nil
	}
	if len(t.Data)%len(t.Indices) != 0 {
		return fmt.Errorf("results: trace %s: %d values is not a whole number of samples of %d indices",
			t.Name, len(t.Data), len(t.Indices))
	}
	return nil
}

// Summary is the engine-independent digest of a run, written as
// summary.json. Its field order is the JSON key order and is part of the
// format.
type Summary struct {
	Engine      string              `json:"engine"`
	Network     string              `json:"network"`
	TimestepS   float64             `json:"timestep_s"`
	Steps       int                 `json:"steps"`
	DurationS   float64             `json:"duration_s"`
	Populations []PopulationSummary `json:"populations"`
	Timings     Timings             `json:"timings"`
}

// PopulationSummary is one population's line in a Summary.
type PopulationSummary struct {
	Name       string  `json:"name"`
	Neurons    int     `json:"neurons"`
	Spikes     int     `json:"spikes"`
	MeanRateHz float64 `json:"mean_rate_hz"`
}

// Summary digests r. The mean rate of a population is
// spikes / neurons / (steps × timestep), rounded to TimeDigits significant
// digits so that the JSON is short and stable; it is 0 for an empty
// population or a run of no duration (rather than NaN, which JSON cannot
// carry).
func (r *Result) Summary() Summary {
	s := Summary{
		Engine:      r.Engine,
		Network:     r.Network,
		TimestepS:   r.Timestep,
		Steps:       r.Steps,
		DurationS:   r.Duration(),
		Populations: make([]PopulationSummary, len(r.Populations)),
		Timings:     r.Timings,
	}
	dur := float64(r.Steps) * r.Timestep
	counts := r.Counts()
	for i, p := range r.Populations {
		ps := PopulationSummary{Name: p.Name, Neurons: p.Size, Spikes: counts[i]}
		if p.Size > 0 && dur > 0 {
			ps.MeanRateHz = RoundTime(float64(counts[i]) / float64(p.Size) / dur)
		}
		s.Populations[i] = ps
	}
	return s
}

// WriteSummaryJSON writes r.Summary() as indented JSON with a trailing
// newline.
func (r *Result) WriteSummaryJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r.Summary(), "", "  ")
	if err != nil {
		// Only non-finite numbers (a NaN timing, say) get here.
		return fmt.Errorf("results: summary of %s run of %s: %w", r.Engine, r.Network, err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}
