package fpga

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"

	"github.com/somahw/soma/backends/emu"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/results"
	"github.com/somahw/soma/target"
)

//go:embed rtl/*.tmpl
var templates embed.FS

// Files written by WriteArtifacts (besides the per-memory files).
const (
	ManifestName       = "manifest.json"
	RTLFile            = "soma_top.v"
	TestbenchFile      = "tb.v"
	ExpectedSpikesFile = "expected_spikes.txt"
	ExpectedCyclesFile = "expected_cycles.txt"
	RouterFile         = "router.mem"
)

// Manifest describes an artifact directory: what each file is, the design's
// shape, and what the emulator expects the RTL to do.
type Manifest struct {
	Format   string  `json:"format"`
	Network  string  `json:"network"`
	Target   string  `json:"target"`
	Part     string  `json:"part"`
	Steps    int     `json:"steps"`
	Timestep float64 `json:"timestep_s"`
	ClockHz  int64   `json:"clock_hz"`
	Top      string  `json:"top"`
	Numeric  program.Numeric
	Costs    Costs            `json:"cycle_costs"`
	Engines  []ManifestEngine `json:"engines"`
	Files    []ManifestFile   `json:"files"`
	// Throughput is the real-time model (see Throughput).
	Throughput ThroughputReport `json:"throughput"`
	// Estimate is the design's utilisation as Estimate predicts it, and
	// Fit the estimate against the part (soma fpga report prints both
	// beside yosys's figures).
	Estimate *Utilisation `json:"estimate,omitempty"`
	Fit      []FitRow     `json:"fit,omitempty"`
	Notes    []string     `json:"notes"`
}

// ManifestEngine is one engine in the manifest.
type ManifestEngine struct {
	ID         int              `json:"id"`
	Core       string           `json:"core"`
	Kind       string           `json:"kind"`
	Model      string           `json:"model,omitempty"`
	Population string           `json:"population"`
	Lo         uint32           `json:"lo"`
	N          int              `json:"n"`
	Key        string           `json:"key"`
	Memories   []ManifestMemory `json:"memories"`
}

// ManifestMemory is one memory of an engine.
type ManifestMemory struct {
	Name        string `json:"name"`
	Role        string `json:"role"`
	Width       int    `json:"width"`
	Depth       int    `json:"depth"`
	Kind        string `json:"kind"`
	RuntimeLoad bool   `json:"runtime_load,omitempty"`
	Mem         string `json:"mem,omitempty"`
	Coe         string `json:"coe,omitempty"`
}

// ManifestFile is one file and what it is.
type ManifestFile struct {
	Name string `json:"name"`
	What string `json:"what"`
}

// WriteArtifacts writes the FPGA design of program p for target t into dir
// (created if needed): soma_top.v (engines, router, barrier), tb.v, the
// memory files, the stimulus, the emulator's expected spikes and cycles,
// and manifest.json. It runs the emulator to get the expectations. A
// design whose estimate does not fit the part is refused first (Check).
func WriteArtifacts(dir string, p *program.Program, t *target.Target) error {
	d, _, err := Check(p, t)
	if err != nil {
		return err
	}
	e, err := emu.New(p, program.NewMachine(t), emu.Options{Workers: 1})
	if err != nil {
		return err
	}
	res, cnt, err := e.Run()
	if err != nil {
		return err
	}
	return d.Write(dir, p, res, cnt)
}

// Write writes the design and the given emulator results into dir.
func (d *Design) Write(dir string, p *program.Program, res *results.Result, cnt *emu.Counters) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	m := &Manifest{Format: "soma-fpga/1", Network: d.Network, Target: d.Target, Part: d.Part, Steps: d.Steps,
		Timestep: d.Timestep, ClockHz: d.ClockHz, Top: "soma_top", Numeric: d.Numeric, Costs: d.Costs}
	files := map[string][]byte{}
	add := func(name, what string, data []byte) {
		files[name] = data
		m.Files = append(m.Files, ManifestFile{name, what})
	}
	rtl, err := d.RTL()
	if err != nil {
		return err
	}
	add(RTLFile, "the design: neuron engines, spike sources, router, timestep barrier (Verilog-2005)", rtl)
	tb, err := d.render("tb.v.tmpl", d.tbData())
	if err != nil {
		return err
	}
	add(TestbenchFile, "testbench: loads URAM contents, runs every step, prints spikes and per-step busy cycles", tb)
	add(RouterFile, "router table {key, mask, destination engines}", memFile(d.routerWords(), 64+len(d.Engines)))
	uram := false
	for _, e := range d.Engines {
		me := ManifestEngine{ID: e.ID, Core: e.Core.String(), Kind: "neurons", Model: e.Model, Population: e.Pop, Lo: e.Lo, N: e.N,
			Key: fmt.Sprintf("0x%08x", e.Key)}
		if e.Source {
			me.Kind, me.Model = "source", ""
		}
		for _, mem := range e.Memories {
			mm := ManifestMemory{Name: mem.Name, Role: mem.Role, Width: mem.Width, Depth: mem.Depth, Kind: mem.Kind, RuntimeLoad: mem.RuntimeLoad}
			if mem.Words != nil {
				mm.Mem, mm.Coe = mem.Name+".mem", mem.Name+".coe"
				what := mem.Role
				if strings.HasSuffix(mem.Name, "_spikes") {
					what = "stimulus: " + what
				}
				add(mm.Mem, what+" ($readmemh)", memFile(mem.Words, mem.Width))
				add(mm.Coe, what+" (Vivado block-memory IP)", coeFile(mem.Words, mem.Width))
			}
			uram = uram || mem.RuntimeLoad
			me.Memories = append(me.Memories, mm)
		}
		m.Engines = append(m.Engines, me)
	}
	add(ExpectedSpikesFile, "expected spikes from the emulator: step population neuron (recorded neurons)", expectedSpikes(res))
	exp, err := expectedCycles(cnt, len(d.Engines), d.Steps)
	if err != nil {
		return err
	}
	add(ExpectedCyclesFile, "expected busy cycles from the emulator: step engine cycles", exp)
	m.Throughput = d.Throughput(cnt)
	m.Notes = []string{
		"Simulate: iverilog -g2005 -o sim soma_top.v tb.v && vvp sim (run in this directory: the memories are read by relative path), or soma fpga sim DIR.",
		"Resources: soma fpga report DIR (yosys synth_xilinx -family xcup -flatten): cell counts only; timing closure, placement and the bitstream need the vendor tools (Vivado).",
		"Block RAM (bram) and distributed RAM (lutram) memories are initialised by the bitstream from the .mem files ($readmemh) or, with Vivado block-memory IP, from the .coe files.",
	}
	est := Estimate(d)
	m.Estimate = &est
	m.Fit = fitRows(est, d.Capacity)
	m.Notes = append(m.Notes, fitWarnings(d, m.Fit)...)
	if uram {
		m.Notes = append(m.Notes, "Memories with runtime_load are URAM288, which UltraScale+ cannot initialise from the bitstream (it powers up as zero): write their .mem words through soma_top's ld_we/ld_engine/ld_addr/ld_data port before releasing rst, as tb.v does.")
	}
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	add(ManifestName, "this manifest", append(mj, '\n'))
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), files[n], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ReadManifest reads an artifact directory's manifest.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("%s is not an FPGA artifact directory (soma compile --target zcu102 -o DIR writes one): %w", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestName), err)
	}
	return &m, nil
}

func (d *Design) routerWords() []*big.Int {
	var out []*big.Int
	for _, r := range d.Router {
		w := new(big.Int).SetUint64(uint64(r.Key)<<32 | uint64(r.Mask))
		w.Lsh(w, uint(len(d.Engines)))
		for _, e := range r.Dest {
			w.SetBit(w, e, 1)
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		// an entry nothing matches
		w := new(big.Int).Lsh(big.NewInt(1), uint(len(d.Engines)+32))
		out = append(out, w)
	}
	return out
}

func hexWord(w *big.Int, width int) string {
	digits := (width + 3) / 4
	return fmt.Sprintf("%0*x", digits, w)
}

func memFile(words []*big.Int, width int) []byte {
	var b bytes.Buffer
	for _, w := range words {
		b.WriteString(hexWord(w, width))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func coeFile(words []*big.Int, width int) []byte {
	var b bytes.Buffer
	b.WriteString("memory_initialization_radix=16;\nmemory_initialization_vector=\n")
	for i, w := range words {
		b.WriteString(hexWord(w, width))
		if i == len(words)-1 {
			b.WriteString(";\n")
		} else {
			b.WriteString(",\n")
		}
	}
	return b.Bytes()
}

func expectedSpikes(res *results.Result) []byte {
	var b bytes.Buffer
	b.WriteString("# step population neuron\n")
	for _, s := range res.Spikes {
		fmt.Fprintf(&b, "%d %s %d\n", s.Step, res.Populations[s.Pop].Name, s.Neuron)
	}
	return b.Bytes()
}

func expectedCycles(cnt *emu.Counters, engines, steps int) ([]byte, error) {
	if len(cnt.Cores) != engines {
		return nil, fmt.Errorf("emulator reports %d cores, the design has %d engines", len(cnt.Cores), engines)
	}
	var b bytes.Buffer
	b.WriteString("# step engine cycles\n")
	for t := range steps {
		for i, c := range cnt.Cores {
			if len(c.CyclesPerStep) != steps {
				return nil, fmt.Errorf("emulator reports %d cycle counts for engine %d, want %d", len(c.CyclesPerStep), i, steps)
			}
			fmt.Fprintf(&b, "%d %d %d\n", t, i, c.CyclesPerStep[t])
		}
	}
	return b.Bytes(), nil
}

// RTL renders the design's Verilog: the engine modules it uses, then the top.
func (d *Design) RTL() ([]byte, error) {
	var out bytes.Buffer
	used := map[string]bool{}
	source := false
	for _, e := range d.Engines {
		if e.Source {
			source = true
		} else {
			used[e.Model+e.Suffix()] = true
		}
	}
	for _, model := range supportedModels {
		for _, plastic := range []bool{false, true} {
			for _, uram := range []bool{false, true} {
				suffix := moduleSuffix(plastic, uram)
				if !used[model+suffix] {
					continue
				}
				data := d.engineData(model)
				data["SynURAM"], data["Plastic"], data["Suffix"] = uram, plastic, suffix
				b, err := d.render("engine.v.tmpl", data)
				if err != nil {
					return nil, err
				}
				out.Write(b)
				out.WriteByte('\n')
			}
		}
	}
	if source {
		b, err := d.render("source.v.tmpl", d.engineData(""))
		if err != nil {
			return nil, err
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	tokBits := clog2(len(d.Engines))
	b, err := d.render("top.v.tmpl", map[string]any{
		"Engines": d.Engines, "Network": d.Network, "Target": d.Target, "Steps": d.Steps,
		"RouteEntries": max(1, len(d.Router)), "TokBits": tokBits,
	})
	if err != nil {
		return nil, err
	}
	out.Write(b)
	return out.Bytes(), nil
}

// engineData is what engine.v.tmpl renders for a model (source.v.tmpl
// uses only the common part).
func (d *Design) engineData(model string) map[string]any {
	num := d.Numeric
	data := map[string]any{
		"SB": num.StateBits, "SF": num.StateFrac, "WB": num.WeightBits, "DF": num.DecayFrac, "RB": num.RingBits, "TMB": timerBits,
		"Tick": d.Costs.TickOverhead, "RowLookup": d.Costs.RowLookup, "SynURAM": false, "Plastic": false, "Model": model,
		"STDPDrain": stdpDrain, "POTStart": potStart,
	}
	spec, ok := models[model]
	if !ok {
		return data
	}
	pf, pw := sized(spec.Params, num)
	sf, sw := sized(spec.State, num)
	var wb []string
	for _, f := range sf {
		wb = append(wb, stateWire[f.Role])
	}
	data["PrmFields"], data["StFields"], data["PW"], data["SW"] = pf, sf, pw, sw
	data["StWB"] = "{" + strings.Join(wb, ", ") + "}"
	data["Exp"], data["Cuba"], data["Delta"], data["Membrane"] = spec.Exp, spec.Cuba, spec.Delta, spec.Membrane()
	data["Spiking"], data["Refr"], data["Memoryless"] = spec.Spiking, spec.Refr, spec.Memoryless
	return data
}

func (d *Design) tbData() map[string]any {
	// A generous bound on simulated cycles: every step's work, ×4.
	var per int64 = 200
	for _, e := range d.Engines {
		per += int64(d.Costs.TickOverhead + 2*e.N + 8*e.InboxDepth + e.SynDepth + 16)
		if e.Plastic {
			// every plastic synapse arriving and potentiated in one step
			per += int64(2*e.STDP.PL + 2*stdpDrain + potStart)
		}
	}
	return map[string]any{
		"Engines": d.Engines, "Network": d.Network, "Steps": d.Steps, "ClockMHz": d.ClockHz / 1e6,
		"TimeoutCycles": min((per*int64(max(1, d.Steps))+100000)*4, math.MaxInt32),
	}
}

func (d *Design) render(name string, data any) ([]byte, error) {
	src, err := templates.ReadFile("rtl/" + name)
	if err != nil {
		return nil, err
	}
	tm, err := template.New(name).Delims("{%", "%}").Parse(string(src))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := tm.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// moduleSuffix names an engine variant: with plastic synapses (_stdp),
// with the synapse memory in URAM (_uram; the ram_style attribute is per
// module, so the two are separate modules).
func moduleSuffix(plastic, uram bool) string {
	s := ""
	if plastic {
		s += "_stdp"
	}
	if uram {
		s += "_uram"
	}
	return s
}

// Suffix is the engine's module variant (moduleSuffix).
func (e *Engine) Suffix() string { return moduleSuffix(e.Plastic, e.SynURAM) }
