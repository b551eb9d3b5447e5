package hdf5

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// walkAll reads every group, dataset and attribute below the root and
// returns how many datasets it read.
func walkAll(f *File) (int, error) {
	n := 0
	err := f.Root().Walk(func(obj Object) error {
		as, err := obj.Attrs()
		if err != nil {
			return err
		}
		for _, a := range as {
			if _, err := a.Value(); err != nil {
				return err
			}
		}
		if d, ok := obj.(*Dataset); ok {
			n++
			if _, err := d.Value(); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// TestNIRFiles reads the whole tree of real NIR files written by Norse,
// Rockpool, Sinabs, snnTorch and Spyx.
func TestNIRFiles(t *testing.T) {
	for _, tc := range []struct {
		file     string
		datasets int
	}{
		// Dataset counts from `h5ls -r`.
		{"lif_norse.nir", 15},
		{"lif_rockpool.nir", 14},
		{"two_lif_neurons.nir", 21},
		{"cnn_sinabs.nir", 64},
		{"braille_noDelay_bias_zero.nir", 30},
		{"spyx_braille_noDelay_noBias_subtract_subgraph.nir", 33},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f := openTestFile(t, filepath.Join("testdata/nir", tc.file))
			n, err := walkAll(f)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.datasets {
				t.Errorf("read %d datasets, want %d", n, tc.datasets)
			}
		})
	}
}

// TestNIRValues checks values against h5dump's reading of the same files.
func TestNIRValues(t *testing.T) {
	type check struct {
		path  string
		shape []int
		want  any
	}
	for _, tc := range []struct {
		file   string
		checks []check
	}{
		{"lif_norse.nir", []check{
			{"/version", []int{}, "0.1.1"},
			{"/node/type", []int{}, "NIRGraph"},
			{"/node/nodes/1/type", []int{}, "LIF"},
			{"/node/nodes/1/tau", []int{1}, []float64{float64(float32(0.0025))}},
			{"/node/nodes/1/v_threshold", []int{1}, []float64{float64(float32(0.1))}},
			{"/node/nodes/1/r", []int{1}, []float64{1}},
			{"/node/nodes/1/v_leak", []int{1}, []float64{0}},
			{"/node/nodes/0/weight", []int{1, 1}, []float64{1}},
			{"/node/edges", []int{3, 2}, []string{"input", "0", "0", "1", "1", "output"}},
		}},
		{"two_lif_neurons.nir", []check{
			{"/node/nodes/lif1/v_leak", []int{1}, []float64{1.2}},
			{"/node/edges", []int{5, 2}, []string{"in", "linear1", "linear1", "lif1", "lif1", "linear2", "linear2", "lif2", "lif2", "out"}},
		}},
		{"spyx_braille_noDelay_noBias_subtract_subgraph.nir", []check{
			{"/node/nodes/lif1/nodes/lif1/type", []int{}, "CubaLIF"},
		}},
	} {
		f := openTestFile(t, filepath.Join("testdata/nir", tc.file))
		for _, c := range tc.checks {
			d, err := f.Root().Dataset(c.path)
			if err != nil {
				t.Errorf("%s: %v", tc.file, err)
				continue
			}
			got, err := d.Value()
			if err != nil {
				t.Errorf("%s %s: %v", tc.file, c.path, err)
				continue
			}
			if diff := cmp.Diff(c.shape, d.Shape()); diff != "" {
				t.Errorf("%s %s shape (-want +got):\n%s", tc.file, c.path, diff)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s", tc.file, c.path, diff)
			}
		}
	}
	// A large array: first values and shape of the first Sinabs convolution.
	f := openTestFile(t, "testdata/nir/cnn_sinabs.nir")
	d, err := f.Root().Dataset("/node/nodes/0/weight")
	if err != nil {
		t.Fatal(err)
	}
	w, err := d.Float64s()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{16, 2, 5, 5}, d.Shape()); diff != "" {
		t.Errorf("cnn weight shape (-want +got):\n%s", diff)
	}
	if len(w) != 800 || !near(w[0], -0.257342) || !near(w[5], 0.234425) {
		t.Errorf("cnn weight: %d values starting %v", len(w), w[:min(6, len(w))])
	}
}

func near(a, b float64) bool { return a-b < 1e-6 && b-a < 1e-6 }
