package nir

import (
	"path/filepath"

	"github.com/somahw/soma/ir"
	"strings"
	"testing"
)

// nirFile is a real NIR file; the HDF5 reader's testdata holds copies
// (with their provenance) so the tests run from a plain clone.
func nirFile(name string) string {
	return filepath.Join("..", "..", "internal", "hdf5", "testdata", "nir", name)
}

// TestReadRealFiles: real exports from Norse, Sinabs, snnTorch and Spyx
// read, flatten and lower (or are refused with the reason, for the
// malformed ones).
func TestReadRealFiles(t *testing.T) {
	for _, tc := range []struct {
		file    string
		lenient bool
		wantErr string
	}{
		{file: "lif_norse.nir"},
		{file: "two_lif_neurons.nir"},
		{file: "cnn_sinabs.nir"},
		{file: "lif_rockpool.nir", wantErr: "Output output has shape"},
		{file: "lif_rockpool.nir", lenient: true},
		{file: "braille_noDelay_bias_zero.nir"},
		{file: "spyx_braille_noDelay_noBias_subtract_subgraph.nir"},
		{file: "../../../../ir/nir/testdata/broken_braille_subgraph.nir", wantErr: "which does not exist"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			g, err := ReadFile(nirFile(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Lower(g, Options{Dt: 1e-4, Steps: 100, Lenient: tc.lenient})
			if err == nil {
				checkSizes(t, g, res)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.file == "cnn_sinabs.nir" {
				convs := 0
				for _, pr := range res.Net.Projections {
					if pr.Connector.Kind == ir.ConvKind {
						convs++
					}
				}
				// Input→Conv→IF and IF→Conv→IF stay kernels; the layers
				// behind a pooling are composed.
				if convs != 2 {
					t.Errorf("cnn_sinabs: %d conv connectors, want 2", convs)
				}
			}
			t.Logf("%s: %d populations, %d projections, assumptions %v", tc.file, len(res.Net.Populations), len(res.Net.Projections), res.Assumptions)
		})
	}
}

// checkSizes: every neuron node became a population of its parameter
// count, and every Affine/Linear layer between two neuron nodes became as
// many synapses as it has non-zero weights.
func checkSizes(t *testing.T, g *Graph, res *Result) {
	t.Helper()
	fg, err := g.Flatten()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range fg.Names() {
		n := fg.Nodes[name]
		if stateful[n.Type] == "" {
			continue
		}
		p := res.Net.Population(name)
		if p == nil {
			t.Errorf("node %s has no population", name)
			continue
		}
		key := sizeParam[n.Type]
		if want := n.Params[key].Len(); p.Size != want {
			t.Errorf("population %s has %d neurons, node has %d", name, p.Size, want)
		}
	}
}
