package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/ir/nir"
)

// nirFlags are the options of every command that takes a model, for
// models given as NIR graphs (which store no timestep).
type nirFlags struct {
	dt             string
	steps          int
	lenient        bool
	discretisation string
}

func (f *nirFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.dt, "dt", "", "timestep for a .nir model (e.g. 1e-4 or 0.1ms); NIR graphs store none unless their metadata has dt")
	fl.IntVar(&f.steps, "steps", 1000, "run length in steps for a .nir model")
	fl.BoolVar(&f.lenient, "lenient", false, "for a .nir model: accept known real-world quirks and print what was assumed")
	fl.StringVar(&f.discretisation, "discretisation", "exact", "for a .nir model: how a step's input becomes synaptic input: exact (NIR's reference) or euler")
}

// model is a loaded network and, for NIR graphs, what the import did.
type model struct {
	net *ir.Network
	// nir is set for .nir files.
	nir *nir.Result
}

func isNIR(path string) bool { return strings.EqualFold(filepath.Ext(path), ".nir") }

// loadModel reads a model file: YAML, or a NIR graph lowered with the flags.
func loadModel(cmd *cobra.Command, path string, f nirFlags) (*model, error) {
	if !isNIR(path) {
		net, err := ir.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return &model{net: net}, nil
	}
	g, err := nir.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dt := 0.0
	switch {
	case f.dt != "":
		if dt, err = ir.ParseQuantity(f.dt, ir.Time); err != nil {
			// A bare number is seconds here, as NIR's own unit.
			var perr error
			if _, perr = fmt.Sscanf(f.dt, "%g", &dt); perr != nil || strings.ContainsAny(f.dt, "abcdfghijklmnopqrstuvwxyz") {
				return nil, fmt.Errorf("--dt: %v", err)
			}
		}
	case g.Metadata["dt"] > 0:
		dt = g.Metadata["dt"]
	}
	if !(dt > 0) {
		return nil, fmt.Errorf("%s: NIR graphs are continuous-time and this one stores no dt: give --dt (e.g. --dt 1e-4)", path)
	}
	disc := nir.Discretisation(f.discretisation)
	if disc != nir.Exact && disc != nir.Euler {
		return nil, fmt.Errorf("--discretisation %q: want exact or euler", f.discretisation)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	res, err := nir.Lower(g, nir.Options{Dt: dt, Steps: f.steps, Discretisation: disc, Lenient: f.lenient, Name: name})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, a := range res.Assumptions {
		fmt.Fprintf(cmd.ErrOrStderr(), "note: %s\n", a)
	}
	res.Net.File = path
	return &model{net: res.Net, nir: res}, nil
}

func newImportCmd() *cobra.Command {
	var f nirFlags
	var out string
	cmd := &cobra.Command{
		Use:   "import MODEL.nir --dt DT -o MODEL.yaml",
		Short: "Convert a NIR graph into a soma model file",
		Long: `Import reads a NIR graph (HDF5, as snnTorch, Norse, Sinabs, Rockpool,
Lava-dl, Spyx and Nengo write it), lowers it at the given timestep (docs/nir.md)
and writes it as a soma model file that reads back to the same network.

Neuron nodes (LIF, CubaLIF, IF, LI) become populations, the Input node a
spike-source population (drive it with soma run --input), stateless nodes
between neurons (Affine, Linear, Scale, Conv1d/2d, SumPool2d, AvgPool2d,
Flatten, Delay) become the projections' synapses, biases a constant input,
and the Output node's source is recorded.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !isNIR(args[0]) {
				return fmt.Errorf("%s: import takes a .nir file", args[0])
			}
			m, err := loadModel(cmd, args[0], f)
			if err != nil {
				return err
			}
			b, err := ir.Marshal(m.net)
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d populations, %d projections (input population %q, outputs %s)\n",
				out, len(m.net.Populations), len(m.net.Projections), m.nir.Input, strings.Join(m.nir.Outputs, ", "))
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the model file here (default: stdout)")
	return cmd
}
