package results

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/somahw/soma/internal/golden"

	"github.com/google/go-cmp/cmp"
)

func TestWriteSpikesCSV(t *testing.T) {
	r := sample()
	orig := append([]Spike(nil), r.Spikes...)
	var b bytes.Buffer
	if err := r.WriteSpikesCSV(&b); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "spikes.csv.golden"), "spikes.csv.golden", b.Bytes())
	if diff := cmp.Diff(orig, r.Spikes); diff != "" {
		t.Errorf("WriteSpikesCSV reordered r.Spikes (-want +got):\n%s", diff)
	}

	// print → parse → print is stable.
	got, err := ReadSpikesCSV(bytes.NewReader(b.Bytes()), r.Populations)
	if err != nil {
		t.Fatal(err)
	}
	r2 := *r
	r2.Spikes = got
	var b2 bytes.Buffer
	if err := r2.WriteSpikesCSV(&b2); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b.String(), b2.String()); diff != "" {
		t.Errorf("write → read → write changed the file (-want +got):\n%s", diff)
	}
}

func TestWriteSpikesCSVErrors(t *testing.T) {
	r := sample()
	r.Spikes[3].Neuron = 99
	err := r.WriteSpikesCSV(&bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "spike 3: neuron 99 out of range for population exc") {
		t.Fatalf("err = %v", err)
	}
}

func TestSpikesCSVOddNames(t *testing.T) {
	// Names that need CSV quoting, or look like numbers or headers, must
	// round-trip.
	pops := []Population{
		{Name: "a,b", Size: 2}, {Name: `say "hi"`, Size: 2}, {Name: " lead", Size: 2},
		{Name: "trail ", Size: 2}, {Name: "", Size: 2}, {Name: "line\nbreak", Size: 2},
		{Name: "population", Size: 2}, {Name: "1", Size: 2}, {Name: "ünï", Size: 2},
	}
	r := &Result{Timestep: 1e-3, Steps: 5, Populations: pops}
	for i := range pops {
		r.Spikes = append(r.Spikes, Spike{Pop: int32(i), Neuron: int32(i % 2), Step: int32(i % 5)})
	}
	r.Sort()
	var b bytes.Buffer
	if err := r.WriteSpikesCSV(&b); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSpikesCSV(&b, pops)
	if err != nil {
		t.Fatalf("%v\nfile:\n%s", err, b.String())
	}
	if diff := cmp.Diff(r.Spikes, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestReadSpikesCSV(t *testing.T) {
	two := []Population{{Name: "exc", Size: 4}, {Name: "inh", Size: 2}}
	one := []Population{{Name: "in", Size: 3}}
	tests := []struct {
		name    string
		pops    []Population
		in      string
		want    []Spike
		wantErr string
	}{
		{
			name: "full",
			pops: two,
			in:   "population,neuron,step,time_s\nexc,1,0,0\ninh,1,2,0.0002\nexc,3,2,0.0002\n",
			want: []Spike{{0, 1, 0}, {1, 1, 2}, {0, 3, 2}},
		},
		{
			name: "no time column, other order, spaces, CRLF, blank lines, BOM",
			pops: two,
			in:   "\xef\xbb\xbfstep, population, neuron\r\n\r\n5, inh, 0 \r\n7, exc, 2\r\n",
			want: []Spike{{1, 0, 5}, {0, 2, 7}},
		},
		{
			name: "reduced",
			pops: one,
			in:   "neuron,step\n2,10\n0,3\n",
			want: []Spike{{0, 2, 10}, {0, 0, 3}},
		},
		{
			name: "header only",
			pops: two,
			in:   "population,neuron,step,time_s\n",
		},
		{
			name:    "empty file",
			pops:    two,
			in:      "",
			wantErr: "empty file",
		},
		{
			name:    "no header",
			pops:    one,
			in:      "1,2\n",
			wantErr: `line 1: unknown column "1"`,
		},
		{
			name:    "missing step column",
			pops:    one,
			in:      "neuron\n1\n",
			wantErr: "line 1: no step column",
		},
		{
			name:    "duplicate column",
			pops:    one,
			in:      "neuron,step,neuron\n1,2,3\n",
			wantErr: "line 1: column neuron appears twice",
		},
		{
			name:    "reduced with two populations",
			pops:    two,
			in:      "neuron,step\n1,2\n",
			wantErr: "no population column, so it must be read for exactly one population; got 2",
		},
		{
			name:    "unknown population",
			pops:    two,
			in:      "population,neuron,step\nexc,1,1\nout,0,1\n",
			wantErr: `line 3, column population: unknown population "out" (have "exc", "inh")`,
		},
		{
			name:    "neuron out of range",
			pops:    two,
			in:      "population,neuron,step\ninh,2,1\n",
			wantErr: "line 2, column neuron: neuron 2 out of range for population inh (2 neurons)",
		},
		{
			name:    "negative neuron",
			pops:    one,
			in:      "neuron,step\n-1,1\n",
			wantErr: "line 2, column neuron: neuron -1 out of range",
		},
		{
			name:    "bad step",
			pops:    one,
			in:      "neuron,step\n\n1,1.5\n",
			wantErr: `line 3, column step: "1.5" is not an integer`,
		},
		{
			name:    "negative step",
			pops:    one,
			in:      "neuron,step\n1,-4\n",
			wantErr: "line 2, column step: negative step -4",
		},
		{
			name:    "huge step",
			pops:    one,
			in:      "neuron,step\n1,3000000000\n",
			wantErr: "line 2, column step: 3000000000 does not fit in 32 bits",
		},
		{
			name:    "ragged row",
			pops:    one,
			in:      "neuron,step\n1,2\n1\n",
			wantErr: "record on line 3: wrong number of fields",
		},
		{
			name:    "bad quote",
			pops:    two,
			in:      "population,neuron,step\n\"exc,1,1\n",
			wantErr: "extraneous or missing \" in quoted-field",
		},
		{
			name:    "duplicate population given",
			pops:    []Population{{Name: "a", Size: 1}, {Name: "a", Size: 1}},
			in:      "population,neuron,step\n",
			wantErr: `population name "a" given twice`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadSpikesCSV(strings.NewReader(tt.in), tt.pops)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ReadSpikesCSV (-want +got):\n%s", diff)
			}
		})
	}
}

// fuzzPops are the populations FuzzReadSpikesCSV reads against; the names
// match the golden file so it seeds useful inputs.
var fuzzPops = []Population{{Name: "exc", Size: 4}, {Name: "inh", Size: 2}, {Name: "silent", Size: 3}}

func FuzzReadSpikesCSV(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "spikes.csv.golden"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte("neuron,step\n1,2\n"))
	f.Add([]byte("step,population\n1,exc\n"))
	f.Add([]byte("\"population\",neuron,step\n\"a,b\",1,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, pops := range [][]Population{fuzzPops, fuzzPops[:1]} {
			spikes, err := ReadSpikesCSV(bytes.NewReader(data), pops)
			if err != nil {
				continue
			}
			// Everything read is in range, so it writes; and writing then
			// reading gives the same spikes in canonical order.
			r := &Result{Timestep: 1e-4, Populations: pops, Spikes: spikes}
			var b bytes.Buffer
			if err := r.WriteSpikesCSV(&b); err != nil {
				t.Fatalf("write after read: %v", err)
			}
			back, err := ReadSpikesCSV(&b, pops)
			if err != nil {
				t.Fatalf("read after write: %v\nfile:\n%s", err, b.String())
			}
			r.Sort()
			if diff := cmp.Diff(r.Spikes, back); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
		}
	})
}

// benchResult is a run with n spikes spread over 1000 neurons in two
// populations.
func benchResult(n int) *Result {
	r := &Result{
		Engine: "emu", Network: "bench", Timestep: 1e-4, Steps: n/100 + 1,
		Populations: []Population{{Name: "exc", Size: 800}, {Name: "inh", Size: 200}},
		Spikes:      make([]Spike, n),
	}
	for i := range r.Spikes {
		nr := (i * 7919) % 1000
		pop := int32(0)
		if nr >= 800 {
			pop, nr = 1, nr-800
		}
		r.Spikes[i] = Spike{Pop: pop, Neuron: int32(nr), Step: int32(i / 100)}
	}
	r.Sort()
	return r
}

func BenchmarkWriteSpikesCSV(b *testing.B) {
	r := benchResult(1_000_000)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := r.WriteSpikesCSV(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/1e6, "MB/file")
}

func BenchmarkReadSpikesCSV(b *testing.B) {
	r := benchResult(1_000_000)
	var buf bytes.Buffer
	if err := r.WriteSpikesCSV(&buf); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ReadSpikesCSV(bytes.NewReader(buf.Bytes()), r.Populations); err != nil {
			b.Fatal(err)
		}
	}
}
