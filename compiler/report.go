package compiler

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// Report is the mapping report of one compilation: where everything went,
// what each core holds and costs, how full each router is, and what
// quantisation did to the numbers.
type Report struct {
	Network     string            `json:"network"`
	Target      string            `json:"target"`
	Cores       int               `json:"cores_used"`
	Chips       int               `json:"chips_used"`
	Synapses    int               `json:"synapses"`
	ProgramSize int               `json:"program_words"`
	Populations []PopulationMap   `json:"populations"`
	CoreLoads   []CoreLoad        `json:"cores"`
	Routers     []RouterLoad      `json:"routers"`
	Weights     []ProjectionQuant `json:"weight_quantisation"`
	Params      []PopulationQuant `json:"parameter_quantisation"`
	Warnings    []string          `json:"warnings"`
}

// PopulationMap says how a population was split and why.
type PopulationMap struct {
	Population string `json:"population"`
	Neurons    int    `json:"neurons"`
	Cores      int    `json:"cores"`
	PerCore    int    `json:"per_core"`
	DecidedBy  string `json:"decided_by"`
}

// CoreLoad is one core's memory use and estimated work per step.
type CoreLoad struct {
	Core        string  `json:"core"`
	Kind        string  `json:"kind"`
	Population  string  `json:"population"`
	Neurons     string  `json:"neurons"`
	DTCMBytes   int64   `json:"dtcm_bytes"`
	SDRAMBytes  int64   `json:"sdram_bytes"`
	Cycles      int64   `json:"cycles_per_step"`
	CycleBudget int64   `json:"cycle_budget"`
	Load        float64 `json:"cpu_load"`
}

// RouterLoad is one chip's router table size before and after compression.
type RouterLoad struct {
	Chip     string `json:"chip"`
	Before   int    `json:"entries_before"`
	After    int    `json:"entries_after"`
	Capacity int    `json:"capacity"`
}

func (s *state) report() *Report {
	r := &Report{Network: s.net.Name, Target: s.t.Name, Cores: len(s.prog.Cores), Synapses: s.exp.NumSynapses()}
	chips := map[[2]uint8]bool{}
	for i := range s.prog.Cores {
		c := &s.prog.Cores[i]
		chips[[2]uint8{c.X, c.Y}] = true
		r.ProgramSize += len(c.Neurons) + len(c.Synapses) + len(c.Spikes) + 4*len(c.PopTable)
	}
	r.Chips = len(chips)
	for i, vs := range s.popVerts {
		r.Populations = append(r.Populations, PopulationMap{Population: s.popName(i), Neurons: s.net.Populations[i].Size,
			Cores: len(vs), PerCore: vs[0].n, DecidedBy: vs[0].reason})
	}
	for i := range s.prog.Cores {
		c := &s.prog.Cores[i]
		var v *vertex
		for _, cand := range s.verts {
			if cand.id() == c.CoreID {
				v = cand
			}
		}
		load := CoreLoad{Core: c.CoreID.String(), Kind: c.Kind.String(), Population: s.popName(int(c.Pop)),
			Neurons: fmt.Sprintf("%d–%d", c.Lo, c.Lo+c.N-1), DTCMBytes: c.CoreDTCM(), SDRAMBytes: c.CoreSDRAM(s.prog.Steps)}
		if v != nil {
			load.Cycles, load.CycleBudget = v.cycles, v.cyclesLimit
			if v.cyclesLimit > 0 {
				load.Load = float64(v.cycles) / float64(v.cyclesLimit)
			}
		}
		r.CoreLoads = append(r.CoreLoads, load)
	}
	for _, c := range sortedChips(s.tablesBefore) {
		r.Routers = append(r.Routers, RouterLoad{Chip: fmt.Sprintf("%d,%d", c[0], c[1]),
			Before: len(s.tablesBefore[c]), After: len(s.tables[c]), Capacity: s.m.RouterEntries})
	}
	r.Weights, r.Params = s.q.projections, s.q.populations
	r.Warnings = append([]string{}, s.q.warnings...)
	return r
}

// WriteJSON writes the report for tools.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "%s on %s: %s on %s, %d synapses, %d words of program (%.2f bytes per synapse)\n\n",
		r.Network, r.Target, Plural(r.Cores, "core"), Plural(r.Chips, "chip"), r.Synapses, r.ProgramSize, bytesPerSynapse(r))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "population\tneurons\tcores\tper core\tdecided by")
	for _, p := range r.Populations {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", p.Population, p.Neurons, p.Cores, p.PerCore, p.DecidedBy)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "core\tkind\tpopulation\tneurons\tDTCM B\tSDRAM B\tcycles/step\tload\t")
	for _, c := range r.CoreLoads {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%.0f%%\t\n", c.Core, c.Kind, c.Population, c.Neurons, c.DTCMBytes, c.SDRAMBytes, c.Cycles, 100*c.Load)
	}
	tw.Flush()
	if len(r.Routers) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "chip\tentries\tafter compression\tcapacity\t")
		for _, c := range r.Routers {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", c.Chip, c.Before, c.After, c.Capacity)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "projection\tsynapses\tmax rel. error\tmean rel. error\trounded to 0")
	for _, q := range r.Weights {
		fmt.Fprintf(tw, "%s\t%d\t%.2e\t%.2e\t%d\n", q.Projection, q.Synapses, q.MaxRelError, q.MeanRelError, q.Zeroed)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "population\tthreshold rel. error\tdecay rel. error\tweight shift exc/inh\tmax summed input exc/inh")
	for _, q := range r.Params {
		fmt.Fprintf(tw, "%s\t%.2e\t%.2e\t%d/%d\t%.4g/%.4g\n", q.Population, q.ThresholdRelErr, q.DecayRelErr, q.WeightShift[0], q.WeightShift[1], q.MaxSummedInput[0], q.MaxSummedInput[1])
	}
	tw.Flush()
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return nil
}

func bytesPerSynapse(r *Report) float64 {
	if r.Synapses == 0 {
		return 0
	}
	return 4 * float64(r.ProgramSize) / float64(r.Synapses)
}

// Plural writes "1 chip" / "3 chips".
func Plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
