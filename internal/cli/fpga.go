package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/somahw/soma/backends/fpga"
	"github.com/somahw/soma/target"
)

// newFPGACmd is "soma fpga": co-simulation and resource reports of the
// design soma compile --target zcu102 -o DIR/ wrote.
func newFPGACmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fpga",
		Short: "Simulate an FPGA design against the emulator, and report its resources",
		Long: `soma compile --target zcu102 -o out/ writes an FPGA design into out/: the
neuron-engine Verilog, memory files (.mem, .coe), a testbench, the stimulus,
the emulator's expected spikes and cycle counts, and manifest.json
(docs/fpga-engine.md).

  soma fpga sim out/       run the testbench (Icarus Verilog, or Verilator)
                           and compare spikes and per-step cycles with the emulator
  soma fpga report out/    yosys utilisation against the part's capacity, beside
                           the estimate soma compile refused or accepted it by`,
	}
	cmd.AddCommand(newFPGASimCmd(), newFPGAReportCmd())
	return cmd
}

func newFPGASimCmd() *cobra.Command {
	var sim string
	cmd := &cobra.Command{
		Use:   "sim DIR",
		Short: "Run the design's testbench and compare spikes and cycles with the emulator",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s := fpga.Simulator(sim)
			if ok, why := s.Available(); !ok {
				return fmt.Errorf("cannot simulate with %s: %s", sim, why)
			}
			work, err := os.MkdirTemp("", "soma-fpga-sim-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(work)
			r, err := fpga.Simulate(cmd.Context(), args[0], s, work)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", s, r.Summary())
			if !r.OK() {
				return fmt.Errorf("the RTL diverges from the emulator")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&sim, "simulator", string(fpga.Icarus), "icarus or verilator")
	return cmd
}

func newFPGAReportCmd() *cobra.Command {
	var rerun bool
	cmd := &cobra.Command{
		Use:   "report DIR",
		Short: "Synthesize the design with yosys and print its resources against the part and soma's estimate",
		Long: `Synthesize the design with yosys and print its resources against the part and soma's estimate.
yosys's figures are kept in DIR/` + fpga.SynthFile + ` under a hash of the RTL and memory
images, and reused while the design is unchanged (--rerun synthesises again).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := fpga.ReadManifest(args[0])
			if err != nil {
				return err
			}
			t, err := target.Load(m.Target)
			if err != nil {
				return err
			}
			u, cached, err := fpga.SynthesizeCached(cmd.Context(), args[0], rerun)
			if err != nil {
				return err
			}
			if err := fpga.WriteReport(cmd.OutOrStdout(), u, t, m); err != nil {
				return err
			}
			if cached {
				fmt.Fprintf(cmd.OutOrStdout(), "(yosys figures from %s, a synthesis of this same design; --rerun to run yosys again)\n", filepath.Join(args[0], fpga.SynthFile))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&rerun, "rerun", false, "run yosys even if DIR holds its figures for this design")
	return cmd
}
