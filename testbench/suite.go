package testbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/somahw/soma/backends/emu"
	"github.com/somahw/soma/backends/fpga"
	"github.com/somahw/soma/backends/spinnaker"
	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/results"
	"github.com/somahw/soma/runtime"
	"github.com/somahw/soma/runtime/board"
	"github.com/somahw/soma/runtime/serialport"
	"github.com/somahw/soma/target"
	"github.com/somahw/soma/testbench/reference"
)

// Case is one hardware test: a model, the engines to run it on, and how
// their results must compare (each engine against the first, or against
// the recorded golden vectors).
type Case struct {
	Name     string     `yaml:"name"`
	Model    string     `yaml:"model"`    // relative to the suite directory
	Duration string     `yaml:"duration"` // optional override, e.g. 100ms
	Target   string     `yaml:"target"`   // for compiled engines; default spinn5
	Engines  []string   `yaml:"engines"`
	Compare  Comparison `yaml:"compare"`
}

// Suite is a directory of cases (its suite.yaml).
type Suite struct {
	Name  string `yaml:"name"`
	Dir   string `yaml:"-"`
	Cases []Case `yaml:"cases"`
}

// LoadSuite reads DIR/suite.yaml.
func LoadSuite(dir string) (*Suite, error) {
	path := filepath.Join(dir, "suite.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Suite
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.Dir = dir
	if s.Name == "" {
		s.Name = filepath.Base(dir)
	}
	seen := map[string]bool{}
	for i, c := range s.Cases {
		switch {
		case c.Name == "":
			return nil, fmt.Errorf("%s: case %d has no name", path, i)
		case seen[c.Name]:
			return nil, fmt.Errorf("%s: case %s is defined twice", path, c.Name)
		case c.Model == "":
			return nil, fmt.Errorf("%s: case %s has no model", path, c.Name)
		case len(c.Engines) == 0:
			return nil, fmt.Errorf("%s: case %s names no engines", path, c.Name)
		}
		seen[c.Name] = true
		for _, e := range c.Engines {
			if !knownEngine(e) {
				return nil, fmt.Errorf("%s: case %s: unknown engine %q; engines: %s", path, c.Name, e, strings.Join(EngineNames(), ", "))
			}
		}
	}
	return &s, nil
}

// Engine runs a network and returns what it produced. Skip errors
// (ErrSkip) mean the engine is not available here (no port, no tool).
type Engine func(net *ir.Network, tname string) (*results.Result, error)

// ErrSkip marks an engine that cannot run here; the outcome says why.
var ErrSkip = errors.New("skipped")

// Engines are the engines a suite can name. Callers (the CLI, with a
// port; the FPGA backend, with its simulator) may add more.
var Engines = map[string]Engine{
	"reference": runReference,
	"emu":       runEmu,
	"image":     runImage,
	"rtl":       runRTL,
	"board":     runVirtualBoard,
}

// BoardPort, when set, is the serial port (or tcp:HOST:PORT) the "board"
// engine runs on; otherwise it starts a virtual board on a pseudo-terminal
// in this process, so the bytes cross the same serial code path.
var BoardPort, BoardBaud = "", 3000000

func knownEngine(name string) bool {
	_, ok := Engines[name]
	return ok
}

// EngineNames lists the engines, sorted.
func EngineNames() []string {
	var names []string
	for n := range Engines {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func runReference(net *ir.Network, _ string) (*results.Result, error) {
	exp, err := ir.Expand(net)
	if err != nil {
		return nil, err
	}
	return reference.Run(exp, reference.Options{})
}

// compileFor compiles a network for a target.
func compileFor(net *ir.Network, tname string) (*program.Program, *target.Target, error) {
	t, err := target.Load(tname)
	if err != nil {
		return nil, nil, err
	}
	res, err := compiler.Compile(net, t, compiler.Options{})
	if err != nil {
		return nil, nil, err
	}
	return res.Program, t, nil
}

func emulate(p *program.Program, t *target.Target) (*results.Result, error) {
	e, err := emu.New(p, program.NewMachine(t), emu.Options{})
	if err != nil {
		return nil, err
	}
	res, _, err := e.Run()
	return res, err
}

func runEmu(net *ir.Network, tname string) (*results.Result, error) {
	p, t, err := compileFor(net, tname)
	if err != nil {
		return nil, err
	}
	return emulate(p, t)
}

// runImage goes through the board image: compile, encode a SpiNNaker image,
// decode it, emulate what was decoded — the path a board's loader takes.
func runImage(net *ir.Network, tname string) (*results.Result, error) {
	p, t, err := compileFor(net, tname)
	if err != nil {
		return nil, err
	}
	if t.Kind != target.KindSpiNNaker {
		return nil, fmt.Errorf("%w: the image engine is for SpiNNaker targets, not %s", ErrSkip, tname)
	}
	b, err := spinnaker.Encode(p)
	if err != nil {
		return nil, err
	}
	q, err := spinnaker.Decode(b)
	if err != nil {
		return nil, err
	}
	return emulate(q, t)
}

// Outcome is one engine's result on one case.
type Outcome struct {
	Suite, Case, Engine string
	Skipped             string // why, if skipped
	Err                 error  // the engine failed to run
	Diff                *Diff  // it ran and differed
	Seconds             float64
	Result              *results.Result
	// Against names what the result was compared with.
	Against string
}

// Passed reports whether the outcome is a pass (skips are not failures).
func (o *Outcome) Passed() bool { return o.Err == nil && o.Diff == nil }

// Options control a suite run.
type Options struct {
	// Record stores each engine's spikes as the golden vectors.
	Record bool
	// Engines restricts the engines run (nil: all the cases name).
	Engines []string
}

// goldenPath is where a case's golden spikes live.
func (s *Suite) goldenPath(c Case, engine string) string {
	return filepath.Join(s.Dir, "golden", c.Name+"."+engine+".csv")
}

// Run runs every case of the suite.
func (s *Suite) Run(opts Options) ([]*Outcome, error) {
	var out []*Outcome
	for _, c := range s.Cases {
		net, err := ir.ReadFile(filepath.Join(s.Dir, c.Model))
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", c.Name, err)
		}
		if c.Duration != "" {
			d, err := ir.ParseQuantity(c.Duration, ir.Time)
			if err != nil {
				return nil, fmt.Errorf("case %s: duration: %w", c.Name, err)
			}
			net.Run.Duration = d
		}
		tname := c.Target
		if tname == "" {
			tname = "spinn5"
		}
		var first *Outcome
		for _, eng := range c.Engines {
			if opts.Engines != nil && !contains(opts.Engines, eng) {
				continue
			}
			o := &Outcome{Suite: s.Name, Case: c.Name, Engine: eng}
			out = append(out, o)
			run, ok := Engines[eng]
			if !ok {
				o.Skipped = fmt.Sprintf("engine %s is not available here", eng)
				continue
			}
			start := time.Now()
			res, err := run(net, tname)
			o.Seconds = time.Since(start).Seconds()
			switch {
			case errors.Is(err, ErrSkip):
				o.Skipped = err.Error()
				continue
			case err != nil:
				o.Err = err
				continue
			}
			o.Result = res
			golden := s.goldenPath(c, eng)
			if opts.Record {
				if err := writeGolden(golden, res); err != nil {
					return nil, err
				}
			}
			if g, err := readGolden(golden, res); err == nil {
				o.Against = "golden " + filepath.Base(golden)
				o.Diff = DiffSpikes(g, res, 0)
			} else if !errors.Is(err, os.ErrNotExist) {
				o.Err = err
				continue
			}
			if o.Diff == nil && first != nil && first.Result != nil {
				o.Against = first.Engine
				o.Diff = Compare(first.Result, res, c.Compare)
			}
			if first == nil {
				first = o
			}
		}
	}
	return out, nil
}

func writeGolden(path string, r *results.Result) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := r.WriteSpikesCSV(&b); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// readGolden reads recorded spikes into a result shaped like r.
func readGolden(path string, r *results.Result) (*results.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sp, err := results.ReadSpikesCSV(f, r.Populations)
	if err != nil {
		return nil, fmt.Errorf("golden %s: %w", path, err)
	}
	g := *r
	g.Spikes = sp
	g.Sort()
	return &g, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// runRTL runs the FPGA design: compile for an FPGA target, generate the
// Verilog and memory images, simulate them with Icarus Verilog, and read
// back the spikes the RTL produced.
func runRTL(net *ir.Network, tname string) (*results.Result, error) {
	p, t, err := compileFor(net, tname)
	if err != nil {
		return nil, err
	}
	if t.Kind != target.KindFPGA {
		return nil, fmt.Errorf("%w: rtl is for FPGA targets, not %s", ErrSkip, tname)
	}
	if ok, why := fpga.Icarus.Available(); !ok {
		return nil, fmt.Errorf("%w: %s", ErrSkip, why)
	}
	dir, err := os.MkdirTemp("", "soma-rtl-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	art := filepath.Join(dir, "design")
	if err := fpga.WriteArtifacts(art, p, t); err != nil {
		return nil, err
	}
	sim, err := fpga.Simulate(context.Background(), art, fpga.Icarus, dir)
	if err != nil {
		return nil, err
	}
	if !sim.CyclesMatch {
		return nil, fmt.Errorf("RTL cycle counts differ from the emulator's: %s", sim.FirstCycleDiff)
	}
	res := &results.Result{Engine: "rtl", Network: p.Network, Timestep: p.Timestep, Steps: int(p.Steps)}
	index := map[string]int32{}
	for i, pop := range p.Populations {
		res.Populations = append(res.Populations, results.Population{Name: pop.Name, Size: int(pop.Size), Model: pop.Model})
		index[pop.Name] = int32(i)
	}
	// Keep what the program records, as every engine does (the RTL
	// reports every spike it sends).
	recorded := func(pop int32, neuron int) bool {
		for _, ci := range p.Populations[pop].Cores {
			c := &p.Cores[ci]
			if local := uint32(neuron) - c.Lo; uint32(neuron) >= c.Lo && local < c.N {
				return c.Record.Spikes != nil && c.Record.Spikes[local/32]>>(local%32)&1 != 0
			}
		}
		return false
	}
	for _, sp := range sim.Spikes {
		if recorded(index[sp.Pop], sp.Neuron) {
			res.Spikes = append(res.Spikes, results.Spike{Pop: index[sp.Pop], Neuron: int32(sp.Neuron), Step: int32(sp.Step)})
		}
	}
	res.Sort()
	return res, nil
}

// runVirtualBoard compiles the network, encodes its image (a SpiNNaker
// image, or soma's container for FPGA targets), and runs it on a board over
// a serial link: BoardPort if set, else a virtual board served on a pty.
func runVirtualBoard(net *ir.Network, tname string) (*results.Result, error) {
	p, t, err := compileFor(net, tname)
	if err != nil {
		return nil, err
	}
	var image []byte
	if t.Kind == target.KindSpiNNaker && t.Machine.Boards <= 1 {
		image, err = spinnaker.Encode(p)
	} else {
		image, err = program.Encode(p)
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	port := BoardPort
	if port == "" {
		pt, err := serialport.OpenPTY()
		if err != nil {
			return nil, fmt.Errorf("%w: no pseudo-terminal for a virtual board: %v", ErrSkip, err)
		}
		defer pt.Close()
		b := board.New(board.Options{Target: tname})
		go b.Serve(ctx, pt.Master)
		port = pt.Path
	}
	res, rep, err := serialport.RunOnBoard(ctx, port, BoardBaud, image, runtime.BoardRunOptions{Client: runtime.Options{Retries: 3}})
	if err != nil {
		if rep != nil && len(rep.Missing) > 0 {
			return nil, fmt.Errorf("%w (ticks missing: %v)", err, rep.Missing)
		}
		return nil, err
	}
	return res, nil
}
