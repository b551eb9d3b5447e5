package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/somahw/soma/testbench"
)

func newTestCmd() *cobra.Command {
	var junit, artifacts, engines, port string
	var baud int
	var record bool
	cmd := &cobra.Command{
		Use:   "test SUITE_DIR|SUITES_DIR [--junit out.xml] [--record]",
		Short: "Run a hardware-test suite: the same networks on several engines, compared",
		Long: `Test runs a suite (a directory with suite.yaml; testbench/suites/m1 is
soma's own), or every suite in the subdirectories of a directory
(soma test testbench/suites/): each case's model on the engines it names — reference (float64),
emu (the compiled program on the emulator), image (through a SpiNNaker board
image, decoded and emulated), board (loaded and run over the serial link
protocol: on --port, or on a virtual board served on a pseudo-terminal), rtl
(the FPGA design in Icarus Verilog) — and compares each engine with the first, and
with the golden vectors recorded in SUITE_DIR/golden/ (--record stores them).

It prints a table, writes JUnit XML with --junit for CI systems, and for each
failure prints the first diverging step and the neurons that differ and
writes the two runs' rasters side by side into --artifacts.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			suites, err := loadSuites(args[0])
			if err != nil {
				return err
			}
			if port != "" {
				testbench.BoardPort, testbench.BoardBaud = port, baud
			}
			var opts testbench.Options
			opts.Record = record
			if engines != "" {
				opts.Engines = strings.Split(engines, ",")
			}
			var outcomes []*testbench.Outcome
			for _, s := range suites {
				o, err := s.Run(opts)
				if err != nil {
					return fmt.Errorf("suite %s: %w", s.Name, err)
				}
				outcomes = append(outcomes, o...)
			}
			out := cmd.OutOrStdout()
			failed := testbench.WriteTable(out, outcomes)
			if junit != "" {
				f, err := os.Create(junit)
				if err != nil {
					return err
				}
				if err := testbench.WriteJUnit(f, outcomes); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
				fmt.Fprintf(out, "wrote %s\n", junit)
			}
			if failed > 0 {
				dir := artifacts
				if dir == "" {
					dir = filepath.Join(args[0], "failures")
				}
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
				for i, o := range outcomes {
					if o.Diff == nil {
						continue
					}
					create := func(p string) (io.WriteCloser, error) { return os.Create(p) }
					var expected = o.Result
					if first := firstResult(outcomes[:i], o.Case); first != nil {
						expected = first.Result
					}
					if err := testbench.WriteRasters(dir, expected, o, create); err != nil {
						return err
					}
				}
				return fmt.Errorf("%d of %d failed; rasters of the failures are in %s", failed, len(outcomes), dir)
			}
			if record {
				fmt.Fprintf(out, "recorded golden vectors in %s\n", filepath.Join(args[0], "golden"))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&junit, "junit", "", "write JUnit XML here")
	fl.BoolVar(&record, "record", false, "store each engine's spikes as the suite's golden vectors")
	fl.StringVar(&artifacts, "artifacts", "", "where to write the rasters of failures (default SUITE_DIR/failures)")
	fl.StringVar(&engines, "engines", "", "run only these engines (comma-separated)")
	fl.StringVar(&port, "port", "", "the board engine's serial port (or tcp:HOST:PORT); default: a virtual board on a pseudo-terminal")
	fl.IntVar(&baud, "baud", 3000000, "line rate of --port")
	return cmd
}

// firstResult is the result the failing outcome was compared with: the
// first engine that ran on the same case.
func firstResult(before []*testbench.Outcome, c string) *testbench.Outcome {
	for _, o := range before {
		if o.Case == c && o.Result != nil {
			return o
		}
	}
	return nil
}

// loadSuites loads the suite in dir, or every suite in its subdirectories.
func loadSuites(dir string) ([]*testbench.Suite, error) {
	if _, err := os.Stat(filepath.Join(dir, "suite.yaml")); err == nil {
		s, err := testbench.LoadSuite(dir)
		if err != nil {
			return nil, err
		}
		return []*testbench.Suite{s}, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []*testbench.Suite
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(sub, "suite.yaml")); err != nil {
			continue
		}
		s, err := testbench.LoadSuite(sub)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no suite.yaml, nor subdirectories with one", dir)
	}
	return out, nil
}
