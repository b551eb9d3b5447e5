package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/somahw/soma/backends/fpga"
	"github.com/somahw/soma/backends/spinnaker"
	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

type compileFlags struct {
	nir            nirFlags
	target         string
	out            string
	report         bool
	json           bool
	timings        bool
	dumpAfter      string
	neuronsPerCore int
}

func newCompileCmd() *cobra.Command {
	var f compileFlags
	cmd := &cobra.Command{
		Use:   "compile MODEL --target T [-o net.soma]",
		Short: "Compile a model for a hardware target: quantise, partition, place, route, lay out",
		Long: `Compile maps a model onto a target (see "soma targets"): it quantises
parameters and weights to the target's fixed point, splits populations into
per-core slices, places them, allocates routing keys, builds and compresses
the chips' multicast tables, lays out every core's memory and verifies the
result. A network that does not fit fails here, saying which population or
projection, which limit, and what to change.

-o writes the result, by extension:
  .soma    soma's compiled program (a versioned binary container)
  .spinn   a SpiNNaker board image (docs/image-format.md); for a machine of
           several boards (spinn5x3) a manifest plus one image per board
           (NAME-board0.spinn, …) next to it, loadable in parallel
  DIR      for an FPGA target (zcu102, …): the neuron-engine Verilog, memory
           images (.mem, .coe), testbench, stimulus, expected spikes and
           cycles, manifest (docs/fpga-engine.md); check with soma fpga sim DIR
For an FPGA target, a design whose estimated utilisation exceeds the part
(LUT, FF, BRAM36, URAM288, DSP48E2) is refused whatever -o writes, saying
which resource, which populations use it and what to change; over 90% of a
resource it warns (docs/fpga-engine.md, "Fit").
Every output is byte-identical for the same input and seed. --report prints
the mapping report.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return compileModel(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.target, "target", "t", "spinn5", "hardware target (soma targets lists them)")
	fl.StringVarP(&f.out, "out", "o", "", "write the compiled program to this file")
	fl.BoolVar(&f.report, "report", false, "print the mapping report: cores, memory, CPU load, router entries, quantisation error")
	fl.BoolVar(&f.json, "json", false, "print the mapping report as JSON")
	fl.BoolVar(&f.timings, "timings", false, "print each pass's time")
	fl.StringVar(&f.dumpAfter, "dump-after", "", "print the compiler's state after this pass: "+strings.Join(compiler.PassNames(), ", "))
	fl.IntVar(&f.neuronsPerCore, "neurons-per-core", 0, "largest slice of a population on one core (default: the target's)")
	f.nir.add(cmd)
	return cmd
}

func compileModel(cmd *cobra.Command, path string, f compileFlags) error {
	t, err := target.Load(f.target)
	if err != nil {
		return err
	}
	m, err := loadModel(cmd, path, f.nir)
	if err != nil {
		return err
	}
	net := m.net
	opts := compiler.Options{NeuronsPerCore: f.neuronsPerCore}
	if f.dumpAfter != "" {
		known := false
		for _, n := range compiler.PassNames() {
			known = known || n == f.dumpAfter
		}
		if !known {
			return fmt.Errorf("--dump-after %q: no such pass; passes: %s", f.dumpAfter, strings.Join(compiler.PassNames(), ", "))
		}
		opts.DumpAfter, opts.Dump = f.dumpAfter, cmd.OutOrStdout()
	}
	res, err := compiler.Compile(net, t, opts)
	if err != nil {
		return err
	}
	var warnings []string
	if t.Kind == target.KindFPGA {
		// The design must fit the part, whatever is written: the
		// estimate refuses it here, before yosys or Vivado would.
		if _, warnings, err = fpga.Check(res.Program, t); err != nil {
			return err
		}
	}
	out := cmd.OutOrStdout()
	if f.out != "" {
		if err := writeProgram(f.out, res.Program, t); err != nil {
			return err
		}
	}
	switch {
	case f.json:
		if err := res.Report.WriteJSON(out); err != nil {
			return err
		}
	case f.report:
		if err := res.Report.WriteText(out); err != nil {
			return err
		}
	default:
		r := res.Report
		fmt.Fprintf(out, "%s on %s: %s on %s, %d synapses\n", r.Network, r.Target, compiler.Plural(r.Cores, "core"), compiler.Plural(r.Chips, "chip"), r.Synapses)
		for _, w := range r.Warnings {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
		}
	}
	for _, w := range warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
	}
	if f.timings {
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		total := 0.0
		for _, tm := range res.Timings {
			total += tm.Seconds
		}
		fmt.Fprintln(tw, "pass\tseconds\tshare\t")
		for _, tm := range res.Timings {
			fmt.Fprintf(tw, "%s\t%.4f\t%.0f%%\t\n", tm.Pass, tm.Seconds, 100*tm.Seconds/max(total, 1e-12))
		}
		fmt.Fprintf(tw, "total\t%.4f\t\t\n", total)
		tw.Flush()
	}
	if f.out != "" && !f.json {
		fmt.Fprintf(out, "wrote %s\n", f.out)
	}
	return nil
}

// writeProgram writes a compiled program in the format its file name asks
// for: a SpiNNaker image (or a manifest and per-board images) for .spinn,
// soma's own container otherwise.
func writeProgram(path string, p *program.Program, t *target.Target) error {
	if t.Kind == target.KindFPGA && !strings.HasSuffix(path, ".soma") && !strings.HasSuffix(path, ".spinn") {
		// An FPGA target's output is a directory of artifacts: the
		// Verilog, memory images, testbench and expected results.
		return fpga.WriteArtifacts(path, p, t)
	}
	if !strings.HasSuffix(path, ".spinn") {
		b, err := program.Encode(p)
		if err != nil {
			return err
		}
		return os.WriteFile(path, b, 0o644)
	}
	if t.Kind != target.KindSpiNNaker {
		return fmt.Errorf("%s: .spinn images are for SpiNNaker targets; %s is %s (write .soma, or the FPGA artifacts when they land)", path, t.Name, t.Kind)
	}
	if t.Machine.Boards <= 1 {
		b, err := spinnaker.Encode(p)
		if err != nil {
			return err
		}
		return os.WriteFile(path, b, 0o644)
	}
	manifest, images, err := spinnaker.EncodeBoards(p, t)
	if err != nil {
		return err
	}
	m, err := spinnaker.ParseManifest(manifest)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	for i, img := range images {
		if err := os.WriteFile(filepath.Join(dir, m.Boards[i].File), img, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(path, manifest, 0o644)
}

// readProgram reads a compiled program written by writeProgram: a
// SpiNNaker image, a board manifest with its images, or a .soma file.
func readProgram(path string) (*program.Program, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(b, []byte(spinnaker.Magic)):
		return spinnaker.Decode(b)
	case bytes.HasPrefix(b, []byte(spinnaker.ManifestHeader+"\n")):
		m, err := spinnaker.ParseManifest(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		images := make([][]byte, len(m.Boards))
		for i, bd := range m.Boards {
			if images[i], err = os.ReadFile(filepath.Join(filepath.Dir(path), bd.File)); err != nil {
				return nil, fmt.Errorf("%s: board %d: %w", path, i, err)
			}
		}
		return spinnaker.DecodeBoards(b, images)
	}
	return program.Decode(b)
}

// isCompiled reports whether a file is a compiled program rather than a
// model: by extension, or by its first bytes.
func isCompiled(path string) bool {
	switch filepath.Ext(path) {
	case ".soma", ".spinn":
		return true
	case ".yaml", ".yml", ".nir":
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := f.Read(head)
	return bytes.HasPrefix(head[:n], []byte("SOMAPROG")) || bytes.HasPrefix(head[:n], []byte(spinnaker.Magic))
}
