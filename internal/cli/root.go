// Package cli is soma's command line: cobra commands and flags, and nothing
// else. Each command parses its flags, calls the packages that do the work,
// and prints. It is the only importer of cobra.
package cli

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X github.com/somahw/soma/internal/cli.Version=v0.1.0".
var Version = "dev"

// Main runs the soma command with args and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(stderr, "soma:", err)
		return 1
	}
	return 0
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "soma",
		Short: "Compile spiking networks to neuromorphic hardware, emulate it, and run it over a serial link",
		Long: `soma compiles spiking neural networks (model files, NIR graphs) for
SpiNNaker-style and UltraScale+ FPGA targets, simulates them, and reports
what they did.

  soma check examples/cuba.yaml     validate a model and summarise it
  soma run examples/cuba.yaml       simulate it and report spike rates
  soma targets                      list the hardware targets`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newCheckCmd(), newCompileCmd(), newImportCmd(), newInspectCmd(), newRunCmd(), newTargetsCmd(), newTestCmd(), newEnergyCmd(), newFPGACmd(),
		newLoadCmd(), newPortsCmd(), newBoardCmd(), newLinkProxyCmd(), newVersionCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print soma's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := Version
			goVersion := ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				goVersion = bi.GoVersion
				if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
					v = bi.Main.Version
				}
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						v += " (" + s.Value[:min(12, len(s.Value))] + ")"
					}
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "soma %s %s\n", v, goVersion)
			return nil
		},
	}
}

// isTerminal reports whether f is an interactive terminal, so progress
// bars show on a terminal and stay out of pipes and logs.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
