package results

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"
	"github.com/google/go-cmp/cmp"
)

func writeNPZ(t *testing.T, r *Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteNPZ(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWriteNPZ(t *testing.T) {
	r := sample()
	raw := writeNPZ(t, r)

	// Deterministic: a second write, from spikes in another order, is
	// byte-identical.
	r2 := sample()
	r2.Sort()
	if !bytes.Equal(raw, writeNPZ(t, r2)) {
		t.Error("two writes of the same result differ")
	}

	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if got := f.Modified.UTC().Format("2006-01-02 15:04:05"); got != "1980-01-01 00:00:00" {
			t.Errorf("%s: modified %s, want the fixed 1980-01-01 00:00:00", f.Name, got)
		}
	}
	wantNames := []string{
		"timestep.npy", "steps.npy",
		"spikes.exc.npy", "spikes.inh.npy", "spikes.silent.npy",
		"exc.v.npy", "exc.v.indices.npy", "exc.v.every.npy",
	}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}

	// Read back with npyio, an independent reader.
	nr, err := npz.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	type array struct {
		Descr string
		Shape []int
		F64   []float64
		I64   []int64
	}
	read := func(name string) array {
		t.Helper()
		h := nr.Header(name)
		if h == nil {
			t.Fatalf("no header for %s", name)
		}
		// npyio keeps the quotes of the header's descr string.
		a := array{Descr: strings.Trim(h.Descr.Type, `'"`), Shape: h.Descr.Shape}
		var err error
		switch {
		case len(h.Descr.Shape) == 0 && a.Descr == "<f8":
			var v float64
			err = nr.Read(name, &v)
			a.F64 = []float64{v}
		case len(h.Descr.Shape) == 0:
			var v int64
			err = nr.Read(name, &v)
			a.I64 = []int64{v}
		case a.Descr == "<f8":
			err = nr.Read(name, &a.F64)
		default:
			err = nr.Read(name, &a.I64)
		}
		if err != nil {
			t.Fatalf("reading %s: %v", name, err)
		}
		return a
	}
	tests := []struct {
		name string
		want array
	}{
		{"timestep.npy", array{Descr: "<f8", F64: []float64{1e-4}}},
		{"steps.npy", array{Descr: "<i8", I64: []int64{10}}},
		{"spikes.exc.npy", array{Descr: "<i8", Shape: []int{4, 2}, I64: []int64{0, 3, 3, 0, 3, 2, 9, 1}}},
		{"spikes.inh.npy", array{Descr: "<i8", Shape: []int{2, 2}, I64: []int64{3, 1, 7, 0}}},
		{"spikes.silent.npy", array{Descr: "<i8", Shape: []int{0, 2}}},
		{"exc.v.npy", array{Descr: "<f8", Shape: []int{2, 2}, F64: []float64{-0.065, -0.065, -0.06, -0.0525}}},
		{"exc.v.indices.npy", array{Descr: "<i8", Shape: []int{2}, I64: []int64{0, 2}}},
		{"exc.v.every.npy", array{Descr: "<i8", I64: []int64{5}}},
	}
	for _, tt := range tests {
		got := read(tt.name)
		if len(got.I64) == 0 {
			got.I64 = nil
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestWriteNPZErrors(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(r *Result)
		wantErr string
	}{
		{name: "trace named timestep", edit: func(r *Result) { r.Traces[0].Name = "timestep" }, wantErr: `two arrays named "timestep"`},
		{name: "trace shadows indices", edit: func(r *Result) {
			r.Traces = append(r.Traces, Trace{Name: "exc.v.indices", Every: 1})
		}, wantErr: `two arrays named "exc.v.indices"`},
		{name: "slash", edit: func(r *Result) { r.Populations[0].Name = "a/b" }, wantErr: `array name "spikes.a/b" is empty or contains a slash`},
		{name: "ragged trace", edit: func(r *Result) { r.Traces[0].Data = r.Traces[0].Data[:1] }, wantErr: "trace exc.v: 1 values"},
		{name: "bad spike", edit: func(r *Result) { r.Spikes[0].Pop = 9 }, wantErr: "spike 0: population index 9 out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sample()
			tt.edit(r)
			err := r.WriteNPZ(&bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestNPZWithNumPy loads the archive with NumPy itself when a Python with
// NumPy is installed (apt-get install python3-numpy); otherwise it skips.
func TestNPZWithNumPy(t *testing.T) {
	py := ""
	for _, cand := range []string{"python3", "/usr/bin/python3"} {
		if p, err := exec.LookPath(cand); err == nil && exec.Command(p, "-c", "import numpy").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Skip("no python3 with numpy; install python3-numpy to run this check")
	}
	path := filepath.Join(t.TempDir(), "recording.npz")
	if err := os.WriteFile(path, writeNPZ(t, sample()), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import sys, numpy as np
d = np.load(sys.argv[1])
for k in d.files:
    a = d[k]
    print(k, a.dtype.str, a.shape, a.tolist())
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	want := `timestep <f8 () 0.0001
steps <i8 () 10
spikes.exc <i8 (4, 2) [[0, 3], [3, 0], [3, 2], [9, 1]]
spikes.inh <i8 (2, 2) [[3, 1], [7, 0]]
spikes.silent <i8 (0, 2) []
exc.v <f8 (2, 2) [[-0.065, -0.065], [-0.06, -0.0525]]
exc.v.indices <i8 (2,) [0, 2]
exc.v.every <i8 () 5
`
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Errorf("np.load (-want +got):\n%s", diff)
	}
}
