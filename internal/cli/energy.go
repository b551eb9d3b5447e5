package cli

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/somahw/soma/backends/emu"
	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/energy"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

type energyFlags struct {
	nir        nirFlags
	target     string
	compare    []string
	html       string
	json       bool
	inferences int
	boxed      bool
}

// newEnergyCmd is `soma energy MODEL`: compile, emulate, and cost the run.
func newEnergyCmd() *cobra.Command {
	var f energyFlags
	cmd := &cobra.Command{
		Use:   "energy MODEL",
		Short: "Estimate a model's energy on targets from an emulated run's event counts",
		Long: `Energy compiles a model for --target, runs it on the emulator, and multiplies
the run's event counters by the target's energy coefficients: static power
(boards or chips idle, each used core active) over the run's time at real-time
speed, plus per-event energies (packets routed per chip, synaptic events,
neuron updates, ...). Every coefficient is shown with its source and status
(read, second-hand, estimate); events a target has no coefficient for are
listed as not costed. docs/energy.md describes the model.

--compare runs the same network on several targets side by side. Names of
reference systems (loihi, truenorth, spinnaker2, odin, reckon, cmos45) are not
compilable: their published energies are applied to the event counts of the
first target's run and the column is labelled an estimate from event counts.

  soma energy examples/cuba.yaml --compare spinn5,zcu102,loihi --html energy.html`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEnergy(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.target, "target", "t", "spinn5", "hardware target the model is compiled for and run on (soma targets lists them)")
	fl.StringSliceVar(&f.compare, "compare", nil, "more systems side by side: targets, or reference systems costed from the first run's counts (e.g. spinn5,zcu102,loihi)")
	fl.StringVar(&f.html, "html", "", "also write a self-contained HTML report with SVG charts to this file")
	fl.BoolVar(&f.json, "json", false, "print the report as JSON instead of text")
	fl.IntVar(&f.inferences, "inferences", 1, "how many inferences one run stands for (energy per inference = total / this)")
	fl.BoolVar(&f.boxed, "boxed", false, "add the target's box/frame overhead power (boards mounted in a box)")
	f.nir.add(cmd)
	return cmd
}

func runEnergy(cmd *cobra.Command, path string, f energyFlags) error {
	if f.inferences < 1 {
		return fmt.Errorf("--inferences %d: want at least 1", f.inferences)
	}
	refs, err := target.ReferenceEnergy()
	if err != nil {
		return err
	}
	m, err := loadModel(cmd, path, f.nir)
	if err != nil {
		return err
	}
	net := m.net
	systems := []string{f.target}
	for _, s := range f.compare {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(systems, s) {
			systems = append(systems, s)
		}
	}
	opts := energy.Options{Inferences: f.inferences, Boxed: f.boxed, References: refs}
	refIndex := func(name string) int {
		return slices.IndexFunc(refs, func(r target.ReferenceSystem) bool { return r.Name == name })
	}
	if refIndex(systems[0]) >= 0 {
		return fmt.Errorf("--target %s is a reference system, not a target: give a target to run on (soma targets lists them) and put %s in --compare", systems[0], systems[0])
	}

	// basis is the first target's run: reference systems cost its counts.
	var basisName string
	var basisProg *program.Program
	var basisCnt *emu.Counters
	var reports []*energy.Report
	for _, name := range systems {
		if i := refIndex(name); i >= 0 {
			r, err := energy.EstimateReference(basisProg, refs[i], basisName, basisCnt, opts)
			if err != nil {
				return err
			}
			reports = append(reports, r)
			continue
		}
		t, err := target.Load(name)
		if err != nil {
			names := make([]string, len(refs))
			for i, r := range refs {
				names[i] = r.Name
			}
			return fmt.Errorf("%w (reference systems, costed from event counts: %s)", err, strings.Join(names, ", "))
		}
		comp, err := compiler.Compile(net, t, compiler.Options{})
		if err != nil {
			return err
		}
		for _, w := range comp.Report.Warnings {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s: %s\n", name, w)
		}
		e, err := emu.New(comp.Program, program.NewMachine(t), emu.Options{})
		if err != nil {
			return err
		}
		_, cnt, err := e.Run()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if d := cnt.Dropped(); d > 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s dropped %d packets: their routing energy up to the drop is counted, the synaptic events they would have caused are not\n", name, d)
		}
		if o := cnt.Totals().Overruns; o > 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s: %d timer-tick overruns: the hardware would not keep real time, so the run would take longer than steps × timestep and cost more static energy than reported\n", name, o)
		}
		r, err := energy.Estimate(comp.Program, t, cnt, opts)
		if err != nil {
			return err
		}
		reports = append(reports, r)
		if basisProg == nil {
			basisName, basisProg, basisCnt = name, comp.Program, cnt
		}
	}
	c := energy.Compare(reports...)
	if f.html != "" {
		var buf bytes.Buffer
		if err := c.WriteHTML(&buf); err != nil {
			return err
		}
		if err := os.WriteFile(f.html, buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	out := cmd.OutOrStdout()
	if f.json {
		return c.WriteJSON(out)
	}
	if err := c.WriteText(out); err != nil {
		return err
	}
	if f.html != "" {
		fmt.Fprintf(out, "\nwrote %s\n", f.html)
	}
	return nil
}
