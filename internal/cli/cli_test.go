package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/somahw/soma/results"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"soma": func() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI scripts in testdata/script: each is a txtar
// archive of files and soma invocations with their expected output.
func TestScripts(t *testing.T) {
	nirDir, err := filepath.Abs("../hdf5/testdata/nir")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// Real NIR files (copied with provenance into the HDF5
			// reader's testdata).
			env.Setenv("NIR", nirDir)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// truncate FILE cuts a file in half, to test corrupt inputs.
			"truncate": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: truncate FILE")
				}
				path := ts.MkAbs(args[0])
				b, err := os.ReadFile(path)
				ts.Check(err)
				ts.Check(os.WriteFile(path, b[:len(b)/2], 0o644))
			},
		},
	})
}

// TestExamplesRun runs every example end to end, writing all outputs, and
// checks CUBA's rates against the published range.
func TestExamplesRun(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	if len(files) < 3 {
		t.Fatalf("want at least 3 examples, found %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			dir := t.TempDir()
			var stdout, stderr bytes.Buffer
			args := []string{"run", f, "-o", dir}
			if code := Main(args, &stdout, &stderr); code != 0 {
				t.Fatalf("soma run %s: exit %d\n%s", f, code, stderr.String())
			}
			for _, name := range outputNames {
				if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
					t.Errorf("%s missing or empty: %v", name, err)
				}
			}
			var sum results.Summary
			data, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
			if err := json.Unmarshal(data, &sum); err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(filepath.Base(f), "cuba") {
				// Vogels & Abbott's CUBA fires at about 5–6 Hz (Brian2's example).
				for _, p := range sum.Populations {
					if p.MeanRateHz < 4 || p.MeanRateHz > 7 {
						t.Errorf("cuba %s: %.2f Hz, want 4–7 Hz", p.Name, p.MeanRateHz)
					}
				}
			}
		})
	}
}

// TestRunDeterministic: two runs of one model give byte-identical spike
// files and recordings.
func TestRunDeterministic(t *testing.T) {
	var outs [2][]byte
	for i := range outs {
		dir := t.TempDir()
		var stdout, stderr bytes.Buffer
		if code := Main([]string{"run", "../../examples/cuba.yaml", "--duration", "200ms", "-o", dir}, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		for _, name := range []string{"spikes.csv", "recording.npz", "raster.svg"} {
			b, _ := os.ReadFile(filepath.Join(dir, name))
			outs[i] = append(outs[i], b...)
		}
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Error("two runs of cuba.yaml wrote different outputs")
	}
}

// TestInputNPY replays a [steps, neurons] 0/1 .npy array (as snnTorch and
// friends save spike tensors) into a source population.
func TestInputNPY(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "net.yaml")
	os.WriteFile(model, []byte(`name: npy
run: {timestep: 1ms, duration: 5ms}
populations:
  in: {size: 3, model: spike_source_array, spike_times: [[]]}
probes:
  - {population: in, record: spikes}
`), 0o644)
	// A version-1.0 .npy header for a little-endian uint8 array of shape (5, 3).
	header := "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 3), }"
	for (10+len(header)+1)%64 != 0 {
		header += " "
	}
	header += "\n"
	npy := append([]byte("\x93NUMPY\x01\x00"), byte(len(header)), 0)
	npy = append(npy, header...)
	npy = append(npy,
		0, 0, 0,
		1, 0, 0,
		0, 0, 1,
		0, 0, 0,
		1, 1, 0)
	npyPath := filepath.Join(dir, "in.npy")
	os.WriteFile(npyPath, npy, 0o644)
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"run", model, "--input", "in=" + npyPath, "-o", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	got, _ := os.ReadFile(filepath.Join(out, "spikes.csv"))
	want := "population,neuron,step,time_s\nin,0,1,0.001\nin,2,2,0.002\nin,0,4,0.004\nin,1,4,0.004\n"
	if string(got) != want {
		t.Errorf("spikes.csv:\n%s\nwant:\n%s", got, want)
	}
	// An array with the wrong number of neurons is refused.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(strings.Replace(`name: npy
run: {timestep: 1ms, duration: 5ms}
populations:
  in: {size: 4, model: spike_source_array, spike_times: [[]]}
`, "\t", "", -1)), 0o644)
	stderr.Reset()
	if code := Main([]string{"run", bad, "--input", "in=" + npyPath}, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "the array has 3 neurons (columns) but in has 4") {
		t.Errorf("want a neuron-count error, got exit %d: %s", code, stderr.String())
	}
}
