package fpga

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Simulator is an RTL simulator the co-simulation can use.
type Simulator string

const (
	Icarus    Simulator = "icarus"
	Verilator Simulator = "verilator"
)

// Available reports whether the simulator's tools are on PATH, and if not,
// why.
func (s Simulator) Available() (bool, string) {
	var tools []string
	switch s {
	case Icarus:
		tools = []string{"iverilog", "vvp"}
	case Verilator:
		tools = []string{"verilator"}
	default:
		return false, fmt.Sprintf("unknown simulator %q", s)
	}
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			return false, fmt.Sprintf("%s not found on PATH (install it: apt-get install %s)", t, map[Simulator]string{Icarus: "iverilog", Verilator: "verilator"}[s])
		}
	}
	return true, ""
}

// SimSpike is one spike the RTL sent.
type SimSpike struct {
	Step   int
	Pop    string
	Neuron int
}

// SimResult is what a simulation printed, and how it compares with the
// emulator's expectations.
type SimResult struct {
	Simulator Simulator
	Spikes    []SimSpike
	// Cycles[t][e] is engine e's busy cycles in step t.
	Cycles [][]int
	// StepCycles[t] is the whole design's cycles for step t (barriers included).
	StepCycles  []int
	TotalCycles int
	// SpikesMatch and CyclesMatch: equal to the emulator's; otherwise
	// FirstSpikeDiff / FirstCycleDiff say where they first differ.
	SpikesMatch, CyclesMatch       bool
	FirstSpikeDiff, FirstCycleDiff string
	ExpectedSpikes                 int
	// Weights are the plastic synapses' words at the end of the run, as
	// the testbench read them from the synapse memories.
	Weights []SimWeight
}

// SimWeight is one plastic synapse's word after the run: engine, word
// address in the engine's synaptic matrix, the word (weight field and all).
type SimWeight struct {
	Engine int
	Addr   int
	Word   uint32
}

// Summary is one line: "spikes match, cycles match" or the first divergence.
func (r *SimResult) Summary() string {
	var parts []string
	if r.SpikesMatch {
		parts = append(parts, fmt.Sprintf("spikes match (%d)", len(r.Spikes)))
	} else {
		parts = append(parts, "spikes differ: "+r.FirstSpikeDiff)
	}
	if r.CyclesMatch {
		parts = append(parts, fmt.Sprintf("cycles match (%d engines × %d steps)", len(r.Cycles[0]), len(r.Cycles)))
	} else {
		parts = append(parts, "cycles differ: "+r.FirstCycleDiff)
	}
	return strings.Join(parts, ", ")
}

// OK reports whether spikes and cycles both match.
func (r *SimResult) OK() bool { return r.SpikesMatch && r.CyclesMatch }

// Simulate compiles and runs the design in dir with simulator s, in a
// scratch directory under work (the artifact directory is not touched),
// and compares what it printed with the expected files.
func Simulate(ctx context.Context, dir string, s Simulator, work string) (*SimResult, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if ok, why := s.Available(); !ok {
		return nil, fmt.Errorf("%s: %s", s, why)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	var out []byte
	run := func(name string, args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, name, args...)
		// the memories are read by relative path: run in the artifact dir
		cmd.Dir = abs
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		o, err := cmd.Output()
		if err != nil {
			return o, fmt.Errorf("%s: %v\n%s%s", name, err, stderr.String(), tail(o))
		}
		return o, nil
	}
	switch s {
	case Icarus:
		bin := filepath.Join(work, "sim.vvp")
		if _, err := run("iverilog", "-g2005", "-Wall", "-Wno-timescale", "-o", bin, RTLFile, TestbenchFile); err != nil {
			return nil, err
		}
		if out, err = run("vvp", "-n", bin); err != nil {
			return nil, err
		}
	case Verilator:
		obj := filepath.Join(work, "obj_dir")
		if _, err := run("verilator", "--binary", "--timing", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--top-module", "tb",
			"-Mdir", obj, "-o", "sim", RTLFile, TestbenchFile); err != nil {
			return nil, err
		}
		if out, err = run(filepath.Join(obj, "sim")); err != nil {
			return nil, err
		}
	}
	return Compare(dir, m, s, out)
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Compare parses simulator output and compares it with dir's expectations.
func Compare(dir string, m *Manifest, s Simulator, out []byte) (*SimResult, error) {
	r := &SimResult{Simulator: s, Cycles: make([][]int, m.Steps), StepCycles: make([]int, m.Steps)}
	for t := range r.Cycles {
		r.Cycles[t] = make([]int, len(m.Engines))
		for e := range r.Cycles[t] {
			r.Cycles[t][e] = -1
		}
	}
	done := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		nums := make([]int, len(f)-1)
		for i, x := range f[1:] {
			n, err := strconv.Atoi(x)
			if err != nil {
				nums = nil
				break
			}
			nums[i] = n
		}
		switch {
		case f[0] == "TIMEOUT":
			return nil, fmt.Errorf("%s: simulation timed out: %s", s, sc.Text())
		case f[0] == "S" && len(nums) == 3:
			step, e, local := nums[0], nums[1], nums[2]
			if e < 0 || e >= len(m.Engines) {
				return nil, fmt.Errorf("%s: spike from unknown engine %d", s, e)
			}
			en := m.Engines[e]
			r.Spikes = append(r.Spikes, SimSpike{step, en.Population, int(en.Lo) + local})
		case f[0] == "C" && len(nums) == 3:
			if nums[0] < m.Steps && nums[1] < len(m.Engines) {
				r.Cycles[nums[0]][nums[1]] = nums[2]
			}
		case f[0] == "T" && len(nums) == 2:
			if nums[0] < m.Steps {
				r.StepCycles[nums[0]] = nums[1]
			}
		case f[0] == "W" && len(nums) == 3:
			r.Weights = append(r.Weights, SimWeight{nums[0], nums[1], uint32(nums[2])})
		case f[0] == "D" && len(nums) == 1:
			done, r.TotalCycles = true, nums[0]
		}
	}
	if !done {
		return nil, fmt.Errorf("%s: the simulation did not finish (no D line):\n%s", s, tail(out))
	}
	want, err := readExpectedSpikes(filepath.Join(dir, ExpectedSpikesFile))
	if err != nil {
		return nil, err
	}
	r.ExpectedSpikes = len(want)
	// The emulator records only neurons with recording on; keep the same.
	recorded := map[string]bool{}
	for _, s := range want {
		recorded[s.Pop] = true
	}
	got := slices.DeleteFunc(slices.Clone(r.Spikes), func(s SimSpike) bool { return !recorded[s.Pop] && len(want) > 0 })
	sortSpikes(got)
	sortSpikes(want)
	r.SpikesMatch, r.FirstSpikeDiff = diffSpikes(want, got)
	wantC, err := readExpectedCycles(filepath.Join(dir, ExpectedCyclesFile), m.Steps, len(m.Engines))
	if err != nil {
		return nil, err
	}
	r.CyclesMatch = true
	for t := range m.Steps {
		for e := range m.Engines {
			if wantC[t][e] != r.Cycles[t][e] {
				r.CyclesMatch = false
				r.FirstCycleDiff = fmt.Sprintf("tick %d, engine %d (%s): expected %d cycles, got %d", t, e, m.Engines[e].Population, wantC[t][e], r.Cycles[t][e])
				return r, nil
			}
		}
	}
	return r, nil
}

func sortSpikes(s []SimSpike) {
	slices.SortFunc(s, func(a, b SimSpike) int {
		if a.Step != b.Step {
			return a.Step - b.Step
		}
		if a.Pop != b.Pop {
			return strings.Compare(a.Pop, b.Pop)
		}
		return a.Neuron - b.Neuron
	})
}

// diffSpikes names the first (tick, neuron) where the lists differ.
func diffSpikes(want, got []SimSpike) (bool, string) {
	for i := 0; i < max(len(want), len(got)); i++ {
		switch {
		case i >= len(got):
			w := want[i]
			return false, fmt.Sprintf("tick %d, neuron %s[%d]: expected a spike, got none (RTL %d spikes, emulator %d)", w.Step, w.Pop, w.Neuron, len(got), len(want))
		case i >= len(want):
			g := got[i]
			return false, fmt.Sprintf("tick %d, neuron %s[%d]: expected no spike, got one (RTL %d spikes, emulator %d)", g.Step, g.Pop, g.Neuron, len(got), len(want))
		case want[i] != got[i]:
			w, g := want[i], got[i]
			// the earlier of the two is where they diverge
			if g.Step < w.Step || g.Step == w.Step && (g.Pop < w.Pop || g.Pop == w.Pop && g.Neuron < w.Neuron) {
				return false, fmt.Sprintf("tick %d, neuron %s[%d]: expected no spike, got one", g.Step, g.Pop, g.Neuron)
			}
			return false, fmt.Sprintf("tick %d, neuron %s[%d]: expected a spike, got none", w.Step, w.Pop, w.Neuron)
		}
	}
	return true, ""
}

func readExpectedSpikes(path string) ([]SimSpike, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []SimSpike
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: want step population neuron", path, i+1)
		}
		st, e1 := strconv.Atoi(f[0])
		n, e2 := strconv.Atoi(f[2])
		if e1 != nil || e2 != nil {
			return nil, fmt.Errorf("%s:%d: bad number", path, i+1)
		}
		out = append(out, SimSpike{st, f[1], n})
	}
	return out, nil
}

func readExpectedCycles(path string, steps, engines int) ([][]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := make([][]int, steps)
	for t := range out {
		out[t] = make([]int, engines)
	}
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		var v [3]int
		for k := range v {
			if len(f) != 3 {
				return nil, fmt.Errorf("%s:%d: want step engine cycles", path, i+1)
			}
			n, err := strconv.Atoi(f[k])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", path, i+1, err)
			}
			v[k] = n
		}
		if v[0] >= steps || v[1] >= engines {
			return nil, fmt.Errorf("%s:%d: step or engine out of range", path, i+1)
		}
		out[v[0]][v[1]] = v[2]
	}
	return out, nil
}
